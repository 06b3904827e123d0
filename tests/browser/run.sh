#!/usr/bin/env bash
# Runs the web app's end-to-end tests in Debian's Chromium: starts the built binary on a free
# port with a temporary SQLite database, installs the pinned npm packages, runs the tests and
# stops the server.
#
#   tests/browser/run.sh                  # builds target/debug/tudu first (cargo build)
#   TUDU_SKIP_BUILD=1 tests/browser/run.sh  # use the binary `cargo test` already built (CI)
#   PORT=8123 CHROMIUM=/path/to/chromium SCREENSHOT_DIR=/tmp/shots/ tests/browser/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${CARGO_TARGET_DIR:-target}
bin=$target/debug/tudu
if [[ ${TUDU_SKIP_BUILD:-0} != 1 ]]; then cargo build --locked --bin tudu; fi
[[ -x $bin ]] || { echo "build tudu first (cargo build)" >&2; exit 1; }
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[[ -x $CHROMIUM ]] || { echo "Chromium not found at $CHROMIUM (apt-get install -y chromium)" >&2; exit 1; }

(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=${PORT:-$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')}
export DATABASE_URL="sqlite://$work/tudu.db"
export BETTER_AUTH_SECRET="browser-test-secret-0123456789abcdefghij"
export ENVIRONMENT=development LOG_FORMAT=json RUST_LOG=warn SIGNUP_RATE_LIMIT_PER_HOUR=0
export CHAT_RATE_LIMIT_PER_MINUTE=1000 TUDU_AGENT=local
HOST=127.0.0.1 PORT=$port "$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
export TUDU_URL="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$TUDU_URL/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done

echo "== web app in $("$CHROMIUM" --version 2>/dev/null | head -n1) against $TUDU_URL =="
status=0
(cd tests/browser && node --test --test-concurrency=1 --test-reporter=spec "$@" app.test.js lists.test.js account.test.js sharing.test.js pages.test.js) || status=$?
if [[ $status -ne 0 ]]; then
  echo "-- server log (last 50 lines) --" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
