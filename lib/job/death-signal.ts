/**
 * Parent-death signals: a spawned child that dies with the process that spawned it (Linux
 * `PR_SET_PDEATHSIG`), for {@link ProcessHandle.spawn} and {@link Job.spawn}'s `deathSignal`.
 *
 * The exec helper (`procsig-job-exec --pdeathsig <sig> <ppid> ...`) sets the signal and then
 * checks `getppid()` against this process's pid — a parent that died before the prctl would never
 * send it, so the command is then not run (exit 125) — as bubblewrap and Bun do, and execs the
 * command (the setting survives exec, except into set-user-ID programs). It covers the child
 * itself, not what it forks: a Job (with `killOnClose`) covers those.
 *
 * The kernel sends the signal when the parent *thread* exits. Node spawns from the thread that
 * runs the event loop: the main thread, or — for a spawn made inside a `worker_threads` Worker —
 * that worker's thread, so the child then gets the signal when the worker ends.
 *
 * @internal
 * @packageDocumentation
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { argTypeError, argValueError, ProcessError } from '../errors';
import type { ProcessHandle } from '../handle';
import { toSignal, type SignalLike } from '../signals';
import { checkOptions } from '../validate';
import { findExecHelper } from './helper';

const ENOSYS = 38;

/**
 * @internal `options.deathSignal` as a signal number (undefined when not asked for).
 * @throws TypeError/RangeError for a bad signal; ProcessError `ENOSYS` (`syscall: 'prctl'`) off Linux.
 */
export function checkDeathSignal(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const sig = toSignal(value as SignalLike);
  if (sig === 0) throw argValueError('options.deathSignal', 'must be a signal other than 0', value, RangeError);
  if (process.platform !== 'linux') throw new ProcessError(ENOSYS, 'prctl');
  return sig;
}

/** @internal The helper's leading arguments: set the death signal, then join `procs` (null: join nothing). */
export function deathSignalArgs(sig: number, procs: string | null): string[] {
  return ['--pdeathsig', String(sig), String(process.pid), procs ?? '-'];
}

/** @internal The exec helper, or a ProcessError `ENOSYS` when it is missing (the Node intermediate cannot prctl). */
export function requireHelper(helper: string | null): string {
  if (helper === null) {
    const e = new ProcessError(ENOSYS, 'prctl');
    e.message = 'deathSignal needs the procsig-job-exec helper, which was not found (prctl ENOSYS)';
    throw e;
  }
  return helper;
}

/**
 * A spawn call's arguments read as `child_process.spawn` reads them — `(command, args?,
 * options?)` or `(command, options?)` — and checked, `deathSignal` taken out of the options (the
 * one shared reading of `ProcessHandle.spawn` and `job.spawn`).
 * @throws TypeError `ERR_INVALID_ARG_TYPE`/`ERR_INVALID_ARG_VALUE`; `ERR_UNKNOWN_SIGNAL` for a bad `deathSignal`.
 */
export function spawnArgs<T extends SpawnOptions & { deathSignal?: SignalLike }>(
  command: unknown,
  argsOrOptions: unknown,
  maybeOptions: unknown,
): { command: string; args: string[]; options: T; deathSig: number | undefined } {
  if (typeof command !== 'string' || command.length === 0 || command.includes('\0')) {
    throw argValueError('command', 'must be a non-empty string without null bytes', command, TypeError);
  }
  let args: string[] = [];
  let options: unknown = maybeOptions;
  if (Array.isArray(argsOrOptions)) {
    args = [...(argsOrOptions as readonly unknown[])].map((a, i) => {
      if (typeof a !== 'string') throw argTypeError(`args[${i}]`, 'of type string', a);
      return a;
    });
  } else if (argsOrOptions !== undefined && argsOrOptions !== null) {
    if (maybeOptions !== undefined) throw argTypeError('args', 'an instance of Array', argsOrOptions);
    options = argsOrOptions;
  }
  const o = { ...checkOptions<T>(options) } as T;
  const deathSig = checkDeathSignal(o.deathSignal);
  delete o.deathSignal;
  return { command, args, options: o, deathSig };
}

/**
 * What actually runs when the exec helper stands between Node and the command: Node's own
 * `shell` handling (`/bin/sh -c 'command args…'`), and the `argv0` the command sees.
 */
export function commandLine(command: string, args: string[], o: SpawnOptions): { file: string; argv0: string; args: string[] } {
  if (o.shell) {
    const file = typeof o.shell === 'string' ? o.shell : '/bin/sh';
    return { file, argv0: file, args: ['-c', [command, ...args].join(' ')] };
  }
  return { file: command, argv0: typeof o.argv0 === 'string' ? o.argv0 : command, args };
}

/** Options of {@link ProcessHandle.spawn}: `child_process.spawn`'s, and `deathSignal`. */
export interface HandleSpawnOptions extends SpawnOptions {
  /**
   * Linux: the signal the child gets when this process (precisely: the thread that spawned it)
   * exits — `PR_SET_PDEATHSIG`, set by the exec helper before it execs the command. Elsewhere:
   * ProcessError `ENOSYS`.
   */
  deathSignal?: SignalLike;
}

/** @internal ProcessHandle.spawn's body (loaded on first use). */
export function spawnWithHandle(
  command: unknown,
  argsOrOptions: unknown,
  maybeOptions: unknown,
  fromChild: (c: ChildProcess) => ProcessHandle,
): { child: ChildProcess; handle: ProcessHandle | null } {
  const { command: cmd, args: given, options: o, deathSig: sig } = spawnArgs<HandleSpawnOptions>(command, argsOrOptions, maybeOptions);
  const cp = require('node:child_process') as typeof import('node:child_process');
  let child: ChildProcess;
  if (sig === undefined) {
    child = cp.spawn(cmd, given, o);
  } else {
    const helper = requireHelper(findExecHelper());
    const { file, argv0, args } = commandLine(cmd, given, o);
    const rest: SpawnOptions = { ...o };
    delete rest.argv0;
    delete rest.shell;
    child = cp.spawn(helper, [...deathSignalArgs(sig, null), file, argv0, ...args], rest);
    const c = child as { spawnfile: string; spawnargs: string[] };
    c.spawnfile = file;
    c.spawnargs = [argv0, ...args];
  }
  return { child, handle: child.pid === undefined ? null : fromChild(child) };
}
