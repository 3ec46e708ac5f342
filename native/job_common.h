// Shared by job_linux.cc, job_darwin.cc and job_win32.cc (not by other files).
//
// Every jobObject* export returns a tuple [errno, win32, value]: errno is the POSIX-style code
// TypeScript turns into a ProcessError (0 on success), win32 the raw GetLastError() value behind
// it (0 off Windows), value the result (null when there is none).
#ifndef PROCSIG_JOB_COMMON_H_
#define PROCSIG_JOB_COMMON_H_

#include <errno.h>
#include <napi.h>

namespace procsig {

inline Napi::Array JobTuple(Napi::Env env, int err, unsigned long win32, Napi::Value value) {
  Napi::Array a = Napi::Array::New(env, 3);
  a.Set(0u, Napi::Number::New(env, err));
  a.Set(1u, Napi::Number::New(env, static_cast<double>(win32)));
  a.Set(2u, value);
  return a;
}

// The tuple of an operation this platform does not have.
inline Napi::Value JobEnosysTuple(Napi::Env env) { return JobTuple(env, ENOSYS, 0, env.Null()); }

}  // namespace procsig

#endif  // PROCSIG_JOB_COMMON_H_
