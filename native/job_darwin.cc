// Job support on macOS: there are neither cgroups nor Job Objects, so Job uses its 'tree'
// backend (lib/job.ts), which needs nothing native. Every job export returns ENOSYS.
#include <errno.h>

#include "native.h"
#include "job_common.h"

namespace procsig {

Napi::Value JobExecve(const Napi::CallbackInfo& info) { return Failure(info.Env(), ENOSYS, "execvpe"); }
Napi::Value JobObjectCreate(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "CreateJobObject"); }
Napi::Value JobObjectAssign(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "AssignProcessToJobObject"); }
Napi::Value JobObjectAssignSelf(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "AssignProcessToJobObject"); }
Napi::Value JobObjectTerminate(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "TerminateJobObject"); }
Napi::Value JobObjectQuery(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "QueryInformationJobObject"); }
Napi::Value JobObjectPids(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "QueryInformationJobObject"); }
Napi::Value JobObjectClose(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "CloseHandle"); }

}  // namespace procsig
