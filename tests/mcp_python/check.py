"""Drives tudu's MCP server with the official Python SDK (`mcp` 2.x).

    check.py http  URL TOKEN     # Streamable HTTP: initialize (2025-11-25), discover (2026-07-28), 401
    check.py ws    URL TOKEN     # WebSocket (ws://…/mcp, `websockets`): raw JSON-RPC frames, the SDK's
                                 # session over the socket (both lifecycles), 401/403 before the upgrade
    check.py stdio BINARY EMAIL  # `BINARY mcp --user EMAIL`, with DATABASE_URL etc. from the environment
    check.py scopes URL PAT      # a read-only personal access token: lists, a write is 403 insufficient_scope
    check.py stdio-token BINARY PAT  # `BINARY mcp` with TUDU_TOKEN=PAT

Exits non-zero, naming the check, on the first failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import mcp_types
import websockets
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.message import SessionMessage
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

TOOLS = {
    # name: (read-only, destructive, idempotent)
    "add_task": (False, False, False),
    "list_tasks": (True, False, True),
    "get_task": (True, False, True),
    "update_task": (False, True, True),
    "complete_task": (False, True, True),
    "delete_task": (False, True, True),
    "list_projects": (True, False, True),
    "add_project": (False, False, False),
    "share_project": (False, False, False),
    "list_members": (True, False, True),
    "unshare_project": (False, True, True),
    "leave_project": (False, True, True),
    "change_member_role": (False, True, True),
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
    check({t.name for t in listed.tools} == set(TOOLS), f"[{label}] tools/list names every tool")
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

    # Unique: the same user runs this more than once (each transport, each lifecycle).
    name = f"Python {label} {uuid.uuid4().hex[:8]}"
    project = await ok(session, "add_project", {"name": name})
    projects = await ok(session, "list_projects", {})
    check(
        [p["name"] for p in projects["projects"]][:1] == ["Inbox"]
        and project["id"] in [p["id"] for p in projects["projects"]],
        f"[{label}] add_project and list_projects",
    )
    members = await ok(session, "list_members", {"project": name})
    check(
        [m["role"] for m in members["members"]] == ["owner"] and members["project_id"] == project["id"],
        f"[{label}] list_members shows a new project's owner alone",
    )
    in_project = await ok(session, "add_task", {"title": "In a project", "project": name.lower()})
    check(in_project["project_id"] == project["id"], f"[{label}] add_task takes a project by name")
    await ok(session, "delete_task", {"task_id": in_project["id"]})

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


async def within_scopes(url: str, reader: str) -> None:
    # A personal access token with `mcp` and `tasks:read` only: reads work through the SDK, and a
    # write is refused at the door with the MCP authorization spec's scope challenge.
    headers = {"Authorization": f"Bearer {reader}"}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                listed = await ok(session, "list_tasks", {})
                check("tasks" in listed, "[scopes] a read-only token lists through the SDK")
        response = await http.post(
            url,
            json={
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "add_task", "arguments": {"title": "refused"}},
            },
            headers={"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"},
        )
        challenge = response.headers.get("www-authenticate", "")
        check(
            response.status_code == 403
            and 'error="insufficient_scope"' in challenge
            and 'scope="tasks:write"' in challenge
            and "resource_metadata=" in challenge,
            f"[scopes] a write is HTTP 403 insufficient_scope: {response.status_code} {challenge}",
        )


async def over_stdio_with_token(binary: str, token: str) -> None:
    env = dict(os.environ, TUDU_TOKEN=token)
    params = StdioServerParameters(command=binary, args=["mcp"], env=env)
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                await exercise(session, "stdio/token")


async def over_stdio(binary: str, email: str) -> None:
    params = StdioServerParameters(command=binary, args=["mcp", "--user", email], env=dict(os.environ))
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                check(init.server_info.name == "tudu", "initialize over stdio")
                await exercise(session, "stdio")


async def rpc(ws: ClientConnection, id: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """Sends one JSON-RPC request as a text frame; returns the answer, which must carry its id."""
    await ws.send(json.dumps({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
    answer = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
    check(answer.get("id") == id, f"[ws] {method} is answered (id {id})")
    return answer


@asynccontextmanager
async def websocket_streams(ws: ClientConnection) -> AsyncGenerator[tuple[Any, Any], None]:
    """The SDK's session streams over a socket: one JSON-RPC message per text frame (mcp 2.x
    ships no WebSocket client)."""
    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](0)

    async def reader() -> None:
        async with read_writer:
            async for text in ws:
                try:
                    message: SessionMessage | Exception = SessionMessage(
                        mcp_types.jsonrpc_message_adapter.validate_json(text, by_name=False)
                    )
                except Exception as error:  # handed to the session, as the SDK's transports do
                    message = error
                await read_writer.send(message)

    async def writer() -> None:
        async with write_reader:
            async for message in write_reader:
                await ws.send(message.message.model_dump_json(by_alias=True, exclude_unset=True))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(reader)
        tasks.start_soon(writer)
        try:
            yield read_stream, write_stream
        finally:
            tasks.cancel_scope.cancel()


async def refused_status(url: str, **options: Any) -> int | None:
    """The HTTP status of a refused handshake, None if the socket opened."""
    try:
        async with connect(url, open_timeout=30, **options):
            return None
    except websockets.exceptions.InvalidStatus as refusal:
        return refusal.response.status_code


async def over_websocket(url: str, token: str) -> None:
    # Raw frames, the token in the Authorization header of the upgrade request.
    async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=30) as ws:
        init = await rpc(
            ws,
            1,
            "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "check.py", "version": "0"}},
        )
        check(init.get("result", {}).get("serverInfo", {}).get("name") == "tudu", "[ws] initialize over raw frames")
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        tools = await rpc(ws, 2, "tools/list", {})
        names = {t["name"] for t in tools.get("result", {}).get("tools", [])}
        check(names == set(TOOLS), "[ws] tools/list names every tool")
        added = await rpc(ws, 3, "tools/call", {"name": "add_task", "arguments": {"title": "Python ws raw"}})
        task = added.get("result", {}).get("structuredContent") or {}
        check(task.get("title") == "Python ws raw" and not added["result"].get("isError"), "[ws] tools/call add_task")
        listed = await rpc(ws, 4, "tools/call", {"name": "list_tasks", "arguments": {"q": "ws raw"}})
        found = [t["id"] for t in (listed.get("result", {}).get("structuredContent") or {}).get("tasks", [])]
        check(found == [task.get("id")], "[ws] tools/call list_tasks finds it")
        deleted = await rpc(ws, 5, "tools/call", {"name": "delete_task", "arguments": {"task_id": task.get("id")}})
        check(not deleted.get("result", {}).get("isError"), "[ws] tools/call delete_task")
        await ws.send("not JSON")
        error = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
        check(error.get("error", {}).get("code") == -32700, "[ws] a frame that is not JSON gets a parse error")

    # The SDK's session over a socket authenticated by the subprotocol, as a browser would.
    protocol = Subprotocol(f"bearer.{token}")
    async with connect(url, subprotocols=[protocol], open_timeout=30) as ws:
        check(ws.subprotocol == protocol, "[ws] the 101 selects the bearer subprotocol")
        async with websocket_streams(ws) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                check(init.server_info.name == "tudu", "[ws] initialize (2025-11-25) with the SDK")
                await exercise(session, "ws/initialize")
    async with connect(url, subprotocols=[protocol], open_timeout=30) as ws:
        async with websocket_streams(ws) as (read, write):
            async with ClientSession(read, write) as session:
                discovered = await session.discover()
                check("2026-07-28" in discovered.supported_versions, "[ws] server/discover (2026-07-28) with the SDK")
                await exercise(session, "ws/discover")

    check(await refused_status(url) == 401, "[ws] no token: HTTP 401 before the upgrade")
    check(
        await refused_status(url, additional_headers={"Authorization": "Bearer invalid"}) == 401,
        "[ws] invalid token: HTTP 401 before the upgrade",
    )
    check(
        await refused_status(url, subprotocols=[Subprotocol("bearer.invalid")]) == 401,
        "[ws] invalid subprotocol token: HTTP 401 before the upgrade",
    )
    check(
        await refused_status(
            url, additional_headers={"Authorization": f"Bearer {token}"}, origin=Origin("https://evil.example")
        )
        == 403,
        "[ws] foreign Origin: HTTP 403 before the upgrade",
    )


def main() -> None:
    modes = {
        "http": over_http,
        "ws": over_websocket,
        "stdio": over_stdio,
        "scopes": within_scopes,
        "stdio-token": over_stdio_with_token,
    }
    if len(sys.argv) != 4 or sys.argv[1] not in modes:
        raise SystemExit(__doc__)
    mode, first, second = sys.argv[1:]
    run = modes[mode]
    asyncio.run(run(first, second))


if __name__ == "__main__":
    main()
