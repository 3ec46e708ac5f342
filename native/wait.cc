// The platform-neutral half of waitpid/waitpidAsync: the JS form of a wait result, the
// thread-pool worker and the two exports. The wait itself is DoWait (posix.cc, win32.cc).
#include "native.h"

namespace procsig {

namespace {

Napi::Value WaitResultToJs(Napi::Env env, const WaitResult& r) {
  if (r.error.err != 0) return Failure(env, r.error);
  Napi::Array a = Napi::Array::New(env, 5);
  a.Set(0u, Napi::Number::New(env, r.pid));
  a.Set(1u, Napi::Number::New(env, r.raw));
  a.Set(2u, Napi::Number::New(env, r.kind));
  a.Set(3u, Napi::Number::New(env, r.value));
  a.Set(4u, Napi::Number::New(env, r.core));
  return a;
}

// A blocking wait on the libuv thread pool. It occupies one pool thread until the process
// changes state; docs/api.md says so (UV_THREADPOOL_SIZE). A failure, with its raw Win32 code
// on Windows, is kept in the result and resolved as the failure object.
class WaitWorker : public Napi::AsyncWorker {
 public:
  WaitWorker(Napi::Env env, int pid, int flags)
      : Napi::AsyncWorker(env, "procsig:waitpid"),
        deferred_(Napi::Promise::Deferred::New(env)),
        pid_(pid),
        flags_(flags) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { DoWait(pid_, flags_, &result_); }
  void OnOK() override { deferred_.Resolve(WaitResultToJs(Env(), result_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int pid_;
  int flags_;
  WaitResult result_;
};

}  // namespace

Napi::Value Waitpid(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 2)) return info.Env().Undefined();
  WaitResult r;
  DoWait(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(), &r);
  return WaitResultToJs(info.Env(), r);
}

Napi::Value WaitpidAsync(const Napi::CallbackInfo& info) {
  if (!ArgsAreNumbers(info, 2)) return info.Env().Undefined();
  auto* worker = new WaitWorker(info.Env(), info[0].As<Napi::Number>().Int32Value(),
                                info[1].As<Napi::Number>().Int32Value());
  Napi::Promise p = worker->Promise();
  worker->Queue();  // AsyncWorker deletes itself after OnOK/OnError.
  return p;
}

}  // namespace procsig
