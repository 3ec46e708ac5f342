// Shared by job_posix.cc and job_win32.cc (not by other files).
//
// Every jobObject* export follows native.h's convention: its value on success (undefined when
// there is none), else the failure object, whose syscall names the Win32 call that failed.
#ifndef PROCSIG_JOB_COMMON_H_
#define PROCSIG_JOB_COMMON_H_

#include <errno.h>
#include <napi.h>

#include "native.h"

namespace procsig {

// The failure of a Job Object call on a platform that has none.
inline Napi::Value JobEnosys(Napi::Env env, const char* syscall) { return Failure(env, ENOSYS, syscall); }

}  // namespace procsig

#endif  // PROCSIG_JOB_COMMON_H_
