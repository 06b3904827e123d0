#!/usr/bin/env bash
# Builds the binary the container image ships, with the Dockerfile's exact flags, and checks
# what the image relies on: fully static (distroless/static has no loader), small enough for
# the 50 MB image budget, and able to start, migrate an empty SQLite file, answer its own
# `tudu healthcheck` and stop cleanly on SIGTERM, from an empty working directory.
#
#   bash deploy/image-binary.sh        # ≈ 8–10 min from clean on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-unknown-linux-gnu
# The image's base (distroless/static) is ~2 MB and the budget 50 MB: 40 MiB (41.9 MB) leaves
# about 6 MB of margin, so growth is noticed here well before the image is over budget.
MAX_BINARY_MIB=40
MAX_BINARY_BYTES=$((MAX_BINARY_MIB * 1024 * 1024))

echo "building the image's binary (release, crt-static, stripped)"
RUSTFLAGS="-C target-feature=+crt-static" CARGO_PROFILE_RELEASE_STRIP=symbols \
  cargo build --release --locked --target "$TARGET" --bin tudu
binary="${CARGO_TARGET_DIR:-target}/$TARGET/release/tudu"

if readelf --program-headers "$binary" | grep -q 'program interpreter'; then
  echo "FAIL: $binary needs a dynamic loader; the image's base has none" >&2
  exit 1
fi
size=$(stat -c %s "$binary")
gzipped=$(gzip -c "$binary" | wc -c)
measured=$(awk -v b="$size" -v g="$gzipped" \
  'BEGIN { printf "%d bytes = %.1f MB = %.1f MiB (gzipped %.1f MB)", b, b / 1e6, b / 1048576, g / 1e6 }')
echo "static binary: $measured; limit $MAX_BINARY_MIB MiB"
if (( size > MAX_BINARY_BYTES )); then
  echo "FAIL: the binary is larger than $MAX_BINARY_MIB MiB ($MAX_BINARY_BYTES bytes)" >&2
  exit 1
fi

work=$(mktemp -d)
server=""
cleanup() {
  if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export HOST=127.0.0.1 PORT=$port LOG_FORMAT=json RUST_LOG=warn
(cd "$work" && exec env -i HOST="$HOST" PORT="$PORT" LOG_FORMAT=json RUST_LOG=warn "$OLDPWD/$binary" serve) \
  2>"$work/server.log" &
server=$!
for _ in $(seq 1 100); do
  if (cd "$work" && "$OLDPWD/$binary" healthcheck) 2>/dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "FAIL: the server exited at start" >&2; cat "$work/server.log" >&2; exit 1
  fi
  sleep 0.2
done
(cd "$work" && "$OLDPWD/$binary" healthcheck) || { echo "FAIL: healthcheck" >&2; cat "$work/server.log" >&2; exit 1; }
[[ -f "$work/data/tudu.db" ]] || { echo "FAIL: no SQLite file created under data/" >&2; exit 1; }
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
if (( status != 0 )); then
  echo "FAIL: exit status $status after SIGTERM" >&2; cat "$work/server.log" >&2; exit 1
fi
echo "image binary: static, $measured, starts, answers healthcheck, stops cleanly"
