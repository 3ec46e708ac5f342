// The platform-neutral half of kill, killMany, treePgids, treeSids and treeStates: argument
// handling, the batch loops and their results (native.h's convention). The syscalls themselves
// are KillOne (posix.cc: kill(2); win32.cc: a probe or TerminateProcess), PgidOf and SidOf
// (posix.cc: getpgid(2), getsid(2); win32.cc: -1) and StateOf (tree_linux.cc, tree_darwin.cc,
// tree_win32.cc).
#include <errno.h>

#include <string>

#include "native.h"

namespace procsig {

Napi::Value Kill(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 2)) return info.Env().Undefined();
  const int32_t pid = info[0].As<Napi::Number>().Int32Value();
  const int sig = info[1].As<Napi::Number>().Int32Value();
  const SysError e = KillOne(pid, sig);
  // The success path allocates nothing: kill is procsig's hot path.
  return e.err == 0 ? info.Env().Undefined() : Napi::Value(Failure(info.Env(), e));
}

namespace {

// The pids of a batch export, at info[0]: false, with a TypeError thrown, unless an Int32Array.
// `usage` is the export's signature, "name(...)".
bool PidArray(const Napi::CallbackInfo& info, const char* usage, Napi::Int32Array* pids) {
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    Napi::TypeError::New(info.Env(), std::string("procsig native: ") + usage).ThrowAsJavaScriptException();
    return false;
  }
  *pids = info[0].As<Napi::Int32Array>();
  return true;
}

}  // namespace

Napi::Value KillMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Int32Array pa;
  if (!PidArray(info, "killMany(Int32Array, number)", &pa)) return env.Undefined();
  if (!info[1].IsNumber()) {
    Napi::TypeError::New(env, "procsig native: killMany(Int32Array, number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int sig = info[1].As<Napi::Number>().Int32Value();
  const int32_t* pids = pa.Data();
  const size_t n = pa.ElementLength();
  // Nothing JS-side is allocated unless a pid fails; each failure keeps its own errno and Win32
  // code.
  BatchFailures failures;
  failures.syscall = "kill";
  for (size_t i = 0; i < n; i++) {
    // -1 is every process (group 1 negated reads the same): never in a batch. broadcast() is
    // the one caller of kill(-1), through Kill.
    const SysError e = pids[i] == -1 ? SysError{EINVAL, "kill", 0} : KillOne(pids[i], sig);
    if (e.err != 0) failures.Add(pids[i], e);
  }
  return failures.ToJs(env);
}

namespace {

// One id per pid, by `of` (getpgid / getsid: -1 when it fails), into a fresh Int32Array.
Napi::Value IdsOf(const Napi::CallbackInfo& info, const char* usage, int32_t (*of)(int32_t)) {
  Napi::Env env = info.Env();
  Napi::Int32Array pa;
  if (!PidArray(info, usage, &pa)) return env.Undefined();
  const size_t n = pa.ElementLength();
  Napi::Int32Array out = Napi::Int32Array::New(env, n);
  if (!Made(out)) return env.Undefined();
  for (size_t i = 0; i < n; i++) out[i] = of(pa[i]);
  return out;
}

}  // namespace

Napi::Value TreePgids(const Napi::CallbackInfo& info) { return IdsOf(info, "treePgids(Int32Array)", PgidOf); }

Napi::Value TreeSids(const Napi::CallbackInfo& info) { return IdsOf(info, "treeSids(Int32Array)", SidOf); }

// treeStates(pids, starts): a TypeError unless pids is an Int32Array and starts a Float64Array at
// least as long; else fresh arrays (starts copied, so Linux can fill in the NaN ones) and one
// StateOf a pid.
Napi::Value TreeStates(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[1].As<Napi::TypedArray>().ElementLength() < info[0].As<Napi::TypedArray>().ElementLength()) {
    Napi::TypeError::New(env, "procsig native: treeStates(Int32Array, Float64Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Int32Array pa = info[0].As<Napi::Int32Array>();
  const size_t n = pa.ElementLength();
  const double* in = info[1].As<Napi::Float64Array>().Data();
  Napi::Uint8Array oa = Napi::Uint8Array::New(env, n);
  Napi::Float64Array sa = Napi::Float64Array::New(env, n);
  if (!Made(oa) || !Made(sa)) return env.Undefined();
  const int32_t* pids = pa.Data();
  uint8_t* out = oa.Data();
  double* starts = sa.Data();
  uint32_t alive = 0;
  for (size_t i = 0; i < n; i++) {
    starts[i] = in[i];
    const char letter = StateOf(pids[i], &starts[i]);
    out[i] = static_cast<uint8_t>(letter);
    if (letter != 0 && letter != 'Z' && letter != 'X') alive++;
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("alive", Napi::Number::New(env, alive));
  result.Set("state", oa);
  result.Set("start", sa);
  return result;
}

}  // namespace procsig
