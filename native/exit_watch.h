// Exit watchers in pure Node-API, shared by handle_linux.cc (a pidfd per watcher) and
// handle_darwin.cc (a kqueue per watcher, with an EVFILT_PROC/NOTE_EXIT filter). Included by
// exactly one translation unit per build. No libuv: the same binary loads in Node, Electron, Bun
// and Deno, which implement Node-API but not libuv's C API.
//
// Design:
//  - one watcher thread per Node-API environment (the main thread and each worker), created on
//    the first watch and torn down with the environment; it blocks in epoll_wait (Linux) /
//    kevent (macOS) on every watched fd at once, plus a control event (an eventfd; EVFILT_USER)
//    that tells it to quit. No thread per waiter: a watch costs one epoll_ctl / kevent call.
//  - every fd is registered one-shot with its watcher's id (and the fd) as the event's data, and
//    the thread hands ids to the JS thread through one napi_threadsafe_function (the id travels
//    in the data pointer: nothing is allocated per event). The JS thread owns every other piece of
//    state, so a cancelled watch is just an id that is no longer in the map when its event arrives.
//  - on a 64-bit build the thread also peeks at the exit status as soon as the fd is ready
//    (PeekExit, defined by the including file: waitid(P_PIDFD, WNOWAIT) on Linux) and sends it
//    with the id, so the JS thread, woken a second time, has one system call less to make before
//    it resolves the wait (issue 16: exit detection within 2x of a C program's). The peek never
//    reaps; for a cancelled watch (whose fd may since be another file) its result is dropped with
//    the id.
//  - on the JS thread the watcher leaves the maps before its callback runs (the callback may
//    watch the same fd again), and the poller's registration — disabled, it fired one-shot — is
//    removed after the callback, unless the callback registered that fd anew.
//  - the thread-safe function is ref'd while anything is watched and unref'd otherwise, as a
//    uv_poll handle was: an active watch keeps the event loop alive, an idle watcher thread never
//    does.
//  - per-env state (watchers, the handle fds this env opened) is found through a small registry
//    keyed by napi_env, because the addon's single instance-data slot is not ours to take.
//  - teardown: environment cleanup hooks run in reverse order of registration. The hook that
//    stops and joins the thread is registered right after the thread-safe function is created,
//    so it runs before Node's own teardown of that function: the thread never calls into a
//    function that is gone. The hook that frees the state (watchers, fds) was registered first
//    and runs last.
#ifndef PROCSIG_EXIT_WATCH_H_
#define PROCSIG_EXIT_WATCH_H_

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include <mutex>
#include <unordered_map>
#include <unordered_set>

#if defined(__linux__)
#include <sys/epoll.h>
#include <sys/eventfd.h>
#elif defined(__APPLE__)
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#endif

#include "native.h"

namespace procsig {
namespace exitwatch {

// ---- the poller: one epoll / kqueue per env; id 0 is the control event ----

#if defined(__linux__)

struct Poller {
  int fd = -1;    // epoll
  int wake = -1;  // eventfd: written once to make the thread quit
};

inline int PollerOpen(Poller* p) {
  p->fd = epoll_create1(EPOLL_CLOEXEC);
  if (p->fd < 0) return errno;
  p->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (p->wake < 0) {
    int e = errno;
    close(p->fd);
    return e;
  }
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  if (epoll_ctl(p->fd, EPOLL_CTL_ADD, p->wake, &ev) != 0) {
    int e = errno;
    close(p->wake);
    close(p->fd);
    return e;
  }
  return 0;
}

// One-shot: the registration is disabled once it fired (a pidfd stays readable after the exit),
// and removed by PollerRemove on the JS thread.
// EEXIST: the fd's earlier registration is still there, disabled (a callback watching its own fd
// again runs before that registration is removed): re-arm it.
inline int PollerAdd(Poller* p, int fd, uint32_t id) {
  struct epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = static_cast<uint64_t>(id) | (static_cast<uint64_t>(static_cast<uint32_t>(fd)) << 32);
  if (epoll_ctl(p->fd, EPOLL_CTL_ADD, fd, &ev) == 0) return 0;
  if (errno == EEXIST && epoll_ctl(p->fd, EPOLL_CTL_MOD, fd, &ev) == 0) return 0;
  return errno;
}

// ENOENT/EBADF (the fd was closed, which removes it) are fine: nothing is registered any more.
inline void PollerRemove(Poller* p, int fd) { epoll_ctl(p->fd, EPOLL_CTL_DEL, fd, nullptr); }

inline void PollerWake(Poller* p) {
  uint64_t one = 1;
  // Cannot fail short of a counter overflow (2^64 - 2 wakes): one write ends the thread.
  while (write(p->wake, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

// Blocks until something is ready; fills ids (0 = control) and their fds, and returns how many,
// or -1 (EINTR).
inline int PollerWait(Poller* p, uint32_t* ids, int* fds, int max) {
  struct epoll_event evs[64];
  if (max > 64) max = 64;
  int n = epoll_wait(p->fd, evs, max, -1);
  for (int i = 0; i < n; i++) {
    ids[i] = static_cast<uint32_t>(evs[i].data.u64);
    fds[i] = static_cast<int>(static_cast<uint32_t>(evs[i].data.u64 >> 32));
  }
  return n;
}

inline void PollerClose(Poller* p) {
  close(p->wake);
  close(p->fd);
  p->fd = p->wake = -1;
}

#elif defined(__APPLE__)

struct Poller {
  int fd = -1;  // kqueue; the control event is EVFILT_USER ident 0
};

inline int KeventChange(int kq, struct kevent* kev) {
  int rc;
  do {
    rc = kevent(kq, kev, 1, nullptr, 0, nullptr);
  } while (rc < 0 && errno == EINTR);
  return rc < 0 ? errno : 0;
}

inline int PollerOpen(Poller* p) {
  p->fd = kqueue();
  if (p->fd < 0) return errno;
  struct kevent kev;
  EV_SET(&kev, 0, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, nullptr);
  int e = KeventChange(p->fd, &kev);
  if (e != 0) close(p->fd);
  return e;
}

inline int PollerAdd(Poller* p, int fd, uint32_t id) {
  struct kevent kev;
  EV_SET(&kev, static_cast<uintptr_t>(fd), EVFILT_READ, EV_ADD | EV_ONESHOT, 0, 0,
         reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
  return KeventChange(p->fd, &kev);
}

inline void PollerRemove(Poller* p, int fd) {
  struct kevent kev;
  EV_SET(&kev, static_cast<uintptr_t>(fd), EVFILT_READ, EV_DELETE, 0, 0, nullptr);
  KeventChange(p->fd, &kev);  // ENOENT: it fired (one-shot) or the fd was closed
}

inline void PollerWake(Poller* p) {
  struct kevent kev;
  EV_SET(&kev, 0, EVFILT_USER, 0, NOTE_TRIGGER, 0, nullptr);
  KeventChange(p->fd, &kev);
}

inline int PollerWait(Poller* p, uint32_t* ids, int* fds, int max) {
  struct kevent evs[64];
  if (max > 64) max = 64;
  int n = kevent(p->fd, nullptr, 0, evs, max, nullptr);
  for (int i = 0; i < n; i++) {
    ids[i] = evs[i].filter == EVFILT_USER ? 0 : static_cast<uint32_t>(reinterpret_cast<uintptr_t>(evs[i].udata));
    fds[i] = static_cast<int>(evs[i].ident);
  }
  return n;
}

inline void PollerClose(Poller* p) {
  close(p->fd);
  p->fd = -1;
}

#else
#error "exit_watch.h: Linux or macOS only"
#endif

// ---- per-env state (JS thread only, except `poller` and `tsfn`, fixed while the thread runs) ----

struct Watcher {
  int fd = -1;        // the fd registered with the poller
  int owned_fd = -1;  // closed with the watcher (macOS: its kqueue); -1 on Linux (the handle's)
  napi_ref callback = nullptr;
  napi_async_context context = nullptr;
};

struct EnvState {
  napi_env env = nullptr;
  std::unordered_map<uint32_t, Watcher*> watchers;
  std::unordered_map<int, uint32_t> by_fd;  // registered fd -> watcher id (one watch per fd)
  std::unordered_set<int> fds;  // handle fds opened in this env and not closed yet
  uint32_t next_id = 1;
  // The watcher thread, started on the first watch.
  bool running = false;
  bool stop_hook = false;  // StopThreadHook is registered
  bool refd = false;
  Poller poller;
  napi_threadsafe_function tsfn = nullptr;
  pthread_t thread;
};

// Every env's state, by env (EnvRegistry, native.h). A static map had an exit-time destructor,
// which outlived the library when Node dlclosed it with its last env: the prebuilds (zig, static
// libc++) crashed at exit calling into the unmapped library (test/hardening.test.ts, with the
// tarball's binary). No static in native/ has a destructor (-Wexit-time-destructors).
using Registry = EnvRegistry<EnvState>;

// Defined by the file that includes this one. PeekExit runs on the watcher thread when `fd` is
// ready: true, with a wait status word, when the exit's status can be read already (never by
// reaping). ExitValue makes the JS value the callback gets for it, on the JS thread.
bool PeekExit(int fd, int* raw);
napi_value ExitValue(napi_env env, int raw);

// The thread-safe function's data: the id in the low 32 bits; on 64-bit builds, bit 32 set when
// a status was peeked, and the status word (16 bits) from bit 40.
constexpr uint64_t kPeeked = uint64_t{1} << 32;
constexpr int kRawShift = 40;

inline void* ThreadMain(void* arg) {
  EnvState* s = static_cast<EnvState*>(arg);
  uint32_t ids[64];
  int fds[64];
  for (;;) {
    int n = PollerWait(&s->poller, ids, fds, 64);
    if (n < 0) {
      if (errno == EINTR) continue;
      return nullptr;  // EBADF/EINVAL cannot happen while the env lives: nothing to report to
    }
    for (int i = 0; i < n; i++) {
      if (ids[i] == 0) return nullptr;  // the control event: the env is going away
      uint64_t data = ids[i];
      int raw = 0;
      if (sizeof(void*) >= sizeof(uint64_t) && PeekExit(fds[i], &raw)) {
        data |= kPeeked | (static_cast<uint64_t>(raw & 0xffff) << kRawShift);
      }
      // The queue is unbounded, so this never blocks; napi_closing means the function is being
      // torn down, and the control event is on its way.
      if (napi_call_threadsafe_function(s->tsfn, reinterpret_cast<void*>(static_cast<uintptr_t>(data)),
                                        napi_tsfn_nonblocking) != napi_ok) {
        return nullptr;
      }
    }
  }
}

// Keeps the event loop alive exactly while something is watched.
inline void UpdateRef(EnvState* s) {
  const bool want = !s->watchers.empty();
  if (!s->running || want == s->refd) return;
  if (want) {
    napi_ref_threadsafe_function(s->env, s->tsfn);
  } else {
    napi_unref_threadsafe_function(s->env, s->tsfn);
  }
  s->refd = want;
}

// Drops a watcher that is no longer in the map: its JS references and its own fd.
inline void Free(napi_env env, Watcher* w) {
  if (w->callback != nullptr) napi_delete_reference(env, w->callback);
  if (w->context != nullptr) napi_async_destroy(env, w->context);
  if (w->owned_fd >= 0) close(w->owned_fd);
  delete w;
}

// Takes a watcher out of the maps (its id and its fd are free again); the caller frees it.
inline Watcher* Unmap(EnvState* s, std::unordered_map<uint32_t, Watcher*>::iterator it) {
  Watcher* w = it->second;
  s->watchers.erase(it);
  s->by_fd.erase(w->fd);
  return w;
}

// ...and out of the poller too.
inline Watcher* Detach(EnvState* s, std::unordered_map<uint32_t, Watcher*>::iterator it) {
  Watcher* w = Unmap(s, it);
  PollerRemove(&s->poller, w->fd);
  return w;
}

// On the JS thread, once per event. env is null while the function itself is being torn down.
// The callback gets (0) or, when the thread peeked the status, (0, ExitValue(status)).
inline void CallJs(napi_env env, napi_value /*js_cb*/, void* context, void* data) {
  if (env == nullptr) return;
  EnvState* s = static_cast<EnvState*>(context);
  const uint64_t packed = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(data));
  const uint32_t id = static_cast<uint32_t>(packed);
  auto it = s->watchers.find(id);
  if (it == s->watchers.end()) return;  // cancelled after the event was queued
  Watcher* w = Unmap(s, it);
  UpdateRef(s);

  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) == napi_ok) {
    napi_value cb = nullptr, recv = nullptr, args[2] = {nullptr, nullptr}, result = nullptr;
    size_t argc = 1;
    napi_get_reference_value(env, w->callback, &cb);
    // napi_make_callback needs an object receiver (undefined throws); the global is Node's own
    // choice for callbacks without one.
    napi_get_global(env, &recv);
    napi_create_int32(env, 0, &args[0]);
    if ((packed & kPeeked) != 0) {
      args[1] = ExitValue(env, static_cast<int>((packed >> kRawShift) & 0xffff));
      if (args[1] != nullptr) argc = 2;
    }
    // napi_make_callback (not napi_call_function): runs the microtask queue afterwards, so the
    // promise the TS layer resolves here settles without waiting for another loop turn.
    if (cb != nullptr && napi_make_callback(env, w->context, recv, cb, argc, args, &result) == napi_pending_exception) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
    napi_close_handle_scope(env, scope);
  }
  // Off the path to the callback: the fired registration goes (unless the callback registered
  // that fd again), then the watcher's references and own fd.
  if (s->by_fd.count(w->fd) == 0) PollerRemove(&s->poller, w->fd);
  Free(env, w);
}

// Stops and joins the thread, then lets the thread-safe function go (events still queued are
// dropped: CallJs sees a null env). Runs before Node tears the function down (see the top).
inline void StopThread(void* arg) {
  EnvState* s = static_cast<EnvState*>(arg);
  if (!s->running) return;
  PollerWake(&s->poller);
  pthread_join(s->thread, nullptr);
  s->running = false;
  napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
  s->tsfn = nullptr;
  PollerClose(&s->poller);
}

inline void StopThreadHook(void* arg) {
  EnvState* s = static_cast<EnvState*>(arg);
  s->stop_hook = false;
  StopThread(s);
}

// Env teardown (worker exit, process exit): every watcher is dropped, then every fd this env
// opened is closed.
inline void CleanupHook(void* arg) {
  EnvState* s = static_cast<EnvState*>(arg);
  // Node has run StopThreadHook already; a host that orders hooks differently gets it here.
  if (s->stop_hook) {
    napi_remove_env_cleanup_hook(s->env, StopThreadHook, s);
    s->stop_hook = false;
  }
  StopThread(s);
  for (auto& entry : s->watchers) Free(s->env, entry.second);
  s->watchers.clear();
  s->by_fd.clear();
  for (int fd : s->fds) close(fd);
  s->fds.clear();
  Registry::Remove(s->env);
  delete s;
}

inline EnvState* GetState(napi_env env, bool create) { return Registry::Get(env, create, CleanupHook); }

// Starts the env's watcher thread (once). Returns 0 or an errno.
inline int EnsureThread(EnvState* s) {
  if (s->running) return 0;
  int err = PollerOpen(&s->poller);
  if (err != 0) return err;
  napi_value name;
  napi_create_string_utf8(s->env, "procsig:exitWatch", NAPI_AUTO_LENGTH, &name);
  // No JS function: CallJs finds each watcher's own callback. Unbounded queue, one thread.
  if (napi_create_threadsafe_function(s->env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, s, CallJs,
                                      &s->tsfn) != napi_ok) {
    PollerClose(&s->poller);
    return ENOMEM;
  }
  // Created ref'd; UpdateRef refs it again once something is watched.
  napi_unref_threadsafe_function(s->env, s->tsfn);
  s->refd = false;
  err = pthread_create(&s->thread, nullptr, ThreadMain, s);
  if (err != 0) {
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
    s->tsfn = nullptr;
    PollerClose(&s->poller);
    return err;
  }
  s->running = true;
  // Registered after the thread-safe function, so it runs before that function's own teardown.
  if (napi_add_env_cleanup_hook(s->env, StopThreadHook, s) != napi_ok) {
    StopThread(s);
    return ENOMEM;
  }
  s->stop_hook = true;
  return 0;
}

// Starts watching `fd` for readability and calls `cb(0)` once, on the JS thread. Returns 0 and
// the id, or an errno (EEXIST: this fd is already watched in this env). On failure `owned_fd`
// (if any) is closed.
inline int Start(napi_env env, int fd, int owned_fd, napi_value cb, uint32_t* id_out) {
  EnvState* s = GetState(env, true);
  int err = s == nullptr ? ENOMEM : EnsureThread(s);
  if (err != 0) {
    if (owned_fd >= 0) close(owned_fd);
    return err;
  }
  uint32_t id = s->next_id;
  // Skip 0 (the control event) and ids still in use after a wrap-around.
  while (id == 0 || s->watchers.count(id) != 0) id++;
  s->next_id = id + 1;
  err = PollerAdd(&s->poller, fd, id);
  if (err != 0) {
    if (owned_fd >= 0) close(owned_fd);
    return err;
  }
  // From here an event may already be queued; it is delivered on this thread, after this call.
  Watcher* w = new Watcher();
  w->fd = fd;
  w->owned_fd = owned_fd;
  napi_value name;
  napi_create_string_utf8(env, "procsig:exitWatch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, nullptr, name, &w->context);
  napi_create_reference(env, cb, 1, &w->callback);
  s->watchers[id] = w;
  s->by_fd[fd] = id;
  UpdateRef(s);
  *id_out = id;
  return 0;
}

inline int Cancel(napi_env env, uint32_t id) {
  EnvState* s = GetState(env, false);
  if (s == nullptr) return ENOENT;
  auto it = s->watchers.find(id);
  if (it == s->watchers.end()) return ENOENT;
  Free(env, Detach(s, it));
  UpdateRef(s);
  return 0;
}

inline void TrackFd(napi_env env, int fd) {
  EnvState* s = GetState(env, true);
  if (s != nullptr) s->fds.insert(fd);
}

// Closes a handle fd only when this env opened it and has not closed it yet: a double close
// from JS must never close a descriptor that has since been reused by someone else. A watch on
// that fd is cancelled first (its callback never runs), so a later fd with the same number is
// never confused with it.
inline int CloseFd(napi_env env, int fd) {
  EnvState* s = GetState(env, false);
  if (s == nullptr || s->fds.erase(fd) == 0) return EBADF;
  auto by = s->by_fd.find(fd);
  if (by != s->by_fd.end()) {
    Free(env, Detach(s, s->watchers.find(by->second)));
    UpdateRef(s);
  }
  return close(fd) == 0 ? 0 : errno;
}

inline void Counts(napi_env env, uint32_t* watchers, uint32_t* fds) {
  EnvState* s = GetState(env, false);
  *watchers = s == nullptr ? 0 : static_cast<uint32_t>(s->watchers.size());
  *fds = s == nullptr ? 0 : static_cast<uint32_t>(s->fds.size());
}

// The bodies of the watchCancel(id) and watchCount() exports, the same wherever this watcher
// serves (handle_linux.cc, handle_darwin.cc; native.h's convention).
inline Napi::Value CancelExport(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 1)) return info.Env().Undefined();
  const int err = Cancel(info.Env(), info[0].As<Napi::Number>().Uint32Value());
  return err == 0 ? info.Env().Undefined() : Napi::Value(Failure(info.Env(), err, "watchCancel"));
}

inline Napi::Value CountExport(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t watchers = 0, fds = 0;
  Counts(env, &watchers, &fds);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, watchers));
  out.Set(1u, Napi::Number::New(env, fds));
  return out;
}

}  // namespace exitwatch
}  // namespace procsig

#endif  // PROCSIG_EXIT_WATCH_H_
