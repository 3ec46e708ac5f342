/**
 * Job: kill everything a supervisor started, atomically, with nothing escaping — the Zircon job
 * (`zx_task_kill` on a job kills every process in it and their children, recursively, and the job
 * can no longer create processes).
 *
 * Three backends, one API (the {@link Backend} interface, lib/job/backend.ts):
 *
 * - `'cgroup2'` (Linux, lib/job/cgroup.ts): a cgroup v2 child group the processes are started
 *   inside; where the group goes is read from mountinfo (lib/job/mountinfo.ts).
 * - `'tree'` (any POSIX system, the fallback where no writable cgroup2 exists;
 *   lib/job/pgroup.ts): process groups and freeze-then-kill of the tracked trees.
 * - `'jobobject'` (Windows, lib/job/win32.ts): a Job Object with
 *   `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`.
 *
 * Beside them: the exec helper and the Node programs are found by lib/job/helper.ts, the
 * programs' environment is lib/job/env.ts, the programs themselves are lib/job/programs/;
 * kill-on-close on Linux (the job dies with its creator, even on SIGKILL) is lib/job/watchdog.ts;
 * `deathSignal` and the spawn argument reading are lib/job/death-signal.ts.
 *
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { argTypeError, TimeoutError } from '../errors';
import { ProcessHandle } from '../handle';
import { native } from '../native';
import { toSignal, type SignalLike } from '../signals';
import { refuseThreadId } from '../kill';
import { pgidsOf } from '../tree';
import { checkAbortSignal, checkOptions, checkPid, checkTimeout } from '../validate';
import type { Backend } from './backend';
import { commandLine, spawnArgs } from './death-signal';
import { findExecHelper, programPath, type JobProgram } from './helper';
import { loadBackends } from './lazy';
import { JobBackendUnavailableError, JobClosedError, JobKilledError } from './types';
import type { JobBackend, JobChild, JobKillResult, JobOptions, JobSpawnOptions, JobWaitOptions } from './types';

export { JobBackendUnavailableError, JobClosedError, JobKilledError } from './types';
export type { JobBackend, JobChild, JobKillResult, JobOptions, JobSpawnOptions, JobWaitOptions } from './types';

const openJobs = new Set<Job>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const job of openJobs) job[kExitHook]();
  });
}

const kExitHook = Symbol('procsig.job.exitHook');

/**
 * A job: a set of processes (and everything they start) that is killed as one — the Zircon job
 * (`zx_task_kill`), a systemd scope (`cgroup.kill`), a Windows Job Object.
 *
 * ```ts
 * await using job = Job.create();
 * const { child } = job.spawn('make', ['-j8']);
 * // ...
 * await job.kill();   // every process the job holds, including daemons that called setsid()
 * await job.wait();   // resolves when the job is empty
 * ```
 *
 * A killed job refuses new processes ({@link JobKilledError}, `ERR_JOB_KILLED`). Closing a job
 * kills whatever is still in it (like `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`), waits for it to be
 * empty and releases it (the cgroup directory is removed). Kill-on-close (the default,
 * {@link JobOptions.killOnClose}): when the process that created the job dies — SIGKILL, a crash,
 * `process.abort()`, an uncaught exception, a normal exit — the job's processes die too: a Job
 * Object's `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE` on Windows, a watchdog process on Linux
 * (lib/job/watchdog.ts; cgroup2: `cgroup.kill` and the group removed), and on other systems the
 * synchronous `'exit'` hook only.
 */
export class Job implements AsyncDisposable {
  /** The mechanism holding the processes. */
  readonly backend: JobBackend;
  /** Whether the job's processes are killed when its creator dies ({@link JobOptions.killOnClose}). */
  readonly killOnClose: boolean;
  readonly #b: Backend;
  /** Its id with the kill-on-close watchdog (lib/job/watchdog.ts); 0 = not watched. */
  #watch = 0;
  #state: 'open' | 'killed' | 'closed' = 'open';
  #closing: Promise<void> | undefined;
  /** Job-spawned children whose exit Node has not reported yet (they may not have joined the group yet). */
  readonly #running = new Set<ChildProcess>();
  readonly #handles = new Set<ProcessHandle>();
  readonly #exitWaiters = new Set<() => void>();

  private constructor(b: Backend, killOnClose: boolean) {
    this.#b = b;
    this.backend = b.kind;
    this.killOnClose = killOnClose;
  }

  /** Registers the job (kill-on-close, the 'exit' hook) once its backend exists. */
  static #register(b: Backend, killOnClose: boolean): Job {
    const job = new JobClass(b, killOnClose);
    // Windows Job Objects kill on close by themselves; elsewhere the watchdog does it.
    if (killOnClose && b.kind !== 'jobobject') job.#watch = loadBackends().watchJob(findExecHelper(), b.path);
    openJobs.add(job);
    installExitHook();
    return job;
  }

  /**
   * Creates a job.
   *
   * Linux: finds the cgroup2 mount in `/proc/self/mountinfo` and the caller's group in
   * `/proc/self/cgroup` (`0::/path`), and creates a child group there (or in `options.parent`).
   * Where that is impossible (no cgroup2, not writable) and no backend was named, the job uses
   * the `'tree'` backend. Windows: `CreateJobObjectW` + `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`.
   * macOS and other POSIX systems: `'tree'`.
   *
   * @throws TypeError `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE` (bad options);
   *   {@link JobBackendUnavailableError} `ERR_JOB_BACKEND_UNAVAILABLE` (a named backend that does
   *   not exist here); ProcessError `mkdir` (`EACCES`, `EEXIST`, ...) or `CreateJobObject`.
   */
  static create(options?: JobOptions): Job {
    const { checkCreateOptions, createBackend } = loadBackends();
    const { o, backend, killOnClose } = checkCreateOptions(options);
    return JobClass.#register(createBackend(o, backend), killOnClose);
  }

  /**
   * Takes up an existing cgroup2 group as a job: typically one made by
   * `Job.create({ killOnClose: false })` in a process that has exited since: `kill`, `wait`,
   * `pids`, `spawn`, `add` and `close` (which removes the directory) work on it as on a job this
   * process created. Linux only.
   *
   * @param dir The group's directory (its {@link Job.path}).
   * @param options `killOnClose` (default `false`: opening a job does not tie it to this process).
   * @throws TypeError `ERR_INVALID_ARG_TYPE`/`ERR_INVALID_ARG_VALUE` (not a string, not a cgroup2
   *   group directory); {@link JobBackendUnavailableError} off Linux.
   */
  static open(dir: string, options?: Pick<JobOptions, 'killOnClose'>): Job {
    if (typeof dir !== 'string' || dir.length === 0 || dir.includes('\0')) throw argTypeError('dir', 'a non-empty string', dir);
    const o = checkOptions<JobOptions>(options);
    if (o.killOnClose !== undefined && typeof o.killOnClose !== 'boolean') throw argTypeError('options.killOnClose', 'of type boolean', o.killOnClose);
    if (process.platform !== 'linux') throw new JobBackendUnavailableError('cgroup2', 'cgroup2 exists only on Linux');
    const b = loadBackends().Cgroup2Backend.open(dir);
    return JobClass.#register(b, o.killOnClose ?? false);
  }

  /**
   * @internal For the package's own tests and CI checks, which load the built bundle and cannot
   * reach the modules inside it: the running watchdog (`undefined` before one starts), and where
   * the exec helper and the Node programs were found (`null`: not found).
   */
  static _diagnostics(): { watchdog: ReturnType<ReturnType<typeof loadBackends>['watchdogInfo']>; execHelper: string | null; programs: Record<JobProgram, string | null> } {
    const programs = { 'intermediate-linux': programPath('intermediate-linux'), 'intermediate-win32': programPath('intermediate-win32'), watchdog: programPath('watchdog') };
    return { watchdog: loadBackends().watchdogInfo(), execHelper: findExecHelper(), programs };
  }

  /** cgroup2: the group's directory (e.g. `/sys/fs/cgroup/unified/procsig-job-...`); otherwise `undefined`. */
  get path(): string | undefined {
    return this.#b.path;
  }

  /** `true` once {@link kill} was called: the job refuses new processes. */
  get killed(): boolean {
    return this.#state !== 'open';
  }

  /** `true` once {@link close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) throw new JobClosedError();
    if (this.#state !== 'open') throw new JobKilledError();
  }

  /**
   * Starts a process inside the job, like `child_process.spawn(command, args, options)`.
   *
   * - cgroup2: the process is born inside the group — the `procsig-job-exec` helper (built beside
   *   the addon) moves itself into the group and then execs the command, so `child.pid` is the
   *   command's pid and nothing it runs can fork outside the group. Without the helper, a Node
   *   intermediate does the same through the addon (slower start). If joining fails the command
   *   never runs and the child exits with code 125; if exec fails, 127 (the child's `'exit'`, not
   *   an `'error'` event).
   * - tree: `detached: true` is forced (the process leads its own session and process group).
   * - jobobject: a Node intermediate joins the Job Object before it creates the command, and
   *   exits with its exit code; `child.pid` is the intermediate's.
   *
   * `child.spawnfile`/`child.spawnargs` show the command that was asked for.
   *
   * @returns `{ child, handle }`: the ChildProcess and a {@link ProcessHandle} on it.
   * @throws {@link JobKilledError} `ERR_JOB_KILLED`, {@link JobClosedError} `ERR_JOB_CLOSED`,
   *   TypeError `ERR_INVALID_ARG_TYPE` — before anything is started.
   */
  spawn(command: string, args?: readonly string[], options?: JobSpawnOptions): JobChild;
  spawn(command: string, options?: JobSpawnOptions): JobChild;
  spawn(command: string, argsOrOptions?: readonly string[] | JobSpawnOptions, maybeOptions?: JobSpawnOptions): JobChild {
    const { args: given, options: o, deathSig } = spawnArgs<JobSpawnOptions>(command, argsOrOptions, maybeOptions);
    this.#checkOpen();
    // Node's own shell handling is done here where the helper stands between Node and the
    // command; a Job Object's process is spawned by Node itself, which handles `shell`.
    const { file, argv0, args } = commandLine(command, given, this.backend === 'jobobject' ? { argv0: o.argv0 } : o);
    const child = this.#b.spawn(file, argv0, args, o, deathSig);
    let handle: ProcessHandle | null = null;
    if (child.pid !== undefined) {
      this.#running.add(child);
      child.once('exit', () => {
        this.#running.delete(child);
        for (const w of this.#exitWaiters) w();
      });
      handle = ProcessHandle.fromChild(child);
      this.#handles.add(handle);
      // 'tree': the watchdog learns the root (with its start time) while it is our unreaped child.
      if (this.#watch !== 0 && this.backend === 'tree') loadBackends().watchRoot(this.#watch, child.pid, true);
    }
    return { child, handle };
  }

  /**
   * Puts an existing process into the job: cgroup2 writes it to `cgroup.procs` (its children
   * started later are in the job; children it already has are not moved); tree tracks its tree
   * (and its process group when it leads one); jobobject `AssignProcessToJobObject`.
   *
   * A {@link ProcessHandle} is checked first (signal 0 through the handle): a closed handle, or
   * one whose process has exited (its pid may belong to a newcomer by now) is refused.
   *
   * A Linux thread id is refused (ProcessError `EINVAL`), and so is, with the `'tree'` backend, a
   * process that leads process group 1 (RangeError `ERR_INVALID_ARG_VALUE`: its group would be
   * signalled with killpg(2), and killpg(1) is kill(-1), every process).
   *
   * @throws {@link JobKilledError}, {@link JobClosedError}, RangeError for a bad pid, ProcessError
   *   (`ESRCH`, `EPERM`, `EINVAL`, ...) from the OS; for a handle, `ERR_PROCESS_HANDLE_CLOSED`,
   *   `UnexpectedExitError` or `AlreadyExitedError` (as `handle.kill` throws them).
   */
  add(target: number | ProcessHandle): void {
    const pid = target instanceof ProcessHandle ? target.pid : checkPid(target, 'target');
    this.#checkOpen();
    if (target instanceof ProcessHandle) target.kill(0);
    // A thread id would bring its whole process (cgroup.procs moves the thread group).
    else refuseThreadId(pid);
    this.#b.add(pid);
    if (this.#watch !== 0 && this.backend === 'tree') loadBackends().watchRoot(this.#watch, pid, pgidsOf([pid])[0] === pid);
  }

  /**
   * The pids currently in the job: cgroup2 reads `cgroup.procs`; tree walks the tracked trees and
   * groups (live processes only); jobobject `JobObjectBasicProcessIdList`.
   */
  pids(): number[] {
    if (this.#state === 'closed') return [];
    return this.#b.pids();
  }

  /**
   * Kills every process in the job and marks the job killed: from now on it refuses
   * {@link spawn} and {@link add}. Resolves once the signals were sent (use {@link wait} for the
   * processes to be gone). Killing a killed job signals what is left again.
   *
   * - cgroup2: SIGKILL writes `cgroup.kill` (Linux >= 5.14). Another signal, or a kernel without
   *   `cgroup.kill`: freeze the group (`cgroup.freeze`), signal every member, thaw.
   * - tree: SIGSTOP every owned group, freeze-then-kill every tracked tree ({@link killTree}),
   *   signal the groups, SIGCONT them (not after SIGKILL).
   * - jobobject: `TerminateJobObject` (exit code 1) whatever the signal.
   *
   * Resolves with `{ failed }` ({@link JobKillResult}): every member (or owned group) the signal
   * could not reach for a reason other than being gone (`EPERM`, ...), with its error. Such a
   * member may still be alive, and {@link wait} does not resolve while it is: check `failed`.
   *
   * @throws TypeError `ERR_UNKNOWN_SIGNAL` / RangeError (bad signal), {@link JobClosedError},
   *   ProcessError from the OS (a cgroup file that cannot be written, `TerminateJobObject`).
   */
  async kill(signal: SignalLike = 'SIGKILL'): Promise<JobKillResult> {
    const sig = toSignal(signal);
    if (this.#state === 'closed') throw new JobClosedError();
    if (this.#state === 'open') this.#state = 'killed';
    const direct: number[] = [];
    for (const c of this.#running) {
      // Not yet reaped by libuv, so the pid is still this child's (maybe a zombie): safe to signal.
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) direct.push(c.pid);
    }
    return { failed: await this.#b.kill(sig, direct) };
  }

  #done(): boolean {
    if (!this.#b.isEmpty()) return false;
    // A spawned child outside the group is one that has not joined yet (or a 'tree' root):
    // the job is not empty while it lives. A zombie is dead; libuv reaps it on its own time.
    for (const c of this.#running) {
      if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
      const state = native.processState(c.pid);
      // A failure: it exists but /proc cannot show it now (no fd, hidden): not done.
      if (state !== null && state !== 'Z' && state !== 'X') return false;
    }
    return true;
  }

  /**
   * Resolves when the job is empty: no process left in it (zombies count as gone) and every
   * process {@link spawn} started has exited. Event-driven on cgroup2 (inotify on
   * `cgroup.events`); tree and jobobject poll with a backoff (1 ms doubling to 50 ms).
   *
   * @throws (rejects) {@link TimeoutError} after `timeout`; the AbortSignal's reason on abort;
   *   TypeError/RangeError for bad options (before waiting).
   */
  wait(options?: JobWaitOptions): Promise<void> {
    let timeout: number | undefined;
    let signal: AbortSignal | undefined;
    try {
      const o = checkOptions<JobWaitOptions>(options);
      timeout = checkTimeout(o.timeout, 'options.timeout');
      signal = checkAbortSignal(o.signal, 'options.signal');
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#state === 'closed') return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let unsubscribe = (): void => {};
      let timer: NodeJS.Timeout | undefined;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        unsubscribe();
        this.#exitWaiters.delete(check);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err !== undefined) reject(err);
        else resolve();
      };
      const check = (): void => {
        try {
          if (this.#state === 'closed' || this.#done()) finish();
        } catch (e) {
          finish(e);
        }
      };
      const onAbort = (): void => finish(signal!.reason);
      if (timeout !== undefined) timer = setTimeout(() => finish(new TimeoutError(timeout!, undefined, `Timed out after ${timeout} ms waiting for the job to be empty`)), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#exitWaiters.add(check);
      unsubscribe = this.#b.subscribe(check);
      check();
    });
  }

  /**
   * Kills whatever is still in the job (SIGKILL), waits until it is empty, then releases it:
   * cgroup2 removes the group directory (and any sub-groups), jobobject closes the handle, and
   * the job's {@link ProcessHandle}s are closed. Idempotent: later calls return the same promise.
   *
   * @throws (rejects) ProcessError `rmdir` when the group cannot be removed.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = (async () => {
        try {
          if (!this.#done()) {
            await this.kill('SIGKILL');
            await this.wait();
          }
          await this.#b.destroy();
        } finally {
          this.#state = 'closed';
          openJobs.delete(this);
          if (this.#watch !== 0) loadBackends().unwatchJob(this.#watch);
          this.#watch = 0;
          for (const h of this.#handles) {
            try {
              h.close();
            } catch {
              // already closed by its user
            }
          }
          this.#handles.clear();
        }
      })();
    }
    return this.#closing;
  }

  /** `await using job = Job.create()`: {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal process 'exit': synchronous best-effort kill + release. */
  [kExitHook](): void {
    // A job meant to outlive its creator is left alone.
    if (this.killOnClose) this.#b.exitHook();
  }
}

// The class's body refers to itself through this name: a body that names its own class makes
// esbuild bind it a second time as `_Job`, which stack frames would show (scripts/build-ts.js).
const JobClass = Job;
