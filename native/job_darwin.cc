// Job support on macOS: there are neither cgroups nor Job Objects, so Job uses its 'tree'
// backend (lib/job.ts), which needs nothing native. Every job export returns ENOSYS.
#include <errno.h>

#include "native.h"
#include "job_common.h"

namespace procsig {

Napi::Value JobExecve(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ENOSYS); }
Napi::Value JobObjectCreate(const Napi::CallbackInfo& info) { return JobEnosysTuple(info.Env()); }
Napi::Value JobObjectAssign(const Napi::CallbackInfo& info) { return JobEnosysTuple(info.Env()); }
Napi::Value JobObjectAssignSelf(const Napi::CallbackInfo& info) { return JobEnosysTuple(info.Env()); }
Napi::Value JobObjectTerminate(const Napi::CallbackInfo& info) { return JobEnosysTuple(info.Env()); }
Napi::Value JobObjectQuery(const Napi::CallbackInfo& info) { return JobEnosysTuple(info.Env()); }
Napi::Value JobObjectPids(const Napi::CallbackInfo& info) { return JobEnosysTuple(info.Env()); }
Napi::Value JobObjectClose(const Napi::CallbackInfo& info) { return JobEnosysTuple(info.Env()); }

}  // namespace procsig
