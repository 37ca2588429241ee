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
# Steps:
#  0. finds or makes the checkout (above); starts a test database when MONGO_URI is not set
#     (scripts/lib/hold-database.js: FerretDB, stopped at exit); makes LibreChat's secrets
#     (JWT_SECRET, JWT_REFRESH_SECRET, CREDS_KEY, CREDS_IV) unless they are set;
#  1. builds the package (tsc -p packages/librechat-sso/tsconfig.build.json);
#  2. installs it into <checkout>/node_modules/@shinegold/librechat-sso (dist + package.json, its
#     own dependencies installed with npm into a nested node_modules; LibreChat's mongoose,
#     express, jsonwebtoken and @librechat/data-schemas are used, never a second copy);
#  3. applies patches/<version>/{loadCustomConfig,db-index,auth-routes,oauth-routes}.patch;
#  4. boots LibreChat with CONFIG_PATH = a temporary copy of our librechat.yaml whose provider
#     issuer/audience are test values, a random SHINEGOLD_JWT_SECRET and DOMAIN_CLIENT;
#  5. starts the main-site stand-in (scripts/main-site.js) on $SSO_DOMAIN, LibreChat answering as
#     chat.$SSO_DOMAIN; signs an HS256 main-site token and checks (a-d below; e-f: back-channel
#     logout, then the earlier access token and login token are refused; f2: lifecycle ban; k: lifecycle delete
#     with its data; j: break-glass; g-h: the login entry; i: the browser walk
#     of scripts/lib/browser-walk.js in Debian's Chromium against LibreChat's real SPA):
#     a. POST /api/auth/refresh with sg_session        -> 200 {token,user} + refreshToken/token_provider cookies
#     b. GET /api/user with the bridged bearer token    -> 200, the user (LibreChat's own requireJwtAuth)
#     c. POST /api/auth/refresh with sg_session + LibreChat cookies -> 200 (LibreChat's own refresh)
#     d. POST /api/auth/refresh with refreshToken only  -> "Refresh token not provided"
#  6. verdict: when every check passed, the browser walk included, and HEAD is the version's
#     commit, writes patches/<version>/verified.json (version, LibreChat commit, date, node,
#     checks passed/total) and regenerates docs/compatibility.md (scripts/compat-table.js);
#  7. on exit (trap): stops the server, reverts the patches, removes the installed package, stops
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
#   PORT / HOST               where the server listens (default 3182 / 127.0.0.1)
#   MAIN_PORT                 the main-site stand-in's port (default PORT-1)
#   SSO_DOMAIN                parent domain of both host names (default shinegold.test, mapped to
#                             loopback inside the walk's Chromium; --serve: shinegold.localhost)
#   WALK=0                    skip the browser walk (it is skipped anyway without Chromium; a run
#                             without it writes no verdict)
#   WALK_SHOTS                where the walk's screenshots go (default: a temp dir, kept)
#   SHINEGOLD_LIBRECHAT_YAML  base config (default: librechat.yaml at the repo root)
#   CHECK_TIMEOUT             seconds to wait for startup (default 120)
#   CHECK_LOG                 server log file (default: a temp file, printed on failure)
#   KEEP_TMP=1                keep the temp dir (test yaml, raw answers)
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
PATCHES=(loadCustomConfig db-index auth-routes oauth-routes)
BASE_YAML=${SHINEGOLD_LIBRECHAT_YAML:-$ROOT/librechat.yaml}
PORT=${PORT:-3182}
HOST=${HOST:-127.0.0.1}
TIMEOUT=${CHECK_TIMEOUT:-120}
B=http://$HOST:$PORT
MAIN_PORT=${MAIN_PORT:-$((PORT - 1))}
SSO_DOMAIN=${SSO_DOMAIN:-$([ -n "$SERVE" ] && echo shinegold.localhost || echo shinegold.test)}
MAIN=http://$SSO_DOMAIN:$MAIN_PORT
DEST=$LC_DIR/node_modules/@shinegold/librechat-sso

[ -d "$PATCH_DIR" ] || die "there is no patch set for $VER (patches/$VER): derive one with node scripts/derive-patches.js $LC_DIR $VER"
for p in "${PATCHES[@]}"; do [ -f "$PATCH_DIR/$p.patch" ] || die "missing $PATCH_DIR/$p.patch"; done
[ -f "$BASE_YAML" ] || die "config not found: $BASE_YAML"
command -v curl >/dev/null 2>&1 || die "curl is required"
if [ -n "${LIBRECHAT_NODE:-}" ]; then NODE=$LIBRECHAT_NODE
elif node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=18)?0:1)' 2>/dev/null; then NODE=node
else
  NODE=$(npx -y -p node@24 node -e 'process.stdout.write(process.execPath)' 2>/dev/null) || die "LibreChat needs Node >= 22.18 and none was found: set LIBRECHAT_NODE"
fi
command -v "$NODE" >/dev/null 2>&1 || die "node not found: $NODE (set LIBRECHAT_NODE)"
[ -e "$DEST" ] && die "$DEST already exists; remove it first (this script installs and removes it)"
[ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$B/api/config" 2>/dev/null)" = "000" ] \
  || die "something already answers on $B; choose another PORT"

T=$(mktemp -d "${TMPDIR:-/tmp}/verify-librechat.XXXXXX")
LOG=${CHECK_LOG:-$T/server.log}
APPLIED=()
INSTALLED=
PID=
MAIN_PID=
DB_PID=
cleanup() {
  local rc=$?
  [ -n "$MAIN_PID" ] && kill "$MAIN_PID" 2>/dev/null
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill "$PID" 2>/dev/null
    for _ in $(seq 1 20); do kill -0 "$PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$PID" 2>/dev/null && kill -9 "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
  fi
  local i
  for ((i = ${#APPLIED[@]} - 1; i >= 0; i--)); do
    if git -C "$LC_DIR" apply -R "$PATCH_DIR/${APPLIED[$i]}.patch"; then echo "reverted ${APPLIED[$i]}.patch"
    else echo "!!! could not revert ${APPLIED[$i]}.patch in $LC_DIR" >&2; rc=1; fi
  done
  if [ -n "$INSTALLED" ]; then
    rm -rf "$DEST"; rmdir "$LC_DIR/node_modules/@shinegold" 2>/dev/null
    echo "removed $DEST"
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
echo "patches:  patches/$VER"
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

# 4. test config and boot
ISS=https://sso.verify.test
AUD=chat.verify.test
export SHINEGOLD_JWT_SECRET=${SHINEGOLD_JWT_SECRET:-$("$NODE" -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')}
# The browser reaches LibreChat as chat.$SSO_DOMAIN, the main-site stand-in as $SSO_DOMAIN.
export DOMAIN_CLIENT=http://chat.$SSO_DOMAIN:$PORT
export DOMAIN_SERVER=$DOMAIN_CLIENT
# The login entry (README "Why the OpenID auto-redirect"): these make /api/config send the SPA's
# login page to /oauth/openid; without OPENID_SCOPE LibreChat configures no OpenID client.
export OPENID_CLIENT_ID=${OPENID_CLIENT_ID:-shinegold-sso} OPENID_CLIENT_SECRET=${OPENID_CLIENT_SECRET:-unused-by-shinegold-sso}
export OPENID_ISSUER=${OPENID_ISSUER:-$ISS} OPENID_AUTO_REDIRECT=true OPENID_BUTTON_LABEL=${OPENID_BUTTON_LABEL:-"Continue with shinegold.com"}
export OPENID_SESSION_SECRET=${OPENID_SESSION_SECRET:-$("$NODE" -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')}
unset OPENID_SCOPE
YAML=$T/librechat.yaml
MAIN="$MAIN" "$NODE" -e '
  const yaml = require(require.resolve("js-yaml", { paths: [process.argv[4]] }));
  const fs = require("fs");
  const doc = yaml.load(fs.readFileSync(process.argv[1], "utf8"));
  const p = doc.shinegold.providers[0];
  p.issuer = process.argv[2]; p.audience = process.argv[3];
  const chat = new URL(process.env.DOMAIN_CLIENT);
  doc.shinegold.session.chatOrigin = chat.origin;
  doc.shinegold.session.allowedReturnHosts = [chat.host];
  doc.shinegold.session.loginUrl = process.env.MAIN + "/login";
  doc.shinegold.session.logoutUrl = process.env.MAIN + "/logout";
  doc.shinegold.breakGlass = { enabled: true, users: ["breakglass@verify.test"] };
  doc.shinegold.lifecycle = { ...(doc.shinegold.lifecycle || {}), onDelete: "delete" };
  fs.writeFileSync(process.argv[5], yaml.dump(doc));
' "$BASE_YAML" "$ISS" "$AUD" "$DEST" "$YAML" || die "could not write the test yaml"
echo "config:   $YAML (issuer $ISS, audience $AUD)"

# The main-site stand-in: signs tokens for the demo users, sets the cookie on .$SSO_DOMAIN,
# sends the back-channel logout to this LibreChat.
MAIN_ORIGIN=$MAIN SG_ISSUER=$ISS SG_AUDIENCE=$AUD CHAT_ORIGIN=$DOMAIN_CLIENT COOKIE_DOMAIN=.$SSO_DOMAIN \
  CHAT_BACKCHANNEL_BASE=$B node "$ROOT/scripts/main-site.js" >"$T/main-site.log" 2>&1 &
MAIN_PID=$!
echo "main-site stand-in: $MAIN (pid $MAIN_PID)"

( cd "$LC_DIR" && CONFIG_PATH="$YAML" PORT="$PORT" HOST="$HOST" exec "$NODE" api/server/index.js ) >"$LOG" 2>&1 &
PID=$!
echo "server pid $PID, log $LOG"
START=$SECONDS; UP=
while [ $((SECONDS - START)) -lt "$TIMEOUT" ]; do
  kill -0 "$PID" 2>/dev/null || break
  [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$B/api/config")" = 200 ] && { UP=1; break; }
  sleep 1
done
if [ -z "$UP" ]; then
  echo "FAIL: server did not come up" >&2; tail -n 40 "$LOG" | sed 's/\x1b\[[0-9;]*m//g' >&2; exit 1
fi
echo "server up after $((SECONDS - START))s"

# 5. checks
FAILS=0
PASSES=0
WALKED=
ok()   { echo "  PASS: $*"; PASSES=$((PASSES + 1)); }
bad()  { echo "  FAIL: $*"; FAILS=$((FAILS + 1)); }
redact() { sed -E 's/(refreshToken=|sg_session=|"token":"|Bearer )([A-Za-z0-9_-]{10})[A-Za-z0-9._-]*/\1\2…/g'; }
show() { # show <label> <rawfile>
  echo "### $1"; tr -d '\r' < "$2" | grep -iE '^(HTTP/|set-cookie:)' | redact
  echo "body: $(tr -d '\r' < "$2" | sed '1,/^$/d' | redact | head -c 1500)"
}
code() { tr -d '\r' < "$1" | awk 'NR==1{print $2}'; }
body() { tr -d '\r' < "$1" | sed '1,/^$/d'; }
cookie() { tr -d '\r' < "$1" | grep -i '^set-cookie:' | sed -nE "s/^[Ss]et-[Cc]ookie: $2=([^;]*).*/\1/p" | head -1; }
json() { "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const v=process.argv[1].split(".").reduce((o,k)=>o==null?o:o[k],JSON.parse(s));console.log(v==null?"":v)}catch{console.log("")}})' "$1"; }

RUN=$(date +%s)$$
EMAIL="verify-$RUN@example.com"
# sign <lifetime-seconds> <extra claims as JSON> [sub]: an HS256 token from the main site for the
# test user (iss, aud, sub, iat, exp set here), as the main site signs its login, logout and lifecycle tokens.
sign() {
  "$NODE" -e '
    const jwt = require(require.resolve("jsonwebtoken", { paths: [process.argv[1], process.argv[2]] }));
    const now = Math.floor(Date.now() / 1000);
    process.stdout.write(jwt.sign({ iss: process.argv[3], aud: process.argv[4], sub: process.argv[5], iat: now,
      exp: now + Number(process.argv[6]), ...JSON.parse(process.argv[7]) }, process.env.SHINEGOLD_JWT_SECRET, { algorithm: "HS256" }));
  ' "$LC_DIR/api" "$ROOT" "$ISS" "$AUD" "${3:-verify-$RUN}" "$1" "$2"
}
SG=$(sign 600 "{\"email\":\"$EMAIL\",\"email_verified\":true,\"name\":\"Verify User\"}") || die "could not sign the test token"
echo "test user: sub verify-$RUN, $EMAIL"

curl -s -i -X POST "$B/api/auth/refresh" -H "cookie: sg_session=$SG" >"$T/a"
show "a. POST /api/auth/refresh (sg_session)" "$T/a"
TOKEN=$(body "$T/a" | json token); RT=$(cookie "$T/a" refreshToken); TP=$(cookie "$T/a" token_provider)
[ "$(code "$T/a")" = 200 ] && [ -n "$TOKEN" ] && [ "$(body "$T/a" | json user.email)" = "$EMAIL" ] \
  && ok "200 {token,user} for $EMAIL" || bad "bridge login"
[ -n "$RT" ] && [ "$TP" = librechat ] && ok "Set-Cookie refreshToken + token_provider=librechat" || bad "bridge cookies"

curl -s -i "$B/api/user" -H "authorization: Bearer $TOKEN" -A "Mozilla/5.0" >"$T/b"
show "b. GET /api/user (Bearer bridged token)" "$T/b"
[ "$(code "$T/b")" = 200 ] && [ "$(body "$T/b" | json email)" = "$EMAIL" ] \
  && ok "LibreChat's requireJwtAuth accepts the bridged token" || bad "GET /api/user"

curl -s -i -X POST "$B/api/auth/refresh" -H "cookie: sg_session=$SG; refreshToken=$RT; token_provider=$TP" >"$T/c"
show "c. POST /api/auth/refresh (sg_session + refreshToken + token_provider)" "$T/c"
[ "$(code "$T/c")" = 200 ] && [ -n "$(body "$T/c" | json token)" ] && [ "$(body "$T/c" | json user.email)" = "$EMAIL" ] \
  && ok "LibreChat's own refresh answers 200 with a token" || bad "passthrough refresh"
RT2=$(cookie "$T/c" refreshToken); [ -n "$RT2" ] && RT=$RT2

curl -s -i -X POST "$B/api/auth/refresh" -H "cookie: refreshToken=$RT; token_provider=$TP" >"$T/d"
show "d. POST /api/auth/refresh (refreshToken only, no sg_session)" "$T/d"
[ "$(code "$T/d")" = 200 ] && [ "$(body "$T/d")" = "Refresh token not provided" ] \
  && ok "parent cookie gone -> 'Refresh token not provided'" || bad "logout mirror"

# e. main -> chat: back-channel logout; the access token from (a) is refused at once.
sleep 1
LT=$(sign 120 "{\"jti\":\"verify-$RUN-logout\",\"events\":{\"http://schemas.openid.net/event/backchannel-logout\":{}}}") \
  || die "could not sign the logout token"
curl -s -i -X POST "$B/api/auth/sso/backchannel-logout" --data-urlencode "logout_token=$LT" >"$T/e"
show "e. POST /api/auth/sso/backchannel-logout" "$T/e"
[ "$(code "$T/e")" = 200 ] && tr -d '\r' < "$T/e" | grep -qi '^cache-control: no-store' && ok "back-channel logout 200, no-store" || bad "back-channel logout"
curl -s -i -X POST "$B/api/auth/sso/backchannel-logout" --data-urlencode "logout_token=$LT" >"$T/e2"
[ "$(code "$T/e2")" = 400 ] && ok "replayed logout token -> 400" || bad "replay refusal"
curl -s -i "$B/api/user" -H "authorization: Bearer $TOKEN" -A "Mozilla/5.0" >"$T/f"
show "f. GET /api/user (access token issued before the logout)" "$T/f"
[ "$(code "$T/f")" = 401 ] && ok "access token issued before the logout is refused at once" || bad "revocation"
# The logout named only the user (sub): logged out everywhere, so the parent cookie from before
# it (another browser still holding it) no longer logs in; a token issued after it does.
curl -s -i -X POST "$B/api/auth/refresh" -H "cookie: sg_session=$SG" >"$T/f1"
sleep 1
SG=$(sign 600 "{\"email\":\"$EMAIL\",\"email_verified\":true,\"name\":\"Verify User\"}") || die "could not sign the test token"
curl -s -i -X POST "$B/api/auth/refresh" -H "cookie: sg_session=$SG" >"$T/f1b"
[ "$(body "$T/f1")" = "Refresh token not provided" ] && [ "$(body "$T/f1b" | json user.email)" = "$EMAIL" ] \
  && ok "logged out everywhere: the cookie from before the logout no longer logs in, a new one does" || bad "login token issued before the logout"

# f2. lifecycle sync: the main site bans the user -> 200 banned; the parent cookie no longer logs in.
LC_TOKEN=$(sign 120 "{\"jti\":\"verify-$RUN-ban\",\"event\":\"user.banned\"}") || die "could not sign the lifecycle token"
curl -s -i -X POST "$B/api/auth/sso/lifecycle" --data-urlencode "lifecycle_token=$LC_TOKEN" >"$T/f2"
show "f2. POST /api/auth/sso/lifecycle (user.banned)" "$T/f2"
curl -s -i -X POST "$B/api/auth/refresh" -H "cookie: sg_session=$SG" >"$T/f3"
[ "$(code "$T/f2")" = 200 ] && [ "$(body "$T/f2" | json result)" = banned ] && [ -z "$(body "$T/f3" | json token)" ] \
  && ok "lifecycle ban: 200 banned, and the parent cookie no longer logs in ($(code "$T/f3"))" || bad "lifecycle ban"

# k. lifecycle user.deleted (the test yaml sets onDelete: delete): the user and their data go,
#    removed through LibreChat's own models (a conversation, a message and a file record here).
DEL_SUB="verify-$RUN-del"
SGD=$(sign 600 "{\"email\":\"del-$RUN@example.com\",\"email_verified\":true}" "$DEL_SUB") || die "could not sign the delete test token"
curl -s -i -X POST "$B/api/auth/refresh" -H "cookie: sg_session=$SGD" >"$T/k0"
DEL_ID=$(body "$T/k0" | json user._id)
data_of() {
  "$NODE" -e '
    const { MongoClient, ObjectId } = require(require.resolve("mongodb", { paths: [process.argv[1]] }));
    (async () => {
      const c = await MongoClient.connect(process.env.MONGO_URI); const db = c.db(); const id = process.argv[2];
      if (process.argv[3] === "seed") {
        await db.collection("conversations").insertOne({ conversationId: `verify-${id}`, user: id, endpoint: "openAI", title: "to be deleted", createdAt: new Date(), updatedAt: new Date() });
        await db.collection("messages").insertOne({ messageId: `verify-${id}`, conversationId: `verify-${id}`, user: id, isCreatedByUser: true, text: "hello", createdAt: new Date(), updatedAt: new Date() });
        await db.collection("files").insertOne({ user: new ObjectId(id), file_id: `verify-${id}`, bytes: 1, filename: "a.txt", filepath: `/uploads/${id}/a.txt`, object: "file", type: "text/plain", usage: 0, createdAt: new Date(), updatedAt: new Date() });
      }
      const n = await Promise.all([db.collection("conversations").countDocuments({ user: id }), db.collection("messages").countDocuments({ user: id }),
        db.collection("files").countDocuments({ user: new ObjectId(id) }), db.collection("users").countDocuments({ _id: new ObjectId(id) })]);
      console.log(n.join(" ")); await c.close();
    })().catch((e) => { console.error(e.message); process.exit(1); });
  ' "$LC_DIR/api" "$DEL_ID" "${1:-}"
}
if [ -z "$DEL_ID" ]; then
  bad "lifecycle delete: the bridge did not log the second test user in"
else
  BEFORE=$(data_of seed)
  KT=$(sign 120 "{\"jti\":\"verify-$RUN-del\",\"event\":\"user.deleted\"}" "$DEL_SUB") || die "could not sign the delete lifecycle token"
  curl -s -i -X POST "$B/api/auth/sso/lifecycle" --data-urlencode "lifecycle_token=$KT" >"$T/k"
  show "k. POST /api/auth/sso/lifecycle (user.deleted, onDelete: delete)" "$T/k"
  AFTER=$(data_of)
  [ "$BEFORE" = "1 1 1 1" ] && [ "$(code "$T/k")" = 200 ] && [ "$(body "$T/k" | json result)" = deleted ] \
    && [ "$(body "$T/k" | json data.Conversation)" = 1 ] && [ "$(body "$T/k" | json data.Message)" = 1 ] && [ "$(body "$T/k" | json data.File)" = 1 ] \
    && [ "$AFTER" = "0 0 0 0" ] \
    && ok "lifecycle delete: user, conversation, message and file record removed through LibreChat's models" \
    || bad "lifecycle delete (before $BEFORE, after $AFTER)"
fi

# j. break-glass: a listed local ADMIN logs in with its password through the break-glass path
#    (LibreChat's own /login checks it); LibreChat's /login itself stays closed.
BG_PASS=$("$NODE" -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')
"$NODE" -e '
  const req = (m) => require(require.resolve(m, { paths: [process.argv[1]] }));
  const bcrypt = req("bcryptjs"); const { MongoClient } = req("mongodb");
  (async () => {
    const c = await MongoClient.connect(process.env.MONGO_URI);
    const users = c.db().collection("users");
    await users.deleteMany({ email: "breakglass@verify.test" });
    await users.insertOne({ email: "breakglass@verify.test", username: "breakglass", name: "Break Glass", provider: "local",
      role: "ADMIN", emailVerified: true, password: bcrypt.hashSync(process.argv[2], 10), createdAt: new Date(), updatedAt: new Date() });
    await c.close();
  })().catch((e) => { console.error(e.message); process.exit(1); });
' "$LC_DIR/api" "$BG_PASS" || bad "could not create the break-glass admin"
curl -s -i -X POST "$B/api/auth/sso/break-glass" -H 'content-type: application/json' -A "Mozilla/5.0" \
  --data "{\"email\":\"breakglass@verify.test\",\"password\":\"$BG_PASS\"}" >"$T/j"
show "j. POST /api/auth/sso/break-glass (listed local admin, right password)" "$T/j"
curl -s -i -X POST "$B/api/auth/login" -H 'content-type: application/json' -A "Mozilla/5.0" \
  --data "{\"email\":\"breakglass@verify.test\",\"password\":\"$BG_PASS\"}" >"$T/j2"
[ "$(code "$T/j")" = 200 ] && [ -n "$(body "$T/j" | json token)" ] && [ "$(body "$T/j" | json user.role)" = ADMIN ] \
  && ok "break-glass: LibreChat's own login let the listed admin in" || bad "break-glass login"
[ "$(code "$T/j2")" = 403 ] && [ "$(body "$T/j2" | json code)" = SG_LOCAL_LOGIN_DISABLED ] \
  && ok "LibreChat's /login stays closed (403 SG_LOCAL_LOGIN_DISABLED)" || bad "closed /login ($(code "$T/j2"))"

# g. the SPA's login page is told to leave for /oauth/openid; h. which sends it to the main-site login.
curl -s -i "$B/api/config" >"$T/g"
[ "$(body "$T/g" | json openidLoginEnabled)" = true ] && [ "$(body "$T/g" | json openidAutoRedirect)" = true ] \
  && ok "/api/config: openidLoginEnabled + openidAutoRedirect (serverDomain $(body "$T/g" | json serverDomain))" || bad "/api/config login entry flags"
curl -s -i "$B/oauth/openid" -H "referer: $DOMAIN_CLIENT/login?redirect_to=%2Fc%2Fnew%3Fq%3D1" >"$T/h"
show "h. GET /oauth/openid (from the SPA's login page)" "$T/h"
LOC=$(tr -d '\r' < "$T/h" | sed -nE 's/^[Ll]ocation: (.*)/\1/p')
WANT_LOGIN=$("$NODE" -e 'const y=require(require.resolve("js-yaml",{paths:[process.argv[2]]}));console.log(y.load(require("fs").readFileSync(process.argv[1],"utf8")).shinegold.session.loginUrl)' "$YAML" "$DEST")
[ "$(code "$T/h")" = 302 ] && case "$LOC" in "$WANT_LOGIN"*) true;; *) false;; esac \
  && "$NODE" -e 'const u=new URL(process.argv[1]);const r=[...u.searchParams.values()].find(v=>v.includes("/c/new"));process.exit(r&&r.startsWith(process.argv[2]+"/c/new")?0:1)' "$LOC" "$DOMAIN_CLIENT" \
  && ok "/oauth/openid -> 302 main-site login, return URL $DOMAIN_CLIENT/c/new?q=1" || bad "/oauth/openid login entry ($LOC)"

# i. the browser walk, in Chromium, against LibreChat's real SPA.
if [ "${WALK:-1}" = 0 ]; then
  echo "### i. browser walk: skipped (WALK=0)"
elif [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "### i. browser walk: SKIPPED, no Chromium (apt-get install chromium)"
else
  echo "### i. browser walk ($MAIN -> $DOMAIN_CLIENT, real SPA)"
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$B/")" != 200 ]; then
    bad "LibreChat serves no SPA at / (is client/dist built?)"
  else
    # Each step of the walk is a check of its own (its PASS lines are counted with ours).
    node "$ROOT/scripts/browser-walk.js" "$MAIN" "$DOMAIN_CLIENT" "${WALK_SHOTS:-${TMPDIR:-/tmp}/shinegold-walk-$VER-$$}" 2>&1 | tee "$T/walk.out"
    WALK_RC=${PIPESTATUS[0]}
    PASSES=$((PASSES + $(grep -c '^  PASS:' "$T/walk.out")))
    if [ "$WALK_RC" = 0 ]; then ok "browser walk: all steps passed"; WALKED=1; else bad "browser walk"; fi
  fi
fi

if grep -qiE 'shinegold.*(error|problem)' "$LOG"; then
  echo "--- shinegold lines in the server log"; grep -iE 'shinegold' "$LOG" | sed 's/\x1b\[[0-9;]*m//g' | redact | tail -n 20
fi
if [ "$FAILS" -ne 0 ]; then
  echo "RESULT: $FAILS check(s) failed, $PASSES passed"; echo "--- last 40 lines of $LOG"; tail -n 40 "$LOG" | sed 's/\x1b\[[0-9;]*m//g' | redact
  exit 1
fi
echo "RESULT: all checks passed ($PASSES/$PASSES)"

# 6. the verdict: only for a full pass (the walk included) on the version's own commit.
HEAD=$(git -C "$LC_DIR" rev-parse HEAD 2>/dev/null)
case "$VER" in
  main) WANT=$(tr -d '[:space:]' < "$PATCH_DIR/BASE" 2>/dev/null) ;;
  *) WANT=$(git -C "$LC_DIR" rev-parse -q --verify "refs/tags/$VER^{commit}" 2>/dev/null) ;;
esac
if [ "${VERDICT:-1}" = 0 ]; then
  echo "verdict: not written (VERDICT=0)"
elif [ -z "$WALKED" ]; then
  echo "verdict: not written, the browser walk did not run"
elif [ -z "$HEAD" ] || [ "$HEAD" != "$WANT" ]; then
  echo "verdict: not written, the checkout's HEAD (${HEAD:-no git}) is not the commit of $VER (${WANT:-unknown})"
else
  "$NODE" -e '
    const [file, version, commit, node, passed] = process.argv.slice(1);
    const v = { version, librechatCommit: commit, date: new Date().toISOString().slice(0, 10), node, checks: { passed: Number(passed), total: Number(passed) } };
    require("fs").writeFileSync(file, JSON.stringify(v, null, 2) + "\n");
  ' "$PATCH_DIR/verified.json" "$VER" "$HEAD" "$("$NODE" -v)" "$PASSES" \
    && echo "verdict: wrote patches/$VER/verified.json ($PASSES/$PASSES checks, LibreChat ${HEAD:0:9})" \
    && node "$ROOT/scripts/compat-table.js" >/dev/null && echo "verdict: regenerated docs/compatibility.md" \
    || echo "!!! could not write the verdict" >&2
fi
if [ -n "$SERVE" ]; then
  echo
  echo "Serving until Ctrl-C (then the patches are reverted and the package removed):"
  echo "  chat (real LibreChat): $DOMAIN_CLIENT/c/new"
  echo "  main-site stand-in:    $MAIN/login   (demo users ada, bob, cy)"
  wait "$PID"
fi
exit 0
