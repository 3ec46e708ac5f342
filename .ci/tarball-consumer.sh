#!/usr/bin/env bash
# Prints the directory of a consumer project that installed the packed tarball the package lane
# left in build/package/ (npm install --ignore-scripts, so nothing is compiled: the addon is the
# tarball's prebuild), installing it on first use; prints nothing when there is no tarball (a lane
# run on its own, before .ci/package.sh). Used by the lanes that run after the package lane
# (runtimes, the Node matrix), so that what they run is what users install. With --prebuild, it
# prints the path of the installed prebuild this machine loads instead (glibc, this machine's arch).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/errtrap.sh"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tgz=$root/build/package/procsig.tgz
dir=$root/build/package/consumer
[ -f "$tgz" ] || exit 0
if [ ! -f "$dir/.installed" ] || [ "$dir/.installed" -ot "$tgz" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  echo '{ "name": "consumer", "version": "1.0.0", "private": true }' >"$dir/package.json"
  (cd "$dir" && env -u PROCSIG_NATIVE npm_config_build_from_source=false npm install --no-audit --no-fund --prefer-offline --ignore-scripts "$tgz" >"$dir/install.log" 2>&1) ||
    { cat "$dir/install.log" >&2; echo "tarball-consumer: npm install of $tgz failed" >&2; exit 1; }
  touch "$dir/.installed"
fi
if [ "${1:-}" = --prebuild ]; then
  arch=x64
  [ "$(uname -m)" = aarch64 ] && arch=arm64
  echo "$dir/node_modules/procsig/prebuilds/linux-$arch/procsig.glibc.node"
else
  echo "$dir"
fi
