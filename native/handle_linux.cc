// Linux process handles: pidfds (pidfd_open, pidfd_send_signal, waitid(P_PIDFD),
// PIDFD_GET_INFO/PIDFD_INFO_EXIT), /proc start times for the pid + start-time fallback, and exit
// watchers on a pidfd polled by libuv (handle_uvpoll.h).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>

#include "handle_uvpoll.h"
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

bool KernelAtLeast(int major, int minor) {
  struct utsname u;
  if (uname(&u) != 0) return false;
  char* end = nullptr;
  long maj = strtol(u.release, &end, 10);
  long min = (end != nullptr && *end == '.') ? strtol(end + 1, nullptr, 10) : 0;
  return maj > major || (maj == major && min >= minor);
}

// One-time probe (Go's checkPidfd): pidfd_open may be missing (kernel < 5.3) or refused by a
// seccomp filter (ENOSYS or EPERM); each later feature is checked on our own pid.
int ProbeOnce() {
  int bits = 0;
  int fd = PidfdOpen(getpid());
  if (fd < 0) return 0;
  bits |= kHandleFd | kHandleWatchFd;
  if (PidfdSendSignal(fd, 0) == 0) bits |= kHandleSignal;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  // We are not our own child: a kernel that knows P_PIDFD (5.4+) answers ECHILD; older ones
  // reject the id type with EINVAL.
  if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &si, WEXITED | WNOHANG) == 0 ||
      errno == ECHILD) {
    bits |= kHandleChildPeek;
  }
  PidfdInfo info;
  memset(&info, 0, sizeof info);
  info.mask = kPidfdInfoPid;
  // ENOTTY (before 6.13) or EINVAL: no PIDFD_GET_INFO. The exit bit is only ever set for a
  // reaped process, so its support is inferred from the release (6.15) on top of a working ioctl;
  // a kernel that lacks it simply never sets the bit and the status stays unknown.
  if (ioctl(fd, kPidfdGetInfo, &info) == 0) {
    bits |= kHandleGetInfo;
    if (KernelAtLeast(6, 15)) bits |= kHandleExitInfo;
  }
  close(fd);
  return bits;
}

int Probe() {
  static std::once_flag once;
  static int bits = 0;
  std::call_once(once, [] { bits = ProbeOnce(); });
  return bits;
}

// starttime (field 22 of /proc/<pid>/stat, clock ticks after boot) identifies a process
// together with its pid: a recycled pid gets a later start time. Returns 0, or the errno of the
// failed open/read (ENOENT when the line could not be parsed).
int ReadStartTime(int pid, char* out, size_t len) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[1024];
  ssize_t n;
  do {
    n = read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  const int read_err = n < 0 ? errno : 0;
  close(fd);
  if (n < 0) return read_err;
  if (n == 0) return ENOENT;
  buf[n] = '\0';
  // comm may contain spaces and parentheses: fields are counted from the last ')'.
  char* p = strrchr(buf, ')');
  if (p == nullptr) return ENOENT;
  p++;
  for (int field = 3; field <= 22; field++) {
    while (*p == ' ') p++;
    if (*p == '\0') return ENOENT;
    char* start = p;
    while (*p != ' ' && *p != '\0') p++;
    if (field == 22) {
      size_t l = static_cast<size_t>(p - start);
      if (l == 0 || l >= len) return ENOENT;
      memcpy(out, start, l);
      out[l] = '\0';
      return 0;
    }
  }
  return ENOENT;
}

// [state, errno, raw, kind, value, core]
Napi::Array QueryResult(Napi::Env env, int state, int err, int raw) {
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
  Napi::Array a = Napi::Array::New(env, 6);
  a.Set(0u, Napi::Number::New(env, state));
  a.Set(1u, Napi::Number::New(env, err));
  a.Set(2u, Napi::Number::New(env, raw));
  a.Set(3u, Napi::Number::New(env, kind));
  a.Set(4u, Napi::Number::New(env, value));
  a.Set(5u, Napi::Number::New(env, core));
  return a;
}

// waitid(2) fills a siginfo; rebuild the wait(2) status word from it.
int RawFromSiginfo(const siginfo_t& si) {
  if (si.si_code == CLD_EXITED) return (si.si_status & 0xff) << 8;
  return (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
}

}  // namespace

Napi::Value HandleProbe(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Probe());
}

Napi::Value HandleOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const int pid = info[0].As<Napi::Number>().Int32Value();
  Napi::Array out = Napi::Array::New(env, 3);
  // pidfd_open(2) sets O_CLOEXEC itself. ESRCH: no such process (a zombie still has a pid and
  // opens fine); EINVAL: pid is a thread, not a thread-group leader.
  int fd = PidfdOpen(pid);
  int err = fd < 0 ? errno : 0;
  char start[32] = "";
  if (fd >= 0) {
    uvwatch::TrackFd(env, fd);
    // Read after the open: if the pid had been recycled in between, the start time is the
    // newcomer's, consistent with what the pidfd refers to.
    if (ReadStartTime(pid, start, sizeof start) != 0) start[0] = '\0';
  }
  out.Set(0u, Napi::Number::New(env, err));
  out.Set(1u, Napi::Number::New(env, fd));
  out.Set(2u, Napi::String::New(env, start));
  return out;
}

Napi::Value HandleSignal(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 2)) return info.Env().Undefined();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const int sig = info[1].As<Napi::Number>().Int32Value();
  // ESRCH once the process has been reaped: the pidfd pins the process, never its pid number,
  // so a recycled pid is never hit.
  const int err = PidfdSendSignal(fd, sig) == 0 ? 0 : errno;
  return Napi::Number::New(info.Env(), err);
}

Napi::Value HandleQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const bool peek_child = info[1].ToBoolean().Value();
  struct pollfd p;
  p.fd = fd;
  p.events = POLLIN;
  p.revents = 0;
  int rc;
  do {
    rc = poll(&p, 1, 0);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return QueryResult(env, kHandleError, errno, 0);
  if (p.revents & POLLNVAL) return QueryResult(env, kHandleError, EBADF, 0);
  // A pidfd turns readable when the process has exited (zombie or reaped).
  if (rc == 0 || !(p.revents & (POLLIN | POLLHUP))) return QueryResult(env, kHandleRunning, 0, 0);

  if (peek_child) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    // WNOWAIT leaves the zombie for its owner (libuv), so child_process still emits 'exit'.
    // ECHILD: not our child, or already reaped; EAGAIN: the fd is O_NONBLOCK (libuv set it) and
    // nothing is waitable. Both fall through to PIDFD_GET_INFO.
    do {
      rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &si,
                  WEXITED | WNOWAIT | WNOHANG);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0 && si.si_pid != 0) return QueryResult(env, kHandleExitedKnown, 0, RawFromSiginfo(si));
  }
  PidfdInfo pi;
  memset(&pi, 0, sizeof pi);
  pi.mask = kPidfdInfoExit;
  // Linux >= 6.15 records the wait status on the pidfd when the process is reaped, whoever reaps
  // it. Older kernels fail (ENOTTY/EINVAL) or answer ESRCH for a reaped task; a zombie not yet
  // reaped has no exit info either. All of these mean "status unknown", never an invented one.
  if (ioctl(fd, kPidfdGetInfo, &pi) == 0 && (pi.mask & kPidfdInfoExit)) {
    return QueryResult(env, kHandleExitedKnown, 0, pi.exit_code);
  }
  return QueryResult(env, kHandleExitedUnknown, 0, 0);
}

Napi::Value HandleClose(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 1)) return info.Env().Undefined();
  const int fd = info[0].As<Napi::Number>().Int32Value();
  if (fd < 0) return Napi::Number::New(info.Env(), 0);
  return Napi::Number::New(info.Env(), uvwatch::CloseFd(info.Env(), fd));
}

Napi::Value ProcessStartTime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const int pid = info[0].As<Napi::Number>().Int32Value();
  char start[32];
  const int err = ReadStartTime(pid, start, sizeof start);
  if (err == 0) return Napi::String::New(env, start);
  // Gone, or there but unreadable (EMFILE, hidden, /proc not mounted): never "gone" for the latter.
  const int why = ProcFailure(pid, err);
  return why == 0 ? env.Null() : Napi::Number::New(env, why);
}

Napi::Value WatchExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // NumberArgs has already thrown when it fails: throwing a second TypeError on top of a pending
  // exception makes napi_throw fail, which is fatal with C++ exceptions disabled.
  if (!ArgsAreNumbers(info, 2)) return env.Undefined();
  if (!info[2].IsFunction()) {
    Napi::TypeError::New(env, "procsig native: watchExit(fd, pid, callback)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  uint32_t id = 0;
  // Linux watches the handle's pidfd; without one there is nothing to poll (ENOSYS, and the TS
  // layer falls back to backoff polling).
  int err = fd < 0 ? ENOSYS : uvwatch::Start(env, fd, -1, info[2], &id);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, err));
  out.Set(1u, Napi::Number::New(env, id));
  return out;
}

Napi::Value WatchCancel(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 1)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), uvwatch::Cancel(info.Env(), info[0].As<Napi::Number>().Uint32Value()));
}

Napi::Value WatchCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t watchers = 0, fds = 0;
  uvwatch::Counts(env, &watchers, &fds);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, watchers));
  out.Set(1u, Napi::Number::New(env, fds));
  return out;
}

}  // namespace procsig
