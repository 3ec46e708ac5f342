// Job support on macOS: there are neither cgroups nor Job Objects, so Job uses its 'tree'
// backend (lib/job.ts), which needs nothing native. jobExecve returns ENOSYS here, and so do
// the jobObject* exports (job_posix.cc).
#include <errno.h>

#include "native.h"

namespace procsig {

Napi::Value JobExecve(const Napi::CallbackInfo& info) { return Failure(info.Env(), ENOSYS, "execvpe"); }

}  // namespace procsig
