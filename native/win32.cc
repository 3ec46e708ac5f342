// Windows implementation of the foundation surface (native.h): signal and errno tables,
// kill/killMany/killpg on OpenProcess + TerminateProcess, waitpid on a process HANDLE, and the
// one Win32 -> errno mapping every *_win32.cc uses.
//
// Semantics follow libuv's uv_kill (src/win/process.c), which is what process.kill() does on
// Windows, so procsig and Node agree:
//  - signal 0 probes existence;
//  - SIGKILL, SIGTERM and SIGINT call TerminateProcess(h, 1): the process ends with exit code 1
//    and gets no chance to clean up (there is no signal delivery on Windows);
//  - every other signal fails with ENOSYS, and so do process groups (killpg, pid <= 0).
// Failures are returned as the C runtime's errno numbers (errno.h), like every other platform,
// with the raw GetLastError() code beside them in the failure object (native.h's SysError).
#include <windows.h>

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "native.h"

namespace procsig {

namespace {

// A failure of `syscall`: its errno and the raw Win32 code (0 when no Win32 call failed: an
// unsupported signal, say).
SysError Fail(const char* syscall, DWORD win32, int err) { return SysError{err, syscall, win32}; }

struct NamedNumber {
  const char* name;
  int number;
  const char* description;
};

// Node's os.constants.signals on Windows (Node 20, libuv 1.46): the CRT defines SIGINT, SIGILL,
// SIGFPE, SIGSEGV, SIGTERM, SIGBREAK and SIGABRT; libuv's uv/win.h adds SIGHUP, SIGQUIT, SIGKILL
// and SIGWINCH with the numbers below, which Node exports. Only their numbers matter to the
// kernel-less Windows side: kill() interprets them itself.
constexpr int kSigHup = 1;
constexpr int kSigQuit = 3;
constexpr int kSigKill = 9;
constexpr int kSigWinch = 28;

const NamedNumber kSignals[] = {
    {"SIGHUP", kSigHup, "Hangup"},
    {"SIGINT", SIGINT, "Interrupt"},
    {"SIGQUIT", kSigQuit, "Quit"},
    {"SIGILL", SIGILL, "Illegal instruction"},
    {"SIGFPE", SIGFPE, "Floating point exception"},
    {"SIGKILL", kSigKill, "Killed"},
    {"SIGSEGV", SIGSEGV, "Segmentation fault"},
    {"SIGTERM", SIGTERM, "Terminated"},
    {"SIGBREAK", SIGBREAK, "Ctrl-Break"},
    {"SIGABRT", SIGABRT, "Aborted"},
    {"SIGWINCH", kSigWinch, "Window changed"},
};

// The largest signal number above is SIGWINCH (28); report NSIG past it so toSignal() accepts
// every number Node knows (the CRT's own NSIG, 23, would reject SIGWINCH).
constexpr int kNsig = kSigWinch + 1;

// errno.h of the C runtime (mingw-w64 and the UCRT agree on these numbers). The descriptions
// come from the CRT's strerror_s, which knows only the classic 1..42 range.
const NamedNumber kErrnos[] = {
#define PROCSIG_ERRNO(n) {#n, n, nullptr},
#include "errno_names.h"
#undef PROCSIG_ERRNO
};

// Rows of [name, number], plus [.., description] when `describe` is set.
Napi::Array NamedTable(Napi::Env env, const NamedNumber* entries, size_t count, bool describe) {
  Napi::Array table = Napi::Array::New(env, count);
  char buf[256];
  for (size_t i = 0; i < count; i++) {
    Napi::Array row = Napi::Array::New(env, describe ? 3 : 2);
    row.Set(0u, Napi::String::New(env, entries[i].name));
    row.Set(1u, Napi::Number::New(env, entries[i].number));
    if (describe) {
      const char* text = entries[i].description;
      if (text == nullptr) {
        // strerror_s is the CRT's thread-safe strerror; it writes "Unknown error" for numbers it
        // has no text for (the POSIX supplement, 100 and up).
        if (strerror_s(buf, sizeof buf, entries[i].number) != 0) buf[0] = '\0';
        text = buf;
      }
      row.Set(2u, Napi::String::New(env, text));
    }
    table.Set(static_cast<uint32_t>(i), row);
  }
  return table;
}

// OpenProcess fails with ERROR_INVALID_PARAMETER when the pid names no process object at all
// (never existed, or exited with every handle to it closed). libuv reports that as ESRCH, and
// so does procsig: it is "no such process", not a bad argument.
int OpenProcessError(DWORD e) {
  return e == ERROR_INVALID_PARAMETER ? ESRCH : Win32ToErrno(e);
}

// Closes a process HANDLE on every path out of a scope.
class ScopedHandle {
 public:
  explicit ScopedHandle(HANDLE h) : h_(h) {}
  ~ScopedHandle() {
    if (h_ != nullptr) CloseHandle(h_);
  }
  ScopedHandle(const ScopedHandle&) = delete;
  ScopedHandle& operator=(const ScopedHandle&) = delete;
  HANDLE get() const { return h_; }

 private:
  HANDLE h_;
};

// Signal 0: does the process exist (and has it not exited)? A process object outlives the
// process while anyone holds a handle to it (the Windows analogue of a zombie); such a pid still
// opens, so the exit state is checked too, and an exited process reports ESRCH like libuv does.
SysError Probe(DWORD pid) {
  ScopedHandle h(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, pid));
  if (h.get() != nullptr) {
    switch (WaitForSingleObject(h.get(), 0)) {
      case WAIT_TIMEOUT:
        return SysError{};
      case WAIT_OBJECT_0:
        return Fail("kill", 0, ESRCH);
      default: {
        DWORD e = GetLastError();
        return Fail("kill", e, Win32ToErrno(e));
      }
    }
  }
  DWORD e = GetLastError();
  if (e != ERROR_ACCESS_DENIED) return Fail("kill", e, OpenProcessError(e));
  // SYNCHRONIZE can be refused where query access is not (an elevated or protected process seen
  // from a normal one). Fall back to libuv's own check: the exit code is STILL_ACTIVE while it
  // runs. A process that *exits* with 259 would read as alive here; libuv shares that blind spot.
  ScopedHandle q(OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
  if (q.get() == nullptr) {
    e = GetLastError();
    return Fail("kill", e, OpenProcessError(e));
  }
  DWORD code = 0;
  if (!GetExitCodeProcess(q.get(), &code)) {
    e = GetLastError();
    return Fail("kill", e, Win32ToErrno(e));
  }
  return code == STILL_ACTIVE ? SysError{} : Fail("kill", 0, ESRCH);
}

// SIGKILL/SIGTERM/SIGINT: TerminateProcess with exit code 1, as libuv does ("killed processes
// normally return 1" on Windows).
SysError Terminate(DWORD pid) {
  ScopedHandle h(OpenProcess(PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
  if (h.get() == nullptr) {
    DWORD e = GetLastError();
    return Fail("kill", e, OpenProcessError(e));
  }
  if (TerminateProcess(h.get(), 1)) return SysError{};
  DWORD e = GetLastError();
  // TerminateProcess on a process that has already exited (its object kept alive by some
  // handle) fails with ERROR_ACCESS_DENIED. libuv turns that into ESRCH after checking that the
  // exit code is no longer STILL_ACTIVE; a real permission problem stays EPERM. The raw code is
  // kept either way. (Under wine, TerminateProcess on an exited process succeeds instead.)
  DWORD code = 0;
  if (e == ERROR_ACCESS_DENIED && GetExitCodeProcess(h.get(), &code) && code != STILL_ACTIVE) {
    return Fail("kill", e, ESRCH);
  }
  return Fail("kill", e, Win32ToErrno(e));
}

}  // namespace

SysError KillOne(int32_t pid, int sig) {
  // pid 0 (the caller's group), negative pids (groups) and -1 (everyone): Windows has no
  // process groups a signal could address. No Win32 call fails, so there is no raw code.
  if (pid <= 0) return Fail("kill", 0, ENOSYS);
  const DWORD p = static_cast<DWORD>(pid);
  switch (sig) {
    case 0:
      return Probe(p);
    case kSigKill:
    case SIGTERM:
    case SIGINT:
      return Terminate(p);
    default:
      // SIGQUIT, SIGHUP, SIGBREAK, ... have no cross-process delivery on Windows (libuv 1.46
      // returns UV_ENOSYS for them too). Checked before any OpenProcess: nothing is touched.
      return Fail("kill", 0, ENOSYS);
  }
}

// Waits for one process through a HANDLE: WaitForSingleObject, then GetExitCodeProcess. The
// exit code is a 32-bit DWORD (NTSTATUS values such as 0xC0000005 included), kept unsigned as
// Node does (WaitResult holds doubles for it). Windows has no reaping, so this never takes an exit from anyone (WNOWAIT is implicit), and
// any process may be waited for, child or not. There are no stopped/continued states, so
// kWaitUntraced/kWaitContinued never report anything.
void DoWait(int pid, int flags, WaitResult* r) {
  // pid -1 / 0 / < -1 mean "any child (of a group)": Windows keeps no parent-child wait list.
  if (pid <= 0) {
    r->error = Fail("waitpid", 0, ENOSYS);
    return;
  }
  ScopedHandle h(OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                             static_cast<DWORD>(pid)));
  if (h.get() == nullptr) {
    DWORD e = GetLastError();
    // No process object for this pid: for waitpid that is ECHILD ("nothing to wait for"),
    // the code POSIX callers already handle, rather than the ESRCH kill() reports.
    r->error = Fail("waitpid", e, e == ERROR_INVALID_PARAMETER ? ECHILD : Win32ToErrno(e));
    return;
  }
  const DWORD timeout = (flags & kWaitNoHang) ? 0 : INFINITE;
  switch (WaitForSingleObject(h.get(), timeout)) {
    case WAIT_OBJECT_0:
      break;
    case WAIT_TIMEOUT:
      return;  // WNOHANG and still running: pid 0, kind none.
    default: {
      DWORD e = GetLastError();
      r->error = Fail("waitpid", e, Win32ToErrno(e));
      return;
    }
  }
  DWORD code = 0;
  if (!GetExitCodeProcess(h.get(), &code)) {
    DWORD e = GetLastError();
    r->error = Fail("waitpid", e, Win32ToErrno(e));
    return;
  }
  r->pid = pid;
  r->kind = kKindExited;
  r->value = static_cast<double>(code);
  r->raw = static_cast<double>(code);
}

// The one Win32 -> errno mapping, after libuv's uv_translate_sys_error (src/win/error.c),
// restricted to the errnos the C runtime defines. Anything else is EIO (libuv: UV_UNKNOWN, which
// has no CRT errno); the raw code travels beside it in every failure object, so nothing is lost.
// Where procsig differs from libuv it says so.
int Win32ToErrno(unsigned long win32) {
  switch (win32) {
    case ERROR_SUCCESS:
      return 0;
    case ERROR_NOACCESS:
    case 740:  // ERROR_ELEVATION_REQUIRED (missing from mingw-w64's winerror.h)
    case ERROR_CANT_ACCESS_FILE:
      return EACCES;
    // libuv maps access denied to EPERM: the process exists, the caller may not touch it.
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
      return EPERM;
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
      return EEXIST;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
    case ERROR_INVALID_DRIVE:
    case ERROR_MOD_NOT_FOUND:
    case ERROR_ENVVAR_NOT_FOUND:
      return ENOENT;
    case ERROR_INVALID_HANDLE:
      return EBADF;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_NO_SYSTEM_RESOURCES:  // procsig: libuv leaves this one UV_UNKNOWN
      return ENOMEM;
    case ERROR_INVALID_PARAMETER:
    case ERROR_INVALID_FLAGS:
    case ERROR_BAD_ARGUMENTS:
      return EINVAL;
    // procsig: ENOSYS (libuv: UV_ENOTSUP for ERROR_NOT_SUPPORTED) — "this platform cannot",
    // the code every other unsupported operation reports.
    case ERROR_NOT_SUPPORTED:
    case ERROR_CALL_NOT_IMPLEMENTED:
      return ENOSYS;
    case ERROR_TOO_MANY_OPEN_FILES:
      return EMFILE;
    case ERROR_BUSY:
    case ERROR_PIPE_BUSY:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
      return EBUSY;
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
      return EPIPE;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
      return ENOSPC;
    case ERROR_FILENAME_EXCED_RANGE:
    case ERROR_BUFFER_OVERFLOW:
      return ENAMETOOLONG;
    case ERROR_DIR_NOT_EMPTY:
      return ENOTEMPTY;
    case ERROR_DIRECTORY:
      return ENOTDIR;
    case ERROR_WRITE_PROTECT:
      return EROFS;
    case ERROR_OPERATION_ABORTED:
      return EINTR;
    case WAIT_TIMEOUT:  // procsig: a wait that timed out (libuv has no entry)
    case ERROR_SEM_TIMEOUT:
      return ETIMEDOUT;
    default:
      return EIO;
  }
}

Napi::Value SignalTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("table", NamedTable(env, kSignals, sizeof kSignals / sizeof kSignals[0], false));
  // No real-time signals on Windows.
  out.Set("rtmin", env.Null());
  out.Set("rtmax", env.Null());
  out.Set("nsig", Napi::Number::New(env, kNsig));
  return out;
}

Napi::Value SignalDescription(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 1)) return info.Env().Undefined();
  const int sig = info[0].As<Napi::Number>().Int32Value();
  for (const NamedNumber& s : kSignals) {
    if (s.number == sig) return Napi::String::New(info.Env(), s.description);
  }
  return Napi::String::New(info.Env(), "Unknown signal");
}

Napi::Value ErrnoTable(const Napi::CallbackInfo& info) {
  return NamedTable(info.Env(), kErrnos, sizeof kErrnos / sizeof kErrnos[0], true);
}

Napi::Value Killpg(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 2)) return info.Env().Undefined();
  // Windows has no process groups that can be signalled (console process groups only take
  // Ctrl+C/Ctrl+Break from a process attached to the same console); a Job Object is the
  // Windows tool for "kill everything I started".
  return Failure(info.Env(), ENOSYS, "killpg");
}

// Windows has no per-process state letter (no zombies, no stopped state to report).
Napi::Value ProcessState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  return env.Null();
}

// No process groups or sessions on Windows.
int32_t PgidOf(int32_t) { return -1; }
int32_t SidOf(int32_t) { return -1; }

}  // namespace procsig
