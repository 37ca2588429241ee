#!/usr/bin/env bash
# Checks deploy/nginx/*.conf with `nginx -t`, the way nginx itself would load them.
#
#   usage: scripts/check-nginx.sh [site.conf ...]   (default: every deploy/nginx/*.conf)
#
# Each site file is included from a minimal wrapper nginx.conf in a temporary directory; its
# certificate paths (placeholders) are pointed at a self-signed certificate made there with
# openssl, so the check needs no root, no real certificate and leaves nothing behind.
# Without nginx on PATH it says so and exits 0 (skipped): it is not part of `npm test`.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NGINX=${NGINX:-$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)}
if [ -z "$NGINX" ]; then
  echo "check-nginx: skipped: nginx is not installed (Debian: apt-get install nginx-light)."
  exit 0
fi
command -v openssl >/dev/null 2>&1 || { echo "check-nginx: openssl is required" >&2; exit 1; }

if [ $# -gt 0 ]; then FILES=("$@"); else FILES=("$ROOT"/deploy/nginx/*.conf); fi
T=$(mktemp -d "${TMPDIR:-/tmp}/check-nginx.XXXXXX")
trap 'rm -rf "$T"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=chat.shinegold.com" \
  -keyout "$T/test.key" -out "$T/test.crt" >/dev/null 2>&1 || { echo "check-nginx: openssl could not make a test certificate" >&2; exit 1; }

rc=0
for f in "${FILES[@]}"; do
  [ -f "$f" ] || { echo "check-nginx: no such file: $f" >&2; rc=1; continue; }
  site="$T/$(basename "$f")"
  # Only the certificate paths change; the rest is checked as written.
  sed -E -e "s#^([[:space:]]*ssl_certificate)[[:space:]]+[^;]+;#\1 $T/test.crt;#" \
         -e "s#^([[:space:]]*ssl_certificate_key)[[:space:]]+[^;]+;#\1 $T/test.key;#" "$f" > "$site"
  cat > "$T/nginx.conf" <<CONF
worker_processes 1;
pid $T/nginx.pid;
error_log $T/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $T/body;
    proxy_temp_path $T/proxy;
    fastcgi_temp_path $T/fastcgi;
    uwsgi_temp_path $T/uwsgi;
    scgi_temp_path $T/scgi;
    include $site;
}
CONF
  if out=$("$NGINX" -t -p "$T" -c "$T/nginx.conf" 2>&1); then
    echo "check-nginx: ok: $(basename "$f") ($("$NGINX" -v 2>&1 | sed 's/.*: //'))"
  else
    echo "check-nginx: FAILED: $f" >&2
    echo "$out" | sed "s#$T/##g" >&2
    rc=1
  fi
done
exit $rc
