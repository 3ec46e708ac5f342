#!/usr/bin/env bash
# Runs the test suite against an ASan + UBSan build of the addon (`npm run build:asan`).
#
# node is not instrumented: libasan (and libubsan) are preloaded so they own malloc in every
# process the tests start, and each process writes its reports to build-asan/{asan,ubsan}.<pid>.
# The verdict is taken from those files, not from exit codes (exitcode=0), because the preload
# also reaches processes that have nothing to do with procsig (perl, sh, the test runner's own
# native transformer), whose leaks at exit are not ours:
#   - any AddressSanitizer error (overflow, use-after-free, ...) fails the lane;
#   - any UBSan report fails it (only procsig.node is built with -fsanitize=undefined);
#   - a LeakSanitizer report fails it when any frame is procsig's (procsig.node, native/*.cc,
#     procsig::, node-addon-api's napi-inl.h); .ci/lsan.supp names V8/Node internals, recorded with short stacks (malloc_context_size) so a suppression
#     matches only the allocating frames.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/errtrap.sh"
cd "$(dirname "$0")/.."
npm run build:asan
addon=$(ls build-asan/*/procsig.node | head -1)
libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
export PROCSIG_NATIVE="$PWD/$addon"
export ASAN_OPTIONS="detect_leaks=1:malloc_context_size=3:exitcode=0:detect_odr_violation=0:allocator_may_return_null=1:handle_segv=0:log_path=$PWD/build-asan/asan"
export LSAN_OPTIONS="suppressions=$PWD/.ci/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$PWD/build-asan/ubsan"
rm -f build-asan/asan.* build-asan/ubsan.*
LD_PRELOAD="$libasan:$libubsan" npx vitest run

fail=0
for f in build-asan/asan.* build-asan/ubsan.*; do
  [ -e "$f" ] || continue
  if grep -q "ERROR: AddressSanitizer\|runtime error:" "$f" || [[ "$f" == build-asan/ubsan.* ]]; then
    echo "sanitizer error in $f:"; head -60 "$f"; fail=1
  elif grep -q "procsig\.node\|procsig::\|/native/[a-z_0-9]*\.\(cc\|h\)\|napi-inl\.h" "$f"; then
    echo "leak in procsig ($f):"; head -60 "$f"; fail=1
  else
    # A leak report of another program: say whose, and go on.
    # (a report naming no file: grep finds nothing, which is no failure here)
    echo "foreign leak report $f: $( (grep -o '(/[^ +)]*' "$f" || true) | sort | uniq -c | sort -rn | head -1 | tr -s ' ')"
  fi
done
[ "$fail" -eq 0 ] || exit 1
echo "sanitizers: clean"
