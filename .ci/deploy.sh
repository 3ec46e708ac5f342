#!/usr/bin/env bash
# The deployment lanes of issue 13, in parallel (each is a whole-suite run that mostly waits on
# processes): pidfds refused by seccomp (ENOSYS, then EPERM, one after the other, each in a PID
# namespace of its own: both recycle pids through ns_last_pid, which in the host's namespace
# handed the recycled pids to the other lanes' forks), hidepid=2 as uid 65534 (no root: no pid
# recycling), a fresh PID namespace with the runner as PID 1 (its own ns_last_pid). Each lane's output goes to
# build/deploy-<lane>.log and is summarised when it ends; the lane fails if any of them failed.
# DEPLOY_LANES narrows the list (e.g. "seccomp-EPERM pidns").
# docs/reliability.md ("Deployments") is the table these lanes keep true.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
# Every lane makes namespaces (PID, mount) and mounts /proc: that needs root. Where it is refused,
# say so and run none, as the suite's own root-only tests skip with their reason.
if ! why=$(unshare --pid --fork --mount-proc true 2>&1); then
  echo "SKIP deployments: unshare --pid --mount-proc is refused here (uid $(id -u)): ${why:-no message}"
  exit 0
fi
lanes=(${DEPLOY_LANES:-seccomp hidepid pidns})
# The launcher is built once, before the lanes start.
if [[ " ${lanes[*]} " == *" seccomp"* ]]; then
  if [ ! -f /usr/include/seccomp.h ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libseccomp-dev
  fi
fi
declare -A pids
start=$(date +%s)
for lane in "${lanes[@]}"; do
  case "$lane" in
    seccomp) cmd=(bash .ci/deploy-seccomp.sh ENOSYS EPERM) ;;
    seccomp-*) cmd=(bash .ci/deploy-seccomp.sh "${lane#seccomp-}") ;;
    hidepid) cmd=(bash .ci/deploy-hidepid.sh) ;;
    pidns) cmd=(bash .ci/deploy-pidns.sh) ;;
    *) echo "unknown lane $lane"; exit 2 ;;
  esac
  "${cmd[@]}" > "build/deploy-$lane.log" 2>&1 &
  pids[$lane]=$!
done
fail=0
files=$(ls test/*.test.ts | wc -l)
for lane in "${lanes[@]}"; do
  if wait "${pids[$lane]}"; then status=passed; else status=FAILED; fail=1; fi
  # Every run must have reported every test file: a worker vitest could not tear down drops its
  # file from the count without failing the run.
  while read -r n; do
    if [ "$n" != "$files" ]; then status="FAILED (a run reported $n of $files test files)"; fail=1; fi
  done < <(sed 's/\x1b\[[0-9;]*m//g' "build/deploy-$lane.log" | grep -E '^ *Test Files ' | grep -oE '\([0-9]+\)' | tr -d '()')
  echo "---- deployment $lane: $status ($(( $(date +%s) - start ))s)"
  # The summary and any failure; the whole log is in build/.
  grep -E "✗|×|FAIL|Error|Test Files|Tests |skipped:|not in force" "build/deploy-$lane.log" | sed 's/\x1b\[[0-9;]*m//g' | head -60
done
exit "$fail"
