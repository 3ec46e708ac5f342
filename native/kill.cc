// The platform-neutral half of kill, killMany and treePgids: argument handling and the batch
// loops. The syscalls themselves are KillOne (posix.cc: kill(2); win32.cc: a probe or
// TerminateProcess) and PgidOf (posix.cc: getpgid(2); win32.cc: -1).
#include "native.h"

namespace procsig {

Napi::Value Kill(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 2)) return info.Env().Undefined();
  const int32_t pid = info[0].As<Napi::Number>().Int32Value();
  const int sig = info[1].As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), KillOne(pid, sig));
}

Napi::Value KillMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsTypedArray()) {
    Napi::TypeError::New(env, "procsig native: killMany(Int32Array, number, Int32Array)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::TypedArray pa = info[0].As<Napi::TypedArray>();
  Napi::TypedArray ea = info[2].As<Napi::TypedArray>();
  if (pa.TypedArrayType() != napi_int32_array || ea.TypedArrayType() != napi_int32_array ||
      ea.ElementLength() < pa.ElementLength()) {
    Napi::TypeError::New(env, "procsig native: killMany needs Int32Arrays of matching length")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int32_t* pids = pa.As<Napi::Int32Array>().Data();
  int32_t* errs = ea.As<Napi::Int32Array>().Data();
  const size_t n = pa.ElementLength();
  const int sig = info[1].As<Napi::Number>().Int32Value();
  uint32_t ok = 0;
  // In order, so that on Windows lastWin32Error() afterwards belongs to the last failing pid.
  for (size_t i = 0; i < n; i++) {
    errs[i] = KillOne(pids[i], sig);
    if (errs[i] == 0) ok++;
  }
  return Napi::Number::New(env, ok);
}

Napi::Value TreePgids(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || !info[1].IsTypedArray()) {
    Napi::TypeError::New(env, "procsig native: treePgids(Int32Array, Int32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::TypedArray pa = info[0].As<Napi::TypedArray>();
  Napi::TypedArray oa = info[1].As<Napi::TypedArray>();
  if (pa.TypedArrayType() != napi_int32_array || oa.TypedArrayType() != napi_int32_array ||
      oa.ElementLength() < pa.ElementLength()) {
    Napi::TypeError::New(env, "procsig native: treePgids needs Int32Arrays of matching length")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int32_t* pids = pa.As<Napi::Int32Array>().Data();
  int32_t* out = oa.As<Napi::Int32Array>().Data();
  const size_t n = pa.ElementLength();
  for (size_t i = 0; i < n; i++) out[i] = PgidOf(pids[i]);
  return env.Undefined();
}

}  // namespace procsig
