/**
 * The `'jobobject'` backend (Windows): a Job Object with `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`.
 * Processes start inside it (a Node intermediate, lib/job/programs/intermediate-win32.ts, joins
 * the Job Object before it creates the command); `kill` is `TerminateJobObject`; `wait` follows
 * the active-process count.
 *
 * @internal
 * @packageDocumentation
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { displaySignal, isFailure, JobBackendUnavailableError, JobClosedError, native, nativePath, processError, programPath } from './shared';
import type { JobObjectRef } from '../native';
import type { KillTreeFailure } from '../tree';
import { checkedSpawnOptions, pollSubscribe, setShownCommand, spawnChild, uniqueName, type Backend } from './backend';
import { intermediateEnv } from './env';

/** @internal The `'jobobject'` backend. */
export class JobObjectBackend implements Backend {
  readonly kind = 'jobobject' as const;
  readonly #name: string;
  #job: JobObjectRef | null;

  private constructor(name: string, job: JobObjectRef) {
    this.#name = name;
    this.#job = job;
  }

  static create(): JobObjectBackend | string {
    if (process.platform !== 'win32') return 'Job Objects exist only on Windows';
    const name = uniqueName('Local\\procsig-job', 6);
    const job = native.jobObjectCreate(name);
    if (isFailure(job)) throw processError(job);
    return new JobObjectClass(name, job);
  }

  #ref(): JobObjectRef {
    if (this.#job === null) throw new JobClosedError();
    return this.#job;
  }

  spawn(file: string, argv0: string, args: string[], options: SpawnOptions): ChildProcess {
    const addon = nativePath;
    const program = programPath('intermediate-win32');
    if (program === null) throw new JobBackendUnavailableError('jobobject', 'the Node intermediate (dist/job/programs) was not found');
    const opts = {
      shell: options.shell,
      windowsHide: options.windowsHide,
      windowsVerbatimArguments: options.windowsVerbatimArguments,
      argv0,
    };
    const o = checkedSpawnOptions(options);
    delete o.windowsVerbatimArguments;
    const child = spawnChild(process.execPath, [program], {
      ...o,
      env: intermediateEnv(o.env, { addon, name: this.#name, file, args, opts }),
    });
    setShownCommand(child, file, argv0, args);
    return child;
  }

  add(pid: number): void {
    const failure = native.jobObjectAssign(this.#ref(), pid);
    if (failure !== undefined) throw processError(failure, { pid });
  }

  pids(): number[] {
    const pids = native.jobObjectPids(this.#ref());
    if (isFailure(pids)) throw processError(pids);
    return pids;
  }

  isEmpty(): boolean {
    if (this.#job === null) return true;
    const acct = native.jobObjectQuery(this.#job);
    if (isFailure(acct)) throw processError(acct);
    return acct[0] === 0;
  }

  async kill(sig: number): Promise<KillTreeFailure[]> {
    // TerminateJobObject ends every process with exit code 1, libuv's code for a killed process.
    const failure = native.jobObjectTerminate(this.#ref(), 1);
    if (failure !== undefined) throw processError(failure, { signal: displaySignal(sig) });
    return [];
  }

  subscribe(onChange: () => void): () => void {
    return pollSubscribe(onChange);
  }

  async destroy(): Promise<void> {
    if (this.#job === null) return;
    const job = this.#job;
    this.#job = null;
    const failure = native.jobObjectClose(job);
    if (failure !== undefined) throw processError(failure);
  }

  exitHook(): void {
    // JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: Windows kills the job when this process's handle goes.
  }
}

// The class's body refers to itself through this name: a body that names its own class makes
// esbuild bind it a second time as `_JobObjectBackend`, which stack frames would show (scripts/build-ts.js).
const JobObjectClass = JobObjectBackend;
