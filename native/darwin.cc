// macOS-only parts of the foundation: the process state behind probe()'s 'zombie'.
// (Not compiled on this project's machines: there is no macOS SDK there. Written against the
// same headers tree_darwin.cc uses.)
#include <sys/proc.h>
#include <sys/sysctl.h>
#include <sys/types.h>

#include "native.h"

namespace procsig {

// sysctl(KERN_PROC_PID) rather than proc_pidinfo(PROC_PIDTBSDINFO): the latter fails for a
// zombie, which is exactly the state probe() needs to see. p_stat is mapped to the letters
// Linux's /proc/<pid>/stat uses, so lib/kill.ts treats both platforms alike. A pid with no
// process gives a zero-length answer: null, like a missing /proc entry.
Napi::Value ProcessState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  int mib[4] = {CTL_KERN, KERN_PROC, KERN_PROC_PID, info[0].As<Napi::Number>().Int32Value()};
  struct kinfo_proc kp;
  size_t len = sizeof kp;
  if (sysctl(mib, 4, &kp, &len, nullptr, 0) != 0 || len < sizeof kp) return env.Null();
  char state;
  switch (kp.kp_proc.p_stat) {
    case SZOMB: state = 'Z'; break;
    case SSTOP: state = 'T'; break;
    case SRUN: state = 'R'; break;
    case SIDL: state = 'I'; break;
    default: state = 'S'; break;
  }
  return Napi::String::New(env, &state, 1);
}

}  // namespace procsig
