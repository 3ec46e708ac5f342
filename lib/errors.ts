/**
 * Error classes and errno helpers.
 *
 * OS failures become {@link ProcessError}s shaped like Node's own system errors: `code`
 * (`'ESRCH'`), `errno` (the number Node itself would report, so
 * `util.getSystemErrorName(err.errno) === err.code`), `syscall`, plus `pid` and `signal`.
 * Argument errors are `TypeError`/`RangeError` with a Node-style `code`.
 *
 * @packageDocumentation
 */
import util = require('node:util');
import { native, type NativeFailure } from './native';
import type { WaitStatus } from './wait-status';

interface ErrnoEntry {
  name: string;
  description: string;
}

let byNumber: Map<number, ErrnoEntry> | undefined;
let byName: Map<string, number> | undefined;
let nodeErrnoByName: Map<string, number> | undefined;

function tables(): { byNumber: Map<number, ErrnoEntry>; byName: Map<string, number> } {
  if (!byNumber || !byName) {
    byNumber = new Map();
    byName = new Map();
    for (const [name, value, description] of native.errnoTable()) {
      if (!byNumber.has(value)) byNumber.set(value, { name, description });
      if (!byName.has(name)) byName.set(name, value);
    }
  }
  return { byNumber, byName };
}

/** The errno Node reports for a code name (libuv's negative numbers), or undefined. */
function nodeErrno(name: string): number | undefined {
  if (!nodeErrnoByName) {
    nodeErrnoByName = new Map();
    for (const [n, [code]] of util.getSystemErrorMap()) {
      if (!nodeErrnoByName.has(code)) nodeErrnoByName.set(code, n);
    }
  }
  return nodeErrnoByName.get(name);
}

/**
 * The symbolic name of an errno value: `errnoName(3) === 'ESRCH'` on Linux.
 *
 * Accepts the platform's positive errno numbers (as `errno.h` defines them) and Node's negative
 * ones (`err.errno` of a Node system error, e.g. `-3`). Returns `undefined` for an unknown number.
 */
export function errnoName(errno: number): string | undefined {
  if (typeof errno !== 'number' || !Number.isInteger(errno)) {
    throw argTypeError('errno', 'an integer', errno);
  }
  if (errno < 0) {
    try {
      const name = util.getSystemErrorName(errno);
      return name.startsWith('Unknown system error') ? undefined : name;
    } catch {
      return undefined;
    }
  }
  return tables().byNumber.get(errno)?.name;
}

/**
 * The description of an errno value, as `strerror(3)` gives it: `strerror(3) === 'No such process'`.
 * Accepts positive platform numbers and Node's negative ones, like {@link errnoName}.
 */
export function strerror(errno: number): string {
  if (typeof errno !== 'number' || !Number.isInteger(errno)) {
    throw argTypeError('errno', 'an integer', errno);
  }
  if (errno < 0) {
    const entry = util.getSystemErrorMap().get(errno);
    return entry ? entry[1] : `Unknown error ${errno}`;
  }
  return tables().byNumber.get(errno)?.description ?? `Unknown error ${errno}`;
}

/** The platform's errno number for a code name, e.g. `errnoNumber('ESRCH') === 3` on Linux. */
export function errnoNumber(name: string): number | undefined {
  return tables().byName.get(name);
}

/**
 * @internal The number of a code every platform's table lists (native/errno_names.h has it
 * unconditionally). lib/ compares failures with these at the moment a call fails, not in
 * constants read at load: that would build the whole table on every start (0.2 ms of `require`).
 */
export function errnoOf(name: 'ESRCH' | 'EPERM' | 'EINVAL' | 'EACCES' | 'EMFILE' | 'ENFILE'): number {
  return errnoNumber(name)!;
}

/** Extra context carried by a {@link ProcessError}. */
export interface ProcessErrorContext {
  /** The pid (or, for group calls, the group id) the syscall was aimed at. */
  pid?: number;
  /** The signal's name, e.g. `'SIGTERM'` (or its number when it has no name). */
  signal?: string | number;
  /** The raw Win32 error code behind the failure (Windows only). */
  win32?: number;
}

/**
 * A failed system call on a process: `kill`, `killpg`, `waitpid`, `pidfd_send_signal`,
 * `TerminateProcess`, ...
 *
 * @example
 * ```ts
 * try { killpg(4242, 'TERM'); } catch (e) {
 *   if (e instanceof ProcessError && e.code === 'ESRCH') { ... }
 * }
 * ```
 */
export class ProcessError extends Error {
  /** Symbolic error code, e.g. `'ESRCH'`, `'EPERM'`, `'ENOSYS'`. */
  readonly code: string;
  /** The errno as Node reports it: `util.getSystemErrorName(err.errno) === err.code`. */
  readonly errno: number;
  /** The platform's own errno number for {@link code} (positive; `errno.h`). */
  readonly osErrno: number;
  /** The system call that failed, e.g. `'kill'`. */
  readonly syscall: string;
  /** The target pid (or process group id), when there was one. */
  declare readonly pid?: number;
  /** The signal's name (or number, when it has no name), when one was being sent. */
  declare readonly signal?: string | number;
  /** Raw Win32 error code (`GetLastError()`), on Windows. */
  declare readonly win32?: number;

  constructor(osErrno: number, syscall: string, context: ProcessErrorContext = {}) {
    const code = errnoName(osErrno) ?? `E${osErrno}`;
    const description = strerror(osErrno);
    const parts: string[] = [];
    if (context.pid !== undefined) parts.push(`pid ${context.pid}`);
    if (context.signal !== undefined) parts.push(String(context.signal));
    const where = parts.length ? ` (${parts.join(', ')})` : '';
    super(`${syscall} ${code}${where}: ${description}`);
    this.name = 'ProcessError';
    this.code = code;
    this.errno = nodeErrno(code) ?? -osErrno;
    this.osErrno = osErrno;
    this.syscall = syscall;
    if (context.pid !== undefined) this.pid = context.pid;
    if (context.signal !== undefined) this.signal = context.signal;
    if (context.win32 !== undefined && context.win32 !== 0) this.win32 = context.win32;
  }
}

/**
 * Thrown when killing a process whose exit was already observed through procsig
 * (icommandlib's `AlreadyExited`, Janet's "cannot kill process that has already finished").
 */
export class AlreadyExitedError extends Error {
  readonly code = 'ERR_PROCESS_ALREADY_EXITED';
  readonly pid: number;
  /** How it ended, when known. */
  declare readonly status?: WaitStatus;
  constructor(pid: number, status?: WaitStatus, message = 'cannot kill process that has already finished') {
    super(message);
    this.name = 'AlreadyExitedError';
    this.pid = pid;
    if (status !== undefined) this.status = status;
  }
}

/**
 * Thrown when killing a process that had exited on its own, before the kill, with nobody having
 * observed it (icommandlib's `UnexpectedExit`). Carries the exit status when it is known.
 */
export class UnexpectedExitError extends Error {
  readonly code = 'ERR_PROCESS_UNEXPECTED_EXIT';
  readonly pid: number;
  /** The exit status when it could be read. */
  declare readonly status?: WaitStatus;
  constructor(pid: number, status?: WaitStatus, message?: string) {
    super(message ?? `Process ${pid} unexpectedly exited before it was killed`);
    this.name = 'UnexpectedExitError';
    this.pid = pid;
    if (status !== undefined) this.status = status;
  }
}

/** Rejection of a wait that ran past its `timeout`. `code` is `'ETIMEDOUT'`. */
export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  declare readonly pid?: number;
  readonly timeout: number;
  constructor(timeout: number, pid?: number, message?: string) {
    super(message ?? `Timed out after ${timeout} ms${pid !== undefined ? ` waiting for pid ${pid}` : ''}`);
    this.name = 'TimeoutError';
    this.timeout = timeout;
    if (pid !== undefined) this.pid = pid;
  }
}

type CodedError<E extends Error> = E & { code: string };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'symbol') return `type symbol (${String(value)})`;
  if (typeof value === 'bigint') return `type bigint (${value}n)`;
  if (typeof value === 'function') return 'function';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  if (typeof value === 'number' && Object.is(value, -0)) return 'type number (-0)';
  let shown = util.inspect(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

/** @internal A TypeError with code `ERR_INVALID_ARG_TYPE`, worded like Node's. */
export function argTypeError(name: string, expected: string, value: unknown): CodedError<TypeError> {
  const e = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(value)}`) as CodedError<TypeError>;
  e.code = 'ERR_INVALID_ARG_TYPE';
  return e;
}

/** @internal A RangeError with code `ERR_OUT_OF_RANGE`, worded like Node's. */
export function outOfRangeError(name: string, range: string, value: unknown): CodedError<RangeError> {
  const shown = typeof value === 'number' && Object.is(value, -0) ? '-0' : String(value);
  const e = new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown}`) as CodedError<RangeError>;
  e.code = 'ERR_OUT_OF_RANGE';
  return e;
}

/** @internal A RangeError (or TypeError) with code `ERR_INVALID_ARG_VALUE`. */
export function argValueError(name: string, reason: string, value: unknown, Ctor: typeof RangeError | typeof TypeError = RangeError): CodedError<Error> {
  const e = new Ctor(`The argument '${name}' ${reason}. Received ${describe(value)}`) as CodedError<Error>;
  e.code = 'ERR_INVALID_ARG_VALUE';
  return e;
}

/**
 * Thrown (or rejected with) on Linux when `/proc` cannot answer for every process it is asked
 * about, so that procsig would otherwise have to guess — and an empty or short answer would read
 * as "gone". Two codes:
 *
 * - `'ERR_PROC_HIDDEN'`: a process exists but `/proc` hides it from the caller — `/proc` is
 *   mounted with `hidepid=1|2|4` (`noaccess`, `invisible`, `ptraceable`) and the caller is not
 *   exempt (no `CAP_SYS_PTRACE`, not in the mount's `gid=`), or a `/proc/<pid>` entry refused
 *   the read (EACCES/EPERM).
 * - `'ERR_PROC_NOT_MOUNTED'`: `/proc` is not a procfs (not mounted, or covered by another file
 *   system: a minimal sandbox), while processes exist.
 *
 * Which calls throw it, and what still works, is in `docs/reliability.md` ("Deployments").
 */
export class ProcUnavailableError extends Error {
  /** `'ERR_PROC_HIDDEN'` or `'ERR_PROC_NOT_MOUNTED'`. */
  readonly code: 'ERR_PROC_HIDDEN' | 'ERR_PROC_NOT_MOUNTED';
  /** The read that failed (`'opendir'`, `'open'`, `'stat'`, `'statfs'`, `'mountinfo'`). */
  readonly syscall: string;
  /** The process that exists but could not be read, when there is one. */
  declare readonly pid?: number;
  constructor(code: 'ERR_PROC_HIDDEN' | 'ERR_PROC_NOT_MOUNTED', syscall: string, reason: string, pid?: number) {
    super(`${reason}${pid !== undefined ? ` (pid ${pid})` : ''}`);
    this.name = 'ProcUnavailableError';
    this.code = code;
    this.syscall = syscall;
    if (pid !== undefined) this.pid = pid;
  }
}

/** @internal Native "errno" values for a process /proc does not show (mirrors native.h). */
export const PROC_NOT_MOUNTED = -1;
/** @internal */
export const PROC_HIDDEN = -2;

/**
 * @internal The error for a /proc read that failed although the process exists: an errno, where
 * errno may be {@link PROC_HIDDEN} / {@link PROC_NOT_MOUNTED}, or a native failure (through
 * {@link failureError}).
 */
export function procReadError(failure: number | NativeFailure, syscall: string, pid?: number): Error {
  if (typeof failure !== 'number') return failureError(failure, pid !== undefined ? { pid } : {});
  if (failure === PROC_NOT_MOUNTED) return new ProcUnavailableError('ERR_PROC_NOT_MOUNTED', syscall, '/proc is not mounted (no procfs there), so processes cannot be listed or read', pid);
  if (failure === PROC_HIDDEN) return new ProcUnavailableError('ERR_PROC_HIDDEN', syscall, '/proc hides this process from the caller (hidepid, or an unreadable /proc/<pid>)', pid);
  return new ProcessError(failure, syscall, pid !== undefined ? { pid } : {});
}

/**
 * @internal The one conversion of a native failure (lib/native.ts) into the error procsig
 * throws: a ProcessError with Node's `code` and `errno`, the `syscall` native named, the `pid`
 * (the failure's own, else the context's), the signal and the raw Win32 code — or, for a /proc
 * read refused by the mount, a ProcUnavailableError.
 */
export function failureError(f: NativeFailure, context: ProcessErrorContext = {}): Error {
  const pid = f.pid !== undefined && f.pid > 0 ? f.pid : context.pid;
  if (f.errno === PROC_NOT_MOUNTED || f.errno === PROC_HIDDEN) return procReadError(f.errno, f.syscall, pid);
  return processError(f, context);
}

/** @internal {@link failureError} for a failure known to carry a real errno: always a ProcessError. */
export function processError(f: NativeFailure, context: ProcessErrorContext = {}): ProcessError {
  const ctx: ProcessErrorContext = { ...context };
  const pid = f.pid !== undefined && f.pid > 0 ? f.pid : context.pid;
  if (pid !== undefined) ctx.pid = pid;
  if (f.win32 !== undefined) ctx.win32 = f.win32;
  return new ProcessError(f.errno, f.syscall, ctx);
}
