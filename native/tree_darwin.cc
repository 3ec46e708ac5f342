// Process-tree reads on macOS, for lib/tree/: a flat snapshot from sysctl(KERN_PROC_ALL), a
// children walk through proc_listchildpids(3), and a batch liveness check through
// proc_pidinfo(PROC_PIDTBSDINFO) keyed by start time. Not compiled on this project's Linux CI;
// written against the macOS SDK headers (<sys/sysctl.h>, <libproc.h>).
#include <errno.h>
#include <libproc.h>
#include <stdint.h>
#include <string.h>
#include <sys/proc.h>
#include <sys/proc_info.h>
#include <sys/sysctl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <unordered_set>
#include <vector>

#include "native.h"

namespace procsig {

namespace {

// The /proc-style state letter for a BSD p_stat value.
char StateLetter(int stat) {
  switch (stat) {
    case SIDL: return 'I';
    case SRUN: return 'R';
    case SSLEEP: return 'S';
    case SSTOP: return 'T';
    case SZOMB: return 'Z';
    default: return '?';
  }
}

// Start times are microseconds since the epoch (exact in a double until the year 2255).
double Micros(int64_t sec, int64_t usec) {
  return static_cast<double>(sec) * 1e6 + static_cast<double>(usec);
}

// Every process's kinfo_proc. The list can grow between the sizing call and the read, which
// then fails with ENOMEM: retry with the new size plus headroom.
int ReadAllProcs(std::vector<struct kinfo_proc>* out) {
  int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_ALL, 0};
  for (int attempt = 0; attempt < 8; attempt++) {
    size_t size = 0;
    if (sysctl(mib, 4, nullptr, &size, nullptr, 0) != 0) return errno;
    const size_t count = size / sizeof(struct kinfo_proc) + 64;
    out->resize(count);
    size = count * sizeof(struct kinfo_proc);
    if (sysctl(mib, 4, out->data(), &size, nullptr, 0) == 0) {
      out->resize(size / sizeof(struct kinfo_proc));
      return 0;
    }
    if (errno != ENOMEM) return errno;
  }
  return ENOMEM;
}

}  // namespace

Napi::Value TreeSnapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool with_names = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
  std::vector<struct kinfo_proc> procs;
  const int err = ReadAllProcs(&procs);
  if (err != 0) return Failure(env, err, "sysctl");
  const size_t n = procs.size();
  TreeColumns c(env, n, with_names);
  if (!c.Ok()) return env.Undefined();
  for (size_t i = 0; i < n; i++) {
    const struct kinfo_proc& kp = procs[i];
    const pid_t p = kp.kp_proc.p_pid;
    c.pid[i] = p;
    c.ppid[i] = kp.kp_eproc.e_ppid;
    c.pgid[i] = kp.kp_eproc.e_pgid;
    // kinfo_proc carries only a kernel pointer to the session; getsid(2) gives its id. It fails
    // (ESRCH) for a process that exited since the sysctl: report 0 then.
    const pid_t s = getsid(p);
    c.sid[i] = s < 0 ? 0 : s;
    c.start[i] = Micros(kp.kp_proc.p_starttime.tv_sec, kp.kp_proc.p_starttime.tv_usec);
    c.state[i] = static_cast<uint8_t>(StateLetter(kp.kp_proc.p_stat));
    if (with_names) {
      const char* comm = kp.kp_proc.p_comm;
      c.name.Set(static_cast<uint32_t>(i), Napi::String::New(env, comm, strnlen(comm, sizeof kp.kp_proc.p_comm)));
    }
  }
  // Microseconds since the epoch.
  return c.ToJs(env, 0.001, 0);
}

Napi::Value TreeChildren(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  const int32_t root = info[0].As<Napi::Number>().Int32Value();
  std::vector<int32_t> queue{root};
  std::unordered_set<int32_t> seen{root};
  std::vector<pid_t> kids(64);
  for (size_t i = 0; i < queue.size(); i++) {
    int got = 0;
    for (;;) {
      // Returns the number of pids written. A full buffer may mean more children: grow, retry.
      got = proc_listchildpids(queue[i], kids.data(), static_cast<int>(kids.size() * sizeof(pid_t)));
      if (got < 0 || static_cast<size_t>(got) < kids.size()) break;
      kids.resize(kids.size() * 2);
    }
    // A failure means the process exited during the walk (ESRCH); its children were reparented.
    for (int k = 0; k < got; k++) {
      if (kids[k] > 0 && seen.insert(kids[k]).second) queue.push_back(kids[k]);
    }
  }
  const size_t n = queue.size() - 1;
  Napi::Int32Array out = Napi::Int32Array::New(env, n);
  if (Made(out) && n > 0) memcpy(out.Data(), queue.data() + 1, n * sizeof(int32_t));
  return out;
}

char StateOf(int32_t pid, double* start) {
  struct proc_bsdinfo bi;
  // proc_pidinfo returns the bytes written; anything short means the process is gone (or a
  // zombie whose task is already torn down), which counts as dead either way.
  if (proc_pidinfo(pid, PROC_PIDTBSDINFO, 0, &bi, sizeof bi) != static_cast<int>(sizeof bi)) return 0;
  const double s = Micros(static_cast<int64_t>(bi.pbi_start_tvsec), static_cast<int64_t>(bi.pbi_start_tvusec));
  if (!std::isnan(*start) && s != *start) return 0;  // recycled pid
  return StateLetter(static_cast<int>(bi.pbi_status));
}

// No /proc to list: killTree reads the whole snapshot instead (the reads by pid are Linux-only).
Napi::Value TreeList(const Napi::CallbackInfo& info) { return Failure(info.Env(), ENOSYS, "opendir"); }
Napi::Value TreeRead(const Napi::CallbackInfo& info) { return Failure(info.Env(), ENOSYS, "open"); }

}  // namespace procsig
