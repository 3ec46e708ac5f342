#!/usr/bin/env bash
# The suite as a new user runs it, on a busy machine (issue 14):
#  1. `git clone` of this checkout into a private directory (`mktemp -d`: mode 0700, like a home
#     directory), then `npm ci` there. Tests that run code as another uid must cope with that.
#  2. Two CPU hogs (`node -e 'for(;;);'`, started here and killed by their pid) keep both cores
#     busy while the suite runs twice: `npm test` (pidfds), then PROCSIG_NO_PIDFD=1 (the pid +
#     start-time fallback). No failure is allowed in either.
#  3. .ci/leftovers.sh: no test process or fixture of the clone may still be alive afterwards.
# The clone is removed at the end (kept, with its path printed, when something failed).
# FRESH_CLONE_NO_PIDFD=0 skips the second suite run (to repeat the first one quickly by hand).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/errtrap.sh"
cd "$(dirname "$0")/.."
src=$(pwd -P)
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then
  export npm_config_nodedir=/usr
fi
t0=$SECONDS
step() { printf 'fresh-clone: %s (+%ss)\n' "$*" "$((SECONDS - t0))"; }

tmp=$(mktemp -d)
chmod 0700 "$tmp"
clone=$tmp/procsig
hogs=()
ok=0
finish() {
  local pid
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$ok" = 1 ]; then rm -rf "$tmp"; else echo "fresh-clone: failed; the clone is kept in $clone" >&2; fi
}
trap finish EXIT

step "git clone into $tmp (mode $(stat -c %a "$tmp"))"
git clone -q "$src" "$clone"
cd "$clone"
step "npm ci"
npm ci --no-audit --no-fund --loglevel=error

step "two CPU hogs"
for _ in 1 2; do
  (cd / && exec node -e 'for(;;);') &
  hogs+=("$!")
done
echo "fresh-clone: hogs ${hogs[*]}"

status=0
step "npm test (0700 clone, as $(id -un), both cores busy)"
s=$SECONDS
npm test || status=1
echo "fresh-clone: npm test took $((SECONDS - s)) s"
if [ "${FRESH_CLONE_NO_PIDFD:-1}" = 1 ]; then
  step "PROCSIG_NO_PIDFD=1 vitest run (the pid + start-time fallback, both cores busy)"
  s=$SECONDS
  PROCSIG_NO_PIDFD=1 npx vitest run || status=1
  echo "fresh-clone: PROCSIG_NO_PIDFD=1 suite took $((SECONDS - s)) s"
fi

for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null || true; done
hogs=()

step "leftover processes of the clone"
cd /
LEFTOVER_ROOT=$clone bash "$src/.ci/leftovers.sh" || status=1

[ "$status" = 0 ] && ok=1
step "done (status $status)"
exit "$status"
