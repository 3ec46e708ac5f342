#!/usr/bin/env bash
# The addon is pure Node-API, so the same binary runs under Node, Bun and Deno:
#   1. build/Release/procsig.node imports no libuv symbol (uv_*, napi_get_uv_event_loop);
#   2. test/smoke/runtime-smoke.mjs (every public feature, plain JS) passes under this Node,
#      Bun and Deno, pinned below and installed from npm into a cache outside the repository:
#      with the repository's build, then (after the package lane) with the packed tarball as npm
#      installs it (.ci/tarball-consumer.sh), whose prebuild must import no libuv symbol either.
#   3. Job.spawn's Node intermediate (PROCSIG_JOB_EXEC=node, what an install without the helper
#      uses) under Deno, on a scratch copy of the package: the smoke passes and procsig.node is
#      left as it was (it once shifted its argv under Deno and wrote over the addon: issue 16).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/errtrap.sh"
cd "$(dirname "$0")/.."
BUN_VERSION=1.4.4
DENO_VERSION=2.9.6
# World-readable: tests run fixtures as another uid with process.execPath (not under /root).
cache="${PROCSIG_CI_CACHE:-/var/tmp/procsig-ci}"
tools="$cache/runtimes-bun-$BUN_VERSION-deno-$DENO_VERSION"

echo "-- the addon imports no libuv symbol"
addon=build/Release/procsig.node
[ -f "$addon" ] || { echo "FAIL: $addon is missing"; ls -la build build/Release 2>&1; exit 1; }
if nm -D --undefined-only "$addon" | grep -E '\buv_|napi_get_uv_event_loop'; then
  echo "FAIL: $addon imports libuv symbols (above): it would not load in Bun or Deno"
  exit 1
fi
echo "$(nm -D --undefined-only "$addon" | grep -c napi_) Node-API imports, no uv_*"

if ! "$tools/node_modules/.bin/bun" --version >/dev/null 2>&1 || ! "$tools/node_modules/.bin/deno" --version >/dev/null 2>&1; then
  rm -rf "$tools"
  mkdir -p "$tools"
  echo '{ "private": true }' > "$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --no-package-lock "bun@$BUN_VERSION" "deno@$DENO_VERSION" 2>&1
fi
bun="$tools/node_modules/.bin/bun"
deno="$tools/node_modules/.bin/deno"
have=$("$bun" --version 2>&1) || true
[ "$have" = "$BUN_VERSION" ] || { echo "FAIL: $bun --version says: $have"; exit 1; }
have=$("$deno" --version 2>&1) || true
grep -q "^deno $DENO_VERSION " <<<"$have" || { echo "FAIL: $deno --version says: $have"; exit 1; }

fail=0
smoke() {
  local name=$1
  shift
  echo "-- smoke under $name${PROCSIG_SMOKE_FROM:+, procsig from $PROCSIG_SMOKE_FROM}"
  if ! timeout 180 "$@" test/smoke/runtime-smoke.mjs; then
    echo "FAIL: the smoke under $name"
    fail=1
  fi
}
smokes() {
  smoke "node $(node --version)" node
  smoke "bun $BUN_VERSION" "$bun"
  smoke "deno $DENO_VERSION" "$deno" run -A
}
smokes

# The same three from the packed tarball as npm installs it (after the package lane): the
# prebuild, not build/Release.
consumer=$(bash .ci/tarball-consumer.sh)
if [ -n "$consumer" ]; then
  prebuild=$(bash .ci/tarball-consumer.sh --prebuild)
  if nm -D --undefined-only "$prebuild" | grep -E '\buv_|napi_get_uv_event_loop'; then
    echo "FAIL: the tarball's $prebuild imports libuv symbols (above)"
    fail=1
  fi
  PROCSIG_SMOKE_FROM=$consumer smokes
else
  echo "-- (no build/package/procsig.tgz: the package lane has not run; smokes from the repository only)"
fi

echo "-- Job.spawn's Node intermediate under Deno (scratch copy of the package)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/node_modules/procsig/build/Release"
cp -r dist package.json "$scratch/node_modules/procsig/"
cp "$addon" "$scratch/node_modules/procsig/build/Release/"
cp -r node_modules/node-gyp-build "$scratch/node_modules/"
echo '{ "private": true }' > "$scratch/package.json"
before=$(md5sum < "$scratch/node_modules/procsig/build/Release/procsig.node")
if (cd "$scratch" && PROCSIG_JOB_EXEC=node PROCSIG_SMOKE_FROM="$scratch" timeout 120 "$deno" run -A "$OLDPWD/test/smoke/runtime-smoke.mjs") >"$scratch/deno-intermediate.log" 2>&1 &&
  [ "$(md5sum < "$scratch/node_modules/procsig/build/Release/procsig.node")" = "$before" ]; then
  echo "Deno + the Node intermediate: smoke passed, procsig.node intact"
else
  echo "FAILED: Deno + the Node intermediate; procsig.node is now $(stat -c %s "$scratch/node_modules/procsig/build/Release/procsig.node") bytes. Last lines:"
  tail -5 "$scratch/deno-intermediate.log"
  fail=1
fi

[ "$fail" -eq 0 ] || exit 1
echo "runtimes: node, bun and deno smokes passed"
