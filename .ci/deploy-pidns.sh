#!/usr/bin/env bash
# Deployment lane: the whole suite in a fresh PID namespace, with the test runner as PID 1 (as in
# a container without an init): orphans are reparented to the runner, which does not reap them,
# and the runner's process group is 1.
set -euo pipefail
cd "$(dirname "$0")/.."
exec unshare --pid --fork --mount-proc -- sh -c '
  [ "$$" = 1 ] || { echo "not PID 1 ($$)"; exit 1; }
  exec ./node_modules/.bin/vitest run
'
