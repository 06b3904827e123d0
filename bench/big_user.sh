#!/usr/bin/env bash
# Does a page of tasks cost the same for a user with 100 tasks and one with 100 000?
#
# Seeds two users on PostgreSQL (tasks inserted with generate_series, counters set as the app
# keeps them), then runs wrk on `GET /api/v1/tasks?limit=50` (newest first, and sorted by
# due date) for each user in turn. Prints requests/s and latency per user; see
# docs/benchmarks.md. Knobs: DURATION=10 CONNECTIONS=8 BIG=100000 SMALL=100 TUDU_BIN=…
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-8}
BIG=${BIG:-100000}
SMALL=${SMALL:-100}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/tudu_bench_big}
PG_ADMIN_URL="${PG_URL%/*}/postgres"
PG_DB=${PG_URL##*/}
SECRET="tudu-benchmark-secret-not-for-production-0123456789"
PORT=${PORT:-18081}

log() { printf '[big-user %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
if [[ -z "${TUDU_BIN:-}" ]]; then
    log "building the release binary"
    (cd "$ROOT" && cargo build --release --locked --bin tudu >&2)
    TUDU_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/tudu"
fi

psql -q "$PG_ADMIN_URL" -c "drop database if exists $PG_DB" -c "create database $PG_DB" >/dev/null
export DATABASE_URL="$PG_URL" BETTER_AUTH_SECRET="$SECRET" RUST_LOG=warn LOG_FORMAT=json PORT HOST=127.0.0.1
"$TUDU_BIN" migrate
"$TUDU_BIN" serve >/tmp/tudu-big-user.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.2; done

signup() {
    curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/signup" -H 'content-type: application/json' \
        -d "{\"email\":\"$1@bench.example\",\"password\":\"benchmark-password\"}" >/dev/null
}
seed() { # email, count
    # The counter triggers are off for the bulk insert (one app_user update per row would leave
    # 100 000 dead row versions behind); the counters are set once afterwards.
    psql -q "$PG_URL" <<SQL
set session_replication_role = replica;
insert into task (id, user_id, number, title, description, priority, tags, due_date,
                  created_at, updated_at, completed, completed_at)
select gen_random_uuid(), u.id, n, 'Task ' || n, 'Seeded task number ' || n, n % 4,
       jsonb_build_array('tag' || (n % 10)),
       case when n % 3 = 0 then null else now() + (n % 500) * interval '1 hour' end,
       now() - (($2 - n) * interval '1 second'), now(), n % 5 = 0,
       case when n % 5 = 0 then now() end
from app_user u, generate_series(1, $2) n where u.email = '$1@bench.example';
update app_user set task_seq = $2, task_count = $2,
    completed_count = (select count(*) from task t where t.user_id = app_user.id and t.completed)
where email = '$1@bench.example';
reset session_replication_role;
vacuum analyze task;
SQL
}
signup small; signup big
log "seeding $SMALL and $BIG tasks"
seed small "$SMALL"; seed big "$BIG"

LUA=$(mktemp --suffix=.lua)
cat > "$LUA" <<'LUA'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
done = function(summary, latency, requests)
  io.write(string.format("%.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
LUA
log "warming up"
TOKEN=$("$TUDU_BIN" token --user "small@bench.example" 2>/dev/null) \
    wrk -t2 -c"$CONNECTIONS" -d3s -s "$LUA" "http://127.0.0.1:$PORT/api/v1/tasks?limit=50" >/dev/null
printf '| user | query | result |\n|---|---|---|\n'
for who in small big; do
    TOKEN=$("$TUDU_BIN" token --user "$who@bench.example" 2>/dev/null)
    for query in "limit=50" "limit=50&sort=due_date&order=asc" "limit=50&status=pending"; do
        result=$(TOKEN="$TOKEN" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$LUA" \
            "http://127.0.0.1:$PORT/api/v1/tasks?$query" | tail -n 1)
        printf '| %s (%s tasks) | `%s` | %s |\n' "$who" "$([[ $who == big ]] && echo "$BIG" || echo "$SMALL")" "$query" "$result"
    done
done
rm -f "$LUA"
