/**
 * What the {@link Job} class asks of a backend ({@link Backend}), and what the backends share:
 * kill-failure collection, polling, node:fs errors as ProcessErrors, spawning helpers.
 *
 * @internal
 * @packageDocumentation
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { errnoNumber, ProcessError, sendSignal, SIG } from './shared';
import type { KillTreeFailure } from '../tree';
import type { JobBackend } from './types';
// For the {@link} tags only.
import type { Job } from './index';

/** @internal What Job needs from a backend. */
export interface Backend {
  readonly kind: JobBackend;
  /** cgroup2: the group's directory. */
  readonly path?: string;
  /** Starts `file` inside the job (with a parent-death signal when `deathSig` is set). */
  spawn(file: string, argv0: string, args: string[], options: SpawnOptions, deathSig?: number): ChildProcess;
  add(pid: number): void;
  pids(): number[];
  /** Signals every member; `direct` are job-spawned children that may not have joined yet. Returns what could not be signalled. */
  kill(sig: number, direct: number[]): Promise<KillTreeFailure[]>;
  isEmpty(): boolean;
  /** Calls `onChange` whenever emptiness may have changed; returns the unsubscribe function. */
  subscribe(onChange: () => void): () => void;
  /** Releases the job (rmdir, CloseHandle). Only called once the job is empty. */
  destroy(): Promise<void>;
  /** Synchronous best effort at process exit: kill everything, release what can be released. */
  exitHook(): void;
}

/** @internal SIGKILL's number on this platform. */
export const SIGKILL = SIG.KILL;

/**
 * @internal Signals members through `sendSignal` (lib/kill.ts: the one signalling path and its
 * "already gone" policy) and collects the failures — a member that is gone is what a kill wants.
 */
export class Failures {
  readonly list: KillTreeFailure[] = [];
  readonly #seen = new Set<string>();
  /** kill(2) of `pid` (killpg(2) when `group`), keeping the error when the OS refused. */
  send(pid: number, sig: number, group = false): void {
    const sent = sendSignal(pid, sig, group);
    if (sent !== 'sent' && sent !== 'gone') this.push({ pid, group, error: sent });
  }
  push(f: KillTreeFailure): void {
    const key = `${f.group ? 'g' : 'p'}${f.pid}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.list.push(f);
  }
}

/** @internal A ProcessError from a failed node:fs call on cgroupfs. */
export function fsError(e: unknown, syscall: string, where: string, pid?: number): Error {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string') return e as Error;
  const osErrno = errnoNumber(err.code) ?? (typeof err.errno === 'number' ? Math.abs(err.errno) : 0);
  const pe = new ProcessError(osErrno, syscall, pid !== undefined ? { pid } : {});
  Object.defineProperty(pe, 'path', { value: where, enumerable: true });
  return pe;
}

/** @internal Calls `fn` with a backoff (1 ms doubling to 50 ms) until unsubscribed: for backends without events. */
export function pollSubscribe(onChange: () => void): () => void {
  let delay = 1;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    onChange();
    // onChange may have unsubscribed (the usual way a wait ends): then no new timer, or it would
    // poll forever and keep the event loop alive.
    if (stopped) return;
    delay = Math.min(delay * 2, 50);
    timer = setTimeout(tick, delay);
  };
  timer = setTimeout(tick, delay);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// child_process and crypto are loaded on first use: together they cost ~4 ms of every
// `require('procsig')`, and most users never create a Job.
/** @internal `child_process.spawn`, loaded on first use. */
export function spawnChild(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return (require('node:child_process') as typeof import('node:child_process')).spawn(file, args, options);
}

let jobCounter = 0;

/** @internal A name no other job of this process (or, very likely, of another) has: `<prefix>-<pid>-<n>-<random hex>`. */
export function uniqueName(prefix: string, randomBytes: number): string {
  const hex = (require('node:crypto') as typeof import('node:crypto')).randomBytes(randomBytes).toString('hex');
  return `${prefix}-${process.pid}-${++jobCounter}-${hex}`;
}

/** @internal The options Node gets when a helper stands before the command. */
export function checkedSpawnOptions(options: SpawnOptions): SpawnOptions {
  // argv0 and shell were applied to the command already; everything else is Node's business.
  const o: SpawnOptions = { ...options };
  delete o.argv0;
  delete o.shell;
  return o;
}

/** @internal Makes `child.spawnfile`/`spawnargs` show what the caller asked for, not the helper that ran it. */
export function setShownCommand(child: ChildProcess, file: string, argv0: string, args: string[]): void {
  const c = child as { spawnfile: string; spawnargs: string[] };
  c.spawnfile = file;
  c.spawnargs = [argv0, ...args];
}
