/**
 * Loads the addon and types its exports. Nothing else in procsig touches the binary, and no
 * `any` crosses this boundary. Every export makes one syscall (or one batch of the same
 * syscall) and returns plain data; OS failures come back as errno numbers.
 *
 * @internal
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `[pid, errno, rawStatus, kind, value, core]`, decoded by `lib/wait.ts`. */
export type WaitTuple = [pid: number, errno: number, raw: number, kind: number, value: number, core: number];

/** A `[name, number, description]` row of a native table. */
export type NamedRow = [name: string, value: number, description: string];

export interface SignalTableData {
  table: NamedRow[];
  /** strsignal() text for SIGRTMIN..SIGRTMAX, in order, where the platform has them. */
  rtDescriptions?: string[];
  rtmin: number | null;
  rtmax: number | null;
  nsig: number;
}

/** An opaque Job Object handle owned by the addon (closed by `jobObjectClose` or when collected). */
export type JobObjectRef = { readonly __brand: 'procsig.JobObject' };

/** `[errno, win32, value]` returned by the `jobObject*` exports. */
export type JobObjectTuple<T> = [errno: number, win32: number, value: T];

/** A process snapshot as columns (tree_linux.cc / tree_darwin.cc / tree_win32.cc). */
export interface TreeColumns {
  pid: Int32Array;
  ppid: Int32Array;
  pgid: Int32Array;
  sid: Int32Array;
  /** Raw start times; epoch ms = startBaseMs + start * startUnitMs. NaN when unknown. */
  start: Float64Array;
  /** A /proc-style state letter per process ('R', 'S', 'T', 'Z', ...). */
  state: Uint8Array;
  /** Present when asked for. */
  name?: string[];
  startUnitMs: number;
  startBaseMs: number;
  /** Linux, treeSnapshot with a group and treeDelta: every pid /proc listed (ascending). */
  listed?: Int32Array;
}

/**
 * Linux /proc readers: `[errno, syscall, pid]` when a process that exists could not be read
 * (EMFILE, ENFILE, ...; errno -2 hidden from the caller, -1 /proc not mounted). Never a partial list.
 */
export type TreeFailure = [errno: number, syscall: string, pid: number];

export interface NativeAddon {
  signalTable(): SignalTableData;
  errnoTable(): NamedRow[];
  kill(pid: number, sig: number): number;
  killMany(pids: Int32Array, sig: number, errs: Int32Array): number;
  killpg(pgid: number, sig: number): number;
  lastWin32Error(): number;
  waitpid(pid: number, flags: number): WaitTuple;
  waitpidAsync(pid: number, flags: number): Promise<WaitTuple>;
  /** The state letter, null when gone, or (Linux) an errno / -1 / -2 when it exists but cannot be read. */
  processState(pid: number): string | null | number;
  /**
   * tree_*.cc: every visible process as columns, or an errno when the list cannot be read. Linux:
   * members of `group` (> 0) are listed unread (ppid 0, start NaN, state 0) unless names are asked for.
   */
  treeSnapshot(withNames: boolean, group?: number): TreeColumns | TreeFailure | number;
  /** tree_*.cc: descendants from the kernel's own child lists, breadth-first; null where there are none. */
  treeChildren(pid: number): Int32Array | TreeFailure | null;
  /** tree_*.cc: out[i] = state letter of pids[i] (0 when gone or recycled, '?' when it cannot be read now: counted alive); returns how many are alive. */
  treeStates(pids: Int32Array, starts: Float64Array, out: Uint8Array): number;
  /** tree_*.cc: the processes /proc lists now but `listed` did not, and the new `listed`; an errno (ENOSYS off Linux). */
  treeDelta(listed: Int32Array): TreeColumns | TreeFailure | number;
  /** kill.cc: out[i] = getpgid(pids[i]), -1 when that fails (always -1 on Windows). */
  treePgids(pids: Int32Array, out: Int32Array): void;
  // ---- jobs (native/job_*.cc) ----
  /** execvpe(3) after restoring default signal dispositions; returns the errno (only on failure). Linux; ENOSYS elsewhere. */
  jobExecve(file: string, argv: string[], env: string[]): number;
  /** Job Objects (Windows; ENOSYS elsewhere). Each returns `[errno, win32, value]`. */
  jobObjectCreate(name: string | null): JobObjectTuple<JobObjectRef | null>;
  jobObjectAssign(job: JobObjectRef, pid: number): JobObjectTuple<null>;
  jobObjectAssignSelf(name: string): JobObjectTuple<null>;
  jobObjectTerminate(job: JobObjectRef, exitCode: number): JobObjectTuple<null>;
  jobObjectQuery(job: JobObjectRef): JobObjectTuple<[active: number, total: number, terminated: number] | null>;
  jobObjectPids(job: JobObjectRef): JobObjectTuple<number[] | null>;
  jobObjectClose(job: JobObjectRef): JobObjectTuple<null>;
  // ---- process handles and exit watchers (native/handle_*.cc) ----
  /** Capability bits (`HandleCap`), probed once per process. */
  handleProbe(): number;
  /**
   * `[errno, fd, startTime]`: a pidfd (Linux) / HANDLE (Windows), or fd -1 (pid + start time).
   * Linux with `procDir`: fd is an open `/proc/<pid>` directory (the identity without pidfds);
   * EINVAL for a thread id.
   */
  handleOpen(pid: number, procDir?: boolean): [errno: number, fd: number, startTime: string];
  /**
   * pidfd_send_signal / TerminateProcess through the handle (a pidfd, or a `/proc/<pid>` dirfd
   * where `HandleCap.ProcSignal`); returns the errno. With `pid` (Linux, a `/proc/<pid>` dirfd):
   * ESRCH when that process is reaped, else kill(pid, sig).
   */
  handleSignal(fd: number, sig: number, pid?: number): number;
  /**
   * `[state, errno, raw, kind, value, core]`, state a `HandleState`; never reaps. Linux: a
   * `/proc/<pid>` dirfd needs `pid`; with a pidfd, `pid` enables the waitid(P_PID) fallback.
   */
  handleQuery(fd: number, peekChild: boolean, pid?: number): [state: number, errno: number, raw: number, kind: number, value: number, core: number];
  /** Closes a handle this env opened; EBADF when it holds no such handle. */
  handleClose(fd: number): number;
  /** The process's start time (opaque, comparable), null when it is gone, or (Linux) an errno / -1 / -2 when it exists but cannot be read. */
  processStartTime(pid: number): string | null | number;
  /** Calls `cb(errno)` once, on the JS thread, when the process exits: `[errno, watchId]`. */
  watchExit(fd: number, pid: number, cb: (errno: number) => void): [errno: number, id: number];
  /** Cancels a watcher; ENOENT when it already fired or was cancelled. */
  watchCancel(id: number): number;
  /** `[active watchers, open handles]` of this env (tests and benchmarks). */
  watchCount(): [watchers: number, handles: number];
}

/** Flags understood by `waitpid`/`waitpidAsync` (mirrors `WaitFlags` in native/native.h). */
export const WaitFlag = { NoHang: 1, Untraced: 2, Continued: 4, NoWait: 8 } as const;

/** Bits of `handleProbe()` (mirrors `HandleCaps` in native/native.h). */
export const HandleCap = { Fd: 1, Signal: 2, WatchFd: 4, WatchPid: 8, ChildPeek: 16, GetInfo: 32, ExitInfo: 64, ProcSignal: 128 } as const;

/** States of `handleQuery()` (mirrors `HandleState` in native/native.h). */
export const HandleState = { Error: -1, Running: 0, ExitedKnown: 1, ExitedUnknown: 2 } as const;

/** Kinds of a decoded wait (mirrors `WaitKind` in native/native.h). */
export const WaitKind = { None: 0, Exited: 1, Signaled: 2, Stopped: 3, Continued: 4 } as const;

/** The package root: `dist/..` when built, `lib/..` when the sources run under vitest. */
export const packageRoot = path.join(__dirname, '..');

/** Where the addon is loaded from: `$PROCSIG_NATIVE`, else `build/Release/`, else node-gyp-build's choice. */
function locate(): string {
  // PROCSIG_NATIVE names an explicit binary: the cmake-js and sanitizer builds are tested this way.
  const explicit = process.env.PROCSIG_NATIVE;
  if (explicit) return path.resolve(explicit);
  // The common case first, without loading node-gyp-build (it costs ~1 ms at startup).
  const local = path.join(packageRoot, 'build', 'Release', 'procsig.node');
  if (fs.existsSync(local)) return local;
  // node-gyp-build then looks in prebuilds/<platform>-<arch>/ (and build/Debug), and its error
  // lists where it looked.
  const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
  return nodeGypBuild.path(packageRoot);
}

/**
 * The absolute path of the addon binary this process loaded (tests hand it to workers and to
 * processes that must load the same build).
 */
export const nativePath: string = locate();

export const native: NativeAddon = require(nativePath) as NativeAddon;
