// The kill-on-close watchdog: `procsig-job-exec --watchdog <supervisor pid>` (Linux).
//
// A Job's processes must die with the process that created it (the supervisor), whatever kills
// it: SIGKILL, the OOM killer, a native crash, process.abort(). Nothing runs inside a process
// killed that way, so the cleanup has to be done by another process. lib/job-watchdog.ts starts
// this one (one per supervisor, outside every job, in its own session so a terminal's SIGINT or
// SIGHUP to the supervisor's group does not reach it) with a pipe on its stdin. Node creates
// that pipe close-on-exec, so the supervisor holds the only write end; processes it spawns do not
// inherit it. The supervisor writes one line per event:
//
//   c <id> <hex path>               a cgroup2 job: its group directory
//   r <id> <pid> <start> <group>    a 'tree' job's root: pid, start time (clock ticks since boot,
//                                   /proc/<pid>/stat field 22), 1 when it leads its own group
//   x <id>                          job <id> was closed cleanly: forget it
//
// The supervisor is gone when stdin reports EOF or when a pidfd on it turns readable (the pidfd
// also covers a write end leaked to a process that forked without exec'ing). Then, for what is
// still registered:
//   - cgroup2: write cgroup.kill (Linux >= 5.14; older kernels: freeze, SIGKILL every member,
//     thaw), wait for `populated 0` in cgroup.events, rmdir the group depth first; repeated while
//     rmdir says EBUSY (a process that joined late).
//   - tree: freeze (SIGSTOP) every owned process group and every process of the tracked trees,
//     re-reading /proc until nothing new appears, then SIGKILL them. A root whose pid now shows
//     another start time was recycled: neither it nor its group is touched. Single processes are
//     signalled through a pidfd opened *before* their start time is re-checked, so a recycled pid
//     is never signalled. Never pid or group 1, never this process.
// With nothing registered, EOF just ends the process (the supervisor closes the pipe when it has
// no jobs left). It ignores the terminal and termination signals (SIGINT, SIGHUP, SIGQUIT,
// SIGTERM, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU): its life is tied to its supervisor's, and it is
// never a member of a job. It names itself `procsig-watch` (comm) so `ps` shows what it is.
//
// Plain C-style code (no libstdc++), like the exec helper it shares the binary with.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace procsig {

namespace {

struct Entry {
  unsigned long id;
  char kind;  // 'c' cgroup2 directory, 'r' tree root
  int pid;
  unsigned long long start;
  int group;
  char* path;
};

Entry* g_entries = nullptr;
size_t g_count = 0;
size_t g_cap = 0;

void AddEntry(const Entry& e) {
  if (g_count == g_cap) {
    const size_t cap = g_cap ? g_cap * 2 : 16;
    Entry* grown = static_cast<Entry*>(realloc(g_entries, cap * sizeof(Entry)));
    if (grown == nullptr) {
      free(e.path);
      return;  // out of memory: this entry is lost, the rest still works
    }
    g_entries = grown;
    g_cap = cap;
  }
  g_entries[g_count++] = e;
}

void Forget(unsigned long id) {
  size_t w = 0;
  for (size_t r = 0; r < g_count; r++) {
    if (g_entries[r].id == id) {
      free(g_entries[r].path);
    } else {
      g_entries[w++] = g_entries[r];
    }
  }
  g_count = w;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// A malloc'd, NUL-terminated copy of the hex-encoded string, or nullptr when malformed.
char* Unhex(const char* s) {
  const size_t n = strlen(s);
  if (n == 0 || n % 2 != 0) return nullptr;
  char* out = static_cast<char*>(malloc(n / 2 + 1));
  if (out == nullptr) return nullptr;
  for (size_t i = 0; i < n / 2; i++) {
    const int hi = HexDigit(s[2 * i]);
    const int lo = HexDigit(s[2 * i + 1]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
      free(out);
      return nullptr;
    }
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  out[n / 2] = '\0';
  return out;
}

constexpr unsigned long kCgroup2Magic = 0x63677270;  // CGROUP2_SUPER_MAGIC, linux/magic.h

void HandleLine(const char* line) {
  Entry e = {0, 0, 0, 0, 0, nullptr};
  int off = 0;
  if (line[0] == 'c' && sscanf(line, "c %lu %n", &e.id, &off) == 1 && off > 0) {
    e.kind = 'c';
    e.path = Unhex(line + off);
    // Only absolute paths of directories on a cgroup2 mount: the supervisor sends nothing
    // else, and nothing else may ever be written to or have its "cgroup.procs" signalled.
    struct statfs fs;
    if (e.path == nullptr || e.path[0] != '/' || statfs(e.path, &fs) != 0 ||
        fs.f_type != kCgroup2Magic) {
      free(e.path);
      return;
    }
    AddEntry(e);
  } else if (line[0] == 'r' &&
             sscanf(line, "r %lu %d %llu %d", &e.id, &e.pid, &e.start, &e.group) == 4) {
    if (e.pid <= 1) return;
    e.kind = 'r';
    AddEntry(e);
  } else if (line[0] == 'x' && sscanf(line, "x %lu", &e.id) == 1) {
    Forget(e.id);
  }
}

char g_buf[1 << 16];
size_t g_len = 0;

// Reads what is available on stdin and handles every complete line. Returns 1 when data was
// read, 0 at EOF (or a read error), -1 when nothing is available now (non-blocking drain).
int ReadInput() {
  if (g_len == sizeof g_buf) g_len = 0;  // an overlong line is not ours: drop it
  const ssize_t n = read(0, g_buf + g_len, sizeof g_buf - g_len);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return -1;
    return 0;
  }
  if (n == 0) return 0;
  g_len += static_cast<size_t>(n);
  size_t start = 0;
  for (size_t i = 0; i < g_len; i++) {
    if (g_buf[i] != '\n') continue;
    g_buf[i] = '\0';
    HandleLine(g_buf + start);
    start = i + 1;
  }
  memmove(g_buf, g_buf + start, g_len - start);
  g_len -= start;
  return 1;
}

// ---- time ----

long long NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void SleepMs(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// ---- /proc ----

struct Proc {
  int pid;
  int ppid;
  int pgid;
  unsigned long long start;
  char state;
  bool member;
  bool stopped;
};

bool ReadStat(int pid, Proc* out) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n;
  do {
    n = read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
  const char* p = strrchr(buf, ')');
  if (p == nullptr || p[1] != ' ') return false;
  char state = 0;
  int ppid = 0;
  int pgid = 0;
  unsigned long long start = 0;
  if (sscanf(p + 2, "%c %d %d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
             &state, &ppid, &pgid, &start) != 4) {
    return false;
  }
  out->pid = pid;
  out->ppid = ppid;
  out->pgid = pgid;
  out->start = start;
  out->state = state;
  out->member = false;
  out->stopped = false;
  return true;
}

bool Dead(char state) { return state == 'Z' || state == 'X' || state == 'x'; }

int PidfdOpen(int pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Sends `sig` to `pid` only if it is still the process that started at `start`. With a pidfd the
// check cannot race a recycled pid: the pidfd is opened first, so if the start time read after
// it matches, the pidfd refers to that very process. Without pidfds (kernel < 5.3) the start time
// is checked right before kill(2).
void SignalChecked(int pid, unsigned long long start, int sig) {
  if (pid <= 1 || pid == getpid()) return;
  Proc now;
  const int fd = PidfdOpen(pid);
  if (fd < 0 && errno != ENOSYS && errno != EPERM) return;  // ESRCH: gone
  if (!ReadStat(pid, &now) || now.start != start) {
    if (fd >= 0) close(fd);
    return;
  }
  if (fd >= 0) {
    syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0);
    close(fd);
  } else {
    kill(pid, sig);
  }
}

struct ProcList {
  Proc* v = nullptr;
  size_t n = 0;
  size_t cap = 0;
};

int ByPid(const void* a, const void* b) {
  const int x = static_cast<const Proc*>(a)->pid;
  const int y = static_cast<const Proc*>(b)->pid;
  return (x > y) - (x < y);
}

void Scan(ProcList* list) {
  list->n = 0;
  DIR* d = opendir("/proc");
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    char* end = nullptr;
    const long pid = strtol(e->d_name, &end, 10);
    if (end == nullptr || *end != '\0' || pid <= 0) continue;
    if (list->n == list->cap) {
      const size_t cap = list->cap ? list->cap * 2 : 1024;
      Proc* grown = static_cast<Proc*>(realloc(list->v, cap * sizeof(Proc)));
      if (grown == nullptr) break;
      list->v = grown;
      list->cap = cap;
    }
    if (ReadStat(static_cast<int>(pid), &list->v[list->n])) list->n++;
  }
  closedir(d);
  // qsort and bsearch take non-null pointers even for zero elements.
  if (list->n > 1) qsort(list->v, list->n, sizeof(Proc), ByPid);
}

Proc* Find(ProcList* list, int pid) {
  if (list->n == 0) return nullptr;
  Proc key;
  key.pid = pid;
  return static_cast<Proc*>(bsearch(&key, list->v, list->n, sizeof(Proc), ByPid));
}

struct Root {
  int pid;
  unsigned long long start;
  bool alive;        // the same process (start time), not a zombie
  bool owns_group;   // its process group is the job's
};

bool OwnedGroup(const Root* roots, size_t n, int pgid) {
  if (pgid <= 1) return false;
  for (size_t i = 0; i < n; i++) {
    if (roots[i].owns_group && roots[i].pid == pgid) return true;
  }
  return false;
}

// Marks the members of the 'tree' jobs in `list`: the owned groups' members, the live roots and
// every descendant of those (a child is linked to its parent only if it started after it).
void MarkMembers(ProcList* list, const Root* roots, size_t nroots) {
  for (size_t i = 0; i < list->n; i++) {
    Proc& p = list->v[i];
    if (p.pid <= 1 || p.pid == getpid()) continue;
    if (OwnedGroup(roots, nroots, p.pgid)) p.member = true;
    for (size_t k = 0; k < nroots; k++) {
      if (roots[k].alive && roots[k].pid == p.pid && roots[k].start == p.start) p.member = true;
    }
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < list->n; i++) {
      Proc& p = list->v[i];
      if (p.member || p.pid <= 1 || p.pid == getpid()) continue;
      const Proc* parent = Find(list, p.ppid);
      if (parent != nullptr && parent->member && p.start >= parent->start) {
        p.member = true;
        changed = true;
      }
    }
  }
}

void CleanTrees() {
  size_t nroots = 0;
  for (size_t i = 0; i < g_count; i++) nroots += g_entries[i].kind == 'r';
  if (nroots == 0) return;
  Root* roots = static_cast<Root*>(calloc(nroots, sizeof(Root)));
  if (roots == nullptr) return;
  size_t k = 0;
  for (size_t i = 0; i < g_count; i++) {
    const Entry& e = g_entries[i];
    if (e.kind != 'r') continue;
    Root& r = roots[k++];
    r.pid = e.pid;
    r.start = e.start;
    Proc now;
    if (ReadStat(e.pid, &now)) {
      // Another start time: the pid was recycled; this root and its group are gone.
      const bool same = now.start == e.start;
      r.alive = same && !Dead(now.state);
      r.owns_group = same && e.group != 0;
    } else {
      // Reaped. Its group may live on in orphaned members; a group id cannot be handed out
      // again while the group has members, and no process holds the pid as its own.
      r.alive = false;
      r.owns_group = e.group != 0;
    }
  }
  // 1. Freeze: one killpg per owned group stops every member at once (atomic against fork).
  for (size_t i = 0; i < nroots; i++) {
    if (roots[i].owns_group && roots[i].pid > 1) kill(-roots[i].pid, SIGSTOP);
  }
  // 2. Stop the members outside the groups (descendants that called setsid or setpgid), one by
  //    one, re-reading /proc until no new member appears.
  ProcList list;
  ProcList stopped;  // pid + start of every process stopped by pid
  for (int round = 0; round < 64; round++) {
    Scan(&list);
    MarkMembers(&list, roots, nroots);
    bool fresh = false;
    for (size_t i = 0; i < list.n; i++) {
      Proc& p = list.v[i];
      if (!p.member || Dead(p.state) || OwnedGroup(roots, nroots, p.pgid)) continue;
      const Proc* seen = Find(&stopped, p.pid);
      if (seen != nullptr && seen->start == p.start) continue;
      SignalChecked(p.pid, p.start, SIGSTOP);
      fresh = true;
      if (stopped.n == stopped.cap) {
        const size_t cap = stopped.cap ? stopped.cap * 2 : 256;
        Proc* grown = static_cast<Proc*>(realloc(stopped.v, cap * sizeof(Proc)));
        if (grown == nullptr) continue;
        stopped.v = grown;
        stopped.cap = cap;
      }
      stopped.v[stopped.n++] = p;
      if (stopped.n > 1) qsort(stopped.v, stopped.n, sizeof(Proc), ByPid);
    }
    if (!fresh) break;
  }
  // 3. Kill: the groups, then every member by pid (checked against its start time).
  for (int round = 0; round < 8; round++) {
    for (size_t i = 0; i < nroots; i++) {
      if (roots[i].owns_group && roots[i].pid > 1) kill(-roots[i].pid, SIGKILL);
    }
    bool any = false;
    for (size_t i = 0; i < list.n; i++) {
      const Proc& p = list.v[i];
      if (!p.member || Dead(p.state)) continue;
      SignalChecked(p.pid, p.start, SIGKILL);
      any = true;
    }
    if (!any) break;
    // Anything forked between the last scan and the kill (a member outside the groups that was
    // not stopped yet) shows up in the next scan.
    Scan(&list);
    MarkMembers(&list, roots, nroots);
  }
  free(list.v);
  free(stopped.v);
  free(roots);
}

// ---- cgroup2 ----

int WriteIn(const char* dir, const char* file, const char* value) {
  char path[4352];
  if (snprintf(path, sizeof path, "%s/%s", dir, file) >= static_cast<int>(sizeof path)) return ENAMETOOLONG;
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n;
  do {
    n = write(fd, value, strlen(value));
  } while (n < 0 && errno == EINTR);
  const int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

// `key`'s value in <dir>/cgroup.events: 0 or 1, -1 when unreadable (the group is gone).
int EventValue(const char* dir, const char* key) {
  char path[4352];
  if (snprintf(path, sizeof path, "%s/cgroup.events", dir) >= static_cast<int>(sizeof path)) return -1;
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[256];
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  const size_t klen = strlen(key);
  for (const char* p = buf; p != nullptr && *p != '\0';) {
    if (strncmp(p, key, klen) == 0 && p[klen] == ' ') return atoi(p + klen + 1);
    p = strchr(p, '\n');
    if (p != nullptr) p++;
  }
  return -1;
}

// SIGKILL every pid in <dir>/cgroup.procs and in its sub-groups' (the group is frozen).
void KillProcs(const char* dir) {
  char path[4352];
  if (snprintf(path, sizeof path, "%s/cgroup.procs", dir) >= static_cast<int>(sizeof path)) return;
  FILE* f = fopen(path, "re");
  if (f != nullptr) {
    int pid;
    while (fscanf(f, "%d", &pid) == 1) {
      if (pid > 1 && pid != getpid()) kill(pid, SIGKILL);
    }
    fclose(f);
  }
  DIR* d = opendir(dir);
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d)) {
    if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < static_cast<int>(sizeof path)) KillProcs(path);
  }
  closedir(d);
}

void KillGroup(const char* dir) {
  const int err = WriteIn(dir, "cgroup.kill", "1");
  if (err == 0 || (err != ENOENT && err != EACCES) || access(dir, F_OK) != 0) return;
  // No cgroup.kill (Linux < 5.14): freeze, so that nothing forks between the read and the kill;
  // SIGKILL passes the freezer. A frozen member cannot exit on its own, so its pid stays its own.
  if (WriteIn(dir, "cgroup.freeze", "1") == 0) {
    for (int i = 0; i < 200 && EventValue(dir, "frozen") == 0; i++) SleepMs(5);
  }
  KillProcs(dir);
  WriteIn(dir, "cgroup.freeze", "0");
}

// rmdir the group and any sub-groups its members made, depth first; 0 or an errno.
int RemoveGroup(const char* dir) {
  DIR* d = opendir(dir);
  if (d == nullptr) return errno;
  char path[4352];
  while (struct dirent* e = readdir(d)) {
    if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < static_cast<int>(sizeof path)) RemoveGroup(path);
  }
  closedir(d);
  return rmdir(dir) == 0 ? 0 : errno;
}

void KillGroups() {
  for (size_t i = 0; i < g_count; i++) {
    if (g_entries[i].kind == 'c') KillGroup(g_entries[i].path);
  }
}

// Waits for each group to be empty and removes it (10 s at most in all).
void RemoveGroups() {
  const long long deadline = NowMs() + 10000;
  for (size_t i = 0; i < g_count; i++) {
    const char* dir = g_entries[i].path;
    if (g_entries[i].kind != 'c') continue;
    int delay = 1;
    for (long long last_kill = NowMs();;) {
      if (EventValue(dir, "populated") == 0) {
        const int err = RemoveGroup(dir);
        if (err == 0 || err == ENOENT) break;
        if (err != EBUSY && err != ENOTEMPTY) break;
      } else if (access(dir, F_OK) != 0) {
        break;
      }
      if (NowMs() > deadline) break;
      // A process that joined after the kill (a spawn helper that was on its way in): kill again.
      if (NowMs() - last_kill >= 50) {
        KillGroup(dir);
        last_kill = NowMs();
      }
      SleepMs(delay);
      if (delay < 16) delay *= 2;
    }
  }
}

}  // namespace

int WatchdogMain(int argc, char** argv) {
  const long supervisor = argc >= 3 ? strtol(argv[2], nullptr, 10) : 0;
  prctl(PR_SET_NAME, "procsig-watch", 0, 0, 0);
  const int ignored[] = {SIGINT, SIGHUP, SIGQUIT, SIGTERM, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
  for (int sig : ignored) signal(sig, SIG_IGN);
  // Never pin the directory the supervisor ran in (an unmount would fail with EBUSY).
  if (chdir("/") != 0) {
    // "/" always exists; nothing depends on the cwd here.
  }

  // The supervisor is our parent. If it died before we got here we were reparented already:
  // clean up straight away (whatever it managed to write is still in the pipe).
  const pid_t parent = getppid();
  bool gone = supervisor > 0 && parent != supervisor;
  int pidfd = -1;
  if (!gone) {
    pidfd = PidfdOpen(parent);
    // Opened after the parent died, the pidfd would name whatever now has that pid: re-check.
    if (getppid() != parent) gone = true;
  }

  while (!gone) {
    struct pollfd fds[2] = {{0, POLLIN, 0}, {pidfd, POLLIN, 0}};
    // Without a pidfd (Linux < 5.3, or refused by a seccomp filter), getppid() is checked once a
    // second instead: a write end leaked to a process that forked without exec'ing must not
    // keep us waiting after the supervisor is gone.
    const int r = poll(fds, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 1000);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pidfd < 0 && getppid() != parent) break;
    if (fds[0].revents != 0 && ReadInput() == 0) break;  // EOF: the write end is closed
    if (pidfd >= 0 && fds[1].revents != 0) gone = true;   // the supervisor exited
  }
  // Take in what the supervisor wrote before it went (nothing blocks: non-blocking drain).
  const int flags = fcntl(0, F_GETFL);
  if (flags >= 0) fcntl(0, F_SETFL, flags | O_NONBLOCK);
  while (ReadInput() == 1) {
  }
  if (g_count == 0) return 0;
  // The kernel kills the cgroups' tasks asynchronously: start that first, walk the trees while
  // it runs, then wait for the groups to empty and remove them.
  KillGroups();
  CleanTrees();
  RemoveGroups();
  return 0;
}

}  // namespace procsig
