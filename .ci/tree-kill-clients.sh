#!/usr/bin/env bash
# A real tree-kill client's own tests with procsig/tree-kill swapped in (issue 18).
#
# concurrently 9.2.1's end-to-end file, bin/concurrently.spec.ts (it builds concurrently with
# esbuild and runs it on real commands: --kill-others, --kill-others-on-fail, SIGINT, --restart,
# ...), run twice from concurrently's own lockfile: once as published, with tree-kill 1.2.2, and
# once with its tree-kill replaced by a shim over procsig packed from this checkout (`npm pack`,
# installed as a consumer installs it). Both runs must pass, and the shim must have been called.
#
# concurrently's sources come from a local git mirror — CONCURRENTLY_GIT_DIR, default
# /work/.mirror/open-cli-tools+concurrently/repo — never from this repository; without one this
# prints a SKIP line and exits 0. Needs npm access (pnpm 10.15.0, pinned by concurrently, and its
# dependencies) and a C++ toolchain (the packed procsig compiles its addon on install).
#
#   bash .ci/tree-kill-clients.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/errtrap.sh"
cd "$(dirname "$0")/.."
repo=$PWD
mirror=${CONCURRENTLY_GIT_DIR:-/work/.mirror/open-cli-tools+concurrently/repo}
tag=v9.2.1
pnpm_version=10.15.0

if ! git --git-dir="$mirror" rev-parse -q --verify "$tag^{commit}" >/dev/null 2>&1; then
  echo "SKIP tree-kill clients: no concurrently mirror with $tag at $mirror (set CONCURRENTLY_GIT_DIR to a clone's .git directory)"
  exit 0
fi
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then
  export npm_config_nodedir=/usr
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/procsig-tk-clients.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "tree-kill clients: working in $work"

# 1. procsig as a consumer gets it: packed, then installed from the tarball (builds the addon).
npm pack --silent --pack-destination "$work" >/dev/null
tarball=$(ls "$work"/procsig-*.tgz)
mkdir "$work/consumer"
(cd "$work/consumer" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "$tarball")
target="$work/consumer/node_modules/procsig/dist/tree-kill.js"
test -f "$target"
node -e "const t = require(process.argv[1]); if (typeof t !== 'function') process.exit(1)" "$target"

# 2. concurrently at the tag, with its own lockfile.
mkdir "$work/concurrently"
git --git-dir="$mirror" archive "$tag" | tar -x -C "$work/concurrently"
cd "$work/concurrently"
# --ignore-scripts: concurrently's `prepare` runs husky (git hooks); esbuild works from its
# platform package without its postinstall check.
npx --yes "pnpm@$pnpm_version" install --frozen-lockfile --ignore-scripts --reporter=silent

spec() {
  # concurrently's own test command, narrowed to the end-to-end file.
  ./node_modules/.bin/vitest run --project unit bin/concurrently.spec.ts
}

echo
echo "==== concurrently $tag: bin/concurrently.spec.ts with tree-kill 1.2.2"
spec

# 3. The shim. The spec bundles concurrently with esbuild, which inlines every require it can
# resolve: the target is required through a variable, so the bundle loads procsig from where it
# is installed at run time (its addon is found relative to its own files). Each call is logged.
rm -rf node_modules/tree-kill
mkdir node_modules/tree-kill
cat > node_modules/tree-kill/package.json <<'EOF'
{ "name": "tree-kill", "version": "1.2.2", "main": "index.js" }
EOF
cat > node_modules/tree-kill/index.js <<EOF
'use strict';
// procsig drop-in shim (.ci/tree-kill-clients.sh): tree-kill replaced by procsig/tree-kill.
const target = $(node -e 'console.log(JSON.stringify(process.argv[1]))' "$target");
const load = require;
const treeKill = load(target);
const log = $(node -e 'console.log(JSON.stringify(process.argv[1]))' "$work/shim-calls.log");
module.exports = function (pid, signal, callback) {
  load('fs').appendFileSync(log, JSON.stringify([pid, typeof signal === 'function' ? null : signal]) + '\n');
  return treeKill.apply(this, arguments);
};
EOF
: > "$work/shim-calls.log"

echo
echo "==== concurrently $tag: bin/concurrently.spec.ts with procsig/tree-kill (packed from $repo)"
spec
calls=$(wc -l < "$work/shim-calls.log")
echo "procsig/tree-kill was called $calls times by concurrently during the spec"
if [ "$calls" -eq 0 ]; then
  echo "FAIL: the shim was never called: the spec did not exercise procsig/tree-kill" >&2
  exit 1
fi
echo "OK tree-kill clients: concurrently $tag's end-to-end spec passes with tree-kill 1.2.2 and with procsig/tree-kill"
