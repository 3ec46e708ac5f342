// Job support on Windows: Job Objects.
//
// A job handle crosses into JavaScript as an External owning a JobBox; its finalizer closes the
// handle if JavaScript never called jobObjectClose, so a handle never leaks. Every job is
// created with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: when the last handle closes (jobObjectClose,
// the External being collected, or this process exiting), Windows terminates every process in
// the job, the same promise a Zircon job gives.
//
// The Job's processes are started by an intermediate (lib/job.ts) that assigns *itself* to the
// job (jobObjectAssignSelf) before it creates anything, so every process it creates is born in
// the job. Children created by a job member are in the job unless the job allows breakaway,
// and this job never sets JOB_OBJECT_LIMIT_BREAKAWAY_OK.
//
// exec(2) does not exist on Windows: jobExecve fails with ENOSYS.
#include <windows.h>

#include <errno.h>

#include <string>
#include <vector>

#include "native.h"
#include "job_common.h"

namespace procsig {

namespace {

struct JobBox {
  HANDLE job = nullptr;
};

void FinalizeJob(Napi::Env /*env*/, JobBox* box) {
  if (box->job != nullptr) CloseHandle(box->job);
  delete box;
}

// The failure of `syscall`: the errno follows the one mapping (Win32ToErrno in win32.cc) unless
// `err` overrides it; the raw code travels beside it.
Napi::Value Fail(Napi::Env env, const char* syscall, DWORD win32, int err = 0) {
  return Failure(env, SysError{err != 0 ? err : Win32ToErrno(win32), syscall, win32});
}

bool ToWide(const std::string& utf8, std::wstring* out) {
  if (utf8.empty()) {
    out->clear();
    return true;
  }
  const int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(),
                                    static_cast<int>(utf8.size()), nullptr, 0);
  if (n <= 0) return false;
  out->assign(static_cast<size_t>(n), L'\0');
  return MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(),
                             static_cast<int>(utf8.size()), &(*out)[0], n) == n;
}

// The job of a call's first argument, or nullptr after throwing a TypeError (programming error).
JobBox* BoxArg(const Napi::CallbackInfo& info, const char* usage) {
  if (!info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
    return nullptr;
  }
  return info[0].As<Napi::External<JobBox>>().Data();
}

}  // namespace

Napi::Value JobExecve(const Napi::CallbackInfo& info) { return Failure(info.Env(), ENOSYS, "execvpe"); }

// jobObjectCreate(name: string | null) -> External job | failure
Napi::Value JobObjectCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::wstring name;
  const bool named = info[0].IsString();
  if (named && !ToWide(info[0].As<Napi::String>().Utf8Value(), &name)) {
    return Fail(env, "CreateJobObject", ERROR_INVALID_PARAMETER);
  }
  HANDLE job = CreateJobObjectW(nullptr, named ? name.c_str() : nullptr);
  if (job == nullptr) return Fail(env, "CreateJobObject", GetLastError());
  // A name that already exists opens the existing job: refuse it, a Job must own its job.
  if (named && GetLastError() == ERROR_ALREADY_EXISTS) {
    CloseHandle(job);
    return Fail(env, "CreateJobObject", ERROR_ALREADY_EXISTS, EEXIST);
  }
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits;
  ZeroMemory(&limits, sizeof limits);
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits)) {
    const DWORD err = GetLastError();
    CloseHandle(job);
    return Fail(env, "CreateJobObject", err);
  }
  JobBox* box = new JobBox();
  box->job = job;
  return Napi::External<JobBox>::New(env, box, FinalizeJob);
}

// jobObjectAssign(job, pid) -> undefined | failure
Napi::Value JobObjectAssign(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  JobBox* box = BoxArg(info, "procsig native: jobObjectAssign(job, pid)");
  if (box == nullptr) return env.Undefined();
  if (!info[1].IsNumber()) {
    Napi::TypeError::New(env, "procsig native: jobObjectAssign(job, pid)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (box->job == nullptr) return Fail(env, "AssignProcessToJobObject", ERROR_INVALID_HANDLE);
  const DWORD pid = static_cast<DWORD>(info[1].As<Napi::Number>().Uint32Value());
  HANDLE process = OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, FALSE, pid);
  if (process == nullptr) {
    // OpenProcess fails with ERROR_INVALID_PARAMETER when no process has this pid: ESRCH, as
    // libuv reports it.
    const DWORD err = GetLastError();
    return Fail(env, "AssignProcessToJobObject", err, err == ERROR_INVALID_PARAMETER ? ESRCH : 0);
  }
  const BOOL ok = AssignProcessToJobObject(box->job, process);
  const DWORD err = ok ? ERROR_SUCCESS : GetLastError();
  CloseHandle(process);
  if (!ok) return Fail(env, "AssignProcessToJobObject", err);
  return env.Undefined();
}

// jobObjectAssignSelf(name) -> undefined | failure: the intermediate joins the named job.
Napi::Value JobObjectAssignSelf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) {
    Napi::TypeError::New(env, "procsig native: jobObjectAssignSelf(name)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::wstring name;
  if (!ToWide(info[0].As<Napi::String>().Utf8Value(), &name)) return Fail(env, "AssignProcessToJobObject", ERROR_INVALID_PARAMETER);
  HANDLE job = OpenJobObjectW(JOB_OBJECT_ASSIGN_PROCESS, FALSE, name.c_str());
  if (job == nullptr) {
    // No job of that name: it was closed (and so killed) before the intermediate got here.
    const DWORD err = GetLastError();
    return Fail(env, "OpenJobObject", err, err == ERROR_FILE_NOT_FOUND ? ENOENT : 0);
  }
  const BOOL ok = AssignProcessToJobObject(job, GetCurrentProcess());
  const DWORD err = ok ? ERROR_SUCCESS : GetLastError();
  CloseHandle(job);
  if (!ok) return Fail(env, "AssignProcessToJobObject", err);
  return env.Undefined();
}

// jobObjectTerminate(job, exitCode) -> undefined | failure
Napi::Value JobObjectTerminate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  JobBox* box = BoxArg(info, "procsig native: jobObjectTerminate(job, exitCode)");
  if (box == nullptr) return env.Undefined();
  if (!info[1].IsNumber()) {
    Napi::TypeError::New(env, "procsig native: jobObjectTerminate(job, exitCode)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (box->job == nullptr) return Fail(env, "TerminateJobObject", ERROR_INVALID_HANDLE);
  const UINT code = info[1].As<Napi::Number>().Uint32Value();
  if (!TerminateJobObject(box->job, code)) return Fail(env, "TerminateJobObject", GetLastError());
  return env.Undefined();
}

// jobObjectQuery(job) -> [activeProcesses, totalProcesses, totalTerminated] | failure
Napi::Value JobObjectQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  JobBox* box = BoxArg(info, "procsig native: jobObjectQuery(job)");
  if (box == nullptr) return env.Undefined();
  if (box->job == nullptr) return Fail(env, "QueryInformationJobObject", ERROR_INVALID_HANDLE);
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION acct;
  ZeroMemory(&acct, sizeof acct);
  if (!QueryInformationJobObject(box->job, JobObjectBasicAccountingInformation, &acct, sizeof acct, nullptr)) {
    return Fail(env, "QueryInformationJobObject", GetLastError());
  }
  Napi::Array r = Napi::Array::New(env, 3);
  r.Set(0u, Napi::Number::New(env, acct.ActiveProcesses));
  r.Set(1u, Napi::Number::New(env, acct.TotalProcesses));
  r.Set(2u, Napi::Number::New(env, acct.TotalTerminatedProcesses));
  return r;
}

// jobObjectPids(job) -> number[] | failure
Napi::Value JobObjectPids(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  JobBox* box = BoxArg(info, "procsig native: jobObjectPids(job)");
  if (box == nullptr) return env.Undefined();
  if (box->job == nullptr) return Fail(env, "QueryInformationJobObject", ERROR_INVALID_HANDLE);
  // The list grows while we ask: retry with room for what the job reported plus some slack.
  size_t room = 64;
  for (int attempt = 0; attempt < 8; attempt++) {
    const size_t bytes = offsetof(JOBOBJECT_BASIC_PROCESS_ID_LIST, ProcessIdList) + room * sizeof(ULONG_PTR);
    std::vector<unsigned char> buf(bytes);
    auto* list = reinterpret_cast<JOBOBJECT_BASIC_PROCESS_ID_LIST*>(buf.data());
    const BOOL ok = QueryInformationJobObject(box->job, JobObjectBasicProcessIdList, list,
                                              static_cast<DWORD>(bytes), nullptr);
    // ERROR_MORE_DATA: the buffer held only part of the list; the header says how many exist.
    if (!ok && GetLastError() != ERROR_MORE_DATA) return Fail(env, "QueryInformationJobObject", GetLastError());
    if (ok && list->NumberOfProcessIdsInList == list->NumberOfAssignedProcesses) {
      Napi::Array pids = Napi::Array::New(env, list->NumberOfProcessIdsInList);
      for (DWORD i = 0; i < list->NumberOfProcessIdsInList; i++) {
        pids.Set(i, Napi::Number::New(env, static_cast<double>(list->ProcessIdList[i])));
      }
      return pids;
    }
    room = static_cast<size_t>(list->NumberOfAssignedProcesses) + 64;
  }
  return Fail(env, "QueryInformationJobObject", ERROR_MORE_DATA);
}

// jobObjectClose(job) -> undefined | failure; closing the last handle kills the job's processes.
Napi::Value JobObjectClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  JobBox* box = BoxArg(info, "procsig native: jobObjectClose(job)");
  if (box == nullptr) return env.Undefined();
  if (box->job == nullptr) return env.Undefined();
  HANDLE job = box->job;
  box->job = nullptr;
  if (!CloseHandle(job)) return Fail(env, "CloseHandle", GetLastError());
  return env.Undefined();
}

}  // namespace procsig
