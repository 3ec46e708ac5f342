// Process-tree reads on Linux, for lib/tree/: a flat snapshot of every process read from
// /proc/<pid>/stat, the pids /proc lists and the rows of chosen pids (killTree's scans), a
// children walk over /proc/<pid>/task/<tid>/children where the kernel has those files
// (CONFIG_PROC_CHILDREN), and a batch liveness check keyed by start time.
//
// Nothing here decides anything: TypeScript chooses what to read (groupTable in lib/tree/linux.ts:
// which sessions can hold a descendant), links parents to children (start-time rule), walks the tree
// and signals. Nothing here spawns a process.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>
#include <vector>

#include "native.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

namespace procsig {

namespace {

// Why a read failed, when it did for a reason other than the process being gone: the errno (or
// kProcHidden / kProcNotMounted), the syscall and the pid. err == 0: no failure. A reader that
// meets one fails as a whole: a list with an entry skipped would read as "that process is gone".
struct ReadFailure {
  SysError error;
  int32_t pid = 0;
  void Set(int e, const char* call, int32_t p) {
    if (error.err != 0 || e == 0) return;
    error = SysError{e, call, 0};
    pid = p;
  }
};

Napi::Value FailureValue(Napi::Env env, const ReadFailure& f) { return Failure(env, f.error, &f.pid); }

bool AllDigits(const char* s) {
  if (*s == '\0') return false;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') return false;
  }
  return true;
}

// Milliseconds per starttime tick, and the epoch time (ms) of tick 0: boot time from the
// "btime" line of /proc/stat. Both are fixed for the life of the system, so read once.
struct StartClock {
  double unit_ms;
  double base_ms;
};

StartClock ReadStartClock() {
  StartClock c{NAN, NAN};
  const long hz = sysconf(_SC_CLK_TCK);
  if (hz > 0) c.unit_ms = 1000.0 / static_cast<double>(hz);
  std::vector<char> buf(1 << 16);
  if (ReadProcFile(AT_FDCWD, "/proc/stat", buf.data(), buf.size()) > 0) {
    const char* line = strstr(buf.data(), "\nbtime ");
    if (line != nullptr) c.base_ms = static_cast<double>(strtoll(line + 7, nullptr, 10)) * 1000.0;
  }
  return c;
}

const StartClock& GetStartClock() {
  static const StartClock clock = ReadStartClock();
  return clock;
}

// Appends the pids listed in a children file ("12 345 678 ") to out. Returns 0, ENOENT/ESRCH
// when the task is gone, or the errno that kept the file from being read.
int ReadChildren(int dirfd, const char* path, std::string* scratch, std::vector<int32_t>* out) {
  const int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  scratch->clear();
  char chunk[4096];
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      // ESRCH: the thread exited between open and read; its children moved elsewhere and the
      // caller's re-scan finds them.
      const int e = errno;
      close(fd);
      return e;
    }
    if (n == 0) break;
    scratch->append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  const char* p = scratch->c_str();
  for (;;) {
    char* end = nullptr;
    const long v = strtol(p, &end, 10);
    if (end == p) break;
    if (v > 0) out->push_back(static_cast<int32_t>(v));
    p = end;
  }
  return 0;
}

// Whether /proc/<pid>/task/<tid>/children exists on this kernel (CONFIG_PROC_CHILDREN); probed
// once through /proc/thread-self, which every process has.
bool HaveChildrenFiles() {
  static const bool have = access("/proc/thread-self/children", R_OK) == 0;
  return have;
}

// Reads /proc/<pid>/stat for pids[lo, hi) into rows[i]; ok[i] = 1 for each row read. A process
// that exits between readdir() and open() is simply not part of the snapshot (ENOENT/ESRCH, and
// getpgid finds no such pid); anything else unreadable (EMFILE, ENFILE, EACCES...) stops the
// range and is recorded in `failure`: unlike ps(1), a partial list is never returned.
struct ScanJob {
  int dfd;
  const int32_t* pids;
  ProcStat* rows;
  uint8_t* ok;
  std::string* names;  // null when names are not wanted
  size_t lo;
  size_t hi;
  ReadFailure failure;
};

constexpr size_t kParallelScanMin = 128;

// Node >= 24 names its main thread with prctl(PR_SET_NAME): "MainThread" (Node 26:
// "node-MainThread"). On Linux the main thread's name *is* the process's comm, so ps and
// /proc/<pid>/stat show "MainThread" where users expect "node". Only such a name is replaced, by
// the executable's (below); a name set with process.title, or any other program's comm, stays.
bool IsMainThreadName(const char* name, size_t len) {
  static const char kSuffix[] = "MainThread";
  const size_t n = sizeof kSuffix - 1;
  if (len < n || memcmp(name + len - n, kSuffix, n) != 0) return false;
  return len == n || name[len - n - 1] == '-';
}

// The basename of /proc/<pid>/exe, or of argv[0] when exe cannot be read (another user's
// process: exe needs ptrace access, cmdline is world-readable). Leaves out untouched when neither
// gives a name. Called only for the few processes IsMainThreadName picks, and only when names are
// wanted (killTree's scans read none).
void ExecutableName(int dfd, int32_t pid, char* buf, size_t cap, std::string* out) {
  char path[32];
  snprintf(path, sizeof path, "%d/exe", pid);
  ssize_t n = readlinkat(dfd, path, buf, cap - 1);
  if (n > 0) {
    buf[n] = '\0';
    static const char kDeleted[] = " (deleted)";  // the binary was replaced since it started
    const size_t d = sizeof kDeleted - 1;
    if (static_cast<size_t>(n) > d && strcmp(buf + n - d, kDeleted) == 0) buf[n - d] = '\0';
  } else {
    snprintf(path, sizeof path, "%d/cmdline", pid);
    // argv[0] is the first NUL-terminated string; a truncated read still holds its start.
    if (ReadProcFile(dfd, path, buf, cap) <= 0) return;
  }
  const char* slash = strrchr(buf, '/');
  const char* base = slash != nullptr ? slash + 1 : buf;
  if (*base != '\0') out->assign(base);
}

void ScanRange(ScanJob* job) {
  char path[32];
  char buf[1024];
  for (size_t i = job->lo; i < job->hi; i++) {
    snprintf(path, sizeof path, "%d/stat", job->pids[i]);
    const ssize_t n = ReadProcFile(job->dfd, path, buf, sizeof buf);
    if (n <= 0) {
      // An empty read: the process exited between open and read.
      const int e = ProcFailure(job->pids[i], n < 0 ? errno : ESRCH);
      if (e == 0) continue;
      job->failure.Set(e, "open", job->pids[i]);
      return;
    }
    ProcStat row;
    if (!ParseProcStat(buf, &row)) continue;
    if (job->names != nullptr) {
      std::string& name = job->names[i];
      name.assign(row.name, row.name_len);
      if (IsMainThreadName(row.name, row.name_len)) ExecutableName(job->dfd, job->pids[i], buf, sizeof buf, &name);
    }
    row.name = nullptr;  // points into buf, which is about to be reused
    job->rows[i] = row;
    job->ok[i] = 1;
  }
}

void* ScanThread(void* arg) {
  ScanRange(static_cast<ScanJob*>(arg));
  return nullptr;
}

// Reads /proc/<pid>/stat of every pid (relative to dfd); appends the rows read (and their names,
// when names is not null) in pid order. Returns the first failure (then rows are incomplete and
// must not be used).
ReadFailure ReadRows(int dfd, const std::vector<int32_t>& pids, std::vector<ProcStat>* rows, std::vector<std::string>* names) {
  // Generating /proc/<pid>/stat is most of the cost (~5 us a process, ~10 us the first time its
  // /proc entries are looked up), and it is per-process kernel work with no shared lock, so a
  // large list is read by two threads.
  const size_t total = pids.size();
  std::vector<ProcStat> slots(total);
  std::vector<uint8_t> ok(total, 0);
  std::vector<std::string> slot_names(names != nullptr ? total : 0);
  std::string* np = names != nullptr ? slot_names.data() : nullptr;
  ScanJob jobs[2];
  const size_t half = total >= kParallelScanMin ? total / 2 : total;
  jobs[0] = ScanJob{dfd, pids.data(), slots.data(), ok.data(), np, 0, half, ReadFailure()};
  jobs[1] = ScanJob{dfd, pids.data(), slots.data(), ok.data(), np, half, total, ReadFailure()};
  pthread_t helper;
  // Without a helper thread (none needed, or pthread_create failed: EAGAIN under a thread
  // limit), this thread reads both halves.
  const bool threaded = half < total && pthread_create(&helper, nullptr, ScanThread, &jobs[1]) == 0;
  ScanRange(&jobs[0]);
  if (threaded) {
    pthread_join(helper, nullptr);
  } else {
    ScanRange(&jobs[1]);
  }
  if (jobs[0].failure.error.err != 0) return jobs[0].failure;
  if (jobs[1].failure.error.err != 0) return jobs[1].failure;
  for (size_t i = 0; i < total; i++) {
    if (!ok[i]) continue;
    rows->push_back(slots[i]);
    if (names != nullptr) names->push_back(std::move(slot_names[i]));
  }
  return ReadFailure();
}

// The columns of treeSnapshot for rows (names: null, or one per row).
Napi::Value MakeColumns(Napi::Env env, const std::vector<ProcStat>& rows, const std::vector<std::string>* names) {
  const size_t n = rows.size();
  TreeColumns c(env, n, names != nullptr);
  if (!c.Ok()) return env.Undefined();
  for (size_t i = 0; i < n; i++) {
    c.pid[i] = rows[i].pid;
    c.ppid[i] = rows[i].ppid;
    c.pgid[i] = rows[i].pgid;
    c.sid[i] = rows[i].sid;
    c.start[i] = rows[i].start;
    c.state[i] = static_cast<uint8_t>(rows[i].state);
    if (names != nullptr) c.name.Set(static_cast<uint32_t>(i), Napi::String::New(env, (*names)[i]));
  }
  const StartClock& clock = GetStartClock();
  return c.ToJs(env, clock.unit_ms, clock.base_ms);
}

// /proc, open, and the pid of every process it lists (ascending); err is the errno when it
// could not be opened or listed, kProcNotMounted when /proc is not a procfs (an empty directory
// would otherwise list no process at all). Closes the directory when it goes.
class ProcListing {
 public:
  ProcListing() : dir_(opendir("/proc")) {
    if (dir_ == nullptr) {
      err_ = errno;
      return;
    }
    struct statfs fs;
    if (fstatfs(dirfd(dir_), &fs) != 0) {
      err_ = errno;
      return;
    }
    if (static_cast<unsigned long>(fs.f_type) != PROC_SUPER_MAGIC) {
      err_ = kProcNotMounted;
      return;
    }
    pids_.reserve(1024);
    errno = 0;
    for (struct dirent* de = readdir(dir_); de != nullptr; de = readdir(dir_)) {
      if (AllDigits(de->d_name)) pids_.push_back(static_cast<int32_t>(strtol(de->d_name, nullptr, 10)));
    }
    if (errno != 0) err_ = errno;  // a listing cut short is not the list
    std::sort(pids_.begin(), pids_.end());
  }
  ~ProcListing() {
    if (dir_ != nullptr) closedir(dir_);
  }
  ProcListing(const ProcListing&) = delete;
  ProcListing& operator=(const ProcListing&) = delete;

  int err() const { return err_; }
  int fd() const { return dirfd(dir_); }
  const std::vector<int32_t>& pids() const { return pids_; }

 private:
  DIR* dir_;
  int err_ = 0;
  std::vector<int32_t> pids_;
};

Napi::Int32Array ToInt32Array(Napi::Env env, const std::vector<int32_t>& v) {
  Napi::Int32Array out = Napi::Int32Array::New(env, v.size());
  if (Made(out) && !v.empty()) memcpy(out.Data(), v.data(), v.size() * sizeof(int32_t));
  return out;
}

}  // namespace

Napi::Value TreeSnapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool with_names = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
  const ProcListing proc;
  if (proc.err() != 0) return Failure(env, proc.err(), "opendir");
  std::vector<ProcStat> rows;
  std::vector<std::string> names;
  const ReadFailure f = ReadRows(proc.fd(), proc.pids(), &rows, with_names ? &names : nullptr);
  if (f.error.err != 0) return FailureValue(env, f);
  return MakeColumns(env, rows, with_names ? &names : nullptr);
}

Napi::Value TreeList(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ProcListing proc;
  if (proc.err() != 0) return Failure(env, proc.err(), "opendir");
  return ToInt32Array(env, proc.pids());
}

Napi::Value TreeRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    Napi::TypeError::New(env, "procsig native: treeRead(Int32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Int32Array pa = info[0].As<Napi::Int32Array>();
  const std::vector<int32_t> pids(pa.Data(), pa.Data() + pa.ElementLength());
  const int dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Failure(env, errno, "open");
  std::vector<ProcStat> rows;
  const ReadFailure f = ReadRows(dfd, pids, &rows, nullptr);
  close(dfd);
  if (f.error.err != 0) return FailureValue(env, f);
  return MakeColumns(env, rows, nullptr);
}

Napi::Value TreeChildren(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  // Without the children files the only way is the full scan, which TypeScript does itself.
  if (!HaveChildrenFiles()) return env.Null();
  const int32_t root = info[0].As<Napi::Number>().Int32Value();
  std::vector<int32_t> queue{root};
  std::unordered_set<int32_t> seen{root};
  std::vector<int32_t> found;
  std::string scratch;
  ReadFailure failure;
  // Appends the children listed in dirfd/child_path to the walk. The kernel lists a task's
  // current children, so no start-time check is needed; the set only guards against a pid
  // recycled mid-walk showing up twice. A thread that exited (ENOENT/ESRCH) has had its children
  // moved to another thread of the group, whose file is read too; a list that cannot be read
  // for another reason (EMFILE...) fails the walk.
  auto take = [&](int dirfd, const char* child_path, int32_t owner) {
    found.clear();
    const int e = ReadChildren(dirfd, child_path, &scratch, &found);
    if (e == ENOENT || e == ESRCH) {
      const int why = ProcFailure(owner, e);
      if (why != 0) failure.Set(why, "open", owner);
      return;
    }
    if (e != 0) {
      failure.Set(e == EACCES || e == EPERM ? kProcHidden : e, "open", owner);
      return;
    }
    for (int32_t c : found) {
      if (seen.insert(c).second) queue.push_back(c);
    }
  };
  char path[64];
  for (size_t i = 0; i < queue.size() && failure.error.err == 0; i++) {
    const int32_t pid = queue[i];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    // /proc/<pid>/task has 2 + (threads in the group) links, a zombie leader included. One
    // thread: its children file is the only one, read without listing the directory (a third
    // fewer syscalls over a tree of single-threaded processes).
    struct stat st;
    if (StatAt(AT_FDCWD, path, &st, 0) != 0) {
      // Exited during the walk (its children were reparented), or there but not visible to us
      // (hidepid: a child of another uid), whose own children cannot be listed: the walk fails.
      const int why = ProcFailure(pid, errno);
      if (why != 0) failure.Set(why, "stat", pid);
      continue;
    }
    if (st.st_nlink == 3) {
      snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
      take(AT_FDCWD, path, pid);
      continue;
    }
    DIR* tasks = opendir(path);
    if (tasks == nullptr) {
      const int why = ProcFailure(pid, errno);
      if (why != 0) failure.Set(why, "opendir", pid);
      continue;
    }
    for (struct dirent* de = readdir(tasks); de != nullptr; de = readdir(tasks)) {
      if (!AllDigits(de->d_name)) continue;
      char child_path[sizeof de->d_name + 16];
      snprintf(child_path, sizeof child_path, "%s/children", de->d_name);
      take(dirfd(tasks), child_path, pid);
    }
    closedir(tasks);
  }
  if (failure.error.err != 0) return FailureValue(env, failure);
  const size_t n = queue.size() - 1;
  Napi::Int32Array out = Napi::Int32Array::New(env, n);
  if (Made(out) && n > 0) memcpy(out.Data(), queue.data() + 1, n * sizeof(int32_t));
  return out;
}

char StateOf(int32_t pid, double* start) {
  char path[64];
  char buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  const ssize_t n = ReadProcFile(AT_FDCWD, path, buf, sizeof buf);
  if (n <= 0) {
    // Gone — or there but unreadable now (EMFILE, ENFILE, hidden): '?' counts as alive, so a
    // wait keeps polling instead of reporting the process dead.
    return ProcFailure(pid, n < 0 ? errno : ESRCH) != 0 ? '?' : 0;
  }
  ProcStat row;
  if (!ParseProcStat(buf, &row)) return 0;
  // A different start time means the pid was recycled: the process asked about is gone. An
  // unknown (NaN) start is learnt here, so later calls tell a recycled pid apart.
  if (std::isnan(*start)) *start = row.start;  // treeStates' fresh copy of the starts
  if (row.start != *start) return 0;
  return row.state;
}

}  // namespace procsig
