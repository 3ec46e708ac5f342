// Job Objects on Linux and macOS: they are Windows-only, so every jobObject* export returns
// ENOSYS here, its syscall naming the Win32 call (native.h: every platform exports the same
// surface). jobExecve is per platform (job_linux.cc, job_darwin.cc).
#include "native.h"
#include "job_common.h"

namespace procsig {

Napi::Value JobObjectCreate(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "CreateJobObject"); }
Napi::Value JobObjectAssign(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "AssignProcessToJobObject"); }
Napi::Value JobObjectAssignSelf(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "AssignProcessToJobObject"); }
Napi::Value JobObjectTerminate(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "TerminateJobObject"); }
Napi::Value JobObjectQuery(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "QueryInformationJobObject"); }
Napi::Value JobObjectPids(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "QueryInformationJobObject"); }
Napi::Value JobObjectClose(const Napi::CallbackInfo& info) { return JobEnosys(info.Env(), "CloseHandle"); }

}  // namespace procsig
