#!/bin/sh
# apply-patches.sh <patch-dir> <librechat-root> <out-dir>
# Applies every *.patch in <patch-dir> to <librechat-root> (patch -p1, refusing reversed or
# already-applied patches) and copies each patched file to <out-dir> under the same path, so the
# image build can lay exactly those files over LibreChat's. Exits non-zero on the first failure.
set -eu
dir=$1 root=$2 out=$3
ls "$dir"/*.patch >/dev/null 2>&1 || { echo "no patches in $dir" >&2; exit 1; }
for p in "$dir"/*.patch; do
  target=$(sed -n 's#^+++ b/##p' "$p" | head -n 1)
  [ -n "$target" ] || { echo "$p names no file" >&2; exit 1; }
  (cd "$root" && patch -p1 --forward --batch --dry-run < "$p" >/dev/null) \
    || { echo "$(basename "$p") does not apply to $target: wrong LibreChat version?" >&2; exit 1; }
  (cd "$root" && patch -p1 --forward --batch < "$p")
  mkdir -p "$out/$(dirname "$target")"
  cp "$root/$target" "$out/$target"
  echo "applied $(basename "$p") -> $target"
done
