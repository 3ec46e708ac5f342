// macOS process handles: pid + start time (proc_pidinfo), and exit watchers on a kqueue with an
// EVFILT_PROC/NOTE_EXIT filter, one kqueue per watcher, watched by the env's watcher thread (exit_watch.h).
// macOS has no pidfd: handleOpen returns no kernel handle and the TS layer re-checks the start
// time before each signal. There is no macOS test lane: this file is only compiled (zig, by
// scripts/prebuild-all.sh), never run, in this project's CI.
#include <errno.h>
#include <libproc.h>
#include <signal.h>
#include <stdio.h>
#include <sys/event.h>
#include <sys/proc_info.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include "exit_watch.h"
#include "native.h"

namespace procsig {

namespace {

// The process's start time in microseconds since the epoch, as a decimal string. A recycled pid
// has a different one. proc_pidinfo fails with ESRCH for a process that is gone.
bool ReadStartTime(int pid, char* out, size_t len) {
  struct proc_bsdinfo bi;
  int n = proc_pidinfo(pid, PROC_PIDTBSDINFO, 0, &bi, static_cast<int>(sizeof bi));
  if (n != static_cast<int>(sizeof bi)) return false;
  unsigned long long us = static_cast<unsigned long long>(bi.pbi_start_tvsec) * 1000000ull +
                          static_cast<unsigned long long>(bi.pbi_start_tvusec);
  snprintf(out, len, "%llu", us);
  return true;
}

}  // namespace

Napi::Value HandleProbe(const Napi::CallbackInfo& info) {
  // No kernel handle; kqueue watches bare pids.
  return Napi::Number::New(info.Env(), static_cast<int>(kHandleWatchPid));
}

Napi::Value HandleOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const int pid = info[0].As<Napi::Number>().Int32Value();
  char start[32] = "";
  errno = 0;
  if (!ReadStartTime(pid, start, sizeof start)) return Failure(env, errno != 0 ? errno : ESRCH, "proc_pidinfo");
  // No kernel handle (fd -1): the pid + start time is the identity.
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, -1));
  out.Set(1u, Napi::String::New(env, start));
  return out;
}

Napi::Value HandleSignal(const Napi::CallbackInfo& info) {
  // No kernel handle to signal through: the TS layer checks the start time and uses kill(2).
  return Failure(info.Env(), ENOSYS, "pidfd_send_signal");
}

Napi::Value HandleQuery(const Napi::CallbackInfo& info) { return Failure(info.Env(), ENOSYS, "poll"); }

// Nothing was opened (handleOpen returns fd -1): nothing to close.
Napi::Value HandleClose(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

Napi::Value ProcessStartTime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  char start[32];
  if (!ReadStartTime(info[0].As<Napi::Number>().Int32Value(), start, sizeof start)) return env.Null();
  return Napi::String::New(env, start);
}

// No peek on the watcher thread here (exit_watch.h): the JS thread reads the status.
bool exitwatch::PeekExit(int /*fd*/, int* /*raw*/) { return false; }
napi_value exitwatch::ExitValue(napi_env /*env*/, int /*raw*/) { return nullptr; }

Napi::Value WatchExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!WatchExitArgs(info, "procsig native: watchExit(fd, pid, callback)")) return env.Undefined();
  const int pid = info[1].As<Napi::Number>().Int32Value();
  uint32_t id = 0;
  int err = 0;
  const char* syscall = "kqueue";
  int kq = kqueue();
  if (kq < 0) {
    err = errno;
  } else {
    syscall = "kevent";
    struct kevent kev;
    EV_SET(&kev, static_cast<uintptr_t>(pid), EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0, nullptr);
    int rc;
    do {
      rc = kevent(kq, &kev, 1, nullptr, 0, nullptr);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
      // ESRCH: the process is already gone (the TS layer treats it as exited).
      err = errno;
      close(kq);
    } else {
      // The kqueue fd turns readable when NOTE_EXIT fires; the watcher owns and closes it.
      err = exitwatch::Start(env, kq, kq, info[2], &id);
    }
  }
  return err == 0 ? Napi::Number::New(env, id) : Napi::Value(Failure(env, err, syscall));
}

Napi::Value WatchCancel(const Napi::CallbackInfo& info) { return exitwatch::CancelExport(info); }

Napi::Value WatchCount(const Napi::CallbackInfo& info) { return exitwatch::CountExport(info); }

}  // namespace procsig
