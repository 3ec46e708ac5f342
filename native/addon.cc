// Module registration: the export table only. Every function is declared in native.h and lives
// in a platform-neutral file (kill.cc, wait.cc) or a per-platform one (posix.cc + linux.cc /
// darwin.cc or win32.cc; handle_*, tree_*, job_* per platform); binding.gyp picks the files.
//
// The module is context-aware (node-addon-api's NODE_API_MODULE registers through
// napi_module_register with per-env initialisation), so it loads in any number of
// worker_threads at once. Per-env state, where a file needs it, hangs off env cleanup hooks.
#include "native.h"

namespace procsig {

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  struct Entry {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  };
  static const Entry kExports[] = {
      {"signalTable", SignalTable},
      {"signalDescription", SignalDescription},
      {"errnoTable", ErrnoTable},
      {"kill", Kill},
      {"killMany", KillMany},
      {"killpg", Killpg},
      {"waitpid", Waitpid},
      {"waitpidAsync", WaitpidAsync},
      {"processState", ProcessState},
      {"handleProbe", HandleProbe},
      {"handleOpen", HandleOpen},
      {"handleSignal", HandleSignal},
      {"handleQuery", HandleQuery},
      {"handleClose", HandleClose},
      {"processStartTime", ProcessStartTime},
      {"watchExit", WatchExit},
      {"watchCancel", WatchCancel},
      {"watchCount", WatchCount},
      {"treeSnapshot", TreeSnapshot},
      {"treeChildren", TreeChildren},
      {"treeStates", TreeStates},
      {"treeList", TreeList},
      {"treeRead", TreeRead},
      {"treePgids", TreePgids},
      {"treeSids", TreeSids},
      {"jobExecve", JobExecve},
      {"jobObjectCreate", JobObjectCreate},
      {"jobObjectAssign", JobObjectAssign},
      {"jobObjectAssignSelf", JobObjectAssignSelf},
      {"jobObjectTerminate", JobObjectTerminate},
      {"jobObjectQuery", JobObjectQuery},
      {"jobObjectPids", JobObjectPids},
      {"jobObjectClose", JobObjectClose},
  };
  for (const Entry& e : kExports) {
    exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  }
  return exports;
}

}  // namespace procsig

static Napi::Object InitProcsig(Napi::Env env, Napi::Object exports) {
  return procsig::Init(env, exports);
}

NODE_API_MODULE(procsig, InitProcsig)
