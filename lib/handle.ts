/**
 * ProcessHandle: a race-free reference to one process. Linux holds a pidfd, Windows a process
 * HANDLE, macOS (and Linux without pidfds) the pid plus its start time.
 *
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { spawnWithHandle, type HandleSpawnOptions } from './job/death-signal';
import { AlreadyExitedError, argTypeError, argValueError, errnoNumber, PROC_HIDDEN, PROC_NOT_MOUNTED, processError, ProcessError, procReadError, TimeoutError, UnexpectedExitError } from './errors';
import { HandleCap, HandleState, isFailure, native, type NativeFailure, WaitFlag, WaitKind } from './native';
import { displaySignal, toSignal, type SignalLike } from './signals';
import { killTree as treeKill, type KillTreeOptions, type KillTreeResult } from './tree';
import { checkAbortSignal, checkBoolean, checkGroup, checkOptions, checkPid, checkTimeout } from './validate';
import { decodeWait, type WaitStatus } from './wait';
import { procIsProcfs } from './procfs';

const ESRCH = errnoNumber('ESRCH') ?? 3;
const EMFILE = errnoNumber('EMFILE') ?? 24;
const ENFILE = errnoNumber('ENFILE') ?? 23;
const EACCES = errnoNumber('EACCES') ?? 13;
const IS_WINDOWS = process.platform === 'win32';
const IS_LINUX = process.platform === 'linux';

/**
 * How a process ended, as far as the OS can tell. `status` is absent when the exit status is
 * unknown (a non-child that nobody has reaped yet, a kernel without `PIDFD_INFO_EXIT`, a pid
 * that was already gone): procsig never invents one.
 */
export interface ExitResult {
  /** The pid that exited. */
  readonly pid: number;
  /** The decoded exit status (`code` is 137 after SIGKILL), when known. */
  readonly status?: WaitStatus;
}

/** Options of {@link ProcessHandle.wait} and `waitForExit`. */
export interface WaitForExitOptions {
  /** Give up after this many milliseconds: the promise rejects with a `TimeoutError`. */
  timeout?: number;
  /** Abort the wait: the promise rejects with `signal.reason`. Nothing is signalled. */
  signal?: AbortSignal;
}

/** Options of {@link ProcessHandle.kill}. */
export interface HandleKillOptions extends WaitForExitOptions {
  /** After signalling, wait for the exit and resolve to its `WaitStatus` (Janet's `os/proc-kill` with wait). */
  wait?: boolean;
}

let capsCache: number | undefined;

/**
 * @internal The handle capabilities of this platform (`HandleCap` bits), probed once.
 * `PROCSIG_NO_PIDFD=1` forces the pid + start-time fallback with backoff polling (the path taken
 * where pidfds are missing or blocked by seccomp); tests use it.
 */
export function handleCaps(): number {
  if (capsCache === undefined) {
    const forced = process.env.PROCSIG_NO_PIDFD === '1' && !IS_WINDOWS;
    capsCache = forced ? 0 : native.handleProbe();
  }
  return capsCache;
}

/**
 * @internal Which mechanism handles use here: `'pidfd'`, `'handle'` (Windows), `'procfd'` (Linux
 * without pidfds: an open `/proc/<pid>` directory) or `'pid'` (macOS: pid + start time).
 */
export function handleKind(): 'pidfd' | 'handle' | 'procfd' | 'pid' {
  if (!(handleCaps() & HandleCap.Fd)) return IS_LINUX ? 'procfd' : 'pid';
  return IS_WINDOWS ? 'handle' : 'pidfd';
}

// Only this module holds it: `new ProcessHandle(...)` from outside (JavaScript ignores `private`)
// would wrap another handle's fd, and its close() would close that fd.
const kConstruct = Symbol('procsig.ProcessHandle');

// A handle dropped without close() still releases its fd when it is collected. (A handle with
// an active watcher is reachable from the native callback, so it is never collected early.)
const registry = new FinalizationRegistry<number>((fd) => {
  native.handleClose(fd);
});

function closedError(pid: number): Error & { code: string } {
  const e = new Error(`The handle of process ${pid} is closed`) as Error & { code: string };
  e.code = 'ERR_PROCESS_HANDLE_CLOSED';
  return e;
}

function describeStatus(status: WaitStatus | undefined): string {
  if (!status) return 'with an unknown status';
  if (status.signaled) return `after ${status.signal} (code ${status.code})`;
  return `with exit code ${status.exitCode}`;
}

/** A WaitStatus from what child_process reported (libuv reaped it), never invented. */
function statusFromChild(child: ChildProcess | undefined, pid: number): WaitStatus | undefined {
  if (!child) return undefined;
  if (child.exitCode !== null && child.exitCode !== undefined) {
    const c = child.exitCode;
    return decodeWait([pid, (c & 0xff) << 8, WaitKind.Exited, c, 0]) ?? undefined;
  }
  if (child.signalCode) {
    let n: number;
    try {
      n = toSignal(child.signalCode);
    } catch {
      return undefined;
    }
    return decodeWait([pid, n & 0x7f, WaitKind.Signaled, n, 0]) ?? undefined;
  }
  return undefined;
}

function isChildProcess(value: unknown): value is ChildProcess {
  return typeof value === 'object' && value !== null && typeof (value as ChildProcess).kill === 'function' && 'exitCode' in value && 'signalCode' in value && typeof (value as ChildProcess).once === 'function';
}

interface Shared {
  promise: Promise<ExitResult>;
  settled: boolean;
  cancel: () => void;
  fail: (e: unknown) => void;
}

/**
 * A race-free reference to one process: it keeps pointing at the process it was opened on, and
 * never signals whoever inherits the pid after that process is gone.
 *
 * - **Linux** (≥ 5.3): a pidfd (`pidfd_open(2)`); signals go through `pidfd_send_signal(2)`,
 *   exit is watched by the env's one epoll watcher thread (none per waiter), a child's status is peeked with
 *   `waitid(P_PIDFD, …, WNOWAIT)` (never reaped, so `child_process` still gets `'exit'`), a
 *   non-child's status is read with `PIDFD_GET_INFO`/`PIDFD_INFO_EXIT` (≥ 6.15) once it has
 *   been reaped (where seccomp refuses `waitid(P_PIDFD)`, a child's status is peeked with
 *   `waitid(P_PID, WNOWAIT)` while the pidfd shows it unreaped). Where pidfds are missing (old
 *   kernel, seccomp; probed once) the handle holds the process's `/proc/<pid>` directory open:
 *   it pins the process, not the pid, so every lookup through it fails once the process is
 *   reaped, even if the pid was reused within the same clock tick. Signals go through it with
 *   `pidfd_send_signal` where allowed, else `kill(2)` right after a lookup through it (a window
 *   of microseconds, in which the process would have to be reaped and its pid handed out again);
 *   the exit is watched by backoff polling.
 * - **Windows**: a process HANDLE (`OpenProcess` with `SYNCHRONIZE | PROCESS_TERMINATE |
 *   PROCESS_QUERY_LIMITED_INFORMATION`); `kill` terminates with exit code 1 (`TerminateProcess`),
 *   exit is watched with `RegisterWaitForSingleObject`, the status is `GetExitCodeProcess`'s.
 * - **macOS**: pid + start time (`proc_pidinfo`), re-checked before every signal (a small window
 *   remains between the check and `kill(2)`); exit is watched with kqueue `EVFILT_PROC`/`NOTE_EXIT`.
 *
 * A handle owns an fd/HANDLE: {@link close} it (or `using h = ProcessHandle.open(pid)`); a
 * forgotten handle is closed when garbage-collected, and every handle of a worker is closed
 * when the worker exits.
 *
 * @example
 * ```ts
 * using h = ProcessHandle.fromChild(spawn('server'));
 * const status = await h.kill('SIGKILL', { wait: true }); // status.code === 137
 * ```
 */
export class ProcessHandle {
  readonly #pid: number;
  #fd: number;
  readonly #start: string | null;
  readonly #child: ChildProcess | undefined;
  #closed = false;
  /** The exit, once it has been observed through this handle. */
  #observed: ExitResult | undefined;
  #shared: Shared | undefined;
  #refs = 0;
  #exited: Promise<ExitResult> | undefined;
  /** Linux without pidfds: #fd is an open `/proc/<pid>` directory, not a pidfd. */
  readonly #procDir: boolean;

  private constructor(token: symbol, pid: number, fd: number, start: string | null, child: ChildProcess | undefined, observed?: ExitResult, procDir = false) {
    if (token !== kConstruct) {
      const e = new TypeError('Illegal constructor: use ProcessHandle.open(pid) or ProcessHandle.fromChild(child)') as TypeError & { code: string };
      e.code = 'ERR_ILLEGAL_CONSTRUCTOR';
      throw e;
    }
    this.#procDir = procDir;
    this.#pid = pid;
    this.#fd = fd;
    this.#start = start;
    this.#child = child;
    this.#observed = observed;
    if (fd >= 0) registry.register(this, fd, this);
  }

  /**
   * Opens a handle on a running (or zombie) process.
   *
   * @throws TypeError/RangeError for a bad pid; ProcessError `ESRCH` when there is no such
   *   process (`syscall` `'pidfd_open'`, `'OpenProcess'` or `'proc_pidinfo'`; `'open'` on Linux
   *   without pidfds), `EINVAL` for a Linux thread id that is not a process (with or without
   *   pidfds), `EPERM` (Windows) when it may not be opened.
   */
  static open(pid: number): ProcessHandle {
    const p = checkPid(pid);
    return ProcessHandle.#openChecked(p, undefined);
  }

  static #openChecked(pid: number, child: ChildProcess | undefined): ProcessHandle {
    const caps = handleCaps();
    if (caps & HandleCap.Fd || !IS_LINUX) {
      const h = native.handleOpen(pid);
      if (isFailure(h)) throw processError(h, { pid });
      return new ProcessHandle(kConstruct, pid, h[0], h[1] || null, child);
    }
    // No pidfds (seccomp, old kernel): an open /proc/<pid> directory pins the process itself,
    // so a reaped one is told from a newcomer under the same pid even within one clock tick.
    const h = native.handleOpen(pid, true);
    // EACCES: the process exists but /proc does not show it (hidepid, or /proc not mounted).
    if (isFailure(h) && h.errno === EACCES) throw procReadError(procIsProcfs() ? PROC_HIDDEN : PROC_NOT_MOUNTED, h.syscall, pid);
    if (isFailure(h)) throw processError(h, { pid });
    return new ProcessHandle(kConstruct, pid, h[0], h[1] || null, child, undefined, true);
  }

  /**
   * A handle on a `child_process` child. When Node has already reported the child's exit, the
   * pid may already belong to someone else: no pid is opened, and the handle carries the status
   * Node reported, as already observed (so {@link kill} throws `AlreadyExitedError`).
   *
   * The synchronous check is race-free: libuv reaps children on this same thread.
   *
   * @throws TypeError when `child` is not a ChildProcess; TypeError `ERR_INVALID_ARG_VALUE` when it
   *   never started (no pid); RangeError `ERR_OUT_OF_RANGE` when `child.pid` is not an integer
   *   from 1 to 2^31-1 (the check every pid gets: `2**32 + n` never becomes pid `n`).
   */
  static fromChild(child: ChildProcess): ProcessHandle {
    if (!isChildProcess(child)) throw argTypeError('child', 'an instance of ChildProcess', child);
    if (typeof child.pid !== 'number') throw argValueError('child', 'has no pid (it failed to spawn)', child, TypeError);
    const pid = checkPid(child.pid, 'child.pid');
    if (child.exitCode !== null || child.signalCode !== null) {
      const status = statusFromChild(child, pid);
      return new ProcessHandle(kConstruct, pid, -1, null, child, status ? { pid, status } : { pid });
    }
    return ProcessHandle.#openChecked(pid, child);
  }

  /**
   * Spawns a process and opens a handle on it at once: `child_process.spawn(command, args,
   * options)` and {@link fromChild}. With `options.deathSignal` (Linux), the child gets that
   * signal when this process exits, however it exits: the exec helper sets `PR_SET_PDEATHSIG`,
   * checks `getppid()`, then execs the command (`child.pid` is the command's own pid; exit code
   * 125 if this process died first, 127 if the exec failed). The kernel sends it when the
   * spawning *thread* exits — the main thread, or the `worker_threads` Worker that spawned it.
   * It covers the child itself, not its descendants (use a {@link Job} for those).
   *
   * @returns `{ child, handle }` (`handle` is `null` when spawning failed synchronously).
   * @throws TypeError `ERR_INVALID_ARG_TYPE`/`ERR_INVALID_ARG_VALUE`, `ERR_UNKNOWN_SIGNAL`;
   *   ProcessError `ENOSYS` (`syscall: 'prctl'`) for `deathSignal` off Linux or without the helper.
   */
  static spawn(command: string, args?: readonly string[], options?: HandleSpawnOptions): { child: ChildProcess; handle: ProcessHandle | null };
  static spawn(command: string, options?: HandleSpawnOptions): { child: ChildProcess; handle: ProcessHandle | null };
  static spawn(command: string, argsOrOptions?: readonly string[] | HandleSpawnOptions, maybeOptions?: HandleSpawnOptions): { child: ChildProcess; handle: ProcessHandle | null } {
    return spawnWithHandle(command, argsOrOptions, maybeOptions, (c) => ProcessHandle.fromChild(c));
  }

  /** The process id. */
  get pid(): number {
    return this.#pid;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Checks, without blocking and without reaping, whether the process has exited (a zombie has).
   * Returns `null` while it runs. A non-null result marks the exit as observed.
   */
  tryWait(): ExitResult | null {
    const r = this.#check();
    if (r) this.#observe(r);
    return r;
  }

  /** @internal The current state, without marking anything observed. */
  #check(): ExitResult | null {
    if (this.#closed) throw closedError(this.#pid);
    const prev = this.#observed;
    if (prev && (prev.status || this.#fd < 0 || this.#procDir)) return prev;
    const pid = this.#pid;
    let r: ExitResult | null;
    if (this.#fd >= 0) {
      const q = native.handleQuery(this.#fd, true, pid);
      if (isFailure(q)) {
        // No fd left to read /proc/<pid>/stat through the handle: not an exit; a poll goes on.
        if (q.errno === EMFILE || q.errno === ENFILE) return null;
        throw processError(q, { pid });
      }
      if (q[0] === HandleState.Running) return null;
      if (q[0] === HandleState.ExitedKnown) {
        const status = decodeWait([pid, q[1], q[2], q[3], q[4]]);
        r = status ? { pid, status } : { pid };
      } else {
        r = { pid };
      }
    } else {
      r = this.#checkByPid();
      if (!r) return null;
    }
    if (!r.status) {
      const s = statusFromChild(this.#child, pid);
      if (s) r = { pid, status: s };
    }
    if (prev && !r.status) return prev;
    return r;
  }

  /** pid + start time: gone, recycled (different start) or a zombie all mean it has exited. */
  #checkByPid(): ExitResult | null {
    const pid = this.#pid;
    const start = native.processStartTime(pid);
    // It exists but cannot be read now (EMFILE/ENFILE: it may be readable later; hidden: it will
    // not be): it is not reported gone — a poll keeps polling, and it counts as running.
    if (isFailure(start)) return this.#unreadable(start);
    if (start === null || start !== this.#start) return { pid };
    const state = native.processState(pid);
    if (isFailure(state)) return this.#unreadable(state);
    if (state !== 'Z' && state !== 'X') return null;
    // A zombie child: peek without reaping (its owner reaps it).
    const t = native.waitpid(pid, WaitFlag.NoHang | WaitFlag.NoWait);
    // Our child, not waitable yet: the leader is a zombie while other threads still exit.
    if (!isFailure(t) && t[0] === 0) return null;
    const status = isFailure(t) ? null : decodeWait(t);
    return status && (status.exited || status.signaled) ? { pid, status } : { pid };
  }

  /** A transient failure (EMFILE, ENFILE) reads as "still running"; anything else throws. */
  #unreadable(failure: NativeFailure): null {
    if (failure.errno === EMFILE || failure.errno === ENFILE) return null;
    throw procReadError(failure, failure.syscall, this.#pid);
  }

  #observe(r: ExitResult): void {
    if (!this.#observed || (!this.#observed.status && r.status)) this.#observed = r;
  }

  /**
   * Sends a signal through the handle (`pidfd_send_signal(2)`; Windows `TerminateProcess`, exit
   * code 1, for SIGKILL/SIGTERM/SIGINT; pid + start time elsewhere) — Janet's `os/proc-kill`.
   *
   * - `{ wait: true }` returns a promise of the exit's `WaitStatus` (`code` 137 after SIGKILL;
   *   `undefined` when the status cannot be known), with the `timeout`/`signal` of {@link wait}.
   * - A process that exited on its own before the call, unobserved, throws
   *   `UnexpectedExitError` carrying its status (icommandlib's `UnexpectedExit`); the exit is
   *   observed from then on.
   * - A process whose exit was already observed through this handle ({@link wait},
   *   {@link exited}, {@link tryWait}, a previous kill) throws `AlreadyExitedError`: "cannot
   *   kill process that has already finished".
   * - A recycled pid is never signalled.
   *
   * With `wait: true`, every error rejects the promise instead of being thrown.
   *
   * @throws TypeError `ERR_UNKNOWN_SIGNAL`/RangeError for a bad signal, before anything is sent;
   *   `AlreadyExitedError`; `UnexpectedExitError`; ProcessError (`EPERM`, `ENOSYS` for a
   *   signal Windows lacks); an `ERR_PROCESS_HANDLE_CLOSED` Error after {@link close}.
   */
  kill(signal?: SignalLike, options?: HandleKillOptions & { wait?: false }): void;
  kill(signal: SignalLike | undefined, options: HandleKillOptions & { wait: true }): Promise<WaitStatus | undefined>;
  kill(signal?: SignalLike, options?: HandleKillOptions): void | Promise<WaitStatus | undefined>;
  kill(signal: SignalLike = 'SIGTERM', options?: HandleKillOptions): void | Promise<WaitStatus | undefined> {
    const sig = toSignal(signal);
    const o = checkOptions<HandleKillOptions>(options);
    const wait = checkBoolean(o.wait, 'options.wait') ?? false;
    const waitOpts = wait ? readWaitOptions({ timeout: o.timeout, signal: o.signal }) : undefined;
    if (!waitOpts) {
      this.#send(sig);
      return;
    }
    // An AbortSignal that is already aborted: reject before anything is sent (the documented
    // "nothing is signalled" of the `signal` option, like killTree and terminate).
    if (waitOpts.signal?.aborted) return Promise.reject(waitOpts.signal.reason);
    try {
      this.#send(sig);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#waitChecked(waitOpts).then((r) => r.status);
  }

  #send(sig: number): void {
    const pid = this.#pid;
    if (this.#closed) throw closedError(pid);
    if (this.#observed) throw new AlreadyExitedError(pid, this.#observed.status);
    const before = this.#check();
    if (before) this.#unexpected(before);
    // A /proc/<pid> dirfd: pidfd_send_signal takes it where allowed; otherwise the dirfd is
    // checked right before kill(2) (native/handle_linux.cc).
    const viaFd = this.#fd >= 0 && handleCaps() & (this.#procDir ? HandleCap.ProcSignal : HandleCap.Signal);
    const failure = viaFd ? native.handleSignal(this.#fd, sig) : this.#procDir ? native.handleSignal(this.#fd, sig, pid) : native.kill(pid, sig);
    if (failure === undefined) return;
    if (failure.errno === ESRCH) this.#unexpected(this.#check() ?? { pid });
    throw processError(failure, { pid, signal: displaySignal(sig) });
  }

  #unexpected(r: ExitResult): never {
    this.#observe(r);
    throw new UnexpectedExitError(this.#pid, r.status, `Process ${this.#pid} unexpectedly exited ${describeStatus(r.status)} before it was killed`);
  }

  /**
   * Signals the process group led by this process (`killpg(2)`): with a child started
   * `detached: true` (its own group), this takes its children and grandchildren too
   * (icommandlib's kill). Works after the leader exited while members remain (a group id is
   * never reused while the group exists); refuses (ESRCH) when the leader's pid now belongs to a
   * different process that leads a group of its own. POSIX only: ENOSYS on Windows.
   *
   * Pid 1 is refused: killpg(1) is kill(-1), every process the caller may signal.
   *
   * @throws ProcessError `ESRCH` (no such group), `EPERM`, `ENOSYS`; TypeError for a bad signal;
   *   RangeError `ERR_INVALID_ARG_VALUE` for pid 1 (group 1).
   */
  killGroup(signal: SignalLike = 'SIGTERM'): void {
    const sig = toSignal(signal);
    const pid = this.#pid;
    if (this.#closed) throw closedError(pid);
    checkGroup(pid, 'pid');
    const exit = this.#observed ?? this.#check();
    if (exit && this.#start !== null) {
      const now = native.processStartTime(pid);
      // Cannot tell whether the pid was recycled: no group signal on a guess.
      if (isFailure(now)) throw procReadError(now, now.syscall, pid);
      if (now !== null && now !== this.#start) throw new ProcessError(ESRCH, 'killpg', { pid, signal: displaySignal(sig) });
    }
    const failure = native.killpg(pid, sig);
    if (failure !== undefined) throw processError(failure, { pid, signal: displaySignal(sig) });
  }

  /**
   * Kills the process and all its descendants with `killTree` (freeze, re-scan, signal; see
   * `lib/tree.ts`). Same exit rules as {@link kill}: an unobserved earlier exit rejects with
   * `UnexpectedExitError`, an observed one with `AlreadyExitedError`.
   */
  async killTree(signal: SignalLike = 'SIGTERM', options?: KillTreeOptions): Promise<KillTreeResult> {
    toSignal(signal);
    const pid = this.#pid;
    if (this.#closed) throw closedError(pid);
    if (this.#observed) throw new AlreadyExitedError(pid, this.#observed.status);
    const before = this.#check();
    if (before) this.#unexpected(before);
    return treeKill(pid, signal, options);
  }

  /**
   * Resolves once the process has exited (a zombie counts), with its status when it can be
   * known; never reaps. Event-driven: a pidfd in epoll (Linux), kqueue (macOS), a wait
   * handle (Windows); backoff polling (1 ms doubling to 100 ms) only without those.
   *
   * @throws (rejects) `TimeoutError` after `timeout` ms; the AbortSignal's reason; TypeError /
   *   RangeError for bad options; `ERR_PROCESS_HANDLE_CLOSED` when the handle is closed meanwhile.
   */
  wait(options?: WaitForExitOptions): Promise<ExitResult> {
    let o: WaitForExitOptions;
    try {
      o = readWaitOptions(options);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#waitChecked(o);
  }

  /**
   * A promise of the exit (the same promise on every access), like Bun's `subprocess.exited`.
   * Accessing it starts watching and keeps the event loop alive until the process exits or the
   * handle is closed (then it rejects with `ERR_PROCESS_HANDLE_CLOSED`; that rejection is
   * pre-handled, so an ignored `exited` never raises an unhandled rejection).
   */
  get exited(): Promise<ExitResult> {
    if (!this.#exited) {
      if (this.#closed) {
        this.#exited = Promise.reject(closedError(this.#pid));
      } else {
        const s = this.#acquire();
        this.#exited = s.promise.then((r) => {
          this.#release();
          this.#observe(r);
          return r;
        });
      }
      this.#exited.catch(() => {});
    }
    return this.#exited;
  }

  #waitChecked(o: WaitForExitOptions): Promise<ExitResult> {
    if (o.signal?.aborted) return Promise.reject(o.signal.reason);
    if (this.#closed) return Promise.reject(closedError(this.#pid));
    let now: ExitResult | null;
    try {
      now = this.#check();
    } catch (e) {
      return Promise.reject(e);
    }
    if (now) {
      this.#observe(now);
      return Promise.resolve(now);
    }
    const s = this.#acquire();
    return new Promise<ExitResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (): void => {
        done = true;
        if (timer) clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        this.#release();
      };
      const onAbort = (): void => {
        if (done) return;
        finish();
        reject(o.signal!.reason);
      };
      // setTimeout cannot wait longer than 2^31-1 ms; longer timeouts wait without limit.
      if (o.timeout !== undefined && o.timeout <= 0x7fffffff) {
        timer = setTimeout(() => {
          if (done) return;
          finish();
          reject(new TimeoutError(o.timeout!, this.#pid));
        }, o.timeout);
      }
      o.signal?.addEventListener('abort', onAbort, { once: true });
      s.promise.then(
        (r) => {
          if (done) return;
          finish();
          this.#observe(r);
          resolve(r);
        },
        (e: unknown) => {
          if (done) return;
          finish();
          reject(e);
        },
      );
    });
  }

  /** One exit watch per handle, shared by every waiter (an fd is registered once per env). */
  #acquire(): Shared {
    this.#refs++;
    if (this.#shared && !this.#shared.settled) return this.#shared;
    let resolveP!: (r: ExitResult) => void;
    let rejectP!: (e: unknown) => void;
    const promise = new Promise<ExitResult>((res, rej) => {
      resolveP = res;
      rejectP = rej;
    });
    promise.catch(() => {});
    const shared: Shared = { promise, settled: false, cancel: () => {}, fail: (e) => rejectP(e) };
    this.#shared = shared;
    const settle = (fn: () => void): void => {
      if (shared.settled) return;
      shared.settled = true;
      fn();
    };
    /** Runs one exit check; settles and returns true when the wait is over (exit or error). */
    const settledBy = (check: () => ExitResult | null): boolean => {
      let r: ExitResult | null;
      try {
        r = check();
      } catch (e) {
        settle(() => rejectP(e));
        return true;
      }
      if (!r) return false;
      const res = r;
      settle(() => resolveP(res));
      return true;
    };
    const onExit = (): void => {
      if (!settledBy(() => (this.#closed ? null : this.#check())) && !this.#closed) arm();
    };
    const caps = handleCaps();
    const arm = (): void => {
      const canWatchFd = this.#fd >= 0 && caps & HandleCap.WatchFd;
      const canWatchPid = this.#fd < 0 && caps & HandleCap.WatchPid;
      if (canWatchFd || canWatchPid) {
        const id = native.watchExit(this.#fd, this.#pid, () => {
          shared.cancel = () => {};
          onExit();
        });
        if (!isFailure(id)) {
          shared.cancel = () => {
            native.watchCancel(id);
          };
          return;
        }
        // kqueue refuses a pid that is already gone: that is an exit.
        if (id.errno === ESRCH) {
          queueMicrotask(onExit);
          return;
        }
      }
      // Last resort: backoff polling, 1 ms doubling to 100 ms.
      let delay = 1;
      let timer: NodeJS.Timeout;
      const tick = (): void => {
        if (settledBy(() => this.#check())) return;
        delay = Math.min(delay * 2, 100);
        timer = setTimeout(tick, delay);
      };
      timer = setTimeout(tick, delay);
      shared.cancel = () => clearTimeout(timer);
    };
    arm();
    return shared;
  }

  #release(): void {
    if (--this.#refs > 0) return;
    this.#refs = 0;
    const s = this.#shared;
    if (s && !s.settled) {
      s.settled = true;
      s.cancel();
      this.#shared = undefined;
    }
  }

  /**
   * Stops every watch, rejects pending waits (`ERR_PROCESS_HANDLE_CLOSED`) and closes the
   * pidfd/HANDLE. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const s = this.#shared;
    this.#shared = undefined;
    this.#refs = 0;
    if (s && !s.settled) {
      s.cancel();
      s.settled = true;
      s.fail(closedError(this.#pid));
    }
    if (this.#fd >= 0) {
      registry.unregister(this);
      native.handleClose(this.#fd);
      this.#fd = -1;
    }
  }

  /** `using h = ProcessHandle.open(pid)` closes it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** @internal Validates `{ timeout, signal }`. */
export function readWaitOptions(options: unknown): WaitForExitOptions & { signal: AbortSignal | undefined } {
  const o = checkOptions<WaitForExitOptions>(options);
  return { timeout: checkTimeout(o.timeout, 'options.timeout'), signal: checkAbortSignal(o.signal, 'options.signal') };
}
