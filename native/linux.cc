// Linux-only parts: /proc reads (and, as later issues land, pidfds and cgroups).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "native.h"

namespace procsig {

// /proc/<pid>/stat is "pid (comm) S ...": the state letter follows the last ')' because comm may
// itself contain parentheses and spaces.
Napi::Value ProcessState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const int pid = info[0].As<Napi::Number>().Int32Value();
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return env.Null();
  char buf[512];
  ssize_t n;
  do {
    n = read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  close(fd);
  if (n <= 0) return env.Null();
  buf[n] = '\0';
  const char* close_paren = strrchr(buf, ')');
  if (close_paren == nullptr || close_paren[1] != ' ' || close_paren[2] == '\0') return env.Null();
  return Napi::String::New(env, close_paren + 2, 1);
}

}  // namespace procsig
