#!/usr/bin/env bash
# Instructions the server executes per uncached list request, counted by valgrind's callgrind.
#
# Wall-clock throughput on a shared 2-core VM moves by ±15 % between runs; an instruction count
# does not (the same binary and input give the same count within ≈ 1 %, whatever else the
# machine is doing). Use it to compare two builds of a change to the request path:
#
#   bash bench/instructions.sh target/release/tudu /tmp/tudu-before
#
# For each binary: a fresh PostgreSQL database seeded through the API (USERS users x
# TASKS_PER_USER tasks, bench/seed.py), then the server under callgrind with the list cache off,
# REQUESTS sequential `GET /api/v1/tasks?limit=50` (users in turn), counting only
# inside the connection tasks (`--toggle-collect`), so start-up is excluded. Prints the
# instructions per request and keeps the callgrind file for `callgrind_annotate`.
#
# Knobs: REQUESTS=300 USERS=10 TASKS_PER_USER=100 PG_URL=postgres://postgres@127.0.0.1:5432/tudu_instructions
#        LIST_CACHE=false (true: the cached path) REQUEST='/api/v1/tasks?limit=50' (any GET, e.g.
#        /api/v1/tasks/1 for a read by number)
#        SHARED=member|owner: instead, one owner's project of TASKS_PER_USER tasks shared with
#        USERS members (bench/seed_shared.py), listed by the members in turn or by its owner;
#        `{project}` in REQUEST is its id, e.g.
#        SHARED=member USERS=20 TASKS_PER_USER=10000 REQUEST='/api/v1/tasks?project_id={project}&limit=50'
set -euo pipefail

(( $# >= 1 )) || { echo "usage: $0 BINARY [BINARY...]" >&2; exit 2; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REQUESTS=${REQUESTS:-300}
USERS=${USERS:-10}
TASKS_PER_USER=${TASKS_PER_USER:-100}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/tudu_instructions}
LIST_CACHE=${LIST_CACHE:-false}
REQUEST=${REQUEST:-/api/v1/tasks?limit=50}
SHARED=${SHARED:-}
SECRET="tudu-benchmark-secret-not-for-production-0123456789"
for tool in valgrind python3 curl psql; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tudu-instructions.XXXXXX")
SERVER_PID=""
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -INT "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start() { # port command...
    local port=$1
    shift
    (cd "$WORK" && exec env DATABASE_URL="$PG_URL" HOST=127.0.0.1 PORT="$port" \
        BETTER_AUTH_SECRET="$SECRET" ENVIRONMENT=development LOG_FORMAT=json RUST_LOG=warn SIGNUP_RATE_LIMIT_PER_HOUR=0 \
        TUDU_LIST_CACHE="$LIST_CACHE" TOKIO_WORKER_THREADS=2 "$@") >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/health/ready" 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
        sleep 0.2
    done
    echo "the server did not become ready" >&2
    exit 1
}

stop() {
    kill -INT "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

for bin in "$@"; do
    bin=$(realpath "$bin")
    psql -q "${PG_URL%/*}/postgres" -c "drop database if exists \"${PG_URL##*/}\" with (force)" \
        -c "create database \"${PG_URL##*/}\"" >/dev/null 2>&1
    port=$(free_port)
    start "$port" "$bin" serve
    if [[ -n $SHARED ]]; then
        python3 "$ROOT/bench/seed_shared.py" "http://127.0.0.1:$port" "$USERS" "$TASKS_PER_USER" \
            "$WORK/users.txt" "$WORK/project.txt" "$SHARED" >/dev/null
        path=${REQUEST//\{project\}/$(cat "$WORK/project.txt")}
    else
        python3 "$ROOT/bench/seed.py" "http://127.0.0.1:$port" "$USERS" "$TASKS_PER_USER" "$WORK/users.txt" >/dev/null
        path=$REQUEST
    fi
    psql -q "$PG_URL" -c "vacuum analyze" >/dev/null
    stop
    out="$WORK/callgrind.$(basename "$bin").out"
    # axum::serve's connection task (binaries before the server loop of src/server) and ours.
    start "$port" valgrind --tool=callgrind --toggle-collect='*handle_connection*' \
        --toggle-collect='*tudu::server::connection*' \
        --callgrind-out-file="$out" "$bin" serve
    python3 - "$port" "$REQUESTS" "$WORK/users.txt" "$path" <<'PY'
import http.client, sys
port, requests, users, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
tokens = [line.split()[0] for line in open(users)]
# Counted from the first request on: the one-off costs (preparing the statement, the readiness
# polls) are the same for every binary and, over a few hundred requests, below 1 %.
connection = http.client.HTTPConnection("127.0.0.1", port)
for i in range(requests):
    connection.request("GET", path,
                       headers={"Authorization": "Bearer " + tokens[i % len(tokens)]})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"request {i}: status {response.status}")
PY
    stop
    total=$(awk '/^(summary|totals):/ { print $2; exit }' "$out")
    printf '%s: %d instructions per request of %s%s, list cache %s (%d requests; %s)\n' \
        "$bin" $(( total / REQUESTS )) "$REQUEST" "${SHARED:+ as $SHARED}" "$LIST_CACHE" "$REQUESTS" "$out"
done
echo "callgrind files kept in $WORK (callgrind_annotate --inclusive=yes <file> | less)"
trap - EXIT
