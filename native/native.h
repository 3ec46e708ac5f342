// Shared declarations for the procsig addon.
//
// The result convention every export follows (docs/internals.md, "The native boundary"; checked
// export by export in test/native-boundary.test.ts):
//  - one syscall, or one batch of the same syscall, per call;
//  - success returns the value (undefined for an export with nothing to return: the hot paths
//    allocate nothing on success); a success value never carries a `syscall` field;
//  - an OS failure returns a failure object { errno, syscall, win32?, pid? } built by Failure()
//    below, never thrown, never left in a side channel; a batch returns one failure object whose
//    pid/errno/win32 are per-pid arrays (BatchFailures);
//  - C++ throws a JS TypeError only for a programming error (wrong argument types), which the
//    TypeScript layer rules out before calling;
//  - an operation the platform lacks fails with ENOSYS instead of being absent, so every
//    platform exports the same surface.
#ifndef PROCSIG_NATIVE_H_
#define PROCSIG_NATIVE_H_

#include <napi.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <sys/stat.h>
#endif

#include <mutex>
#include <unordered_map>
#include <vector>

namespace procsig {

// A lock for static storage, with no destructor to run at exit (std::mutex has one with libc++ on
// musl, macOS and Windows). Node dlcloses the addon with the last env (worker) that loaded it,
// and an exit-time destructor registered by the library could then outlive it: the prebuilds
// crashed at process exit that way (native/exit_watch.h). They compile with
// -Wexit-time-destructors (scripts/prebuild-all.sh). BasicLockable, for std::lock_guard.
class StaticLock {
 public:
  void lock() {
#ifdef _WIN32
    AcquireSRWLockExclusive(&lock_);
#else
    pthread_mutex_lock(&lock_);
#endif
  }
  void unlock() {
#ifdef _WIN32
    ReleaseSRWLockExclusive(&lock_);
#else
    pthread_mutex_unlock(&lock_);
#endif
  }

 private:
#ifdef _WIN32
  SRWLOCK lock_ = SRWLOCK_INIT;
#else
  pthread_mutex_t lock_ = PTHREAD_MUTEX_INITIALIZER;
#endif
};

// Per-env state of type T, by env, for a file whose state outlives a single call (the exit
// watchers: exit_watch.h, handle_win32.cc). The map lives on the heap only while it has entries
// and is freed when the last env leaves, so no static needs a destructor at exit (StaticLock).
// T has an `env` member; its cleanup hook frees it and calls Remove.
template <typename T>
class EnvRegistry {
 public:
  // The env's state. With create, the first call makes it (env set) and registers `cleanup` as
  // the env's cleanup hook; nullptr when there is none (or the hook could not be added). Each
  // env's state is only made on its own JS thread, so finding and adding under two lock holds is
  // enough.
  static T* Get(napi_env env, bool create, void (*cleanup)(void*)) {
    if (T* found = Find(env)) return found;
    if (!create) return nullptr;
    T* s = new T();
    s->env = env;
    if (napi_add_env_cleanup_hook(env, cleanup, s) != napi_ok) {
      delete s;
      return nullptr;
    }
    Add(env, s);
    return s;
  }
  static void Remove(napi_env env) {
    std::lock_guard<StaticLock> guard(lock_);
    if (map_ == nullptr) return;
    map_->erase(env);
    if (map_->empty()) {
      delete map_;
      map_ = nullptr;
    }
  }

 private:
  static T* Find(napi_env env) {
    std::lock_guard<StaticLock> guard(lock_);
    if (map_ == nullptr) return nullptr;
    auto it = map_->find(env);
    return it == map_->end() ? nullptr : it->second;
  }
  static void Add(napi_env env, T* state) {
    std::lock_guard<StaticLock> guard(lock_);
    if (map_ == nullptr) map_ = new std::unordered_map<napi_env, T*>();
    (*map_)[env] = state;
  }
  static inline StaticLock lock_;
  static inline std::unordered_map<napi_env, T*>* map_ = nullptr;
};

// Whether a value the addon just created exists. Creating one fails while a worker_threads
// environment is being terminated (and when an exception is pending): node-addon-api then hands
// back an empty value, whose Data() is null. The caller returns at once; nothing reaches JS then.
template <typename T>
inline bool Made(const T& v) { return !v.IsEmpty(); }

// A boolean flag argument: true only for `true`. Not Napi::Value::ToBoolean, whose
// napi_coerce_to_bool refuses to run while a worker_threads environment is being terminated, and
// node-addon-api then turns that refusal into a fatal error (the process aborts).
inline bool FlagArg(const Napi::Value& v) { return v.IsBoolean() && v.As<Napi::Boolean>().Value(); }

// The native layer's one argument check. TypeScript validates every argument before calling, so
// a non-number here is a programming error: throw a TypeError (the only C++-side throw) and
// return false, and the caller returns at once — a second throw on top of a pending exception
// would be fatal with C++ exceptions disabled.
inline bool ArgsAreNumbers(const Napi::CallbackInfo& info, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!info[i].IsNumber()) {
      Napi::TypeError::New(info.Env(), "procsig native: expected number arguments")
          .ThrowAsJavaScriptException();
      return false;
    }
  }
  return true;
}

// One failed syscall: its errno (0: no failure), the call that failed and, on Windows, the raw
// Win32 code behind the errno (0 when no Win32 call failed). What the platform halves (KillOne,
// DoWait, ...) hand back to the export that reports it.
struct SysError {
  int err = 0;
  const char* syscall = "";
  unsigned long win32 = 0;
};

// Failures with neither a pid nor a Win32 code are immutable data, the same for every call that
// fails the same way: each (errno, syscall) pair is built once per env, frozen, and handed out
// again (a kill(2) of a dead pid is on a hot path: building the object each time doubled its
// cost). The cache is the env's instance data, released with the env.
struct FailureCache {
  struct Entry {
    int err;
    const char* syscall;  // a string literal: compared by address, then by text
    Napi::ObjectReference ref;
  };
  std::vector<Entry> entries;
};

inline Napi::Object BuildFailure(Napi::Env env, const SysError& e, const int32_t* pid);

// The one builder of the failure object every export returns on failure:
// { errno, syscall, win32? (non-zero only), pid? (exports that name the process) }.
// lib/native.ts types it (NativeFailure) and lib/errors.ts turns it into a ProcessError.
inline Napi::Object Failure(Napi::Env env, const SysError& e, const int32_t* pid = nullptr) {
  if (pid != nullptr || e.win32 != 0) return BuildFailure(env, e, pid);
  FailureCache* cache = env.GetInstanceData<FailureCache>();
  if (cache == nullptr) {
    cache = new FailureCache();
    env.SetInstanceData<FailureCache>(cache);
  }
  for (FailureCache::Entry& c : cache->entries) {
    if (c.err == e.err && (c.syscall == e.syscall || strcmp(c.syscall, e.syscall) == 0)) return c.ref.Value();
  }
  Napi::Object f = BuildFailure(env, e, nullptr);
  napi_object_freeze(env, f);
  cache->entries.push_back({e.err, e.syscall, Napi::Persistent(f)});
  return f;
}

inline Napi::Object BuildFailure(Napi::Env env, const SysError& e, const int32_t* pid) {
  // One napi_define_properties for every field.
  napi_value err, call, win32 = nullptr, p = nullptr;
  napi_create_int32(env, e.err, &err);
  napi_create_string_utf8(env, e.syscall, NAPI_AUTO_LENGTH, &call);
  napi_property_descriptor props[4] = {
      {"errno", nullptr, nullptr, nullptr, nullptr, err, napi_default_jsproperty, nullptr},
      {"syscall", nullptr, nullptr, nullptr, nullptr, call, napi_default_jsproperty, nullptr},
  };
  size_t n = 2;
  if (e.win32 != 0) {
    napi_create_double(env, static_cast<double>(e.win32), &win32);
    props[n++] = {"win32", nullptr, nullptr, nullptr, nullptr, win32, napi_default_jsproperty, nullptr};
  }
  if (pid != nullptr) {
    napi_create_int32(env, *pid, &p);
    props[n++] = {"pid", nullptr, nullptr, nullptr, nullptr, p, napi_default_jsproperty, nullptr};
  }
  Napi::Object f = Napi::Object::New(env);
  napi_define_properties(env, f, n, props);
  return f;
}
inline Napi::Object Failure(Napi::Env env, int err, const char* syscall) {
  return Failure(env, SysError{err, syscall, 0});
}

// A batch's failures (killMany): one entry per failed pid, in pid order, each with its own errno
// and (Windows) raw Win32 code. Returned as ONE failure object whose fields are fresh parallel
// arrays — { syscall, pid: Int32Array, errno: Int32Array, win32?: Float64Array } — built with a
// constant number of Node-API calls whatever the number of failures: an object per failed pid
// costs ~1 us each, which made a kill of 5,000 dead pids twice the C loop's time.
struct BatchFailures {
  const char* syscall = "";
  std::vector<int32_t> pid;
  std::vector<int32_t> err;
  std::vector<double> win32;  // one per entry once any entry has a Win32 code, else empty
  bool has_win32 = false;
  void Add(int32_t p, const SysError& e) {
    syscall = e.syscall;
    if (e.win32 != 0 && !has_win32) {
      has_win32 = true;
      win32.assign(pid.size(), 0);  // the entries before this one had none
    }
    pid.push_back(p);
    err.push_back(e.err);
    if (has_win32) win32.push_back(static_cast<double>(e.win32));
  }
  Napi::Value ToJs(Napi::Env env) const {
    if (pid.empty()) return env.Undefined();
    Napi::Object f = Napi::Object::New(env);
    Napi::Int32Array p = Napi::Int32Array::New(env, pid.size());
    Napi::Int32Array e = Napi::Int32Array::New(env, err.size());
    if (!Made(f) || !Made(p) || !Made(e)) return env.Undefined();
    memcpy(p.Data(), pid.data(), pid.size() * sizeof(int32_t));
    memcpy(e.Data(), err.data(), err.size() * sizeof(int32_t));
    f.Set("errno", e);
    f.Set("syscall", Napi::String::New(env, syscall));
    f.Set("pid", p);
    if (has_win32) {
      Napi::Float64Array w = Napi::Float64Array::New(env, win32.size());
      if (!Made(w)) return env.Undefined();
      memcpy(w.Data(), win32.data(), win32.size() * sizeof(double));
      f.Set("win32", w);
    }
    return f;
  }
};

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
// signalTable() -> { table: [[name, number], ...], rtmin, rtmax, nsig }: what every start needs
// (lib/signals.ts builds its `signals` export from it), so no text is made here.
Napi::Value SignalTable(const Napi::CallbackInfo& info);
// signalDescription(number) -> strsignal(3)'s text ("Unknown signal" for a number it does not know)
Napi::Value SignalDescription(const Napi::CallbackInfo& info);
// errnoTable() -> [[name, number, description], ...]
Napi::Value ErrnoTable(const Napi::CallbackInfo& info);

// ---- kill family (posix.cc / win32.cc; the batch loops in kill.cc) ----
// One kill(2) (Windows: a probe or TerminateProcess, reported as syscall "kill"), for kill.cc.
SysError KillOne(int32_t pid, int sig);
// kill(pid, sig) -> undefined | failure
Napi::Value Kill(const Napi::CallbackInfo& info);
// killMany(pids: Int32Array, sig) -> undefined when every pid was signalled, else the batch's
// failures (BatchFailures: one entry per failed pid, each with its own errno / win32).
Napi::Value KillMany(const Napi::CallbackInfo& info);
// killpg(pgid, sig) -> undefined | failure
Napi::Value Killpg(const Napi::CallbackInfo& info);

// ---- waiting (posix.cc / win32.cc) ----
// One wait, as DoWait reports it; wait.cc turns it into [pid, rawStatus, kind, value, core], or
// the failure. Doubles where Windows needs them (exit codes are 32-bit unsigned there).
struct WaitResult {
  SysError error;
  int pid = 0;
  double raw = 0;
  int kind = kKindNone;
  double value = 0;
  int core = 0;
};
// The platform's wait (posix.cc: waitpid/waitid; win32.cc: a process HANDLE). May block: it runs
// on the JS thread only with kWaitNoHang, otherwise on the thread pool (wait.cc).
void DoWait(int pid, int flags, WaitResult* r);

// waitpid(pid, flags) -> [pid, rawStatus, kind, value, core] | failure (syscall "waitpid", also
// for the waitid(2) kWaitNoWait makes)
Napi::Value Waitpid(const Napi::CallbackInfo& info);
// waitpidAsync(pid, flags) -> Promise<the same>, a blocking waitpid run on the libuv thread pool
// (the failure, Win32 code included, travels in the resolved value, never through the thread).
Napi::Value WaitpidAsync(const Napi::CallbackInfo& info);

// ---- process state (linux.cc / darwin.cc / win32.cc) ----
// processState(pid) -> one-letter state ('R', 'S', 'Z', ...), null when the process is gone, or
// (Linux) a failure (syscall "open") when it exists but its state cannot be read: errno EMFILE,
// ..., or one of the kProc* values below.
Napi::Value ProcessState(const Napi::CallbackInfo& info);

// ---- telling "gone" from "cannot see" (Linux /proc readers) ----
// Negative "errno" values (never a real errno) a /proc reader returns when a process exists but
// /proc does not show it: kProcNotMounted when /proc is not a procfs (not mounted, or covered by
// another file system), kProcHidden when it is hidden from the caller (hidepid=, or a
// /proc/<pid> entry the caller may not read).
constexpr int kProcNotMounted = -1;
constexpr int kProcHidden = -2;
#ifdef __linux__
// After opening or reading /proc/<pid>/... failed with errno `err`: 0 when the process is really
// gone (ENOENT/ESRCH, and getpgid(2) — which needs no /proc and no fd — finds no such pid), else
// the error to report: kProcNotMounted, kProcHidden, or `err` itself (EMFILE, ENFILE, ENOMEM...).
// An exhausted fd table must never read as "gone". linux.cc.
int ProcFailure(int pid, int err);
// Whether /proc is a procfs (statfs f_type PROC_SUPER_MAGIC). linux.cc.
bool ProcIsProcfs();
// fstatat(2) (AT_EMPTY_PATH with "" for fstat), through syscall(2): 0, or -1 with errno set. The
// glibc prebuilds target glibc 2.17, where stat/fstat/fstatat were not exported functions, so zig
// links its own copies into the addon, which set an errno of their own: after a failed stat() the
// addon read errno 0, and a process hidden by hidepid=2 read as gone (a short descendants list,
// test/deployments.test.ts with the tarball's binary). No other libc function is linked in that
// way. linux.cc.
int StatAt(int dirfd, const char* path, struct stat* st, int flags);
// Reads a small /proc file (`path` relative to `dirfd`, AT_FDCWD for an absolute one) into buf,
// NUL-terminated: the length, or -1 with errno set. /proc/<pid>/stat is a seq_file single_open
// file: the first read() returns the whole text whenever it fits, so a read that leaves room in
// the buffer is the end (no second read() to see EOF: a syscall saved per process in a scan).
// Through a /proc/<pid> dirfd, ESRCH (or ENOENT) means that process has been reaped. linux.cc.
ssize_t ReadProcFile(int dirfd, const char* path, char* buf, size_t cap);
// One /proc/<pid>/stat line, parsed by ParseProcStat: the one parser of that file.
struct ProcStat {
  int32_t pid = 0;
  int32_t ppid = 0;
  int32_t pgid = 0;
  int32_t sid = 0;
  double start = 0;  // field 22, starttime: clock ticks since boot
  char state = '?';
  const char* name = nullptr;  // comm, pointing into the parsed buffer
  size_t name_len = 0;
};
// Parses "pid (comm) S ppid pgrp session ... starttime ...": comm may contain spaces and
// parentheses, so the fields start after the *last* ')'. False for a line it cannot read.
// linux.cc.
bool ParseProcStat(const char* buf, ProcStat* row);
#endif

// ---- process trees (tree_linux.cc / tree_darwin.cc / tree_win32.cc) ----
// treeSnapshot(withNames) -> { pid, ppid, pgid, sid: Int32Array, start: Float64Array (raw start
// time: Linux clock ticks since boot, macOS microseconds since the epoch, Windows FILETIME 100 ns
// units), state: Uint8Array (a /proc-style state letter), name?: string[] (with names),
// startUnitMs, startBaseMs (epoch ms = startBaseMs + start * startUnitMs) } of every visible
// process: one shape, every row read. A failure when the process list itself cannot be read;
// Linux: also when one listed process could not be read for a reason other than being gone
// (EMFILE, ENFILE, EACCES...: errno may be kProcHidden; its pid named), never a partial list;
// and kProcNotMounted when /proc is not a procfs.
Napi::Value TreeSnapshot(const Napi::CallbackInfo& info);
// The columns of a treeSnapshot / treeRead result, shared by the three tree_*.cc: fresh arrays of
// n rows (name only with names) that the platform fills in, then ToJs builds the one shape
// lib/native.ts reads, with the platform's start clock (epoch ms = base_ms + start * unit_ms).
struct TreeColumns {
  Napi::Int32Array pid, ppid, pgid, sid;
  Napi::Float64Array start;
  Napi::Uint8Array state;
  Napi::Array name;  // empty without names
  const bool with_names;
  TreeColumns(Napi::Env env, size_t n, bool names)
      : pid(Napi::Int32Array::New(env, n)),
        ppid(Napi::Int32Array::New(env, n)),
        pgid(Napi::Int32Array::New(env, n)),
        sid(Napi::Int32Array::New(env, n)),
        start(Napi::Float64Array::New(env, n)),
        state(Napi::Uint8Array::New(env, n)),
        name(names ? Napi::Array::New(env, n) : Napi::Array()),
        with_names(names) {}
  // False when a column could not be made (see Made): return at once, writing nothing.
  bool Ok() const {
    return Made(pid) && Made(ppid) && Made(pgid) && Made(sid) && Made(start) && Made(state) && (!with_names || Made(name));
  }
  Napi::Object ToJs(Napi::Env env, double unit_ms, double base_ms) const {
    Napi::Object out = Napi::Object::New(env);
    out.Set("pid", pid);
    out.Set("ppid", ppid);
    out.Set("pgid", pgid);
    out.Set("sid", sid);
    out.Set("start", start);
    out.Set("state", state);
    if (!name.IsEmpty()) out.Set("name", name);
    out.Set("startUnitMs", Napi::Number::New(env, unit_ms));
    out.Set("startBaseMs", Napi::Number::New(env, base_ms));
    return out;
  }
};
// treeList() -> Int32Array of every pid /proc lists (ascending) | failure. Linux (ENOSYS
// elsewhere): killTree's scans choose what to read from it (lib/tree/linux.ts).
Napi::Value TreeList(const Napi::CallbackInfo& info);
// treeRead(pids: Int32Array) -> the columns of treeSnapshot (no names) for those of `pids` still
// there (a process gone meanwhile is left out) | failure, as treeSnapshot. Linux (ENOSYS
// elsewhere).
Napi::Value TreeRead(const Napi::CallbackInfo& info);
// treeChildren(pid) -> Int32Array of every descendant, breadth-first, read from the kernel's own
// child lists (Linux task/*/children, macOS proc_listchildpids); null where the platform has no
// such list (then TypeScript walks a snapshot). Linux: a failure (naming the member's pid) when a
// member's list cannot be read although it exists (errno may be kProcHidden / kProcNotMounted).
Napi::Value TreeChildren(const Napi::CallbackInfo& info);
// treeStates(pids: Int32Array, starts: Float64Array) -> { alive, state: Uint8Array, start:
// Float64Array }, fresh arrays: state[i] is 0 when pids[i] is gone or now names a different
// process (start time differs), else its state letter ('Z' for a zombie), or '?' (counted alive)
// when it exists but cannot be read now (an exhausted fd table, a hidden /proc): never "gone"
// for a process that cannot be seen. A NaN start skips the check; on Linux `start` has it filled
// in with the start time read, so the next call checks it.
Napi::Value TreeStates(const Napi::CallbackInfo& info);  // kill.cc, over StateOf below
// treeStates' one pid, for kill.cc's TreeStates (which owns the arguments, the fresh result
// arrays, the loop and the alive count): the state letter of `pid`; 0 when it is gone or now
// names a different process (its start time differs from *start, unless *start is NaN); '?' when
// it exists but cannot be read now. Linux fills in a NaN *start with the start time it read.
// Every letter but 0, 'Z' and 'X' counts as alive. tree_linux.cc / tree_darwin.cc / tree_win32.cc.
char StateOf(int32_t pid, double* start);
// treePgids(pids: Int32Array) -> Int32Array of PgidOf(pids[i]), fresh. One syscall a pid and no
// /proc read: killTree lists a group's members with it. -1 is data ("no such process": getpgid's
// one error for an existing pid on Linux is none), not a failure. kill.cc.
Napi::Value TreePgids(const Napi::CallbackInfo& info);
// treeSids(pids: Int32Array) -> Int32Array of SidOf(pids[i]), fresh, as treePgids. kill.cc.
Napi::Value TreeSids(const Napi::CallbackInfo& info);
// getpgid(2) / getsid(2) of one process, -1 when that fails (gone); always -1 on Windows (no
// process groups or sessions). posix.cc / win32.cc.
int32_t PgidOf(int32_t pid);
int32_t SidOf(int32_t pid);

// ---- Win32 error helpers (win32.cc; defined on Windows only, for the other *_win32.cc) ----
// Win32ToErrno(GetLastError()) -> the CRT errno libuv would report for it (EIO when unknown):
// the one Win32 mapping. `unsigned long` is DWORD on every Windows compiler; windows.h stays out
// of this header.
int Win32ToErrno(unsigned long win32);
// The failure of a Win32 call: Win32ToErrno's errno with the raw code beside it.
inline SysError Win32Failure(const char* syscall, unsigned long win32) {
  return SysError{Win32ToErrno(win32), syscall, win32};
}

// ---- jobs (job_linux.cc / job_darwin.cc / job_win32.cc) ----
// jobExecve(file, argv[], env[]) -> failure (returns only then): restores default signal
// dispositions and an empty mask, then execvpe(3). Linux only (ENOSYS elsewhere); the last step
// of Job's exec intermediate.
Napi::Value JobExecve(const Napi::CallbackInfo& info);
// Job Objects (Windows; failing with ENOSYS elsewhere). Each returns its value (undefined when
// none) or a failure whose syscall names the Win32 call.
// jobObjectCreate(name | null) -> External job, with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
Napi::Value JobObjectCreate(const Napi::CallbackInfo& info);
// jobObjectAssign(job, pid) -> undefined
Napi::Value JobObjectAssign(const Napi::CallbackInfo& info);
// jobObjectAssignSelf(name) -> undefined: the calling process joins the named job
Napi::Value JobObjectAssignSelf(const Napi::CallbackInfo& info);
// jobObjectTerminate(job, exitCode) -> undefined
Napi::Value JobObjectTerminate(const Napi::CallbackInfo& info);
// jobObjectQuery(job) -> [activeProcesses, totalProcesses, totalTerminatedProcesses]
Napi::Value JobObjectQuery(const Napi::CallbackInfo& info);
// jobObjectPids(job) -> number[]
Napi::Value JobObjectPids(const Napi::CallbackInfo& info);
// jobObjectClose(job) -> undefined (idempotent)
Napi::Value JobObjectClose(const Napi::CallbackInfo& info);

// ---- process handles and exit watchers (handle_linux.cc / handle_darwin.cc / handle_win32.cc) ----
// handleProbe() bits: what this platform's handles can do (probed once per process).
// Only the bits lib/ reads (lib/handle.ts); values are kept stable.
enum HandleCaps : int {
  kHandleFd = 1,          // handleOpen returns a kernel handle (pidfd / HANDLE)
  kHandleSignal = 2,      // handleSignal signals through it (pidfd_send_signal / TerminateProcess)
  kHandleWatchFd = 4,     // watchExit(fd, ...) watches that handle (epoll / kqueue watcher thread, wait handle)
  kHandleWatchPid = 8,    // watchExit(-1, pid, ...) watches a bare pid (kqueue EVFILT_PROC)
  kHandleProcSignal = 128,  // handleSignal(fd, sig) works on a /proc/<pid> dirfd (Linux >= 5.1)
};
// handleQuery() states (index 0 of its result; a failure is a failure object instead).
enum HandleState : int {
  kHandleRunning = 0,
  kHandleExitedKnown = 1,   // raw/kind/value/core at 1..4, as in a wait tuple
  kHandleExitedUnknown = 2, // gone (zombie or reaped), status not available
};
Napi::Value HandleProbe(const Napi::CallbackInfo& info);
// handleOpen(pid, procDir?) -> [fd (-1: no kernel handle), startTime ('' unknown)] | failure
// (syscall "pidfd_open" / "open" / "OpenProcess" / "proc_pidinfo"). Linux with procDir true: fd
// is an open /proc/<pid> directory instead of a pidfd (the identity without pidfds); EINVAL for
// a thread id. Other platforms ignore procDir.
Napi::Value HandleOpen(const Napi::CallbackInfo& info);
// handleSignal(fd, sig, pid?) -> undefined | failure (syscall "pidfd_send_signal" /
// "TerminateProcess"; "kill" with pid). Linux with pid > 0: fd is a /proc/<pid> dirfd, checked
// (ESRCH once that process is reaped, even if the pid was reused) right before kill(pid, sig).
Napi::Value HandleSignal(const Napi::CallbackInfo& info);
// handleQuery(fd, peekChild, pid?) -> [state, raw, kind, value, core] | failure. Linux: a /proc
// dirfd (fstat says directory) is read through; with a pidfd, pid > 0 is what the waitid(P_PID)
// fallback peeks at when waitid(P_PIDFD) is refused.
Napi::Value HandleQuery(const Napi::CallbackInfo& info);
// handleClose(fd) -> undefined | failure (EBADF when this env does not hold fd)
Napi::Value HandleClose(const Napi::CallbackInfo& info);
// processStartTime(pid) -> string, null (gone), or (Linux) a failure as processState gives
Napi::Value ProcessStartTime(const Napi::CallbackInfo& info);
// watchExit(fd, pid, cb) -> watcher id | failure; cb(errno) runs once on the JS thread when it
// exits.
Napi::Value WatchExit(const Napi::CallbackInfo& info);
// watchExit's arguments, the same on every platform: false (a TypeError naming `usage` thrown)
// unless info[0] and info[1] are numbers and info[2] a function.
inline bool WatchExitArgs(const Napi::CallbackInfo& info, const char* usage) {
  // ArgsAreNumbers has already thrown when it fails: throwing a second TypeError on top of a
  // pending exception makes napi_throw fail, which is fatal with C++ exceptions disabled.
  if (!ArgsAreNumbers(info, 2)) return false;
  if (!info[2].IsFunction()) {
    Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
    return false;
  }
  return true;
}
// watchCancel(id) -> undefined | failure (ENOENT when it already fired or was cancelled)
Napi::Value WatchCancel(const Napi::CallbackInfo& info);
// watchCount() -> [active watchers, open handle fds] of this env
Napi::Value WatchCount(const Napi::CallbackInfo& info);

}  // namespace procsig

#endif  // PROCSIG_NATIVE_H_
