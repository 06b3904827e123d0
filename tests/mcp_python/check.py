"""Drives tudu's MCP server with the official Python SDK (`mcp` 2.x).

    check.py http  URL TOKEN     # Streamable HTTP: initialize (2025-11-25), discover (2026-07-28), 401
    check.py stdio BINARY EMAIL  # `BINARY mcp --user EMAIL`, with DATABASE_URL etc. from the environment

Exits non-zero, naming the check, on the first failure.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import httpx2
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

TOOLS = {
    # name: (read-only, destructive, idempotent)
    "add_task": (False, False, False),
    "list_tasks": (True, False, True),
    "get_task": (True, False, True),
    "update_task": (False, True, True),
    "complete_task": (False, True, True),
    "delete_task": (False, True, True),
}


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok - {what}")


async def ok(session: ClientSession, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(name, arguments)
    text = " ".join(getattr(c, "text", "") for c in result.content)
    check(not result.is_error and isinstance(result.structured_content, dict), f"{name} succeeds ({text[:120]})")
    return result.structured_content


async def exercise(session: ClientSession, label: str) -> None:
    """Lists the tools, then adds, lists, completes and deletes a task, and checks a failure."""
    listed = await session.list_tools()
    check({t.name for t in listed.tools} == set(TOOLS), f"[{label}] tools/list names the six tools")
    for tool in listed.tools:
        hints = tool.annotations
        expected = TOOLS[tool.name]
        check(
            hints is not None
            and (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == expected
            and hints.open_world_hint is False,
            f"[{label}] {tool.name} annotations",
        )
        check(tool.input_schema.get("type") == "object", f"[{label}] {tool.name} input schema")
        check((tool.output_schema or {}).get("type") == "object", f"[{label}] {tool.name} output schema")

    added = await ok(session, "add_task", {"title": f"Python {label}", "priority": "high", "tags": ["sdk"]})
    number = added["number"]
    check(added["priority"] == "HIGH" and added["tags"] == ["sdk"], f"[{label}] add_task result")
    pending = await ok(session, "list_tasks", {"status": "pending", "tags": ["sdk"]})
    check(number in [t["number"] for t in pending["tasks"]], f"[{label}] list_tasks shows the new task")
    done = await ok(session, "complete_task", {"task_id": number})
    check(done["completed"] is True, f"[{label}] complete_task completes it")
    got = await ok(session, "get_task", {"task_id": str(number)})
    check(got["completed"] is True, f"[{label}] get_task by number sees it completed")
    missing = await session.call_tool("get_task", {"task_id": 999999})
    check(missing.is_error and missing.structured_content is None, f"[{label}] unknown task is an isError result")
    invalid = await session.call_tool("add_task", {"title": ""})
    check(invalid.is_error and "title" in invalid.content[0].text, f"[{label}] invalid title is an isError result")
    deleted = await ok(session, "delete_task", {"task_id": added["id"]})
    check(deleted["deleted_id"] == added["id"], f"[{label}] delete_task deletes it")


async def over_http(url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                check(init.server_info.name == "tudu", "initialize (2025-11-25) over HTTP")
                await exercise(session, "http/initialize")
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                discovered = await session.discover()
                check("2026-07-28" in discovered.supported_versions, "server/discover (2026-07-28) over HTTP")
                await exercise(session, "http/discover")
    async with httpx2.AsyncClient(timeout=30) as http:
        response = await http.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream"},
        )
        challenge = response.headers.get("www-authenticate", "")
        check(response.status_code == 401 and "resource_metadata=" in challenge, "no token: HTTP 401 with resource_metadata")
        response = await http.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream", "Authorization": "Bearer invalid"},
        )
        check(response.status_code == 401, "invalid token: HTTP 401")


async def over_stdio(binary: str, email: str) -> None:
    params = StdioServerParameters(command=binary, args=["mcp", "--user", email], env=dict(os.environ))
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                check(init.server_info.name == "tudu", "initialize over stdio")
                await exercise(session, "stdio")


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[1] not in ("http", "stdio"):
        raise SystemExit(__doc__)
    mode, first, second = sys.argv[1:]
    asyncio.run(over_http(first, second) if mode == "http" else over_stdio(first, second))


if __name__ == "__main__":
    main()
