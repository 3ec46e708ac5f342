// Linux-only parts: /proc reads (and, as later issues land, pidfds and cgroups).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "native.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

namespace procsig {

bool ProcIsProcfs() {
  struct statfs fs;
  return statfs("/proc", &fs) == 0 && static_cast<unsigned long>(fs.f_type) == PROC_SUPER_MAGIC;
}

int ProcFailure(int pid, int err) {
  if (err == EACCES || err == EPERM) return kProcHidden;  // hidepid=1 (noaccess), or ptrace rules
  if (err != ENOENT && err != ESRCH) return err;
  // No /proc/<pid>: gone — unless the pid still names a process (getpgid needs neither /proc nor
  // an fd, and works across uids). A zombie keeps its /proc entry, so it is not this case.
  if (getpgid(pid) < 0 && errno == ESRCH) return 0;
  return ProcIsProcfs() ? kProcHidden : kProcNotMounted;
}

// /proc/<pid>/stat is "pid (comm) S ...": the state letter follows the last ')' because comm may
// itself contain parentheses and spaces.
Napi::Value ProcessState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const int pid = info[0].As<Napi::Number>().Int32Value();
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = ProcFailure(pid, errno);
    return e == 0 ? env.Null() : Napi::Number::New(env, e);
  }
  char buf[512];
  ssize_t n;
  do {
    n = read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  const int read_err = n < 0 ? errno : 0;
  close(fd);
  if (n < 0) {
    const int e = ProcFailure(pid, read_err);
    return e == 0 ? env.Null() : Napi::Number::New(env, e);
  }
  if (n == 0) return env.Null();
  buf[n] = '\0';
  const char* close_paren = strrchr(buf, ')');
  if (close_paren == nullptr || close_paren[1] != ' ' || close_paren[2] == '\0') return env.Null();
  return Napi::String::New(env, close_paren + 2, 1);
}

}  // namespace procsig
