/**
 * The public types of {@link Job} (options, results) and its three errors. Re-exported by
 * lib/job/index.ts, which is what lib/index.ts imports.
 *
 * @packageDocumentation
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { ProcessHandle } from '../handle';
import type { SignalLike } from '../signals';
import type { KillTreeFailure } from '../tree';
// For the {@link} tags only.
import type { ProcessError, TimeoutError } from '../errors';
import type { Job } from './index';

/**
 * What {@link Job.kill} did. `failed` lists every member (or owned process group, `group: true`)
 * the signal could not reach for a reason other than being gone — `EPERM` for a process that
 * changed its uid, for instance. Such a member may still be alive: the job is not empty.
 */
export interface JobKillResult {
  /** Members or groups that could not be signalled, with the OS error; empty when all were. ESRCH never appears. */
  readonly failed: KillTreeFailure[];
}

/** Which mechanism holds a {@link Job}'s processes. */
export type JobBackend = 'cgroup2' | 'tree' | 'jobobject';

/** Options of {@link Job.create}. */
export interface JobOptions {
  /**
   * The mechanism. Default: `'jobobject'` on Windows; on Linux `'cgroup2'` when a writable cgroup
   * v2 group can be created, else `'tree'`; `'tree'` elsewhere. Naming a backend that is not
   * available throws instead of falling back.
   */
  backend?: JobBackend;
  /**
   * cgroup2: the directory (on a cgroup2 mount) to create the job's group in, e.g. a group
   * systemd delegated to this service. Default: the caller's own cgroup2 group (from
   * `/proc/self/cgroup`).
   */
  parent?: string;
  /**
   * cgroup2: the group's directory name (letters, digits, `.`, `_`, `-`; not `cgroup.*`).
   * Default: `procsig-job-<pid>-<n>-<random>`. An existing directory of that name is an error
   * (`EEXIST`): a Job owns its group.
   */
  name?: string;
  /**
   * Kill the job's processes when the process that created the job dies, however it dies
   * (SIGKILL, the OOM killer, a crash, `process.abort()`), and (cgroup2) remove the group — the
   * Windows Job Object's `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`. Default `true`. Linux: a watchdog
   * process per supervisor does it (see docs/api/job.md). `false` makes a job meant to outlive
   * its creator: nothing kills it at exit either, and a cgroup2 job can be taken up later with
   * {@link Job.open}. The `'jobobject'` backend always kills on close (`false` is refused).
   */
  killOnClose?: boolean;
}

/** Options of {@link Job.wait}. */
export interface JobWaitOptions {
  /** Give up after this many milliseconds: rejects with a {@link TimeoutError}. */
  timeout?: number;
  /** Abort the wait: rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What {@link Job.spawn} returns: the `ChildProcess` and a {@link ProcessHandle} beside it. */
export interface JobChild {
  /** The real `ChildProcess` (its `'exit'`, stdio and `pid` work as usual). */
  child: ChildProcess;
  /**
   * A race-free handle on the same process, opened at spawn (`null` when spawning failed
   * synchronously and the child has no pid). The job closes it in {@link Job.close}.
   */
  handle: ProcessHandle | null;
}

/** Options of {@link Job.spawn}: `child_process.spawn`'s, and `deathSignal`. */
export interface JobSpawnOptions extends SpawnOptions {
  /**
   * Linux (`'cgroup2'`, `'tree'`): the signal the spawned process gets the moment this process —
   * precisely, the thread that spawned it (the main thread, or a `worker_threads` Worker's) —
   * exits: `PR_SET_PDEATHSIG`, set by the exec helper before the exec, with `getppid()` checked
   * after it. Covers the spawned process itself (kill-on-close covers the rest of the job).
   * Needs the helper; ProcessError `ENOSYS` without it and on other platforms.
   */
  deathSignal?: SignalLike;
}

/**
 * Thrown by {@link Job.spawn} and {@link Job.add} on a job that was killed: like a Zircon job,
 * a killed job can no longer create processes. `code` is `'ERR_JOB_KILLED'`.
 */
export class JobKilledError extends Error {
  readonly code = 'ERR_JOB_KILLED';
  constructor(message = 'the job was killed and can no longer take processes') {
    super(message);
    this.name = 'JobKilledError';
  }
}

/** Thrown by {@link Job.spawn}, {@link Job.add} and {@link Job.kill} after {@link Job.close}. `code` is `'ERR_JOB_CLOSED'`. */
export class JobClosedError extends Error {
  readonly code = 'ERR_JOB_CLOSED';
  constructor(message = 'the job is closed') {
    super(message);
    this.name = 'JobClosedError';
  }
}

/**
 * Thrown by {@link Job.create} when the named backend cannot work here (no cgroup2 mount, not
 * Windows, ...). `code` is `'ERR_JOB_BACKEND_UNAVAILABLE'`. A failing syscall is reported as a
 * {@link ProcessError} instead (e.g. `mkdir` `EACCES`).
 */
export class JobBackendUnavailableError extends Error {
  readonly code = 'ERR_JOB_BACKEND_UNAVAILABLE';
  readonly backend: JobBackend;
  constructor(backend: JobBackend, reason: string) {
    super(`job backend '${backend}' is unavailable: ${reason}`);
    this.name = 'JobBackendUnavailableError';
    this.backend = backend;
  }
}
