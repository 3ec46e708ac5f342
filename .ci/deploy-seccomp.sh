#!/usr/bin/env bash
# Deployment lane: the whole suite under a seccomp filter that refuses the pidfd system calls
# (pidfd_open, pidfd_send_signal, pidfd_getfd, waitid(P_PIDFD)) with errno $1 (ENOSYS or EPERM;
# default: both, one after the other). procsig probes pidfd_open once and takes its pid +
# start-time path; tests that need pidfds skip with the reason. .ci/deploy/nopidfd.c is the
# launcher (libseccomp).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f /usr/include/seccomp.h ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libseccomp-dev
fi
mkdir -p build
gcc -O2 -Wall -Wextra -Werror -o "build/nopidfd.$$" .ci/deploy/nopidfd.c -lseccomp
# Renamed into place: the ENOSYS and EPERM lanes may build it at the same time.
mv -f "build/nopidfd.$$" build/nopidfd
status=0
for errno in "${@:-ENOSYS EPERM}"; do
  for e in $errno; do
    # The launcher's filter must actually be in force: the addon's probe reports no pidfd.
    build/nopidfd "$e" node -e "
      const native = require('node-gyp-build')(process.cwd());
      const h = native.handleOpen(process.pid);
      const err = Array.isArray(h) ? 0 : h.errno;
      if (native.handleProbe() !== 0 || err === 0 || require('node:util').getSystemErrorName(-err) !== '$e') {
        console.error('seccomp filter not in force: probe', native.handleProbe(), 'open errno', err);
        process.exit(1);
      }"
    echo "== the suite with pidfds refused ($e)"
    # In a PID namespace of its own (sh stays PID 1 and reaps orphans, as an init does): this run
    # recycles pids on purpose through ns_last_pid, and without pidfds a kill is checked through
    # /proc/<pid> just before kill(2), which cannot be atomic for a process someone else reaps.
    # In the host's namespace the next fork of the lanes running beside this one took the
    # recycled pids: twice, while the three lanes ran together, another lane lost a process that
    # nothing there had killed (a vitest worker of the PID-namespace lane; a fixture of the
    # hidepid lane). Here only this run's own processes can be handed a recycled pid.
    unshare --pid --fork --mount-proc -- sh -c 'build/nopidfd "$1" ./node_modules/.bin/vitest run' sh "$e" || status=1
  done
done
exit "$status"
