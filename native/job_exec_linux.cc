// procsig-job-exec: the exec helper behind Job#spawn on the cgroup2 backend (Linux).
//
//   procsig-job-exec <cgroup.procs path> <file> <argv0> [args...]
//
// Node's child_process forks and execs this program; it moves itself into the job's cgroup by
// writing "0" (= the writer) to the group's cgroup.procs, and only then execvp()s the command.
// The command therefore starts inside the group: nothing it runs, forks or double-forks can ever
// be outside it, and the pid Node reports is the command's own pid (exec keeps it).
//
// It never runs the command outside the group: when joining fails it exits 125 without exec'ing.
// When exec fails it exits 127, like a shell. Both print one line on stderr.
//
// The same binary is the kill-on-close watchdog: `procsig-job-exec --watchdog <pid>` (see
// job_watchdog_linux.cc), so that only one helper ships.
//
// It is a plain C-style program (no libstdc++ use) so it starts in well under a millisecond.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
  if (argc < 4) {
    fprintf(stderr, "usage: procsig-job-exec <cgroup.procs> <file> <argv0> [args...]\n");
    return 2;
  }
  const int err = Join(argv[1]);
  if (err != 0) {
    fprintf(stderr, "procsig-job-exec: cannot join %s: %s\n", argv[1], strerror(err));
    return kJoinFailed;
  }
  execvp(argv[2], argv + 3);
  const int exec_err = errno;
  fprintf(stderr, "procsig-job-exec: %s: %s\n", argv[2], strerror(exec_err));
  return kExecFailed;
}
