// nopidfd ENOSYS|EPERM command [args...]: runs command under a seccomp filter that refuses the
// pidfd system calls with the given errno, as container runtimes did (Docker's default profile
// answered pidfd_open with EPERM for years; Android's still does), then execs the command.
// Refused: pidfd_open, pidfd_send_signal, pidfd_getfd, and waitid(P_PIDFD, ...). The filter is
// inherited by every process the command starts. Built by .ci/deploy-seccomp.sh (libseccomp).
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int main(int argc, char** argv) {
  if (argc < 3 || (strcmp(argv[1], "ENOSYS") != 0 && strcmp(argv[1], "EPERM") != 0)) {
    fprintf(stderr, "usage: %s ENOSYS|EPERM command [args...]\n", argv[0]);
    return 2;
  }
  const int err = strcmp(argv[1], "EPERM") == 0 ? EPERM : ENOSYS;
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == NULL) {
    fprintf(stderr, "nopidfd: seccomp_init failed\n");
    return 1;
  }
  int rc = 0;
  rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), SCMP_SYS(pidfd_open), 0);
  rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), SCMP_SYS(pidfd_send_signal), 0);
  rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), SCMP_SYS(pidfd_getfd), 0);
  rc = rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), SCMP_SYS(waitid), 1, SCMP_A0(SCMP_CMP_EQ, P_PIDFD));
  if (rc != 0 || (rc = seccomp_load(ctx)) != 0) {
    fprintf(stderr, "nopidfd: cannot install the filter: %s\n", strerror(-rc));
    return 1;
  }
  seccomp_release(ctx);
  execvp(argv[2], argv + 2);
  fprintf(stderr, "nopidfd: cannot run %s: %s\n", argv[2], strerror(errno));
  return 127;
}
