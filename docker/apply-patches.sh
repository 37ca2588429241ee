#!/bin/sh
# apply-patches.sh <patch-dir> <librechat-root> <out-dir> [<version>]
# With <version>: first checks that <librechat-root>/package.json is that LibreChat version (the
# patch sets of neighbouring versions often apply cleanly to each other's files, so applying is no
# proof of the version). Then applies every *.patch in <patch-dir> to <librechat-root> (patch -p1,
# refusing reversed or already-applied patches) and copies each patched file to <out-dir> under the
# same path, so the image build can lay exactly those files over LibreChat's. Exits non-zero on the
# first failure, with one sentence saying what does not fit.
set -eu
dir=$1 root=$2 out=$3 want=${4:-}
if [ -n "$want" ]; then
  have=$(node -p 'require(require("path").resolve(process.argv[1])).version' "$root/package.json" 2>/dev/null || true)
  [ "${have#v}" = "${want#v}" ] || {
    echo "LIBRECHAT_VERSION is $want but the LibreChat image is ${have:-of no known version}: build with the patch set of the image's version (LIBRECHAT_VERSION=v${have#v}), or FROM the image of $want." >&2
    exit 1
  }
fi
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
