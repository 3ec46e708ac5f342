/**
 * ProcessHandle: a race-free reference to one process. Linux holds a pidfd, Windows a process
 * HANDLE, macOS (and Linux without pidfds) the pid plus its start time.
 *
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { spawnWithHandle, type HandleSpawnOptions } from './job/death-signal';
import { AlreadyExitedError, argTypeError, argValueError, errnoOf, PROC_HIDDEN, PROC_NOT_MOUNTED, processError, ProcessError, procReadError, UnexpectedExitError } from './errors';
import { checkExit, closedError, handleCaps, handleKind } from './handle-exit';
import { ExitWatch, readWaitOptions, type WaitForExitOptions } from './handle-watch';
import { sendOutcome, sendSignal } from './kill';
import { HandleCap, isFailure, native, type HandleQueryResult } from './native';
import { displaySignal, toSignal, type SignalLike } from './signals';
import { killTree as treeKill, type KillTreeOptions, type KillTreeResult } from './tree';
import { checkBoolean, checkGroup, checkOptions, checkPid, isChildProcess } from './validate';
import { describeStatus, exitResult, statusFromChild, type ExitResult } from './wait-status';
import { procIsProcfs } from './procfs';

export { handleCaps, handleKind } from './handle-exit';
export { readWaitOptions, type WaitForExitOptions } from './handle-watch';
export type { ExitResult } from './wait-status';

const IS_LINUX = process.platform === 'linux';

/** Options of {@link ProcessHandle.kill}. */
export interface HandleKillOptions extends WaitForExitOptions {
  /** After signalling, wait for the exit and resolve to its {@link ExitResult} (Janet's `os/proc-kill` with wait). */
  wait?: boolean;
}

// Only this module holds it: `new ProcessHandle(...)` from outside (JavaScript ignores `private`)
// would wrap another handle's fd, and its close() would close that fd.
const kConstruct = Symbol('procsig.ProcessHandle');

// A handle dropped without close() still releases its fd when it is collected. (A handle with
// an active watcher is reachable from the native callback, so it is never collected early.)
const registry = new FinalizationRegistry<number>((fd) => {
  native.handleClose(fd);
});

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
 * const exit = await h.kill('SIGKILL', { wait: true }); // exit.code === 137, exit.signal === 'SIGKILL'
 * (await h.wait()).code; // the same ExitResult, from wait(), exited and waitForExit() too
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
  readonly #watch: ExitWatch;
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
    this.#watch = new ExitWatch({
      pid,
      get caps() {
        return handleCaps();
      },
      fd: () => this.#fd,
      closed: () => this.#closed,
      check: (peeked) => this.#check(peeked),
    });
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
    return HandleClass.#openChecked(p, undefined);
  }

  static #openChecked(pid: number, child: ChildProcess | undefined): ProcessHandle {
    const caps = handleCaps();
    if (caps & HandleCap.Fd || !IS_LINUX) {
      const h = native.handleOpen(pid);
      if (isFailure(h)) throw processError(h, { pid });
      return new HandleClass(kConstruct, pid, h[0], h[1] || null, child);
    }
    // No pidfds (seccomp, old kernel): an open /proc/<pid> directory pins the process itself,
    // so a reaped one is told from a newcomer under the same pid even within one clock tick.
    const h = native.handleOpen(pid, true);
    // EACCES: the process exists but /proc does not show it (hidepid, or /proc not mounted).
    if (isFailure(h) && h.errno === errnoOf('EACCES')) throw procReadError(procIsProcfs() ? PROC_HIDDEN : PROC_NOT_MOUNTED, h.syscall, pid);
    if (isFailure(h)) throw processError(h, { pid });
    return new HandleClass(kConstruct, pid, h[0], h[1] || null, child, undefined, true);
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
      return new HandleClass(kConstruct, pid, -1, null, child, exitResult(pid, statusFromChild(child, pid)));
    }
    return HandleClass.#openChecked(pid, child);
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
    return spawnWithHandle(command, argsOrOptions, maybeOptions, (c) => HandleClass.fromChild(c));
  }

  /** @internal For the package's own tests, which load the built bundle: the handle mechanism in use. */
  static _diagnostics = (): { caps: number; kind: ReturnType<typeof handleKind> } => ({ caps: handleCaps(), kind: handleKind() });

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

  /** @internal The current state, without marking anything observed (`peeked`: the exit watcher's answer). */
  #check(peeked?: HandleQueryResult): ExitResult | null {
    if (this.#closed) throw closedError(this.#pid);
    const prev = this.#observed;
    if (prev && (prev.status || this.#fd < 0 || this.#procDir)) return prev;
    const r = checkExit(this.#fd, this.#pid, this.#start, this.#child, peeked);
    return prev && r && !r.status ? prev : r;
  }

  #observe(r: ExitResult): void {
    if (!this.#observed || (!this.#observed.status && r.status)) this.#observed = r;
  }

  /**
   * Sends a signal through the handle (`pidfd_send_signal(2)`; Windows `TerminateProcess`, exit
   * code 1, for SIGKILL/SIGTERM/SIGINT; pid + start time elsewhere) — Janet's `os/proc-kill`.
   *
   * - `{ wait: true }` returns a promise of the exit — the {@link ExitResult} that {@link wait}
   *   resolves to: `code` 137 and `signal` `'SIGKILL'` after SIGKILL, `null` when the status
   *   cannot be known — with the `timeout`/`signal` of {@link wait}.
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
  kill(signal: SignalLike | undefined, options: HandleKillOptions & { wait: true }): Promise<ExitResult>;
  kill(signal?: SignalLike, options?: HandleKillOptions): void | Promise<ExitResult>;
  kill(signal: SignalLike = 'SIGTERM', options?: HandleKillOptions): void | Promise<ExitResult> {
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
    return this.#waitChecked(waitOpts);
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
    const sent = viaFd ? sendOutcome(native.handleSignal(this.#fd, sig), pid, sig) : this.#procDir ? sendOutcome(native.handleSignal(this.#fd, sig, pid), pid, sig) : sendSignal(pid, sig);
    if (sent === 'sent') return;
    if (sent === 'gone') this.#unexpected(this.#check() ?? exitResult(pid));
    throw sent;
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
      if (now !== null && now !== this.#start) throw new ProcessError(errnoOf('ESRCH'), 'killpg', { pid, signal: displaySignal(sig) });
    }
    const sent = sendSignal(pid, sig, true);
    if (sent === 'sent') return;
    // The one strict caller: no such group is the caller's to hear about.
    throw sent === 'gone' ? new ProcessError(errnoOf('ESRCH'), 'killpg', { pid, signal: displaySignal(sig) }) : sent;
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
        this.#exited = this.#watch.acquire().then((r) => {
          this.#watch.release();
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
    return this.#watch.wait(o, (r) => this.#observe(r));
  }

  /**
   * Stops every watch, rejects pending waits (`ERR_PROCESS_HANDLE_CLOSED`) and closes the
   * pidfd/HANDLE. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch.close(() => closedError(this.#pid));
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

// The class's body refers to itself through this name: a body that names its own class makes
// esbuild bind it a second time as `_ProcessHandle`, which stack frames would show (scripts/build-ts.js).
const HandleClass = ProcessHandle;
