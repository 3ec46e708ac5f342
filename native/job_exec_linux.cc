// procsig-job-exec: the exec helper behind Job#spawn on the cgroup2 backend (Linux).
//
//   procsig-job-exec [--pdeathsig <signal> <parent pid>] <cgroup.procs path | -> <file> <argv0> [args...]
//
// Node's child_process forks and execs this program; it moves itself into the job's cgroup by
// writing "0" (= the writer) to the group's cgroup.procs, and only then execvp()s the command.
// The command therefore starts inside the group: nothing it runs, forks or double-forks can ever
// be outside it, and the pid Node reports is the command's own pid (exec keeps it).
//
// It never runs the command outside the group: when joining fails it exits 125 without exec'ing.
// When exec fails it exits 127, like a shell. Both print one line on stderr.
//
// `--pdeathsig`: before anything else, PR_SET_PDEATHSIG(<signal>) — the kernel sends it when the
// parent *thread* exits (Node spawns from the thread running the event loop: the main thread, or
// a worker's own thread) — then getppid() is checked against <parent pid>: a parent that died
// before the prctl would never send it, so the command is then not run (exit 125), as bubblewrap
// and Bun do. The setting survives the exec (not for set-user-ID programs). `-` instead of the
// cgroup.procs path: join nothing (the ProcessHandle.spawn and 'tree' job case).
//
// The same binary is the kill-on-close watchdog: `procsig-job-exec --watchdog <pid>` (see
// job_watchdog_linux.cc), so that only one helper ships.
//
// It is a plain C-style program (no libstdc++ use) so it starts in well under a millisecond.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace procsig {
int WatchdogMain(int argc, char** argv);
}  // namespace procsig

namespace {

constexpr int kJoinFailed = 125;
constexpr int kExecFailed = 127;

int Join(const char* procs_path) {
  int fd;
  do {
    fd = open(procs_path, O_WRONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  ssize_t n;
  do {
    n = write(fd, "0\n", 2);
  } while (n < 0 && errno == EINTR);
  const int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "--watchdog") == 0) return procsig::WatchdogMain(argc, argv);
  int first = 1;
  if (argc >= 4 && strcmp(argv[1], "--pdeathsig") == 0) {
    const int sig = atoi(argv[2]);
    const long parent = strtol(argv[3], nullptr, 10);
    first = 4;
    if (sig <= 0 || sig >= NSIG || parent <= 0 || prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0) {
      fprintf(stderr, "procsig-job-exec: cannot set the parent-death signal %s\n", argv[2]);
      return kJoinFailed;
    }
    // The parent died before the prctl: the signal will never come, so do not run the command.
    if (getppid() != static_cast<pid_t>(parent)) return kJoinFailed;
  }
  if (argc - first < 3) {
    fprintf(stderr, "usage: procsig-job-exec [--pdeathsig <sig> <ppid>] <cgroup.procs | -> <file> <argv0> [args...]\n");
    return 2;
  }
  const char* procs = argv[first];
  if (strcmp(procs, "-") != 0) {
    const int err = Join(procs);
    if (err != 0) {
      fprintf(stderr, "procsig-job-exec: cannot join %s: %s\n", procs, strerror(err));
      return kJoinFailed;
    }
  }
  execvp(argv[first + 1], argv + first + 2);
  const int exec_err = errno;
  fprintf(stderr, "procsig-job-exec: %s: %s\n", argv[first + 1], strerror(exec_err));
  return kExecFailed;
}
