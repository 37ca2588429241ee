#!/usr/bin/env bash
# Checks that docker-compose.override.yml merges with a LibreChat checkout's docker-compose.yml:
#   scripts/check-compose.sh <librechat-checkout-dir>
# Uses `docker compose` or Debian's `docker-compose` (merging and validating needs no engine).
# Prints the merged api service; exits non-zero if the merge fails or misses our settings.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LC=${1:?usage: $0 <librechat-checkout-dir>}
[ -f "$LC/docker-compose.yml" ] || { echo "no docker-compose.yml in $LC" >&2; exit 1; }
if docker compose version >/dev/null 2>&1; then DC=(docker compose); elif command -v docker-compose >/dev/null; then DC=(docker-compose);
else echo "neither 'docker compose' nor docker-compose is installed (apt-get install docker-compose)" >&2; exit 1; fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cp "$LC/docker-compose.yml" "$ROOT/docker-compose.override.yml" "$T/"
mkdir "$T/shinegold-sso"; touch "$T/librechat.yaml"
# Only what compose interpolates; LibreChat's real .env holds the secrets.
printf 'PORT=3080\nUID=1000\nGID=1000\nMEILI_MASTER_KEY=check\nADMIN_PANEL_SESSION_SECRET=check\n' > "$T/.env"
merged=$(cd "$T" && "${DC[@]}" config 2>/dev/null) || { (cd "$T" && "${DC[@]}" config) >&2; exit 1; }
api=$(printf '%s\n' "$merged" | sed -n '/^  api:/,/^  [a-z_-]*:$/p')
printf '%s\n' "$api" | sed "s#$T#<librechat>#g"
fail=0
for want in 'dockerfile: docker/Dockerfile' 'LIBRECHAT_VERSION: v0.8.7' 'image: shinegold/librechat-sso:v0.8.7' \
            'target: /app/librechat.yaml' 'CONFIG_PATH: /app/librechat.yaml' 'OPENID_AUTO_REDIRECT: "true"'; do
  printf '%s\n' "$api" | grep -qF "$want" || { echo "MISSING in the merged api service: $want" >&2; fail=1; }
done
printf '%s\n' "$api" | grep -q 'OPENID_SCOPE' && { echo "OPENID_SCOPE must not be set" >&2; fail=1; }
[ $fail = 0 ] && echo "compose merge OK"
exit $fail
