#!/usr/bin/env bash
# Deployment lane: the suite's unprivileged parts as uid 65534 (nobody), with /proc mounted
# hidepid=2 in a mount namespace of its own: other users' processes are invisible. Tests that need
# root, or a /proc that lists every process, skip with the reason; the rest must pass.
# The checkout is copied to a temporary directory owned by uid 65534 (a clone may be 0700).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/procsig-hidepid.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
# The other lanes run beside this one and write their caches meanwhile: tar's exit status 1 ("file
# changed as we read it") is not a failure of the copy.
{ tar --exclude=./.git --exclude=./build-asan --exclude=./build-valgrind --exclude=./build-cmake --exclude=./node_modules/.vite \
    --exclude=./node_modules/.vitest --warning=no-file-changed -cf - . || [ $? -eq 1 ]; } | tar -C "$work" -xf -
# A node_modules that is a symlink (a worktree sharing another's) is copied for real: uid 65534
# must be able to write vitest's cache into it.
if [ -L node_modules ]; then
  rm "$work/node_modules"
  cp -a "$(readlink -f node_modules)" "$work/node_modules"
fi
mkdir -p "$work/home"
chown -R 65534:65534 "$work"
cd "$work"
unshare --mount --propagation private -- sh -c '
  mount -t proc -o hidepid=2 proc /proc
  grep -q "hidepid=\(2\|invisible\)" /proc/self/mountinfo || { echo "hidepid=2 not in force"; exit 1; }
  exec setpriv --reuid=65534 --regid=65534 --clear-groups -- env HOME="$PWD/home" ./node_modules/.bin/vitest run
'
