/**
 * Loads the addon and types its exports. Nothing else in procsig touches the binary, and no
 * `any` crosses this boundary. Every export makes one syscall (or one batch of the same
 * syscall) and follows one result convention (native/native.h): it returns its value on success
 * (`undefined` when there is none), or a {@link NativeFailure} — never a bare errno, never a
 * side channel. A batch returns one entry per failed pid ({@link NativeBatchFailure}).
 * {@link isFailure} tells failures from values,
 * and `failureError()` (lib/errors.ts) turns a failure into the ProcessError.
 *
 * @internal
 * @packageDocumentation
 */
import fs = require('node:fs');
import path = require('node:path');

/**
 * What every native export returns when a syscall fails (built by `Failure()` in
 * native/native.h). A success value never has a `syscall` field.
 */
export interface NativeFailure {
  /** The errno (Windows: the C runtime's, from the one Win32 mapping); Linux /proc readers may report -1 (/proc not mounted) or -2 (hidden). */
  readonly errno: number;
  /** The call that failed, as named by the native side (`'kill'`, `'pidfd_open'`, `'OpenProcess'`, ...). */
  readonly syscall: string;
  /** Windows: the raw Win32 code behind `errno`, when a Win32 call failed. */
  readonly win32?: number;
  /** The pid the failure belongs to (batches, and /proc readers that name the process). */
  readonly pid?: number;
}

/**
 * A batch's failures (`killMany`): one entry per failed pid, in pid order, each with its own
 * errno and (Windows) raw Win32 code, as fresh parallel arrays — one object for the batch, so a
 * batch of thousands of dead pids costs what the syscalls cost. {@link failureAt} reads entry `i`.
 */
export interface NativeBatchFailure {
  /** The batch's one call. */
  readonly syscall: string;
  readonly pid: Int32Array;
  readonly errno: Int32Array;
  /** Windows: the raw Win32 code of each entry (0 where no Win32 call failed). */
  readonly win32?: Float64Array;
}

/** Entry `i` of a batch's failures, as a single {@link NativeFailure}. */
export function failureAt(b: NativeBatchFailure, i: number): NativeFailure {
  const w = b.win32?.[i];
  return w ? { errno: b.errno[i], syscall: b.syscall, pid: b.pid[i], win32: w } : { errno: b.errno[i], syscall: b.syscall, pid: b.pid[i] };
}

/** Whether a native result is a failure (success values never carry `syscall`). */
export function isFailure<T>(v: T): v is Extract<T, NativeFailure | NativeBatchFailure> {
  return typeof v === 'object' && v !== null && 'syscall' in v;
}

/** `[pid, rawStatus, kind, value, core]`, decoded by `lib/wait.ts`. */
export type WaitTuple = [pid: number, raw: number, kind: number, value: number, core: number];

/** A `[name, number, description]` row of a native table. */
export type NamedRow = [name: string, value: number, description: string];

export interface SignalTableData {
  /** [name, number] of every named signal (the texts come from `signalDescription`, on first use). */
  table: Array<[name: string, value: number]>;
  rtmin: number | null;
  rtmax: number | null;
  nsig: number;
}

/** An opaque Job Object handle owned by the addon (closed by `jobObjectClose` or when collected). */
export type JobObjectRef = { readonly __brand: 'procsig.JobObject' };

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
}

/** treeStates' fresh result. */
export interface TreeStates {
  /** How many of the pids are alive (a '?' counts). */
  alive: number;
  /** state[i]: 0 when pids[i] is gone or recycled, else its state letter ('?' when it cannot be read now: counted alive). */
  state: Uint8Array;
  /** The start times asked with; Linux fills in the ones that were NaN with the start time read. */
  start: Float64Array;
}

export interface NativeAddon {
  signalTable(): SignalTableData;
  /** strsignal(3)'s text for a signal number (Windows: the table's; "Unknown signal" for others). */
  signalDescription(sig: number): string;
  errnoTable(): NamedRow[];
  /** kill(2) (Windows: a probe or TerminateProcess); allocates nothing on success. */
  kill(pid: number, sig: number): NativeFailure | undefined;
  /** kill(2) of each pid: undefined when every one was signalled, else the batch's failures (one entry per failed pid). */
  killMany(pids: Int32Array, sig: number): NativeBatchFailure | undefined;
  killpg(pgid: number, sig: number): NativeFailure | undefined;
  waitpid(pid: number, flags: number): WaitTuple | NativeFailure;
  waitpidAsync(pid: number, flags: number): Promise<WaitTuple | NativeFailure>;
  /** The state letter, null when gone, or (Linux) a failure (errno EMFILE / -1 / -2 ...) when it exists but cannot be read. */
  processState(pid: number): string | null | NativeFailure;
  /**
   * tree_*.cc: every visible process as columns, every row read (one shape), or a failure when
   * the list cannot be read (Linux: also when a listed process exists but cannot be read; `pid`
   * names it).
   */
  treeSnapshot(withNames: boolean): TreeColumns | NativeFailure;
  /** tree_linux.cc: every pid /proc lists, ascending; ENOSYS off Linux. */
  treeList(): Int32Array | NativeFailure;
  /** tree_linux.cc: the rows (no names) of those of `pids` still there, as treeSnapshot; ENOSYS off Linux. */
  treeRead(pids: Int32Array): TreeColumns | NativeFailure;
  /** tree_*.cc: descendants from the kernel's own child lists, breadth-first; null where there are none. */
  treeChildren(pid: number): Int32Array | NativeFailure | null;
  /** tree_*.cc: the state of each pid, checked against its start time (fresh arrays). */
  treeStates(pids: Int32Array, starts: Float64Array): TreeStates;
  /**
   * kill.cc: getpgid(2) of each pid; -1 where it fails, which is data, not a failure: on Linux and
   * macOS getpgid of a pid fails only with ESRCH (no such process). Always -1 on Windows. 0 is a
   * group whose leader is outside this PID namespace.
   */
  treePgids(pids: Int32Array): Int32Array;
  /** kill.cc: getsid(2) of each pid; -1 and 0 as for {@link NativeAddon.treePgids} (ESRCH only). */
  treeSids(pids: Int32Array): Int32Array;
  // ---- jobs (native/job_*.cc) ----
  /** execvpe(3) after restoring default signal dispositions; returns only on failure. Linux; ENOSYS elsewhere. */
  jobExecve(file: string, argv: string[], env: string[]): NativeFailure;
  /** Job Objects (Windows; ENOSYS elsewhere): the value, or the failure naming the Win32 call. */
  jobObjectCreate(name: string | null): JobObjectRef | NativeFailure;
  jobObjectAssign(job: JobObjectRef, pid: number): NativeFailure | undefined;
  jobObjectAssignSelf(name: string): NativeFailure | undefined;
  jobObjectTerminate(job: JobObjectRef, exitCode: number): NativeFailure | undefined;
  jobObjectQuery(job: JobObjectRef): [active: number, total: number, terminated: number] | NativeFailure;
  jobObjectPids(job: JobObjectRef): number[] | NativeFailure;
  jobObjectClose(job: JobObjectRef): NativeFailure | undefined;
  // ---- process handles and exit watchers (native/handle_*.cc) ----
  /** Capability bits (`HandleCap`), probed once per process. */
  handleProbe(): number;
  /**
   * `[fd, startTime]`: a pidfd (Linux) / HANDLE (Windows), or fd -1 (pid + start time).
   * Linux with `procDir`: fd is an open `/proc/<pid>` directory (the identity without pidfds);
   * EINVAL for a thread id.
   */
  handleOpen(pid: number, procDir?: boolean): [fd: number, startTime: string] | NativeFailure;
  /**
   * pidfd_send_signal / TerminateProcess through the handle (a pidfd, or a `/proc/<pid>` dirfd
   * where `HandleCap.ProcSignal`). With `pid` (Linux, a `/proc/<pid>` dirfd): ESRCH when that
   * process is reaped, else kill(pid, sig).
   */
  handleSignal(fd: number, sig: number, pid?: number): NativeFailure | undefined;
  /**
   * `[state, raw, kind, value, core]`, state a `HandleState`; never reaps. Linux: a
   * `/proc/<pid>` dirfd needs `pid`; with a pidfd, `pid` enables the waitid(P_PID) fallback.
   */
  handleQuery(fd: number, peekChild: boolean, pid?: number): HandleQueryResult | NativeFailure;
  /** Closes a handle this env opened; EBADF when it holds no such handle. */
  handleClose(fd: number): NativeFailure | undefined;
  /** The process's start time (opaque, comparable), null when it is gone, or (Linux) a failure when it exists but cannot be read. */
  processStartTime(pid: number): string | null | NativeFailure;
  /**
   * Calls `cb(0)` once, on the JS thread, when the process exits: the watcher id. On Linux the
   * watcher thread peeks a child's status (waitid WNOWAIT) as the pidfd turns ready and passes it
   * as handleQuery(fd, true) would give it: `cb(0, result)`; without it, the callback queries.
   */
  watchExit(fd: number, pid: number, cb: (errno: number, exit?: HandleQueryResult) => void): number | NativeFailure;
  /** Cancels a watcher; ENOENT when it already fired or was cancelled. */
  watchCancel(id: number): NativeFailure | undefined;
  /** `[active watchers, open handles]` of this env (tests and benchmarks). */
  watchCount(): [watchers: number, handles: number];
}

/** Flags understood by `waitpid`/`waitpidAsync` (mirrors `WaitFlags` in native/native.h). */
export const WaitFlag = { NoHang: 1, Untraced: 2, Continued: 4, NoWait: 8 } as const;

/** Bits of `handleProbe()` (mirrors `HandleCaps` in native/native.h). */
export const HandleCap = { Fd: 1, Signal: 2, WatchFd: 4, WatchPid: 8, ProcSignal: 128 } as const;

/** What `handleQuery()` answers: a `HandleState`, then the wait status as a wait tuple has it. */
export type HandleQueryResult = [state: number, raw: number, kind: number, value: number, core: number];

/** States of `handleQuery()` (mirrors `HandleState` in native/native.h). */
export const HandleState = { Running: 0, ExitedKnown: 1, ExitedUnknown: 2 } as const;

/** Kinds of a decoded wait (mirrors `WaitKind` in native/native.h). */
export const WaitKind = { None: 0, Exited: 1, Signaled: 2, Stopped: 3, Continued: 4 } as const;

/** The package root: `dist/..` when built, `lib/..` when the sources run under vitest. */
export const packageRoot = path.join(__dirname, '..');

/**
 * Where the addon is loaded from: `$PROCSIG_NATIVE`; else a build from source (`build/Release/`,
 * `build/Debug/`); else the prebuild the package ships for this platform, named directly; else
 * whatever node-gyp-build finds (its error lists where it looked). node-gyp-build is not loaded
 * in the first cases: resolving and running it (two files, the package.json, two directory
 * listings) cost ~1.5 ms of every start of an installed package (docs/benchmarks.md).
 */
function locate(): string {
  // PROCSIG_NATIVE names an explicit binary: the cmake-js and sanitizer builds are tested this way.
  const explicit = process.env.PROCSIG_NATIVE;
  if (explicit) return path.resolve(explicit);
  for (const config of ['Release', 'Debug']) {
    const built = path.join(packageRoot, 'build', config, 'procsig.node');
    if (fs.existsSync(built)) return built;
  }
  const prebuilt = shippedPrebuild();
  if (fs.existsSync(prebuilt)) return prebuilt;
  const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
  return nodeGypBuild.path(packageRoot);
}

/**
 * The prebuild scripts/prebuild-all.sh makes for this platform: `prebuilds/<platform>-<arch>/`,
 * `procsig.node`, on Linux `procsig.glibc.node` or `procsig.musl.node` — the libc chosen as
 * node-gyp-build chooses it (`$LIBC`, else musl where `/etc/alpine-release` exists, else glibc),
 * so both pick the same file.
 */
function shippedPrebuild(): string {
  const dir = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  if (process.platform !== 'linux') return path.join(dir, 'procsig.node');
  const libc = process.env.LIBC || (fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc');
  return path.join(dir, `procsig.${libc}.node`);
}

/**
 * The absolute path of the addon binary this process loaded (tests hand it to workers and to
 * processes that must load the same build).
 */
export const nativePath: string = locate();

/**
 * Loads the addon once per env, as `require` would, without `require`'s resolution of a path that
 * is already absolute and real (a stat, a realpath walk and its loader's bookkeeping: 0.1–0.17 ms of
 * every start, docs/benchmarks.md). It is entered in `require.cache` under its path, and an
 * instance already there is used: a second `process.dlopen` of one file in one env would run the
 * addon's init again and replace its per-env state. Runtimes without `process.dlopen` use
 * `require`.
 */
function loadAddon(file: string): NativeAddon {
  const moduleCache = require.cache as NodeJS.Dict<NodeJS.Module> | undefined;
  const loaded = moduleCache?.[file];
  if (loaded) return loaded.exports as NativeAddon;
  if (!moduleCache || typeof process.dlopen !== 'function') return require(file) as NativeAddon;
  const Module = require('node:module') as typeof import('node:module');
  const m = new Module(file);
  m.filename = file;
  process.dlopen(m, path.toNamespacedPath(file));
  m.loaded = true;
  moduleCache[file] = m;
  return m.exports as NativeAddon;
}

export const native: NativeAddon = loadAddon(nativePath);
