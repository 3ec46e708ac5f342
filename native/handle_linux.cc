// Linux process handles: pidfds (pidfd_open, pidfd_send_signal, waitid(P_PIDFD),
// PIDFD_GET_INFO/PIDFD_INFO_EXIT), /proc start times for the pid + start-time fallback, and exit
// watchers on a pidfd, reported by the env's watcher thread (exit_watch.h).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>

#include "exit_watch.h"
#include "native.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace procsig {

namespace {

// Debian 12's kernel headers (6.1) predate PIDFD_GET_INFO (6.13) and PIDFD_INFO_EXIT (6.15), so
// the first 64 bytes of the kernel's struct pidfd_info (PIDFD_INFO_SIZE_VER0) are defined here.
// The ioctl number encodes this size; newer kernels accept the smaller, older struct.
struct PidfdInfo {
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid;
  uint32_t tgid;
  uint32_t ppid;
  uint32_t ruid;
  uint32_t rgid;
  uint32_t euid;
  uint32_t egid;
  uint32_t suid;
  uint32_t sgid;
  uint32_t fsuid;
  uint32_t fsgid;
  int32_t exit_code;
};
static_assert(sizeof(PidfdInfo) == 64, "PIDFD_INFO_SIZE_VER0 is 64 bytes");

constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);
constexpr uint64_t kPidfdInfoPid = 1ull << 0;
constexpr uint64_t kPidfdInfoExit = 1ull << 3;

int PidfdOpen(int pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int PidfdSendSignal(int fd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0));
}

// One-time probe (Go's checkPidfd): pidfd_open may be missing (kernel < 5.3) or refused by a
// seccomp filter (ENOSYS or EPERM); each feature lib/ reads is checked on our own pid.
int ProbeOnce() {
  int bits = 0;
  // pidfd_send_signal(2) takes a /proc/<pid> directory fd too (Linux >= 5.1): the atomic signal
  // of the handles opened without pidfd_open. A seccomp profile that denies pidfd_open usually
  // denies this as well; when it does not, the check-then-kill window is gone.
  char self[32];
  snprintf(self, sizeof self, "/proc/%d", static_cast<int>(getpid()));
  int dfd = open(self, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    if (PidfdSendSignal(dfd, 0) == 0) bits |= kHandleProcSignal;
    close(dfd);
  }
  int fd = PidfdOpen(getpid());
  if (fd < 0) return bits;
  bits |= kHandleFd | kHandleWatchFd;
  if (PidfdSendSignal(fd, 0) == 0) bits |= kHandleSignal;
  close(fd);
  return bits;
}

int Probe() {
  static std::once_flag once;
  static int bits = 0;
  std::call_once(once, [] { bits = ProbeOnce(); });
  return bits;
}

// starttime (field 22 of /proc/<pid>/stat, clock ticks after boot) out of a stat file read
// through `dirfd` (AT_FDCWD with a full path), as a decimal string: with the pid it identifies a
// process (a recycled pid gets a later start time). -1 with errno set when the read failed, 0
// when the file was empty or unreadable (the process exited meanwhile), 1 on success.
int ReadStartTime(int dirfd, const char* path, char* out, size_t len) {
  char buf[1024];
  const ssize_t n = ReadProcFile(dirfd, path, buf, sizeof buf);
  if (n < 0) return -1;
  ProcStat row;
  if (n == 0 || !ParseProcStat(buf, &row)) return 0;
  return snprintf(out, len, "%.0f", row.start) < static_cast<int>(len) ? 1 : 0;
}

// The start time of `pid`, read by path.
bool ReadStartTime(int pid, char* out, size_t len) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  return ReadStartTime(AT_FDCWD, path, out, len) > 0;
}

// The identity of a process where pidfds are refused (seccomp, kernel < 5.3): an open
// /proc/<pid> directory. It pins the kernel's struct pid, not the number: once that process is
// reaped every lookup through it fails (ESRCH/ENOENT) even after the pid is handed out again,
// which a pid + start time (10 ms ticks) cannot tell. Returns the fd, or -1 with *err set:
// ESRCH (no such process), EINVAL (a thread id: /proc/<tid> opens too, but it is no process).
int OpenProcDir(int pid, char* start, size_t len, int* err) {
  char path[32];
  snprintf(path, sizeof path, "/proc/%d", pid);
  int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    *err = errno;
    // ENOENT is "gone" only when kill(2) agrees: /proc mounted hidepid=1/2 hides other users'
    // processes, and a hidden process must not be reported as no process (EACCES: cannot see).
    if (*err == ENOENT) *err = (kill(pid, 0) == 0 || errno != ESRCH) ? EACCES : ESRCH;
    return -1;
  }
  // Read through the dirfd: the start time and the thread-group id belong to the process it
  // pins, whatever the pid names by now.
  const int got = ReadStartTime(dfd, "stat", start, len);
  if (got <= 0) {
    *err = (got < 0 && errno != ENOENT) ? errno : ESRCH;
    close(dfd);
    return -1;
  }
  char buf[2048];
  long tgid = -1;
  if (ReadProcFile(dfd, "status", buf, sizeof buf) > 0) {
    const char* t = strstr(buf, "\nTgid:");
    if (t != nullptr) tgid = strtol(t + 7, nullptr, 10);
  }
  if (tgid != pid) {
    *err = tgid < 0 ? ESRCH : EINVAL;
    close(dfd);
    return -1;
  }
  *err = 0;
  return dfd;
}

bool IsDirFd(int fd) {
  struct stat st;
  return StatAt(fd, "", &st, AT_EMPTY_PATH) == 0 && S_ISDIR(st.st_mode);
}

// [state, raw, kind, value, core], state a HandleState (never a failure: those are Failure()).
Napi::Array QueryResult(Napi::Env env, int state, int raw) {
  int kind = kKindNone, value = 0, core = 0;
  if (state == kHandleExitedKnown) {
    if (WIFEXITED(raw)) {
      kind = kKindExited;
      value = WEXITSTATUS(raw);
    } else if (WIFSIGNALED(raw)) {
      kind = kKindSignaled;
      value = WTERMSIG(raw);
      core = WCOREDUMP(raw) ? 1 : 0;
    } else {
      state = kHandleExitedUnknown;
    }
  }
  Napi::Array a = Napi::Array::New(env, 5);
  a.Set(0u, Napi::Number::New(env, state));
  a.Set(1u, Napi::Number::New(env, raw));
  a.Set(2u, Napi::Number::New(env, kind));
  a.Set(3u, Napi::Number::New(env, value));
  a.Set(4u, Napi::Number::New(env, core));
  return a;
}

// waitid(P_PIDFD, WEXITED | WNOWAIT | WNOHANG): a child's exit status, read without reaping it
// (its owner, libuv for child_process, still reaps it and emits 'exit'). 0 with si_pid != 0 when
// there is one; else -1 and errno (ECHILD: not our child or already reaped; EAGAIN: the fd is
// O_NONBLOCK and nothing is waitable; EPERM/ENOSYS/EINVAL: seccomp or a kernel < 5.4).
int PeekPidfd(int fd, siginfo_t* si) {
  memset(si, 0, sizeof *si);
  int rc;
  do {
    rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), si, WEXITED | WNOWAIT | WNOHANG);
  } while (rc < 0 && errno == EINTR);
  return rc;
}

// waitid(2) fills a siginfo; rebuild the wait(2) status word from it.
int RawFromSiginfo(const siginfo_t& si) {
  if (si.si_code == CLD_EXITED) return (si.si_status & 0xff) << 8;
  return (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
}

// Whether the process a pidfd refers to has not been reaped yet (a zombie still holds its pid):
// signal 0 through the pidfd, or PIDFD_GET_INFO (ESRCH once reaped), whichever is allowed.
bool NotReaped(int fd) {
  if (PidfdSendSignal(fd, 0) == 0) return true;
  if (errno == ESRCH) return false;
  PidfdInfo pi;
  memset(&pi, 0, sizeof pi);
  pi.mask = kPidfdInfoPid;
  return ioctl(fd, kPidfdGetInfo, &pi) == 0;
}

// handleQuery on a /proc/<pid> dirfd: reaped (the lookup fails) or a zombie is an exit; a
// zombie child's status is peeked with waitid(P_PID, WNOWAIT) — the zombie still holds the pid,
// and only this thread reaps procsig's own children, so the pid is its.
Napi::Value QueryProcDir(Napi::Env env, int dfd, int pid, bool peek_child) {
  char buf[1024];
  const ssize_t n = ReadProcFile(dfd, "stat", buf, sizeof buf);
  // ESRCH/ENOENT: reaped. Anything else (an empty read included) is an error, never an exit.
  if (n < 0 && (errno == ESRCH || errno == ENOENT)) return QueryResult(env, kHandleExitedUnknown, 0);
  if (n <= 0) return Failure(env, n < 0 ? errno : EIO, "read");
  ProcStat row;
  const char state = ParseProcStat(buf, &row) ? row.state : '?';
  if (state != 'Z' && state != 'X') return QueryResult(env, kHandleRunning, 0);
  if (peek_child) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int rc;
    do {
      rc = waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOWAIT | WNOHANG);
    } while (rc < 0 && errno == EINTR);
    // Our child whose leader is a zombie while other threads still exit: not waitable yet.
    if (rc == 0 && si.si_pid == 0) return QueryResult(env, kHandleRunning, 0);
    if (rc == 0) return QueryResult(env, kHandleExitedKnown, RawFromSiginfo(si));
  }
  return QueryResult(env, kHandleExitedUnknown, 0);
}

}  // namespace

Napi::Value HandleProbe(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Probe());
}

Napi::Value HandleOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const int pid = info[0].As<Napi::Number>().Int32Value();
  char start[32] = "";
  int fd = -1;
  if (FlagArg(info[1])) {
    int err = ESRCH;
    fd = pid > 0 ? OpenProcDir(pid, start, sizeof start, &err) : -1;
    if (fd < 0) return Failure(env, err, "open");
  } else {
    // pidfd_open(2) sets O_CLOEXEC itself. ESRCH: no such process (a zombie still has a pid
    // and opens fine); EINVAL: pid is a thread, not a thread-group leader.
    fd = PidfdOpen(pid);
    if (fd < 0) {
      // Newer kernels (seen on 6.18) answer ENOENT for a thread that is not a thread-group
      // leader where older ones said EINVAL: one code for a thread id on every kernel (and
      // without pidfds).
      return Failure(env, errno == ENOENT ? EINVAL : errno, "pidfd_open");
    }
    // Read after the open: if the pid had been recycled in between, the start time is the
    // newcomer's, consistent with what the pidfd refers to.
    if (!ReadStartTime(pid, start, sizeof start)) start[0] = '\0';
  }
  exitwatch::TrackFd(env, fd);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, fd));
  out.Set(1u, Napi::String::New(env, start));
  return out;
}

Napi::Value HandleSignal(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 2)) return info.Env().Undefined();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const int sig = info[1].As<Napi::Number>().Int32Value();
  const int pid = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
  if (pid > 0) {
    // fd is the /proc/<pid> directory of the process (no pidfd_send_signal here): a lookup
    // through it fails once that process has been reaped, whatever the pid names now, so it is
    // checked right before kill(2). What remains is the few microseconds between the two calls:
    // the process would have to exit, be reaped and its pid be handed out again in between.
    struct stat st;
    if (StatAt(fd, "stat", &st, 0) != 0) {
      const int e = errno;
      return Failure(info.Env(), e == ENOENT ? ESRCH : e, "kill");
    }
    if (kill(pid, sig) == 0) return info.Env().Undefined();
    return Failure(info.Env(), errno, "kill");
  }
  // ESRCH once the process has been reaped: the pidfd (or /proc/<pid> dirfd) pins the process,
  // never its pid number, so a recycled pid is never hit.
  if (PidfdSendSignal(fd, sig) == 0) return info.Env().Undefined();
  return Failure(info.Env(), errno, "pidfd_send_signal");
}

Napi::Value HandleQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const bool peek_child = FlagArg(info[1]);
  const int pid = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
  if (pid > 0 && IsDirFd(fd)) return QueryProcDir(env, fd, pid, peek_child);
  struct pollfd p;
  p.fd = fd;
  p.events = POLLIN;
  p.revents = 0;
  int rc;
  do {
    rc = poll(&p, 1, 0);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return Failure(env, errno, "poll");
  if (p.revents & POLLNVAL) return Failure(env, EBADF, "poll");
  // A pidfd turns readable when the process has exited (zombie or reaped).
  if (rc == 0 || !(p.revents & (POLLIN | POLLHUP))) return QueryResult(env, kHandleRunning, 0);

  if (peek_child) {
    siginfo_t si;
    // ECHILD and EAGAIN fall through to PIDFD_GET_INFO.
    rc = PeekPidfd(fd, &si);
    if (rc == 0 && si.si_pid != 0) return QueryResult(env, kHandleExitedKnown, RawFromSiginfo(si));
    // EPERM/ENOSYS (a seccomp filter on waitid's P_PIDFD) or EINVAL (kernel < 5.4): the same
    // peek by pid. The pid is the process's as long as it is not reaped, which is checked after
    // the peek through the pidfd (reaping cannot be undone, so it held then too).
    if (rc < 0 && errno != ECHILD && errno != EAGAIN && pid > 0) {
      memset(&si, 0, sizeof si);
      do {
        rc = waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOWAIT | WNOHANG);
      } while (rc < 0 && errno == EINTR);
      if (rc == 0 && si.si_pid == pid && NotReaped(fd)) {
        return QueryResult(env, kHandleExitedKnown, RawFromSiginfo(si));
      }
    }
  }
  PidfdInfo pi;
  memset(&pi, 0, sizeof pi);
  pi.mask = kPidfdInfoExit;
  // Linux >= 6.15 records the wait status on the pidfd when the process is reaped, whoever reaps
  // it. Older kernels fail (ENOTTY/EINVAL) or answer ESRCH for a reaped task; a zombie not yet
  // reaped has no exit info either. All of these mean "status unknown", never an invented one.
  if (ioctl(fd, kPidfdGetInfo, &pi) == 0 && (pi.mask & kPidfdInfoExit)) {
    return QueryResult(env, kHandleExitedKnown, pi.exit_code);
  }
  return QueryResult(env, kHandleExitedUnknown, 0);
}

Napi::Value HandleClose(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 1)) return info.Env().Undefined();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const int err = fd < 0 ? 0 : exitwatch::CloseFd(info.Env(), fd);
  return err == 0 ? info.Env().Undefined() : Napi::Value(Failure(info.Env(), err, "close"));
}

Napi::Value ProcessStartTime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const int pid = info[0].As<Napi::Number>().Int32Value();
  char start[32];
  errno = 0;
  if (ReadStartTime(pid, start, sizeof start)) return Napi::String::New(env, start);
  // Gone, or there but unreadable (EMFILE, hidden, /proc not mounted): never "gone" for the latter.
  const int why = ProcFailure(pid, errno != 0 ? errno : ENOENT);
  return why == 0 ? env.Null() : Napi::Value(Failure(env, why, "open"));
}

// The watcher thread's peek when a pidfd turns ready (exit_watch.h): handleQuery's first step,
// waitid(P_PIDFD, WNOWAIT), which reads a child's status without reaping it. Anything else (not a
// child, the seccomp or old-kernel fallbacks, PIDFD_GET_INFO) is left to handleQuery on the JS
// thread, as before.
bool exitwatch::PeekExit(int fd, int* raw) {
  siginfo_t si;
  if (PeekPidfd(fd, &si) != 0 || si.si_pid == 0) return false;
  *raw = RawFromSiginfo(si);
  return true;
}

// ...and what the watch's callback gets for it: handleQuery's result for that status.
napi_value exitwatch::ExitValue(napi_env env, int raw) { return QueryResult(Napi::Env(env), kHandleExitedKnown, raw); }

Napi::Value WatchExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!WatchExitArgs(info, "procsig native: watchExit(fd, pid, callback)")) return env.Undefined();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  uint32_t id = 0;
  // Linux watches the handle's pidfd; without one there is nothing to poll (ENOSYS, and the TS
  // layer falls back to backoff polling).
  const int err = fd < 0 ? ENOSYS : exitwatch::Start(env, fd, -1, info[2], &id);
  return err == 0 ? Napi::Number::New(env, id) : Napi::Value(Failure(env, err, "epoll_ctl"));
}

Napi::Value WatchCancel(const Napi::CallbackInfo& info) { return exitwatch::CancelExport(info); }

Napi::Value WatchCount(const Napi::CallbackInfo& info) { return exitwatch::CountExport(info); }

}  // namespace procsig
