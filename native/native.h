// Shared declarations for the procsig addon.
//
// The contract every export follows (see docs/internals.md):
//  - one syscall, or one batch of the same syscall, per call;
//  - OS failures are returned as values (an errno number, 0 for success), never thrown;
//  - C++ throws a JS TypeError only for a programming error (wrong argument types), which the
//    TypeScript layer rules out before calling;
//  - an operation the platform lacks returns ENOSYS instead of being absent, so every platform
//    exports the same surface.
#ifndef PROCSIG_NATIVE_H_
#define PROCSIG_NATIVE_H_

#include <napi.h>

namespace procsig {

// Flags for Waitpid/WaitpidAsync. TypeScript passes these numbers, not the platform's
// WNOHANG etc., so the JS side never depends on header values.
enum WaitFlags : int {
  kWaitNoHang = 1,     // WNOHANG
  kWaitUntraced = 2,   // WUNTRACED / WSTOPPED
  kWaitContinued = 4,  // WCONTINUED
  kWaitNoWait = 8,     // leave the child waitable: waitid(..., WNOWAIT)
};

// The decoded kinds of a wait status (index 3 of a wait result array).
enum WaitKind : int {
  kKindNone = 0,       // WNOHANG and nothing to report
  kKindExited = 1,     // value = exit code
  kKindSignaled = 2,   // value = signal number, core = 1 when a core was dumped
  kKindStopped = 3,    // value = stop signal
  kKindContinued = 4,  // value = SIGCONT
};

// ---- signals and errno (posix.cc / win32.cc) ----
// signalTable() -> { table: [[name, number, description], ...], rtmin, rtmax, nsig }
Napi::Value SignalTable(const Napi::CallbackInfo& info);
// errnoTable() -> [[name, number, description], ...]
Napi::Value ErrnoTable(const Napi::CallbackInfo& info);

// ---- kill family (posix.cc / win32.cc) ----
// kill(pid, sig) -> errno (0 on success)
Napi::Value Kill(const Napi::CallbackInfo& info);
// killMany(pids: Int32Array, sig, errs: Int32Array) -> number of pids signalled;
// errs[i] receives the errno for pids[i] (0 on success).
Napi::Value KillMany(const Napi::CallbackInfo& info);
// killpg(pgid, sig) -> errno
Napi::Value Killpg(const Napi::CallbackInfo& info);
// lastWin32Error() -> the raw Win32 error code behind the last failure on this thread
// (always 0 on POSIX).
Napi::Value LastWin32Error(const Napi::CallbackInfo& info);

// ---- waiting (posix.cc / win32.cc) ----
// waitpid(pid, flags) -> [pid, errno, rawStatus, kind, value, core]
Napi::Value Waitpid(const Napi::CallbackInfo& info);
// waitpidAsync(pid, flags) -> Promise<[pid, errno, rawStatus, kind, value, core]>, blocking
// waitpid run on the libuv thread pool.
Napi::Value WaitpidAsync(const Napi::CallbackInfo& info);

// ---- process state (linux.cc / darwin.cc / win32.cc) ----
// processState(pid) -> one-letter state ('R', 'S', 'Z', ...) or null when unknown/gone.
Napi::Value ProcessState(const Napi::CallbackInfo& info);

// ---- Win32 error helpers (win32.cc; defined on Windows only, for the other *_win32.cc) ----
// Win32ToErrno(GetLastError()) -> the CRT errno libuv would report for it (EIO when unknown).
// `unsigned long` is DWORD on every Windows compiler; windows.h stays out of this header.
int Win32ToErrno(unsigned long win32);
// Records the raw Win32 code of a failure for lastWin32Error() (per thread). Call it on every
// failure a *_win32.cc export returns, with 0 when no Win32 call failed.
void SetLastWin32Error(unsigned long win32);

}  // namespace procsig

#endif  // PROCSIG_NATIVE_H_
