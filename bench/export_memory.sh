#!/usr/bin/env bash
# Does exporting a user with 100 000 tasks load them into memory? For each backend: a fresh
# database, one user given TASKS tasks through POST /api/v1/auth/import, then a fresh server
# process whose RSS is read idle and after two exports of that user (one as fast as the client
# reads, one by a client reading at RATE, to show the server waits for a slow reader instead of
# buffering). Prints one Markdown row per backend; see docs/benchmarks.md.
#
#   bash bench/export_memory.sh                      # builds the release binary
#   TUDU_BIN=target/release/tudu bash bench/export_memory.sh
#
# Knobs: TASKS=100000 BACKENDS="sqlite postgres" RATE=5M
#        PG_URL=postgres://postgres@127.0.0.1:5432/tudu_bench_export (dropped and recreated)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TASKS=${TASKS:-100000}
BACKENDS=${BACKENDS:-sqlite postgres}
RATE=${RATE:-5M}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/tudu_bench_export}
PG_ADMIN_URL="${PG_URL%/*}/postgres"
PG_DB=${PG_URL##*/}
SECRET="tudu-benchmark-secret-not-for-production-0123456789"

log() { printf '[export-memory %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
status_kb() { awk -v key="$2:" '$1 == key {print $2}' "/proc/$1/status"; }
mb() { echo "scale=1; $1 / 1000" | bc; }

if [[ -z "${TUDU_BIN:-}" ]]; then
    log "building the release binary"
    (cd "$ROOT" && cargo build --release --locked --bin tudu >&2)
    TUDU_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tudu"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tudu-export-memory.XXXXXX")
SERVER=
stop_server() { [[ -n "$SERVER" ]] && { kill -TERM "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; }; SERVER=; }
trap 'stop_server; rm -rf "$WORK"' EXIT

start_server() { # database URL
    PORT=$(free_port)
    DATABASE_URL="$1" BETTER_AUTH_SECRET=$SECRET HOST=127.0.0.1 PORT=$PORT \
        LOG_FORMAT=json RUST_LOG=warn "$TUDU_BIN" serve >>"$WORK/server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && return
        sleep 0.1
    done
    log "the server did not start"; cat "$WORK/server.log" >&2; exit 1
}

log "writing a document of $TASKS tasks"
python3 - "$TASKS" >"$WORK/document.json" <<'PY'
import json, sys, uuid
n = int(sys.argv[1])
tasks = []
for i in range(n):
    task = {"id": str(uuid.uuid4()), "title": f"Task {i}: call the plumber about the kitchen sink",
            "description": "Seeded for the export memory benchmark. " * 3,
            "priority": ["NONE", "LOW", "MEDIUM", "HIGH"][i % 4], "tags": [f"tag{i % 10}", "bench"],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z"}
    if i % 3:
        task["due_date"] = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T17:00:00Z"
    if i % 5 == 0:
        task["completed"] = True
    if i % 50 == 0:
        task["recurrence_pattern"] = "WEEKLY"
    tasks.append(task)
json.dump({"format": "tudu-export", "version": 1, "tasks": tasks}, sys.stdout)
PY

printf '| backend | tasks | document | import (peak RSS) | idle RSS | after a full-speed export (time) | after a %s/s export | export peak rise |\n' "$RATE"
printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
for backend in $BACKENDS; do
    case $backend in
        sqlite) url="sqlite://$WORK/tudu.db"; rm -f "$WORK"/tudu.db* ;;
        postgres)
            url=$PG_URL
            psql -q "$PG_ADMIN_URL" -c "drop database if exists $PG_DB" -c "create database $PG_DB" >/dev/null ;;
        *) log "unknown backend $backend"; exit 2 ;;
    esac
    start_server "$url"
    token=$(curl -fsS -X POST "http://127.0.0.1:$PORT/api/v1/auth/signup" -H 'content-type: application/json' \
        -d '{"email":"big@bench.example","password":"benchmark-password"}' \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
    log "$backend: importing"
    start=$(date +%s.%N)
    curl -fsS -X POST "http://127.0.0.1:$PORT/api/v1/auth/import" -H "authorization: Bearer $token" \
        -H 'content-type: application/json' --data-binary "@$WORK/document.json" >"$WORK/report.json"
    import_secs=$(echo "$(date +%s.%N) - $start" | bc)
    import_peak=$(status_kb "$SERVER" VmHWM)
    stop_server

    # A fresh process, so that nothing the import allocated is counted.
    start_server "$url"
    curl -fsS "http://127.0.0.1:$PORT/api/v1/auth/me" -H "authorization: Bearer $token" >/dev/null
    idle=$(status_kb "$SERVER" VmRSS)
    log "$backend: exporting"
    start=$(date +%s.%N)
    curl -fsS "http://127.0.0.1:$PORT/api/v1/auth/export" -H "authorization: Bearer $token" -o "$WORK/export.json"
    export_secs=$(echo "$(date +%s.%N) - $start" | bc)
    fast_peak=$(status_kb "$SERVER" VmHWM)
    curl -fsS --limit-rate "$RATE" "http://127.0.0.1:$PORT/api/v1/auth/export" \
        -H "authorization: Bearer $token" -o "$WORK/export-slow.json"
    slow_peak=$(status_kb "$SERVER" VmHWM)
    stop_server

    exported=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["tasks"]))' "$WORK/export.json")
    slow=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["tasks"]))' "$WORK/export-slow.json")
    [[ $exported == "$TASKS" && $slow == "$TASKS" ]] || { log "exported $exported and $slow tasks, expected $TASKS"; exit 1; }
    size=$(stat -c %s "$WORK/export.json")
    printf '| %s | %d | %.1f MB | %.1f s (%s MB) | %s MB | %s MB (%.1f s) | %s MB | +%s MB |\n' "$backend" "$TASKS" \
        "$(echo "$size / 1000000" | bc -l)" "$import_secs" "$(mb "$import_peak")" "$(mb "$idle")" "$(mb "$fast_peak")" "$export_secs" \
        "$(mb "$slow_peak")" "$(mb $((slow_peak > fast_peak ? slow_peak - idle : fast_peak - idle)))"
done
