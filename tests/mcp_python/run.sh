#!/usr/bin/env bash
# Checks tudu's MCP server with the official Python SDK, over HTTP, WebSocket and stdio: starts
# the built binary (release if present and newer, else debug; under $CARGO_TARGET_DIR if set) on
# a free port with a temporary SQLite database, signs a user up with curl, then runs check.py
# each way.
#
#   tests/mcp_python/run.sh            # needs `cargo build` first; installs `mcp` and `websockets`
#                                      # into <target>/mcp-venv
#   PYTHON=/path/to/python run.sh      # use an interpreter that already has `mcp` 2.x and `websockets`
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${CARGO_TARGET_DIR:-target}
bin=$target/debug/tudu
if [[ -x $target/release/tudu && $target/release/tudu -nt "$bin" ]]; then bin=$target/release/tudu; fi
[[ -x $bin ]] || { echo "build tudu first (cargo build)" >&2; exit 1; }

if [[ -z ${PYTHON:-} ]]; then
  venv=$target/mcp-venv
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
  "$venv/bin/python" -c 'import mcp.client.streamable_http, websockets, sys; sys.exit(websockets.__version__ != "17.4")' 2>/dev/null \
    || "$venv/bin/pip" install --quiet --disable-pip-version-check 'mcp>=2.3,<3' 'websockets==17.4'
  PYTHON=$venv/bin/python
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="sqlite://$work/tudu.db"
export BETTER_AUTH_SECRET="python-mcp-check-secret-0123456789abcdef"
export ENVIRONMENT=development LOG_FORMAT=json RUST_LOG=warn
HOST=127.0.0.1 PORT=$port "$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$base/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done

email="python-$RANDOM$RANDOM@example.com"
token=$(curl -fsS -X POST "$base/api/v1/auth/signup" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"correct horse battery\",\"name\":\"Python SDK\"}" \
  | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["token"])')

mint() { # scopes as a JSON array → a personal access token
  curl -fsS -X POST "$base/api/v1/auth/tokens" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $token" -d "{\"name\":\"python\",\"scopes\":$1}" \
    | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
writer=$(mint '["mcp","tasks:read","tasks:write"]')
reader=$(mint '["mcp","tasks:read"]')

echo "== MCP over Streamable HTTP ($base/mcp) with the Python SDK =="
"$PYTHON" tests/mcp_python/check.py http "$base/mcp" "$token"
echo "== MCP over WebSocket (${base/http/ws}/mcp) with websockets and the Python SDK =="
"$PYTHON" tests/mcp_python/check.py ws "${base/http/ws}/mcp" "$token"
echo "== MCP over stdio ($bin mcp --user $email) with the Python SDK =="
"$PYTHON" tests/mcp_python/check.py stdio "$bin" "$email"
echo "== the same with a personal access token, and a read-only one refused a write =="
"$PYTHON" tests/mcp_python/check.py http "$base/mcp" "$writer"
"$PYTHON" tests/mcp_python/check.py scopes "$base/mcp" "$reader"
echo "== MCP over stdio (TUDU_TOKEN=tudu_pat_… $bin mcp) with the Python SDK =="
"$PYTHON" tests/mcp_python/check.py stdio-token "$bin" "$writer"
