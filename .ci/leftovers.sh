#!/usr/bin/env bash
# Fails when any process of a checkout is still alive after its test suite: a test process, a
# fixture, or anything they started (a `sleep` spawned by a shell fixture has no path in its
# command line, but inherits npm's environment and the checkout as its directory).
#
#   LEFTOVER_ROOT=/path/to/checkout bash .ci/leftovers.sh
#
# The path comes through the environment, not argv, so this script's own command line never
# matches. A process counts when its command line names the checkout (or its test/fixtures), its
# working directory is inside it, or its environment has npm_package_json=<checkout>/package.json.
# Zombies are skipped (already dead, waiting for their parent). Matches are reported (pid and
# command line) and only then SIGKILLed, by pid, each one re-checked right before; exit 1.
set -euo pipefail
root=${LEFTOVER_ROOT:?set LEFTOVER_ROOT to the checkout}
root=$(cd "$root" && pwd -P)
cd / # (this script's own directory must not match)

# This script and its ancestors are never candidates.
declare -A mine=()
p=$$
while [ "${p:-0}" -gt 1 ]; do
  mine[$p]=1
  s=$(cat "/proc/$p/stat" 2>/dev/null) || break
  read -ra f <<<"${s##*) }"
  p=${f[1]}
done

# Prints "pid<TAB>start time<TAB>command line" for every live process of the checkout.
scan() {
  local d pid stat state start cmd cwd hit f
  mine[$BASHPID]=1 # the $(scan) subshell
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [ -n "${mine[$pid]:-}" ] && continue
    stat=$(cat "$d/stat" 2>/dev/null) || continue
    read -ra f <<<"${stat##*) }"
    state=${f[0]} start=${f[19]}
    if [ "$state" = Z ] || [ "$state" = X ]; then continue; fi
    cmd=$( { tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null) || continue
    [ -z "$cmd" ] && continue # kernel threads
    hit=
    case "$cmd" in *"$root/"* | *"$root "*) hit=1 ;; esac
    if [ -z "$hit" ]; then
      cwd=$(readlink "$d/cwd" 2>/dev/null || true)
      case "$cwd" in "$root" | "$root/"*) hit=1 ;; esac
    fi
    if [ -z "$hit" ] && { tr '\0' '\n' <"$d/environ" | grep -qxF "npm_package_json=$root/package.json"; } 2>/dev/null; then
      hit=1
    fi
    [ -n "$hit" ] && printf '%s\t%s\t%s\n' "$pid" "$start" "$cmd"
  done
  return 0
}

found=$(scan)
if [ -n "$found" ]; then
  # A process SIGKILLed at the very end of the suite may still be on its way out.
  sleep 2
  found=$(scan)
fi
if [ -z "$found" ]; then
  echo "leftovers: no process of $root is alive"
  exit 0
fi

echo "leftovers: processes of $root still alive after the suite:" >&2
while IFS=$'\t' read -r pid start cmd; do
  printf '  pid %s: %s\n' "$pid" "$cmd" >&2
done <<<"$found"
while IFS=$'\t' read -r pid start cmd; do
  # Still the same process (same start time)? Then SIGKILL it, by pid.
  now=
  if s=$(cat "/proc/$pid/stat" 2>/dev/null); then
    read -ra f <<<"${s##*) }"
    now=${f[19]}
  fi
  if [ "$now" = "$start" ]; then
    kill -KILL "$pid" 2>/dev/null && echo "  killed $pid" >&2 || true
  fi
done <<<"$found"
exit 1
