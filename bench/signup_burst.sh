#!/usr/bin/env bash
# Memory of a burst of sign-ups: each one hashes a password with Argon2id (12 MiB), so a burst
# shows whether the hashing memory stays bounded. For each binary given: a fresh SQLite database,
# the server, SIGNUPS sign-ups sent CONCURRENCY at a time, and the server's peak RSS (VmHWM)
# before and after the burst.
#
#   bash bench/signup_burst.sh target/release/tudu /tmp/tudu-before
#
# Knobs: SIGNUPS=300 CONCURRENCY=16
set -euo pipefail

(( $# >= 1 )) || { echo "usage: $0 BINARY [BINARY...]" >&2; exit 2; }
SIGNUPS=${SIGNUPS:-300}
CONCURRENCY=${CONCURRENCY:-16}
SECRET="tudu-benchmark-secret-not-for-production-0123456789"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

printf '| binary | sign-ups | peak RSS after start | peak RSS after the burst | rise | wall time |\n'
printf '|---|---|---|---|---|---|\n'
for bin in "$@"; do
    work=$(mktemp -d "${TMPDIR:-/tmp}/tudu-signups.XXXXXX")
    port=$(free_port)
    DATABASE_URL="sqlite://$work/tudu.db" BETTER_AUTH_SECRET=$SECRET HOST=127.0.0.1 PORT=$port \
        SIGNUP_RATE_LIMIT_PER_HOUR=0 LOG_FORMAT=json RUST_LOG=warn \
        "$bin" serve >"$work/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/health/live" >/dev/null 2>&1 && break
        sleep 0.1
    done
    before=$(hwm_kb "$pid")
    start=$(date +%s.%N)
    python3 - "$port" "$SIGNUPS" "$CONCURRENCY" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
port, count, concurrency = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def signup(i):
    body = json.dumps({"email": f"burst{i}@example.com", "password": "burst password", "name": "B"}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/signup", body,
                                 {"content-type": "application/json"})
    with urllib.request.urlopen(req) as res:
        assert res.status == 201, res.status
with ThreadPoolExecutor(concurrency) as pool:
    list(pool.map(signup, range(count)))
PY
    elapsed=$(echo "$(date +%s.%N) - $start" | bc)
    after=$(hwm_kb "$pid")
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$work"
    printf '| `%s` | %d | %.1f MB | %.1f MB | %.1f MB | %.1f s |\n' "$bin" "$SIGNUPS" \
        "$(echo "$before / 1000" | bc -l)" "$(echo "$after / 1000" | bc -l)" \
        "$(echo "($after - $before) / 1000" | bc -l)" "$elapsed"
done
