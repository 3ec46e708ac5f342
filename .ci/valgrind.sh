#!/usr/bin/env bash
# valgrind memcheck over every native export (test/memcheck/native-exports.js) against a Debug
# build of the addon (-O0 -g: exact frames). Fails on any memory error or definite/indirect leak
# with a frame in procsig.node, or when the script's own checks fail; node's own noise (V8,
# libuv, libc-only stacks) is counted and printed but does not fail it (test/memcheck/report.js).
# About 35 s on an idle 2-core machine, up to ~3 min when other suites run beside it. ROUNDS=<n> changes how many rounds the script runs (default 300).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/errtrap.sh"
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; }
npx cmake-js compile --debug --out build-valgrind >/dev/null
addon=$(ls build-valgrind/*/procsig.node | head -1)
rm -f build-valgrind/memcheck.xml
set +e
PROCSIG_NATIVE="$PWD/$addon" valgrind --tool=memcheck --leak-check=full \
  --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
  --error-exitcode=97 --num-callers=30 --xml=yes --xml-file=build-valgrind/memcheck.xml \
  node test/memcheck/native-exports.js "${ROUNDS:-300}"
rc=$?
set -e
node test/memcheck/report.js build-valgrind/memcheck.xml
# 97 = valgrind found errors: report.js above has decided whether any is procsig's.
if [ "$rc" -ne 0 ] && [ "$rc" -ne 97 ]; then
  echo "native-exports.js failed under valgrind (exit $rc)"
  exit 1
fi
echo "valgrind: procsig clean"
