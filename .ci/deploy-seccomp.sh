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
    build/nopidfd "$e" ./node_modules/.bin/vitest run || status=1
  done
done
exit "$status"
