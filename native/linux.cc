// Linux-only parts shared by the Linux files: the one /proc/<pid>/stat reader (ReadProcFile +
// ParseProcStat, used by handle_linux.cc and tree_linux.cc too), the "gone or hidden" verdict
// of a failed /proc read (ProcFailure), and processState.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
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

int StatAt(int dirfd, const char* path, struct stat* st, int flags) {
  // (struct stat is the kernel's layout for newfstatat on x86_64 and arm64, glibc's and musl's)
  return static_cast<int>(syscall(SYS_newfstatat, dirfd, path, st, flags));
}

int ProcFailure(int pid, int err) {
  if (err == EACCES || err == EPERM) return kProcHidden;  // hidepid=1 (noaccess), or ptrace rules
  if (err != ENOENT && err != ESRCH) return err;
  // No /proc/<pid>: gone — unless the pid still names a process (getpgid needs neither /proc nor
  // an fd, and works across uids). A zombie keeps its /proc entry, so it is not this case.
  if (getpgid(pid) < 0 && errno == ESRCH) return 0;
  return ProcIsProcfs() ? kProcHidden : kProcNotMounted;
}

ssize_t ReadProcFile(int dirfd, const char* path, char* buf, size_t cap) {
  const int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  while (len < cap - 1) {
    const ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    len += static_cast<size_t>(n);
    if (n == 0 || len < cap - 1) break;
  }
  close(fd);
  buf[len] = '\0';
  return static_cast<ssize_t>(len);
}

bool ParseProcStat(const char* buf, ProcStat* row) {
  const char* open_paren = strchr(buf, '(');
  const char* close_paren = strrchr(buf, ')');
  if (open_paren == nullptr || close_paren == nullptr || close_paren < open_paren) return false;
  if (close_paren[1] != ' ' || close_paren[2] == '\0') return false;
  row->pid = static_cast<int32_t>(strtol(buf, nullptr, 10));
  row->name = open_paren + 1;
  row->name_len = static_cast<size_t>(close_paren - open_paren - 1);
  row->state = close_paren[2];
  const char* p = close_paren + 3;
  // Fields 4 (ppid) to 22 (starttime), 1-based as in proc(5).
  for (int field = 4; field <= 22; field++) {
    char* end = nullptr;
    const long long v = strtoll(p, &end, 10);
    if (end == p) return false;
    p = end;
    switch (field) {
      case 4: row->ppid = static_cast<int32_t>(v); break;
      case 5: row->pgid = static_cast<int32_t>(v); break;
      case 6: row->sid = static_cast<int32_t>(v); break;
      case 22: row->start = static_cast<double>(v); break;
      default: break;
    }
  }
  return true;
}

Napi::Value ProcessState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const int pid = info[0].As<Napi::Number>().Int32Value();
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  char buf[1024];
  const ssize_t n = ReadProcFile(AT_FDCWD, path, buf, sizeof buf);
  if (n < 0) {
    const int e = ProcFailure(pid, errno);
    return e == 0 ? env.Null() : Napi::Value(Failure(env, e, "open"));
  }
  ProcStat row;
  // An empty read: the process exited between open and read.
  if (n == 0 || !ParseProcStat(buf, &row)) return env.Null();
  return Napi::String::New(env, &row.state, 1);
}

}  // namespace procsig
