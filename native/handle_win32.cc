// Windows process handles: a process HANDLE (OpenProcess with SYNCHRONIZE | PROCESS_TERMINATE |
// PROCESS_QUERY_LIMITED_INFORMATION) pins the process object, so a recycled pid is never hit.
// Exit watchers: RegisterWaitForSingleObject (the system wait thread pool, no thread per waiter)
// delivering to the JS thread through a thread-safe function.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <windows.h>

#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "native.h"

namespace procsig {

namespace {

// Signal numbers as the rest of procsig uses them on Windows (libuv's): SIGINT, SIGKILL, SIGTERM
// terminate; 0 probes; nothing else exists.
constexpr int kSigInt = 2;
constexpr int kSigKill = 9;
constexpr int kSigTerm = 15;

struct WinState;

struct WinWatcher {
  WinState* state = nullptr;
  uint32_t id = 0;
  HANDLE wait = nullptr;
  napi_threadsafe_function tsfn = nullptr;
  bool in_map = false;
  bool cancelled = false;
};

struct WinState {
  napi_env env = nullptr;
  std::unordered_map<uint32_t, WinWatcher*> watchers;
  std::unordered_set<uintptr_t> handles;
  uint32_t next_id = 1;
};

// Every env's state, by env (EnvRegistry, native.h: no exit-time destructor).
using Registry = EnvRegistry<WinState>;

void UnregisterAndWait(WinWatcher* w) {
  if (w->wait != nullptr) {
    // INVALID_HANDLE_VALUE: block until a callback already running has returned, so the
    // WinWatcher is never touched by the wait thread after this point.
    UnregisterWaitEx(w->wait, INVALID_HANDLE_VALUE);
    w->wait = nullptr;
  }
}

void EraseFromMap(WinWatcher* w) {
  if (w->in_map) {
    w->state->watchers.erase(w->id);
    w->in_map = false;
  }
}

// Env teardown (worker exit, process exit). Node finalizes the thread-safe functions through
// their own cleanup hooks, registered after this one and so run before it; whatever is left is
// released here, then every HANDLE this env opened is closed.
void CleanupHook(void* arg) {
  WinState* s = static_cast<WinState*>(arg);
  for (auto& entry : s->watchers) {
    WinWatcher* w = entry.second;
    UnregisterAndWait(w);
    w->in_map = false;
    w->cancelled = true;
    w->state = nullptr;
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
  }
  s->watchers.clear();
  for (uintptr_t h : s->handles) CloseHandle(reinterpret_cast<HANDLE>(h));
  s->handles.clear();
  Registry::Remove(s->env);
  delete s;
}

WinState* GetState(napi_env env, bool create) { return Registry::Get(env, create, CleanupHook); }

HANDLE HandleArg(const Napi::Value& v) {
  return reinterpret_cast<HANDLE>(static_cast<uintptr_t>(v.As<Napi::Number>().Int64Value()));
}

// libuv's reading of an OpenProcess failure: ERROR_INVALID_PARAMETER means there is no such
// process; everything else follows the one mapping (Win32ToErrno).
SysError OpenFailure(DWORD e) {
  return SysError{e == ERROR_INVALID_PARAMETER ? ESRCH : Win32ToErrno(e), "OpenProcess", e};
}

bool Exited(HANDLE h) { return WaitForSingleObject(h, 0) == WAIT_OBJECT_0; }

bool StartTime(HANDLE h, char* out, size_t len) {
  FILETIME created, exited, kernel, user;
  if (!GetProcessTimes(h, &created, &exited, &kernel, &user)) return false;
  unsigned long long t = (static_cast<unsigned long long>(created.dwHighDateTime) << 32) |
                         created.dwLowDateTime;
  snprintf(out, len, "%llu", t);
  return true;
}

void CALLBACK OnSignaled(PVOID ctx, BOOLEAN /*timed_out*/) {
  WinWatcher* w = static_cast<WinWatcher*>(ctx);
  // Runs on a wait-pool thread: only hand over to the JS thread.
  napi_call_threadsafe_function(w->tsfn, nullptr, napi_tsfn_nonblocking);
}

void CallJs(napi_env env, napi_value js_cb, void* context, void* /*data*/) {
  WinWatcher* w = static_cast<WinWatcher*>(context);
  // env is null while the function is being torn down; cancelled watchers stay silent.
  if (env == nullptr || w->cancelled || js_cb == nullptr) return;
  w->cancelled = true;
  UnregisterAndWait(w);
  EraseFromMap(w);
  napi_value recv, arg, result;
  napi_get_undefined(env, &recv);
  napi_create_int32(env, 0, &arg);
  napi_call_function(env, recv, js_cb, 1, &arg, &result);
  napi_release_threadsafe_function(w->tsfn, napi_tsfn_release);
}

void Finalize(napi_env /*env*/, void* data, void* /*hint*/) {
  WinWatcher* w = static_cast<WinWatcher*>(data);
  UnregisterAndWait(w);
  EraseFromMap(w);
  delete w;
}

// [state, raw, kind, value, core]: an exit code is the whole status on Windows.
Napi::Array QueryResult(Napi::Env env, int state, DWORD code) {
  Napi::Array a = Napi::Array::New(env, 5);
  a.Set(0u, Napi::Number::New(env, state));
  a.Set(1u, Napi::Number::New(env, static_cast<double>(code)));
  a.Set(2u, Napi::Number::New(env, state == kHandleExitedKnown ? kKindExited : kKindNone));
  a.Set(3u, Napi::Number::New(env, static_cast<double>(code)));
  a.Set(4u, Napi::Number::New(env, 0));
  return a;
}

}  // namespace

Napi::Value HandleProbe(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<int>(kHandleFd | kHandleSignal | kHandleWatchFd));
}

Napi::Value HandleOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const DWORD pid = static_cast<DWORD>(info[0].As<Napi::Number>().Int64Value());
  HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (h == nullptr) return Failure(env, OpenFailure(GetLastError()));
  WinState* s = GetState(env, true);
  if (s != nullptr) s->handles.insert(reinterpret_cast<uintptr_t>(h));
  char start[32] = "";
  if (!StartTime(h, start, sizeof start)) start[0] = '\0';
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(reinterpret_cast<uintptr_t>(h))));
  out.Set(1u, Napi::String::New(env, start));
  return out;
}

Napi::Value HandleSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 2)) return env.Undefined();
  HANDLE h = HandleArg(info[0]);
  const int sig = info[1].As<Napi::Number>().Int32Value();
  if (sig == 0) return Exited(h) ? Napi::Value(Failure(env, ESRCH, "TerminateProcess")) : env.Undefined();
  if (sig != kSigKill && sig != kSigTerm && sig != kSigInt) return Failure(env, ENOSYS, "TerminateProcess");
  // Exit code 1, like libuv.
  if (TerminateProcess(h, 1)) return env.Undefined();
  const DWORD e = GetLastError();
  // TerminateProcess on a process that has already exited fails with ERROR_ACCESS_DENIED:
  // report ESRCH, as libuv does. The raw code travels either way.
  const int err = (e == ERROR_ACCESS_DENIED && Exited(h)) ? ESRCH : Win32ToErrno(e);
  return Failure(env, SysError{err, "TerminateProcess", e});
}

Napi::Value HandleQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  HANDLE h = HandleArg(info[0]);
  DWORD r = WaitForSingleObject(h, 0);
  if (r == WAIT_TIMEOUT) return QueryResult(env, kHandleRunning, 0);
  if (r != WAIT_OBJECT_0) return Failure(env, Win32Failure("WaitForSingleObject", GetLastError()));
  DWORD code = 0;
  if (!GetExitCodeProcess(h, &code)) return QueryResult(env, kHandleExitedUnknown, 0);
  return QueryResult(env, kHandleExitedKnown, code);
}

Napi::Value HandleClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const double v = info[0].As<Napi::Number>().DoubleValue();
  if (v < 0) return env.Undefined();
  uintptr_t h = static_cast<uintptr_t>(info[0].As<Napi::Number>().Int64Value());
  WinState* s = GetState(env, false);
  // Only close what this env opened and has not closed: a second close must not hit a reused
  // HANDLE value.
  if (s == nullptr || s->handles.erase(h) == 0) return Failure(env, EBADF, "CloseHandle");
  if (CloseHandle(reinterpret_cast<HANDLE>(h))) return env.Undefined();
  return Failure(env, Win32Failure("CloseHandle", GetLastError()));
}

Napi::Value ProcessStartTime(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const DWORD pid = static_cast<DWORD>(info[0].As<Napi::Number>().Int64Value());
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (h == nullptr) return env.Null();
  char start[32];
  bool ok = StartTime(h, start, sizeof start);
  CloseHandle(h);
  if (!ok) return env.Null();
  return Napi::String::New(env, start);
}

Napi::Value WatchExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!WatchExitArgs(info, "procsig native: watchExit(handle, pid, callback)")) return env.Undefined();
  if (info[0].As<Napi::Number>().DoubleValue() < 0) return Failure(env, ENOSYS, "RegisterWaitForSingleObject");
  HANDLE h = HandleArg(info[0]);
  WinState* s = GetState(env, true);
  if (s == nullptr) return Failure(env, ENOMEM, "RegisterWaitForSingleObject");
  WinWatcher* w = new WinWatcher();
  w->state = s;
  napi_value name;
  napi_create_string_utf8(env, "procsig:exitWatch", NAPI_AUTO_LENGTH, &name);
  // Finalize (thread_finalize_cb) frees the watcher once the function is released and drained.
  if (napi_create_threadsafe_function(env, info[2], nullptr, name, 0, 1, w, Finalize, w, CallJs,
                                      &w->tsfn) != napi_ok) {
    delete w;
    return Failure(env, ENOMEM, "RegisterWaitForSingleObject");
  }
  w->id = s->next_id++;
  if (s->next_id == 0) s->next_id = 1;
  s->watchers[w->id] = w;
  w->in_map = true;
  if (!RegisterWaitForSingleObject(&w->wait, h, OnSignaled, w, INFINITE, WT_EXECUTEONLYONCE)) {
    const DWORD e = GetLastError();
    w->wait = nullptr;
    w->cancelled = true;
    EraseFromMap(w);
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_release);
    return Failure(env, Win32Failure("RegisterWaitForSingleObject", e));
  }
  return Napi::Number::New(env, w->id);
}

Napi::Value WatchCancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  WinState* s = GetState(env, false);
  if (s == nullptr) return Failure(env, ENOENT, "watchCancel");
  auto it = s->watchers.find(info[0].As<Napi::Number>().Uint32Value());
  if (it == s->watchers.end()) return Failure(env, ENOENT, "watchCancel");
  WinWatcher* w = it->second;
  w->cancelled = true;
  UnregisterAndWait(w);
  EraseFromMap(w);
  napi_release_threadsafe_function(w->tsfn, napi_tsfn_release);
  return env.Undefined();
}

Napi::Value WatchCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WinState* s = GetState(env, false);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, s == nullptr ? 0 : static_cast<double>(s->watchers.size())));
  out.Set(1u, Napi::Number::New(env, s == nullptr ? 0 : static_cast<double>(s->handles.size())));
  return out;
}

}  // namespace procsig
