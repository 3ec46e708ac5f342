// Process-tree reads on Windows, for lib/tree/: a flat snapshot from a Toolhelp32 process
// snapshot with each process's creation time (GetProcessTimes), and a batch liveness check
// keyed by creation time. Windows never reparents: th32ParentProcessID keeps naming a parent
// that has exited, and that pid may since have been reused — which is why TypeScript links a
// child to a parent only when the child was created after it.
#include <windows.h>
#include <tlhelp32.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <cmath>
#include <string>
#include <vector>

#include "native.h"

namespace procsig {

namespace {

struct Row {
  int32_t pid;
  int32_t ppid;
  double start;
  std::u16string name;
};

// Creation time of an open process, in FILETIME units (100 ns since 1601), or NaN.
double CreationTime(HANDLE h) {
  FILETIME created;
  FILETIME exited;
  FILETIME kernel;
  FILETIME user;
  if (!GetProcessTimes(h, &created, &exited, &kernel, &user)) return NAN;
  const uint64_t t = (static_cast<uint64_t>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
  return static_cast<double>(t);
}

// The creation time of pid, or NaN when it cannot be opened: the System Idle Process (0),
// System (4) and protected processes refuse PROCESS_QUERY_LIMITED_INFORMATION. TypeScript never
// links through a NaN start, and such a process could not be terminated by us anyway.
double StartOf(DWORD pid) {
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (h == nullptr) return NAN;
  const double t = CreationTime(h);
  CloseHandle(h);
  return t;
}

}  // namespace

Napi::Value TreeSnapshot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool with_names = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  if (snap == INVALID_HANDLE_VALUE) {
    return Failure(env, Win32Failure("CreateToolhelp32Snapshot", GetLastError()));
  }
  std::vector<Row> rows;
  rows.reserve(256);
  PROCESSENTRY32W pe;
  memset(&pe, 0, sizeof pe);
  pe.dwSize = sizeof pe;
  for (BOOL ok = Process32FirstW(snap, &pe); ok; ok = Process32NextW(snap, &pe)) {
    Row r;
    r.pid = static_cast<int32_t>(pe.th32ProcessID);
    r.ppid = static_cast<int32_t>(pe.th32ParentProcessID);
    r.start = StartOf(pe.th32ProcessID);
    if (with_names) {
      // WCHAR is 16-bit UTF-16 on Windows, the same representation as char16_t.
      static_assert(sizeof(WCHAR) == sizeof(char16_t), "WCHAR must be UTF-16");
      const char16_t* s = reinterpret_cast<const char16_t*>(pe.szExeFile);
      size_t len = 0;
      while (len < MAX_PATH && s[len] != 0) len++;
      r.name.assign(s, len);
    }
    rows.push_back(std::move(r));
  }
  CloseHandle(snap);

  const size_t n = rows.size();
  TreeColumns c(env, n, with_names);
  if (!c.Ok()) return env.Undefined();
  for (size_t i = 0; i < n; i++) {
    c.pid[i] = rows[i].pid;
    c.ppid[i] = rows[i].ppid;
    // Windows has no process groups or POSIX sessions.
    c.pgid[i] = 0;
    c.sid[i] = 0;
    c.start[i] = rows[i].start;
    // Toolhelp32 lists running processes only.
    c.state[i] = static_cast<uint8_t>('R');
    if (with_names) c.name.Set(static_cast<uint32_t>(i), Napi::String::New(env, rows[i].name));
  }
  // FILETIME: 100 ns units since 1601-01-01, which is 11644473600 s before the Unix epoch.
  return c.ToJs(env, 1e-4, -11644473600000.0);
}

// Windows keeps no child list; TypeScript walks a snapshot instead.
Napi::Value TreeChildren(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgsAreNumbers(info, 1)) return env.Undefined();
  return env.Null();
}

char StateOf(int32_t pid, double* start) {
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (h == nullptr) {
    // ERROR_INVALID_PARAMETER: no such pid (libuv maps it to ESRCH) — gone. Access denied means
    // the process exists but is out of reach; count it as alive so a wait does not end early.
    return GetLastError() == ERROR_ACCESS_DENIED ? 'R' : 0;
  }
  const double s = CreationTime(h);
  // A process object outlives its exit while handles to it are open: it is signalled then.
  const bool exited = WaitForSingleObject(h, 0) == WAIT_OBJECT_0;
  CloseHandle(h);
  if (!std::isnan(*start) && !std::isnan(s) && s != *start) return 0;  // recycled pid
  return exited ? 'Z' : 'R';
}

// No /proc to list: killTree reads the whole snapshot instead (the reads by pid are Linux-only).
Napi::Value TreeList(const Napi::CallbackInfo& info) { return Failure(info.Env(), ENOSYS, "opendir"); }
Napi::Value TreeRead(const Napi::CallbackInfo& info) { return Failure(info.Env(), ENOSYS, "open"); }

}  // namespace procsig
