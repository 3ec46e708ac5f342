// macOS process handles: pid + start time (proc_pidinfo), and exit watchers on a kqueue with an
// EVFILT_PROC/NOTE_EXIT filter, one kqueue per watcher, watched by the env's watcher thread (exit_watch.h).
// macOS has no pidfd: handleOpen returns no kernel handle and the TS layer re-checks the start
// time before each signal. (Must compile; it is built and run on macOS CI, not here.)
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

Napi::Array QueryResult(Napi::Env env, int state, int err) {
  Napi::Array a = Napi::Array::New(env, 6);
  a.Set(0u, Napi::Number::New(env, state));
  a.Set(1u, Napi::Number::New(env, err));
  for (uint32_t i = 2; i < 6; i++) a.Set(i, Napi::Number::New(env, 0));
  return a;
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
  int err = ReadStartTime(pid, start, sizeof start) ? 0 : (errno != 0 ? errno : ESRCH);
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, err));
  out.Set(1u, Napi::Number::New(env, -1));
  out.Set(2u, Napi::String::New(env, start));
  return out;
}

Napi::Value HandleSignal(const Napi::CallbackInfo& info) {
  // No kernel handle to signal through: the TS layer checks the start time and uses kill(2).
  return Napi::Number::New(info.Env(), ENOSYS);
}

Napi::Value HandleQuery(const Napi::CallbackInfo& info) {
  return QueryResult(info.Env(), kHandleError, ENOSYS);
}

Napi::Value HandleClose(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), 0);
}

Napi::Value ProcessStartTime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  char start[32];
  if (!ReadStartTime(info[0].As<Napi::Number>().Int32Value(), start, sizeof start)) return env.Null();
  return Napi::String::New(env, start);
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
  const int pid = info[1].As<Napi::Number>().Int32Value();
  uint32_t id = 0;
  int err = 0;
  int kq = kqueue();
  if (kq < 0) {
    err = errno;
  } else {
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
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, err));
  out.Set(1u, Napi::Number::New(env, id));
  return out;
}

Napi::Value WatchCancel(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 1)) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), exitwatch::Cancel(info.Env(), info[0].As<Napi::Number>().Uint32Value()));
}

Napi::Value WatchCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t watchers = 0, fds = 0;
  exitwatch::Counts(env, &watchers, &fds);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, watchers));
  out.Set(1u, Napi::Number::New(env, fds));
  return out;
}

}  // namespace procsig
