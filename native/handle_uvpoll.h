// Exit watchers built on libuv's uv_poll_t, shared by handle_linux.cc (a pidfd per watcher) and
// handle_darwin.cc (a kqueue per watcher). Included by exactly one translation unit per build.
//
// Design:
//  - one uv_poll_t per watcher on the env's own loop (napi_get_uv_event_loop): no thread per
//    waiter, and the callback runs on the JS thread;
//  - per-env state (watchers + the handle fds this env opened), found through a small registry
//    keyed by napi_env, because the addon's single instance-data slot is not ours to take;
//  - teardown through napi_add_async_cleanup_hook: when a worker (or the main env) exits, every
//    poll handle is closed with uv_close, the fds are closed once the last close callback ran,
//    and only then is the hook removed, so nothing leaks and nothing is touched after free.
#ifndef PROCSIG_HANDLE_UVPOLL_H_
#define PROCSIG_HANDLE_UVPOLL_H_

#include <errno.h>
#include <unistd.h>
#include <uv.h>

#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "native.h"

namespace procsig {
namespace uvwatch {

struct EnvState;

struct Watcher {
  uv_poll_t poll;
  EnvState* state = nullptr;
  uint32_t id = 0;
  napi_ref callback = nullptr;
  napi_async_context context = nullptr;
  // A descriptor the watcher owns (macOS: its kqueue), closed after the poll handle is closed
  // (libuv requires the fd to stay open until uv_close has been called). -1 on Linux, where the
  // pidfd belongs to the JS handle.
  int owned_fd = -1;
};

struct EnvState {
  napi_env env = nullptr;
  uv_loop_t* loop = nullptr;
  std::unordered_map<uint32_t, Watcher*> watchers;
  std::unordered_set<int> fds;  // handle fds opened in this env and not closed yet
  uint32_t next_id = 1;
  size_t open_polls = 0;  // poll handles not yet through their close callback
  bool closing = false;
  napi_async_cleanup_hook_handle hook = nullptr;
};

inline std::mutex& RegistryMutex() {
  static std::mutex m;
  return m;
}
inline std::unordered_map<napi_env, EnvState*>& Registry() {
  static std::unordered_map<napi_env, EnvState*> r;
  return r;
}

inline void FinishTeardown(EnvState* s) {
  for (int fd : s->fds) close(fd);
  s->fds.clear();
  napi_async_cleanup_hook_handle hook = s->hook;
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    Registry().erase(s->env);
  }
  delete s;
  if (hook != nullptr) napi_remove_async_cleanup_hook(hook);
}

inline void OnClosed(uv_handle_t* h) {
  Watcher* w = static_cast<Watcher*>(h->data);
  EnvState* s = w->state;
  if (w->owned_fd >= 0) close(w->owned_fd);
  delete w;
  s->open_polls--;
  if (s->closing && s->open_polls == 0) FinishTeardown(s);
}

// Drops the JS side of a watcher (if still attached) and starts closing its poll handle. The
// Watcher is freed in OnClosed.
inline void Retire(Watcher* w) {
  uv_poll_stop(&w->poll);
  if (w->callback != nullptr) {
    napi_delete_reference(w->state->env, w->callback);
    w->callback = nullptr;
  }
  if (w->context != nullptr) {
    napi_async_destroy(w->state->env, w->context);
    w->context = nullptr;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll), OnClosed);
}

inline void CleanupHook(napi_async_cleanup_hook_handle handle, void* arg) {
  EnvState* s = static_cast<EnvState*>(arg);
  s->hook = handle;
  s->closing = true;
  for (auto& entry : s->watchers) Retire(entry.second);
  s->watchers.clear();
  if (s->open_polls == 0) FinishTeardown(s);
}

inline EnvState* GetState(napi_env env, bool create) {
  {
    std::lock_guard<std::mutex> lock(RegistryMutex());
    auto it = Registry().find(env);
    if (it != Registry().end()) return it->second;
  }
  if (!create) return nullptr;
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return nullptr;
  EnvState* s = new EnvState();
  s->env = env;
  s->loop = loop;
  if (napi_add_async_cleanup_hook(env, CleanupHook, s, nullptr) != napi_ok) {
    delete s;
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(RegistryMutex());
  Registry()[env] = s;
  return s;
}

inline void OnPoll(uv_poll_t* h, int status, int /*events*/) {
  Watcher* w = static_cast<Watcher*>(h->data);
  EnvState* s = w->state;
  napi_env env = s->env;
  s->watchers.erase(w->id);
  // Take the JS parts before retiring the poll handle; the Watcher itself lives until OnClosed.
  napi_ref cb_ref = w->callback;
  napi_async_context ctx = w->context;
  w->callback = nullptr;
  w->context = nullptr;
  Retire(w);

  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb = nullptr, recv = nullptr, arg = nullptr, result = nullptr;
  napi_get_reference_value(env, cb_ref, &cb);
  // napi_make_callback needs an object receiver (undefined throws); the global is Node's own
  // choice for callbacks without one.
  napi_get_global(env, &recv);
  // libuv reports errors as negative errno values; JS gets a positive errno (0 = exited).
  napi_create_int32(env, status < 0 ? -status : 0, &arg);
  if (cb != nullptr) {
    // napi_make_callback (not napi_call_function): runs the microtask queue afterwards, so the
    // promise the TS layer resolves here settles without waiting for another loop turn.
    if (napi_make_callback(env, ctx, recv, cb, 1, &arg, &result) == napi_pending_exception) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
  }
  napi_close_handle_scope(env, scope);
  napi_delete_reference(env, cb_ref);
  napi_async_destroy(env, ctx);
}

// Starts watching `fd` for readability and calls `cb(errno)` once. Returns 0 and the id, or an
// errno. On failure `owned_fd` (if any) is closed.
inline int Start(napi_env env, int fd, int owned_fd, napi_value cb, uint32_t* id_out) {
  EnvState* s = GetState(env, true);
  if (s == nullptr) {
    if (owned_fd >= 0) close(owned_fd);
    return ENOMEM;
  }
  Watcher* w = new Watcher();
  w->state = s;
  w->owned_fd = owned_fd;
  int rc = uv_poll_init(s->loop, &w->poll, fd);
  if (rc != 0) {
    // Not initialised: nothing to uv_close.
    if (owned_fd >= 0) close(owned_fd);
    delete w;
    return -rc;
  }
  w->poll.data = w;
  s->open_polls++;
  napi_value name;
  napi_create_string_utf8(env, "procsig:exitWatch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, nullptr, name, &w->context);
  napi_create_reference(env, cb, 1, &w->callback);
  rc = uv_poll_start(&w->poll, UV_READABLE, OnPoll);
  if (rc != 0) {
    Retire(w);
    return -rc;
  }
  w->id = s->next_id++;
  if (s->next_id == 0) s->next_id = 1;
  s->watchers[w->id] = w;
  *id_out = w->id;
  return 0;
}

inline int Cancel(napi_env env, uint32_t id) {
  EnvState* s = GetState(env, false);
  if (s == nullptr) return ENOENT;
  auto it = s->watchers.find(id);
  if (it == s->watchers.end()) return ENOENT;
  Watcher* w = it->second;
  s->watchers.erase(it);
  Retire(w);
  return 0;
}

inline void TrackFd(napi_env env, int fd) {
  EnvState* s = GetState(env, true);
  if (s != nullptr) s->fds.insert(fd);
}

// Closes a handle fd only when this env opened it and has not closed it yet: a double close
// from JS must never close a descriptor that has since been reused by someone else.
inline int CloseFd(napi_env env, int fd) {
  EnvState* s = GetState(env, false);
  if (s == nullptr || s->fds.erase(fd) == 0) return EBADF;
  return close(fd) == 0 ? 0 : errno;
}

inline void Counts(napi_env env, uint32_t* watchers, uint32_t* fds) {
  EnvState* s = GetState(env, false);
  *watchers = s == nullptr ? 0 : static_cast<uint32_t>(s->watchers.size());
  *fds = s == nullptr ? 0 : static_cast<uint32_t>(s->fds.size());
}

}  // namespace uvwatch
}  // namespace procsig

#endif  // PROCSIG_HANDLE_UVPOLL_H_
