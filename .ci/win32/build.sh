#!/usr/bin/env bash
# npm run build:win32 — cross-compile native/ for win32-x64 with mingw-w64 into
# prebuilds/win32-x64/procsig.node, the name prebuildify --napi gives it and node-gyp-build
# picks under Windows Node.
#
# The sources are CMakeLists.txt's WIN32 list (the same as binding.gyp's OS=='win' branch),
# compiled with .ci/win32/mingw-w64.cmake. Node-API headers come from node-api-headers. No import
# library: native/win32_napi_imports.cc (added by CMakeLists.txt for MinGW) resolves Node-API in
# the host process at load, so the binary imports nothing from node.exe and loads in any host
# (see docs/api/windows.md). The shipped Windows prebuilds are made by scripts/prebuild-all.sh
# (zig) from the same sources.
#
# Environment: PROCSIG_WIN32_BUILD_DIR (default build-win32/), PROCSIG_WIN32_OUT (default
# prebuilds/win32-x64/procsig.node).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${PROCSIG_WIN32_BUILD_DIR:-$ROOT/build-win32}
OUT=${PROCSIG_WIN32_OUT:-$ROOT/prebuilds/win32-x64/procsig.node}

for tool in x86_64-w64-mingw32-g++-posix cmake; do
  if ! command -v "$tool" >/dev/null; then
    echo "build:win32: $tool not found (apt-get install g++-mingw-w64-x86-64 cmake)" >&2
    exit 1
  fi
done

cd "$ROOT"
INCLUDE=$(node -p "require('node-api-headers').include_dir")
mkdir -p "$BUILD" "$(dirname "$OUT")"

GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)
cmake -S "$ROOT" -B "$BUILD" "${GENERATOR[@]}" \
  -DCMAKE_TOOLCHAIN_FILE="$ROOT/.ci/win32/mingw-w64.cmake" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_JS_INC="$INCLUDE" \
  -DCMAKE_JS_LIB="" \
  -DCMAKE_JS_SRC="" \
  >"$BUILD/configure.log" || { cat "$BUILD/configure.log" >&2; exit 1; }
cmake --build "$BUILD" --parallel "$(nproc)"

x86_64-w64-mingw32-strip --strip-unneeded -o "$OUT" "$BUILD/procsig.node"
# Show what the binary imports: system DLLs only (not node.exe, nothing from mingw).
echo "build:win32: $OUT ($(stat -c %s "$OUT") bytes), imports:" \
  $(x86_64-w64-mingw32-objdump -p "$OUT" | sed -n 's/^\s*DLL Name: //p' | sort -u)
