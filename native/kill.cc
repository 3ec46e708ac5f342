// The platform-neutral half of kill, killMany and treePgids: argument handling and the batch
// loops. The syscalls themselves are KillOne (posix.cc: kill(2); win32.cc: a probe or
// TerminateProcess) and PgidOf (posix.cc: getpgid(2); win32.cc: -1).
#include <errno.h>
#include <string.h>

#include <string>

#include "native.h"

namespace procsig {

Napi::Value Kill(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 2)) return info.Env().Undefined();
  const int32_t pid = info[0].As<Napi::Number>().Int32Value();
  const int sig = info[1].As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), KillOne(pid, sig));
}

namespace {

// The (pids in, results out) Int32Array pair of a batch export, at info[in] and info[out]: false,
// with a TypeError thrown, unless both are Int32Arrays and the results hold one per pid. `usage`
// is the export's signature, "name(...)".
bool Int32Batch(const Napi::CallbackInfo& info, size_t in, size_t out, const char* usage, const int32_t** pids,
                int32_t** results, size_t* n) {
  Napi::Env env = info.Env();
  if (!info[in].IsTypedArray() || !info[out].IsTypedArray()) {
    Napi::TypeError::New(env, std::string("procsig native: ") + usage).ThrowAsJavaScriptException();
    return false;
  }
  Napi::TypedArray pa = info[in].As<Napi::TypedArray>();
  Napi::TypedArray ra = info[out].As<Napi::TypedArray>();
  if (pa.TypedArrayType() != napi_int32_array || ra.TypedArrayType() != napi_int32_array ||
      ra.ElementLength() < pa.ElementLength()) {
    const std::string name(usage, strcspn(usage, "("));
    Napi::TypeError::New(env, "procsig native: " + name + " needs Int32Arrays of matching length")
        .ThrowAsJavaScriptException();
    return false;
  }
  *pids = pa.As<Napi::Int32Array>().Data();
  *results = ra.As<Napi::Int32Array>().Data();
  *n = pa.ElementLength();
  return true;
}

}  // namespace

Napi::Value KillMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int32_t* pids = nullptr;
  int32_t* errs = nullptr;
  size_t n = 0;
  if (!Int32Batch(info, 0, 2, "killMany(Int32Array, number, Int32Array)", &pids, &errs, &n)) return env.Undefined();
  if (!info[1].IsNumber()) {
    Napi::TypeError::New(env, "procsig native: killMany(Int32Array, number, Int32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int sig = info[1].As<Napi::Number>().Int32Value();
  uint32_t ok = 0;
  // In order, so that on Windows lastWin32Error() afterwards belongs to the last failing pid.
  for (size_t i = 0; i < n; i++) {
    // -1 is every process (group 1 negated reads the same): never in a batch. broadcast() is
    // the one caller of kill(-1), through Kill.
    errs[i] = pids[i] == -1 ? EINVAL : KillOne(pids[i], sig);
    if (errs[i] == 0) ok++;
  }
  return Napi::Number::New(env, ok);
}

Napi::Value TreePgids(const Napi::CallbackInfo& info) {
  const int32_t* pids = nullptr;
  int32_t* out = nullptr;
  size_t n = 0;
  if (!Int32Batch(info, 0, 1, "treePgids(Int32Array, Int32Array)", &pids, &out, &n)) return info.Env().Undefined();
  for (size_t i = 0; i < n; i++) out[i] = PgidOf(pids[i]);
  return info.Env().Undefined();
}

}  // namespace procsig
