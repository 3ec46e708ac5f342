#!/usr/bin/env bash
# Runs the test suite against an ASan + UBSan build of the addon (`npm run build:asan`).
# node itself is not instrumented: libasan is preloaded so it owns malloc, and LeakSanitizer's
# suppressions (.ci/lsan.supp) name only V8/Node/test-runner internals, so leaks in procsig's
# own frames still fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build:asan
addon=$(ls build-asan/*/procsig.node | head -1)
libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
export PROCSIG_NATIVE="$PWD/$addon"
export ASAN_OPTIONS="detect_leaks=1:malloc_context_size=3:abort_on_error=0:exitcode=23:detect_odr_violation=0:allocator_may_return_null=1:handle_segv=0:log_path=$PWD/build-asan/asan"
export LSAN_OPTIONS="suppressions=$PWD/.ci/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$PWD/build-asan/ubsan"
rm -f build-asan/asan.* build-asan/ubsan.*
LD_PRELOAD="$libasan:$libubsan" npx vitest run
# Reports from any process (vitest workers, fixtures that loaded the addon) fail the lane.
if ls build-asan/asan.* build-asan/ubsan.* >/dev/null 2>&1; then
  echo "sanitizer reports:"
  cat build-asan/asan.* build-asan/ubsan.* 2>/dev/null | head -200
  exit 1
fi
echo "sanitizers: clean"
