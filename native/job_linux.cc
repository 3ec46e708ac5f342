// Job support on Linux. The cgroup2 backend itself is plain file I/O on cgroupfs (mkdir,
// cgroup.procs, cgroup.kill, cgroup.freeze, cgroup.events, rmdir), which lib/job.ts does with
// node:fs; `job.wait()` watches cgroup.events with fs.watch (inotify: kernfs notifies a modify
// event on every populated/frozen change). What TypeScript cannot do is exec(2): jobExecve is the
// last step of the exec-intermediate fallback (see lib/job.ts) used when the procsig-job-exec
// helper executable was not shipped beside the addon.
//
// Job Objects do not exist here: the jobObject* exports return ENOSYS (job_posix.cc).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "native.h"

namespace procsig {

namespace {

bool StringArray(const Napi::Value& v, std::vector<std::string>* out) {
  if (!v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  const uint32_t n = a.Length();
  out->reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsString()) return false;
    out->push_back(e.As<Napi::String>().Utf8Value());
  }
  return true;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> p;
  p.reserve(strings.size() + 1);
  for (std::string& s : strings) p.push_back(&s[0]);
  p.push_back(nullptr);
  return p;
}

}  // namespace

// jobExecve(file, argv, env) -> failure (syscall "execvpe"); does not return on success.
Napi::Value JobExecve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> argv_s;
  std::vector<std::string> env_s;
  if (!info[0].IsString() || !StringArray(info[1], &argv_s) || argv_s.empty() ||
      !StringArray(info[2], &env_s)) {
    Napi::TypeError::New(env, "procsig native: jobExecve(file, argv[], env[])")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const std::string file = info[0].As<Napi::String>().Utf8Value();
  std::vector<char*> argv_p = Pointers(argv_s);
  std::vector<char*> env_p = Pointers(env_s);

  // Node ignores SIGPIPE and installs handlers; exec resets handled signals to the default but
  // keeps SIG_IGN and the signal mask, so the command would inherit Node's ignored SIGPIPE.
  // Restore what a freshly exec'd program expects (libuv does the same in its forked child).
  // signal() fails with EINVAL for SIGKILL/SIGSTOP and the glibc-reserved real-time signals;
  // those are already at their defaults, so the failure is ignored on purpose.
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  // Node marks its own stdio (fds 0-2) close-on-exec at startup; the command must inherit them.
  // EBADF (a closed stdio fd) is left alone: the command sees it closed, as it was here.
  for (int fd = 0; fd <= 2; fd++) {
    const int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC)) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }

  execvpe(file.c_str(), argv_p.data(), env_p.data());
  // Only reached on failure. The intermediate exits right after reporting it: its signal
  // handlers are gone now, so it must not go on running Node code for long.
  return Failure(env, errno, "execvpe");
}

}  // namespace procsig
