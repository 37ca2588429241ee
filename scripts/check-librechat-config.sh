#!/usr/bin/env bash
# Check that a LibreChat checkout, once patches/<version>/loadCustomConfig.patch is applied,
# accepts our librechat.yaml (with its `shinegold:` section) and starts.
#
#   usage: scripts/check-librechat-config.sh <librechat-checkout-dir> <version-folder>
#          e.g. scripts/check-librechat-config.sh ../LibreChat v0.8.7
#
# Steps: git apply --check, git apply, boot `api/server/index.js` with CONFIG_PATH pointing at our
# librechat.yaml, wait (bounded) for GET /api/config to answer 200 or for the server to exit,
# stop the server, revert the patch (git apply -R). Exit 0 if it started, 1 otherwise.
#
# The checkout must already be built (npm install + package builds). Environment comes from the
# caller; nothing machine-specific is embedded:
#   MONGO_URI            required (LibreChat's database)
#   JWT_SECRET, JWT_REFRESH_SECRET, CREDS_KEY, CREDS_IV, ...  whatever LibreChat needs to boot
#   LIBRECHAT_NODE       node binary to use (default: `node` on PATH; LibreChat needs Node >= 22.18)
#   PORT / HOST          where the server listens (default 3080 / 127.0.0.1)
#   SHINEGOLD_LIBRECHAT_YAML  config to test (default: librechat.yaml at the repo root)
#   CHECK_TIMEOUT        seconds to wait for startup (default 120)
#   CHECK_LOG            server log file (default: a temp file, printed on failure)
set -uo pipefail

die() { echo "check-librechat-config: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 <librechat-checkout-dir> <version-folder>"
LC_DIR=$(cd "$1" 2>/dev/null && pwd) || die "no such directory: $1"
VER=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATCH=$ROOT/patches/$VER/loadCustomConfig.patch
CONFIG=${SHINEGOLD_LIBRECHAT_YAML:-$ROOT/librechat.yaml}
NODE=${LIBRECHAT_NODE:-node}
PORT=${PORT:-3080}
HOST=${HOST:-127.0.0.1}
TIMEOUT=${CHECK_TIMEOUT:-120}
LOG=${CHECK_LOG:-$(mktemp "${TMPDIR:-/tmp}/librechat-config-check.XXXXXX")}
URL="http://$HOST:$PORT/api/config"

[ -f "$LC_DIR/api/server/index.js" ] || die "not a LibreChat checkout: $LC_DIR"
[ -f "$PATCH" ] || die "no patch for version '$VER': $PATCH"
[ -f "$CONFIG" ] || die "config not found: $CONFIG"
[ -n "${MONGO_URI:-}" ] || die "MONGO_URI is not set"
command -v "$NODE" >/dev/null 2>&1 || die "node not found: $NODE (set LIBRECHAT_NODE)"
command -v curl >/dev/null 2>&1 || die "curl is required"

status() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$URL" 2>/dev/null || true; }
[ "$(status)" = "000" ] || die "something already answers on $URL; choose another PORT"

echo "checkout: $LC_DIR"
echo "patch:    $PATCH"
echo "config:   $CONFIG"
echo "node:     $(command -v "$NODE") $("$NODE" -v)"

git -C "$LC_DIR" apply --check "$PATCH" || die "patch does not apply cleanly (already applied, or another LibreChat version?)"
git -C "$LC_DIR" apply "$PATCH" || die "git apply failed"
echo "patch applied"

PID=
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID" 2>/dev/null
    for _ in $(seq 1 20); do kill -0 "$PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$PID" 2>/dev/null && kill -9 "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
  fi
  if git -C "$LC_DIR" apply -R "$PATCH"; then echo "patch reverted"
  else echo "!!! could not revert $PATCH in $LC_DIR" >&2; exit 1; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# exec, so $! is node's own pid
( cd "$LC_DIR" && CONFIG_PATH="$CONFIG" PORT="$PORT" HOST="$HOST" exec "$NODE" api/server/index.js ) >"$LOG" 2>&1 &
PID=$!
echo "server pid $PID, log $LOG, waiting up to ${TIMEOUT}s for $URL"

RESULT=1
START=$SECONDS
while [ $((SECONDS - START)) -lt "$TIMEOUT" ]; do
  if ! kill -0 "$PID" 2>/dev/null; then
    wait "$PID"; RC=$?
    echo "FAIL: server exited with status $RC before answering" >&2
    break
  fi
  CODE=$(status)
  if [ "$CODE" = "200" ]; then
    echo "OK: GET /api/config -> 200 after $((SECONDS - START))s"
    RESULT=0
    break
  fi
  sleep 1
done
[ $((SECONDS - START)) -ge "$TIMEOUT" ] && [ $RESULT -ne 0 ] && kill -0 "$PID" 2>/dev/null \
  && echo "FAIL: no 200 from $URL within ${TIMEOUT}s (last status: ${CODE:-none})" >&2

if grep -q 'Invalid custom config file' "$LOG"; then
  echo "FAIL: LibreChat reported an invalid config" >&2
  RESULT=1
fi
if [ $RESULT -ne 0 ]; then
  echo "--- last 40 lines of $LOG" >&2
  tail -n 40 "$LOG" | sed 's/\x1b\[[0-9;]*m//g' >&2
fi
exit $RESULT
