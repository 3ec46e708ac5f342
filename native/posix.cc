// POSIX core shared by Linux and macOS: kill(2), killpg(2), waitpid(2)/waitid(2) and the
// signal and errno tables, read from the headers this addon was compiled against.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>

#include "native.h"

namespace procsig {

namespace {

struct NamedNumber {
  const char* name;
  int number;
};

// Canonical names come before their aliases: the TypeScript table keeps the first name it sees
// for a number as the canonical one and records the rest as aliases.
#define PROCSIG_ENTRY(n) {#n, n},
const NamedNumber kSignals[] = {
#ifdef SIGHUP
    PROCSIG_ENTRY(SIGHUP)
#endif
#ifdef SIGINT
    PROCSIG_ENTRY(SIGINT)
#endif
#ifdef SIGQUIT
    PROCSIG_ENTRY(SIGQUIT)
#endif
#ifdef SIGILL
    PROCSIG_ENTRY(SIGILL)
#endif
#ifdef SIGTRAP
    PROCSIG_ENTRY(SIGTRAP)
#endif
#ifdef SIGABRT
    PROCSIG_ENTRY(SIGABRT)
#endif
#ifdef SIGIOT
    PROCSIG_ENTRY(SIGIOT)
#endif
#ifdef SIGEMT
    PROCSIG_ENTRY(SIGEMT)
#endif
#ifdef SIGBUS
    PROCSIG_ENTRY(SIGBUS)
#endif
#ifdef SIGFPE
    PROCSIG_ENTRY(SIGFPE)
#endif
#ifdef SIGKILL
    PROCSIG_ENTRY(SIGKILL)
#endif
#ifdef SIGUSR1
    PROCSIG_ENTRY(SIGUSR1)
#endif
#ifdef SIGSEGV
    PROCSIG_ENTRY(SIGSEGV)
#endif
#ifdef SIGUSR2
    PROCSIG_ENTRY(SIGUSR2)
#endif
#ifdef SIGPIPE
    PROCSIG_ENTRY(SIGPIPE)
#endif
#ifdef SIGALRM
    PROCSIG_ENTRY(SIGALRM)
#endif
#ifdef SIGTERM
    PROCSIG_ENTRY(SIGTERM)
#endif
#ifdef SIGSTKFLT
    PROCSIG_ENTRY(SIGSTKFLT)
#endif
#ifdef SIGCHLD
    PROCSIG_ENTRY(SIGCHLD)
#endif
#ifdef SIGCLD
    PROCSIG_ENTRY(SIGCLD)
#endif
#ifdef SIGCONT
    PROCSIG_ENTRY(SIGCONT)
#endif
#ifdef SIGSTOP
    PROCSIG_ENTRY(SIGSTOP)
#endif
#ifdef SIGTSTP
    PROCSIG_ENTRY(SIGTSTP)
#endif
#ifdef SIGTTIN
    PROCSIG_ENTRY(SIGTTIN)
#endif
#ifdef SIGTTOU
    PROCSIG_ENTRY(SIGTTOU)
#endif
#ifdef SIGURG
    PROCSIG_ENTRY(SIGURG)
#endif
#ifdef SIGXCPU
    PROCSIG_ENTRY(SIGXCPU)
#endif
#ifdef SIGXFSZ
    PROCSIG_ENTRY(SIGXFSZ)
#endif
#ifdef SIGVTALRM
    PROCSIG_ENTRY(SIGVTALRM)
#endif
#ifdef SIGPROF
    PROCSIG_ENTRY(SIGPROF)
#endif
#ifdef SIGWINCH
    PROCSIG_ENTRY(SIGWINCH)
#endif
#ifdef SIGIO
    PROCSIG_ENTRY(SIGIO)
#endif
#ifdef SIGPOLL
    PROCSIG_ENTRY(SIGPOLL)
#endif
#ifdef SIGINFO
    PROCSIG_ENTRY(SIGINFO)
#endif
#ifdef SIGLOST
    PROCSIG_ENTRY(SIGLOST)
#endif
#ifdef SIGPWR
    PROCSIG_ENTRY(SIGPWR)
#endif
#ifdef SIGSYS
    PROCSIG_ENTRY(SIGSYS)
#endif
#ifdef SIGUNUSED
    PROCSIG_ENTRY(SIGUNUSED)
#endif
};

const NamedNumber kErrnos[] = {
#define PROCSIG_ERRNO(n) {#n, n},
#include "errno_names.h"
#undef PROCSIG_ERRNO
};
#undef PROCSIG_ENTRY

// strsignal() and strerror() may use a static buffer for unknown values; the tables are built
// once per env, possibly from several worker threads at once, so serialise them.
StaticLock g_text_mutex;

const char* SignalText(int sig) {
  const char* s = strsignal(sig);
  return s != nullptr ? s : "Unknown signal";
}

// strerror_r is the XSI (int) or the GNU (char*) variant depending on the libc; overloads pick
// the right result without #ifdefs.
[[maybe_unused]] const char* StrerrorResult(int rc, const char* buf) {
  return rc == 0 ? buf : "Unknown error";
}
[[maybe_unused]] const char* StrerrorResult(const char* rc, const char*) {
  return rc != nullptr ? rc : "Unknown error";
}

// Rows of [name, number], plus [.., description] when `describe` is given.
Napi::Array NamedTable(Napi::Env env, const NamedNumber* entries, size_t count,
                       const char* (*describe)(int, char*, size_t)) {
  Napi::Array table = Napi::Array::New(env, count);
  char buf[256];
  for (size_t i = 0; i < count; i++) {
    Napi::Array row = Napi::Array::New(env, describe != nullptr ? 3 : 2);
    row.Set(0u, Napi::String::New(env, entries[i].name));
    row.Set(1u, Napi::Number::New(env, entries[i].number));
    if (describe != nullptr) row.Set(2u, Napi::String::New(env, describe(entries[i].number, buf, sizeof buf)));
    table.Set(static_cast<uint32_t>(i), row);
  }
  return table;
}

const char* DescribeErrno(int err, char* buf, size_t len) {
  buf[0] = '\0';
  return StrerrorResult(strerror_r(err, buf, len), buf);
}

// The one place a wait status is decoded. Unknown signal numbers (real-time ones included) are
// kept as numbers: the status is never thrown away.
void DecodeStatus(int status, WaitResult* r) {
  r->raw = status;
  if (WIFEXITED(status)) {
    r->kind = kKindExited;
    r->value = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r->kind = kKindSignaled;
    r->value = WTERMSIG(status);
#ifdef WCOREDUMP
    r->core = WCOREDUMP(status) ? 1 : 0;
#endif
  } else if (WIFSTOPPED(status)) {
    r->kind = kKindStopped;
    r->value = WSTOPSIG(status);
#ifdef WIFCONTINUED
  } else if (WIFCONTINUED(status)) {
    r->kind = kKindContinued;
    r->value = SIGCONT;
#endif
  }
}

// waitid(2) with WNOWAIT reports a child's state change but leaves it waitable, so the owner
// (libuv, for a child_process child) still reaps it and still emits 'exit'.
void DecodeSiginfo(const siginfo_t& si, WaitResult* r) {
  r->pid = si.si_pid;
  if (si.si_pid == 0) return;  // WNOHANG and nothing to report
  switch (si.si_code) {
    case CLD_EXITED:
      r->kind = kKindExited;
      r->value = si.si_status;
      r->raw = (si.si_status & 0xff) << 8;
      break;
    case CLD_KILLED:
    case CLD_DUMPED:
      r->kind = kKindSignaled;
      r->value = si.si_status;
      r->core = si.si_code == CLD_DUMPED ? 1 : 0;
      r->raw = (si.si_status & 0x7f) | (r->core ? 0x80 : 0);
      break;
    case CLD_STOPPED:
    case CLD_TRAPPED:
      r->kind = kKindStopped;
      r->value = si.si_status;
      r->raw = ((si.si_status & 0xff) << 8) | 0x7f;
      break;
    case CLD_CONTINUED:
      r->kind = kKindContinued;
      r->value = SIGCONT;
      r->raw = 0xffff;
      break;
    default:
      break;
  }
}

}  // namespace

void DoWait(int pid, int flags, WaitResult* r) {
  if (flags & kWaitNoWait) {
    idtype_t idtype = P_PID;
    id_t id = static_cast<id_t>(pid);
    if (pid == -1) {
      idtype = P_ALL;
      id = 0;
    } else if (pid <= 0) {
      // waitpid's pid 0 (own group) and -pgid map onto P_PGID; id 0 is the caller's group.
      idtype = P_PGID;
      id = static_cast<id_t>(pid == 0 ? 0 : -pid);
    }
    int options = WEXITED | WNOWAIT;
    if (flags & kWaitNoHang) options |= WNOHANG;
    if (flags & kWaitUntraced) options |= WSTOPPED;
    if (flags & kWaitContinued) options |= WCONTINUED;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int rc;
    do {
      rc = waitid(idtype, id, &si, options);
    } while (rc == -1 && errno == EINTR);
    if (rc == -1) {
      r->error = SysError{errno, "waitpid", 0};  // the export's name, as before
      return;
    }
    DecodeSiginfo(si, r);
    return;
  }
  int options = 0;
  if (flags & kWaitNoHang) options |= WNOHANG;
  if (flags & kWaitUntraced) options |= WUNTRACED;
#ifdef WCONTINUED
  if (flags & kWaitContinued) options |= WCONTINUED;
#endif
  int status = 0;
  pid_t rc;
  do {
    rc = waitpid(static_cast<pid_t>(pid), &status, options);
  } while (rc == -1 && errno == EINTR);
  if (rc == -1) {
    r->error = SysError{errno, "waitpid", 0};
    return;
  }
  r->pid = rc;
  if (rc > 0) DecodeStatus(status, r);
}

Napi::Value SignalTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("table", NamedTable(env, kSignals, sizeof kSignals / sizeof kSignals[0], nullptr));
#if defined(SIGRTMIN) && defined(SIGRTMAX)
  out.Set("rtmin", Napi::Number::New(env, SIGRTMIN));
  out.Set("rtmax", Napi::Number::New(env, SIGRTMAX));
#else
  out.Set("rtmin", env.Null());
  out.Set("rtmax", env.Null());
#endif
#ifdef NSIG
  out.Set("nsig", Napi::Number::New(env, NSIG));
#else
  out.Set("nsig", Napi::Number::New(env, 32));
#endif
  return out;
}

Napi::Value SignalDescription(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 1)) return info.Env().Undefined();
  std::lock_guard<StaticLock> lock(g_text_mutex);
  return Napi::String::New(info.Env(), SignalText(info[0].As<Napi::Number>().Int32Value()));
}

Napi::Value ErrnoTable(const Napi::CallbackInfo& info) {
  std::lock_guard<StaticLock> lock(g_text_mutex);
  return NamedTable(info.Env(), kErrnos, sizeof kErrnos / sizeof kErrnos[0], DescribeErrno);
}

SysError KillOne(int32_t pid, int sig) {
  if (::kill(static_cast<pid_t>(pid), sig) == 0) return SysError{};
  return SysError{errno, "kill", 0};
}

Napi::Value Killpg(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 2)) return info.Env().Undefined();
  const pid_t pgid = info[0].As<Napi::Number>().Int32Value();
  const int sig = info[1].As<Napi::Number>().Int32Value();
  // Group 1 is refused here too, whatever the caller checked: kill(2) has no way to address
  // group 1 alone, glibc's killpg(1, sig) is kill(-1, sig) — every process the caller may
  // signal. A negative group would be a single process (killpg(-n) is kill(n)) or that same
  // broadcast; 0 stays the caller's own group.
  if (pgid < 0 || pgid == 1) return Failure(info.Env(), EINVAL, "killpg");
  if (::killpg(pgid, sig) == 0) return info.Env().Undefined();
  return Failure(info.Env(), errno, "killpg");
}

int32_t PgidOf(int32_t pid) {
  const pid_t g = ::getpgid(static_cast<pid_t>(pid));
  return g < 0 ? -1 : static_cast<int32_t>(g);
}

int32_t SidOf(int32_t pid) {
  const pid_t s = ::getsid(static_cast<pid_t>(pid));
  return s < 0 ? -1 : static_cast<int32_t>(s);
}

}  // namespace procsig
