#!/usr/bin/env bash
# End-to-end check of @shinegold/librechat-sso inside a real LibreChat.
#
#   usage: scripts/verify-librechat.sh <tag|main> [--serve]
#          scripts/verify-librechat.sh <librechat-checkout-dir> [<version-folder>] [--serve]
#          e.g. npm run verify:librechat -- v0.8.7
#               npm run verify:librechat -- main
#               npm run verify:librechat -- ../LibreChat v0.8.7
#   --serve: after the checks, keep LibreChat and the main-site stand-in running (Ctrl-C stops
#            and reverts everything): the sandbox of `npm start` with real LibreChat in it.
#
# Which LibreChat:
#   <tag|main>      a cached, built checkout at $LIBRECHAT_BUILDS/<name> (default
#                   ~/.cache/shinegold-sso/librechat/<name>). If it is missing, it is made as a git
#                   worktree of the LibreChat mirror (LIBRECHAT_MIRROR, else `git config
#                   shinegold.librechatMirror`): the tag, or the mirror's branch `main`. If it is
#                   not built (no marker, below), the command named by LIBRECHAT_PREPARE is run with
#                   the checkout as its one argument; without LIBRECHAT_PREPARE the script stops
#                   and says how to provide a built checkout. The patch folder is patches/<name>.
#   <checkout-dir>  a checkout someone built; the patch folder is the one given, else the tag at
#                   its HEAD, else `main` when HEAD is the commit in patches/main/BASE.
# The marker of a complete build is <checkout>/.shinegold-built, a JSON file whose "commit" is
# the checkout's HEAD; the prepare command must leave it.
#
# THIS REPOSITORY NEVER CONTAINS THE RECIPE THAT BUILDS LIBRECHAT. Building a fetched repository
# (its install, its package edits, its bundler runs) is kept out of our commits by a workplace
# rule; this script only checks out, asks LIBRECHAT_PREPARE to build, and tests what was built.
# docs/compatibility.md says the same and what a prepare command has to do.
#
# Steps (the shell only prepares, boots and reverts; the checks are the contract suite):
#  0. finds or makes the checkout (above); starts a test database when MONGO_URI is not set
#     (scripts/lib/hold-database.js: FerretDB, stopped at exit); makes LibreChat's secrets
#     (JWT_SECRET, JWT_REFRESH_SECRET, CREDS_KEY, CREDS_IV) unless they are set;
#  1. builds the package (tsc -p packages/librechat-sso/tsconfig.build.json);
#  2. installs it into <checkout>/node_modules/@shinegold/librechat-sso (dist + package.json, its
#     own dependencies installed with npm into a nested node_modules; LibreChat's mongoose,
#     express, jsonwebtoken and @librechat/data-schemas are used, never a second copy);
#  3. applies every patches/<version>/*.patch;
#  4. writes the contract's librechat.yaml (scripts/lib/contract-config.js: the repository's
#     example with test hosts, issuer and audience, break-glass, delete, framing by the main site)
#     and boots two LibreChat processes on it (ports PORT and PORT+2), with USE_REDIS=true on the
#     local Redis when it answers (REDIS=0: without), reaching the database through a proxy the
#     suite can cut (scripts/lib/cut-proxy.js);
#  5. runs the contract suite (test/contract, the same promises npm test checks on the stand-in)
#     against them: CONTRACT_CHAT_URLS names both, CONTRACT_REPLICA_CMD starts a third for the
#     "replica started after a ban" check, CONTRACT_DB_CONTROL cuts the database; the browser
#     walks drive Chromium against LibreChat's real SPA (screenshots in WALK_SHOTS);
#  6. verdict: when every check passed, none was left unchecked, and HEAD is the version's
#     commit, writes patches/<version>/verified.json (version, LibreChat commit, date, node,
#     checks passed/total, replicas, Redis) and regenerates docs/compatibility.md;
#  7. on exit (trap): stops the servers, reverts the patches, removes the installed package and
#     the run's Redis keys (under the prefix it chose, sgverify<pid>), stops
#     the database it started.
# Tokens are printed cut to 10 characters.
#
# Environment (nothing machine-specific is embedded):
#   LIBRECHAT_BUILDS          where cached checkouts live (default ~/.cache/shinegold-sso/librechat)
#   LIBRECHAT_MIRROR          a LibreChat clone (bare or not) to make worktrees from
#   LIBRECHAT_PREPARE         a command that builds the checkout given as its argument and leaves
#                             the marker (kept outside this repository)
#   MONGO_URI                 LibreChat's database (default: a FerretDB started for the run)
#   JWT_SECRET, JWT_REFRESH_SECRET, CREDS_KEY, CREDS_IV  LibreChat's secrets (default: random)
#   LIBRECHAT_NODE            node binary for LibreChat (default: `node` on PATH if >= 22.18, else
#                             Node 24 from `npx -y -p node@24`)
#   PORT / HOST               where the first replica listens (default 3182 / 127.0.0.1; the
#                             second listens on PORT+2)
#   MAIN_PORT                 the main-site stand-in's port (default PORT-1)
#   REDIS_URI                 Redis for LibreChat (default redis://127.0.0.1:6379 when it answers;
#                             REDIS=0: LibreChat without Redis)
#   SSO_DOMAIN                parent domain of both host names (default shinegold.test, mapped to
#                             loopback inside the walk's Chromium; --serve: shinegold.localhost)
#   WALK_SHOTS                where the walks' screenshots go (default: a temp dir, kept)
#   SHINEGOLD_LIBRECHAT_YAML  base config (default: librechat.yaml at the repo root)
#   CHECK_TIMEOUT             seconds to wait for startup (default 240: upstream main builds its indexes first)
#   CHECK_LOG                 server log file (default: a temp file, printed on failure)
#   KEEP_TMP=1                keep the temp dir (test yaml, logs, the suite's report)
#   VERDICT=0                 do not write verified.json even on a full pass
set -uo pipefail

die() { echo "verify-librechat: $*" >&2; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVE=
ARGS=()
for a in "$@"; do if [ "$a" = --serve ]; then SERVE=1; else ARGS+=("$a"); fi; done
set -- "${ARGS[@]+"${ARGS[@]}"}"
USAGE="usage: npm run verify:librechat -- <tag|main|librechat-checkout-dir> [<version-folder>] [--serve]"
[ $# -ge 1 ] && [ $# -le 2 ] || die "$USAGE"

# A marker whose commit is the checkout's HEAD says the checkout is built.
built() {
  [ -f "$1/.shinegold-built" ] || return 1
  node -e 'const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.exit(m.commit === process.argv[2] ? 0 : 1)' \
    "$1/.shinegold-built" "$(git -C "$1" rev-parse HEAD 2>/dev/null)" 2>/dev/null
}
find_mirror() {
  local m=${LIBRECHAT_MIRROR:-$(git config --get shinegold.librechatMirror 2>/dev/null)}
  [ -n "$m" ] || return 1
  git -C "$m" rev-parse --git-dir >/dev/null 2>&1 || die "LIBRECHAT_MIRROR (or git config shinegold.librechatMirror) is not a git repository: $m"
  echo "$m"
}
# mirror_ref <mirror> <name>: the commit of a tag, or of the mirror's branch main
mirror_ref() {
  local r
  for r in "refs/tags/$2" "refs/heads/$2" "refs/remotes/origin/$2"; do
    git -C "$1" rev-parse -q --verify "$r^{commit}" 2>/dev/null && return 0
  done
  return 1
}

if [ -d "$1" ]; then
  LC_DIR=$(cd "$1" && pwd)
  [ -f "$LC_DIR/api/server/index.js" ] || die "not a LibreChat checkout: $LC_DIR"
  if [ $# -eq 2 ]; then VER=$2
  else
    HEAD=$(git -C "$LC_DIR" rev-parse HEAD 2>/dev/null) || die "$LC_DIR is not a git checkout, so its version cannot be told: name the patch folder: npm run verify:librechat -- $1 <version-folder>"
    VER=
    for t in $(git -C "$LC_DIR" tag --points-at HEAD 2>/dev/null); do [ -d "$ROOT/patches/$t" ] && { VER=$t; break; }; done
    [ -z "$VER" ] && [ -f "$ROOT/patches/main/BASE" ] && [ "$(tr -d '[:space:]' < "$ROOT/patches/main/BASE")" = "$HEAD" ] && VER=main
    [ -n "$VER" ] || die "$LC_DIR is at ${HEAD:0:9}, which is no tag with a patch folder and not patches/main/BASE: name the patch folder: npm run verify:librechat -- $1 <version-folder>"
  fi
elif [[ "$1" =~ ^(main|v[0-9]+\.[0-9]+\.[0-9]+(-rc[0-9]+)?)$ ]]; then
  [ $# -eq 1 ] || die "give a version name alone ($1), or a checkout directory and its version folder"
  VER=$1
  BUILDS=${LIBRECHAT_BUILDS:-${XDG_CACHE_HOME:-$HOME/.cache}/shinegold-sso/librechat}
  LC_DIR=$BUILDS/$VER
  MIRROR=$(find_mirror) || MIRROR=
  if [ ! -e "$LC_DIR" ]; then
    [ -n "$MIRROR" ] || die "there is no checkout of LibreChat $VER at $LC_DIR and no mirror to make one from: set LIBRECHAT_MIRROR to a LibreChat clone (or git config --global shinegold.librechatMirror <path>)."
    REF=$(mirror_ref "$MIRROR" "$VER") || die "the LibreChat mirror $MIRROR has no tag or branch $VER."
    mkdir -p "$BUILDS" || die "cannot create $BUILDS"
    git -C "$MIRROR" worktree add --detach "$LC_DIR" "$REF" >/dev/null 2>&1 || die "git worktree add $LC_DIR $VER failed in $MIRROR"
    echo "checkout: made $LC_DIR ($VER at ${REF:0:9}, a worktree of $MIRROR)"
  fi
  LC_DIR=$(cd "$LC_DIR" && pwd -P)
  [ -f "$LC_DIR/api/server/index.js" ] || die "$LC_DIR is not a LibreChat checkout; remove it and run again."
  if [ "$VER" = main ] && [ -n "$MIRROR" ]; then
    NOW=$(mirror_ref "$MIRROR" main) && [ "$NOW" != "$(git -C "$LC_DIR" rev-parse HEAD)" ] \
      && echo "note: the cached main is at $(git -C "$LC_DIR" rev-parse --short=9 HEAD), the mirror's main at ${NOW:0:9}; remove $LC_DIR to test the newer one"
  fi
  # No build before there is a patch set to test (derive-patches needs only the sources).
  [ -d "$ROOT/patches/$VER" ] || die "there is no patch set for $VER (patches/$VER): derive one with node scripts/derive-patches.js $LC_DIR $VER"
  if ! built "$LC_DIR"; then
    [ -n "${LIBRECHAT_PREPARE:-}" ] || die "$LC_DIR is not built (no .shinegold-built marker for its HEAD): set LIBRECHAT_PREPARE to a command that builds a LibreChat checkout and leaves that marker (docs/compatibility.md), or pass a checkout you built: npm run verify:librechat -- <checkout-dir> $VER."
    echo "checkout: $LC_DIR is not built; running LIBRECHAT_PREPARE ($LIBRECHAT_PREPARE)"
    bash -c "$LIBRECHAT_PREPARE \"\$1\"" prepare "$LC_DIR" || die "LIBRECHAT_PREPARE failed for $LC_DIR (see its log)."
    built "$LC_DIR" || die "LIBRECHAT_PREPARE finished but $LC_DIR has no .shinegold-built marker for its HEAD."
  fi
else
  die "$1 is neither a directory nor a LibreChat version (a tag such as v0.8.7, or main). $USAGE"
fi

PKG=$ROOT/packages/librechat-sso
PATCH_DIR=$ROOT/patches/$VER
BASE_YAML=${SHINEGOLD_LIBRECHAT_YAML:-$ROOT/librechat.yaml}
PORT=${PORT:-3182}
PORT2=$((PORT + 2))
HOST=${HOST:-127.0.0.1}
TIMEOUT=${CHECK_TIMEOUT:-240}
B=http://$HOST:$PORT
B2=http://$HOST:$PORT2
MAIN_PORT=${MAIN_PORT:-$((PORT - 1))}
SSO_DOMAIN=${SSO_DOMAIN:-$([ -n "$SERVE" ] && echo shinegold.localhost || echo shinegold.test)}
MAIN=http://$SSO_DOMAIN:$MAIN_PORT
DEST=$LC_DIR/node_modules/@shinegold/librechat-sso

[ -d "$PATCH_DIR" ] || die "there is no patch set for $VER (patches/$VER): derive one with node scripts/derive-patches.js $LC_DIR $VER"
PATCHES=()
for f in "$PATCH_DIR"/*.patch; do [ -f "$f" ] && PATCHES+=("$(basename "$f" .patch)"); done
[ ${#PATCHES[@]} -gt 0 ] || die "no patches in $PATCH_DIR"
[ -f "$BASE_YAML" ] || die "config not found: $BASE_YAML"
command -v curl >/dev/null 2>&1 || die "curl is required"
if [ -n "${LIBRECHAT_NODE:-}" ]; then NODE=$LIBRECHAT_NODE
elif node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null; then NODE=node
else
  NODE=$(npx -y -p node@24 node -e 'process.stdout.write(process.execPath)' 2>/dev/null) || die "LibreChat needs Node >= 22.18 and none was found: set LIBRECHAT_NODE"
fi
command -v "$NODE" >/dev/null 2>&1 || die "node not found: $NODE (set LIBRECHAT_NODE)"
[ -e "$DEST" ] && die "$DEST already exists; remove it first (this script installs and removes it)"
for u in "$B" "$B2"; do
  [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$u/api/config" 2>/dev/null)" = "000" ] || die "something already answers on $u; choose another PORT"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/verify-librechat.XXXXXX")
LOG=${CHECK_LOG:-$T/server.log}
APPLIED=()
INSTALLED=
PIDS=()
MAIN_PID=
DB_PID=
PROXY_PID=
REDIS_OWN_PREFIX=
stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 20); do kill -0 "$1" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$1" 2>/dev/null && kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  local rc=$?
  [ -n "$MAIN_PID" ] && kill "$MAIN_PID" 2>/dev/null
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$p"; done
  [ -n "$PROXY_PID" ] && stop_pid "$PROXY_PID"
  local i
  for ((i = ${#APPLIED[@]} - 1; i >= 0; i--)); do
    if git -C "$LC_DIR" apply -R "$PATCH_DIR/${APPLIED[$i]}.patch"; then echo "reverted ${APPLIED[$i]}.patch"
    else echo "!!! could not revert ${APPLIED[$i]}.patch in $LC_DIR" >&2; rc=1; fi
  done
  if [ -n "$INSTALLED" ]; then
    rm -rf "$DEST"; rmdir "$LC_DIR/node_modules/@shinegold" 2>/dev/null
    echo "removed $DEST"
  fi
  # The run's own Redis keys (LibreChat's caches and rate-limit counters under the prefix this
  # script chose), with LibreChat's ioredis; a prefix someone set is theirs to keep.
  if [ -n "$REDIS_OWN_PREFIX" ]; then
    "$NODE" -e '
      const Redis = require(require.resolve("ioredis", { paths: [process.argv[1] + "/api", process.argv[1]] }));
      const r = new Redis(process.argv[2], { lazyConnect: true, maxRetriesPerRequest: 1 });
      let n = 0;
      r.connect().then(async () => {
        const s = r.scanStream({ match: process.argv[3] + ":*", count: 200 });
        for await (const keys of s) if (keys.length) n += await r.del(...keys);
        await r.quit();
        console.log(`removed ${n} Redis key(s) under ${process.argv[3]}`);
      }).catch((e) => { console.error(`note: could not remove the Redis keys under ${process.argv[3]}: ${e.message}`); process.exit(0); });
    ' "$LC_DIR" "$REDIS_URI" "$REDIS_OWN_PREFIX"
  fi
  if [ -n "$DB_PID" ]; then
    kill "$DB_PID" 2>/dev/null; wait "$DB_PID" 2>/dev/null; echo "stopped the test database"
  fi
  if [ "${KEEP_TMP:-}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "checkout: $LC_DIR ($VER, $(git -C "$LC_DIR" log -1 --format='%h %cs' 2>/dev/null || echo 'no git'))"
echo "patches:  patches/$VER (${PATCHES[*]})"
echo "node:     $(command -v "$NODE") $("$NODE" -v)"

# 0. database and LibreChat's secrets
if [ -z "${MONGO_URI:-}" ]; then
  node "$ROOT/scripts/lib/hold-database.js" "librechat_verify_$(date +%s)_$$" >"$T/db.out" 2>"$T/db.err" &
  DB_PID=$!
  for _ in $(seq 1 600); do grep -q '^uri ' "$T/db.out" 2>/dev/null && break; kill -0 "$DB_PID" 2>/dev/null || break; sleep 0.2; done
  grep -q '^uri ' "$T/db.out" || { cat "$T/db.err" >&2; DB_PID=; die "could not start a test database (set MONGO_URI to one)"; }
  read -r _ MONGO_URI DB_KIND < "$T/db.out"
  export MONGO_URI
  echo "database: $DB_KIND started for this run, $MONGO_URI"
fi
secret() { "$NODE" -e 'process.stdout.write(require("crypto").randomBytes(Number(process.argv[1])).toString("hex"))' "$1"; }
export JWT_SECRET=${JWT_SECRET:-$(secret 32)} JWT_REFRESH_SECRET=${JWT_REFRESH_SECRET:-$(secret 32)}
export CREDS_KEY=${CREDS_KEY:-$(secret 32)} CREDS_IV=${CREDS_IV:-$(secret 16)} SEARCH=${SEARCH:-false}

# 1. build (the package, and the sandbox's main-site stand-in)
(cd "$ROOT" && npm run build --silent >/dev/null) || die "npm run build failed"
echo "built $PKG/dist"

# 2. install into the checkout (own deps nested; peers come from LibreChat)
mkdir -p "$T/stage" || die "mkdir failed"
"$NODE" -e '
  const p = require(process.argv[1]);
  const out = { name: p.name, version: p.version, private: true, dependencies: p.dependencies };
  require("fs").writeFileSync(process.argv[2], JSON.stringify(out, null, 2));
' "$PKG/package.json" "$T/stage/package.json" || die "could not stage package.json"
(cd "$T/stage" && npm install --omit=dev --legacy-peer-deps --ignore-scripts --no-audit --no-fund --no-package-lock >"$T/npm.log" 2>&1) \
  || { cat "$T/npm.log" >&2; die "npm install of the package's dependencies failed"; }
INSTALLED=1
mkdir -p "$DEST" && cp -R "$PKG/dist" "$PKG/package.json" "$DEST/" && cp -R "$T/stage/node_modules" "$DEST/" \
  || die "could not install into $DEST"
echo "installed $DEST ($(ls "$DEST/node_modules" | tr '\n' ' '))"

# 3. patches
for p in "${PATCHES[@]}"; do
  git -C "$LC_DIR" apply --check "$PATCH_DIR/$p.patch" || die "$p.patch does not apply (already applied, or another version?)"
  git -C "$LC_DIR" apply "$PATCH_DIR/$p.patch" || die "git apply $p.patch failed"
  APPLIED+=("$p"); echo "applied $p.patch"
done

# 4. the contract's configuration, the database proxy, Redis, two replicas
ISS=https://sso.verify.test
AUD=chat.verify.test
export SHINEGOLD_JWT_SECRET=${SHINEGOLD_JWT_SECRET:-$(secret 32)}
# The browser reaches LibreChat as chat.$SSO_DOMAIN, the main-site stand-in as $SSO_DOMAIN.
export DOMAIN_CLIENT=http://chat.$SSO_DOMAIN:$PORT
export DOMAIN_SERVER=$DOMAIN_CLIENT
# The login entry (docs/design.md, "The login entry"): these make /api/config send the SPA's
# login page to /oauth/openid; without OPENID_SCOPE LibreChat configures no OpenID client.
export OPENID_CLIENT_ID=${OPENID_CLIENT_ID:-shinegold-sso} OPENID_CLIENT_SECRET=${OPENID_CLIENT_SECRET:-unused-by-shinegold-sso}
export OPENID_ISSUER=${OPENID_ISSUER:-$ISS} OPENID_AUTO_REDIRECT=true OPENID_BUTTON_LABEL=${OPENID_BUTTON_LABEL:-"Continue with shinegold.com"}
export OPENID_SESSION_SECRET=${OPENID_SESSION_SECRET:-$(secret 32)}
unset OPENID_SCOPE
YAML=$T/librechat.yaml
node "$ROOT/scripts/lib/contract-config.js" "$BASE_YAML" "$YAML" "$ISS" "$AUD" "$DOMAIN_CLIENT" "$MAIN" || die "could not write the test yaml"
echo "config:   $YAML (issuer $ISS, audience $AUD, chat $DOMAIN_CLIENT, main site $MAIN)"

# LibreChat reaches its database through a proxy the suite can cut; the suite reads it directly.
DB_HOSTPORT=$(node -e 'const u = new URL(process.argv[1]); process.stdout.write(`${u.hostname}:${u.port || 27017}`)' "$MONGO_URI")
node "$ROOT/scripts/lib/cut-proxy.js" "$DB_HOSTPORT" 0 0 >"$T/proxy.out" 2>&1 &
PROXY_PID=$!
for _ in $(seq 1 50); do grep -q '^ready ' "$T/proxy.out" 2>/dev/null && break; sleep 0.1; done
read -r _ PROXY_PORT DB_CONTROL < "$T/proxy.out" || die "the database proxy did not start: $(cat "$T/proxy.out")"
LC_MONGO=$(node -e 'const u = new URL(process.argv[1]); u.port = process.argv[2]; process.stdout.write(u.toString())' "$MONGO_URI" "$PROXY_PORT")
echo "database: LibreChat through 127.0.0.1:$PROXY_PORT (control $DB_CONTROL)"

REDIS_NOTE="without Redis"
if [ "${REDIS:-1}" != 0 ]; then
  REDIS_URI=${REDIS_URI:-redis://127.0.0.1:6379}
  if node -e 'const u = new URL(process.argv[1]); const s = require("net").connect(Number(u.port || 6379), u.hostname, () => { s.write("PING\r\n"); }); s.on("data", (d) => process.exit(/PONG/.test(String(d)) ? 0 : 1)); s.on("error", () => process.exit(1)); setTimeout(() => process.exit(1), 2000);' "$REDIS_URI"; then
    [ -z "${REDIS_KEY_PREFIX:-}" ] && REDIS_OWN_PREFIX=sgverify$$
    export USE_REDIS=true REDIS_URI REDIS_KEY_PREFIX=${REDIS_KEY_PREFIX:-$REDIS_OWN_PREFIX}
    REDIS_NOTE="with Redis ($REDIS_URI, key prefix $REDIS_KEY_PREFIX)"
  else
    echo "note: no Redis answers at $REDIS_URI: the replicas run without it (REDIS=0 to say so)"
    unset USE_REDIS
  fi
fi
# One more replica, the way the two are started: the suite runs this with PORT set.
REPLICA_CMD="cd '$LC_DIR' && MONGO_URI='$LC_MONGO' CONFIG_PATH='$YAML' HOST='$HOST' exec '$NODE' api/server/index.js >>'$T/replica-late.log' 2>&1"
boot() { # boot <port> <log>
  ( cd "$LC_DIR" && MONGO_URI="$LC_MONGO" CONFIG_PATH="$YAML" PORT="$1" HOST="$HOST" exec "$NODE" api/server/index.js ) >"$2" 2>&1 &
  PIDS+=($!)
}
boot "$PORT" "$LOG"
boot "$PORT2" "$T/server2.log"
echo "replicas: $B (log $LOG), $B2 (log $T/server2.log), $REDIS_NOTE"
START=$SECONDS
for u in "$B" "$B2"; do
  UP=
  while [ $((SECONDS - START)) -lt "$TIMEOUT" ]; do
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || { echo "FAIL: a replica exited" >&2; tail -n 40 "$LOG" "$T/server2.log" | sed 's/\x1b\[[0-9;]*m//g' >&2; exit 1; }; done
    [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$u/api/config")" = 200 ] && { UP=1; break; }
    sleep 1
  done
  [ -n "$UP" ] || { echo "FAIL: $u did not come up within ${TIMEOUT}s" >&2; tail -n 40 "$LOG" "$T/server2.log" | sed 's/\x1b\[[0-9;]*m//g' >&2; exit 1; }
done
echo "replicas up after $((SECONDS - START))s"

# 5. the contract suite
node -e 'const w = require(process.argv[1]); if (!w.chromiumAvailable()) { console.log(`note: no Chromium at ${w.CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH): the browser walks will be NOT CHECKED, so no verdict can be written`); }' "$ROOT/scripts/lib/browser-walk.js"
SHOTS=${WALK_SHOTS:-${TMPDIR:-/tmp}/shinegold-walk-$VER-$$}
mkdir -p "$SHOTS"
echo "### the contract suite against LibreChat $VER (2 replicas, $REDIS_NOTE); screenshots in $SHOTS"
(
  cd "$ROOT" && CONTRACT_CHAT_URLS="$B,$B2" CHAT_ORIGIN="$DOMAIN_CLIENT" LIBRECHAT_CONFIG="$YAML" \
    CONTRACT_REPLICA_CMD="$REPLICA_CMD" CONTRACT_DB_CONTROL="$DB_CONTROL" LIBRECHAT_DIR="$LC_DIR" LIBRECHAT_VERSION="$VER" \
    WALK_SHOTS="$SHOTS" node node_modules/jest/bin/jest.js --runInBand --json --outputFile "$T/contract.json" test/contract
) 2>&1 | tee "$T/contract.out"
read -r PASSED TOTAL < <(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  process.stdout.write(`${r.numPassedTests} ${r.numTotalTests}`);
' "$T/contract.json" 2>/dev/null || echo "0 0")
UNCHECKED=$(grep -c 'contract: NOT CHECKED' "$T/contract.out")
FAILS=$((TOTAL - PASSED))

if grep -qiE 'shinegold.*(error|problem)' "$LOG"; then
  echo "--- shinegold lines in the server log"; grep -iE 'shinegold' "$LOG" | sed 's/\x1b\[[0-9;]*m//g' | tail -n 20
fi
if [ "$TOTAL" = 0 ] || [ "$FAILS" -ne 0 ]; then
  echo "RESULT: $FAILS of $TOTAL check(s) failed"; echo "--- last 40 lines of $LOG"; tail -n 40 "$LOG" | sed 's/\x1b\[[0-9;]*m//g'
  exit 1
fi
echo "RESULT: all checks passed ($PASSED/$TOTAL)${UNCHECKED:+, $UNCHECKED not checked}"

# 6. the verdict: only for a full pass (nothing left unchecked) on the version's own commit.
HEAD=$(git -C "$LC_DIR" rev-parse HEAD 2>/dev/null)
case "$VER" in
  main) WANT=$(tr -d '[:space:]' < "$PATCH_DIR/BASE" 2>/dev/null) ;;
  *) WANT=$(git -C "$LC_DIR" rev-parse -q --verify "refs/tags/$VER^{commit}" 2>/dev/null) ;;
esac
if [ "${VERDICT:-1}" = 0 ]; then
  echo "verdict: not written (VERDICT=0)"
elif [ "$UNCHECKED" != 0 ]; then
  echo "verdict: not written, $UNCHECKED promise(s) were not checked (see NOT CHECKED above)"
elif [ -z "${USE_REDIS:-}" ]; then
  echo "verdict: not written, the replicas ran without Redis"
elif [ -z "$HEAD" ] || [ "$HEAD" != "$WANT" ]; then
  echo "verdict: not written, the checkout's HEAD (${HEAD:-no git}) is not the commit of $VER (${WANT:-unknown})"
else
  "$NODE" -e '
    const [file, version, commit, node, passed, total, root, addonCommit, addonDirty] = process.argv.slice(1);
    const patchSet = require(root + "/scripts/compat-table.js").patchSetFingerprint(require("path").dirname(file));
    const addon = addonCommit ? { addon: { commit: addonCommit, clean: addonDirty === "" } } : {};
    const v = { version, librechatCommit: commit, date: new Date().toISOString().slice(0, 10), node, checks: { passed: Number(passed), total: Number(total) }, replicas: 2, redis: true, patchSet, ...addon };
    require("fs").writeFileSync(file, JSON.stringify(v, null, 2) + "\n");
  ' "$PATCH_DIR/verified.json" "$VER" "$HEAD" "$("$NODE" -v)" "$PASSED" "$TOTAL" "$ROOT" \
    "$(git -C "$ROOT" rev-parse HEAD 2>/dev/null)" "$(git -C "$ROOT" status --porcelain -- packages 2>/dev/null)" \
    && echo "verdict: wrote patches/$VER/verified.json ($PASSED/$TOTAL checks, LibreChat ${HEAD:0:9})" \
    && node "$ROOT/scripts/compat-table.js" >/dev/null && echo "verdict: regenerated docs/compatibility.md" \
    || echo "!!! could not write the verdict" >&2
fi
if [ -n "$SERVE" ]; then
  MAIN_ORIGIN=$MAIN SG_ISSUER=$ISS SG_AUDIENCE=$AUD CHAT_ORIGIN=$DOMAIN_CLIENT COOKIE_DOMAIN=.$SSO_DOMAIN \
    CHAT_BACKCHANNEL_BASE=$B node "$ROOT/scripts/main-site.js" >"$T/main-site.log" 2>&1 &
  MAIN_PID=$!
  echo
  echo "Serving until Ctrl-C (then the patches are reverted and the package removed):"
  echo "  chat (real LibreChat): $DOMAIN_CLIENT/c/new"
  echo "  main-site stand-in:    $MAIN/login   (demo users ada, bob, cy)"
  wait "${PIDS[0]}"
fi
exit 0
