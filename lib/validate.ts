/**
 * Argument validation shared by every public function. Each check throws a typed error with a
 * Node-style `code` before anything is signalled.
 *
 * @internal
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { argTypeError, argValueError, outOfRangeError } from './errors';

const INT32_MAX = 0x7fffffff;

/** Checks that `value` is an integer pid-like number (no -0, no NaN, within int32). */
export function checkInteger(value: unknown, name: string): number {
  if (typeof value !== 'number') throw argTypeError(name, 'of type number', value);
  if (!Number.isInteger(value) || Object.is(value, -0) || value > INT32_MAX || value < -INT32_MAX) {
    throw outOfRangeError(name, `an integer from ${-INT32_MAX} to ${INT32_MAX}`, value);
  }
  return value;
}

/** A positive pid (one process): an integer from 1 to 2^31-1. */
export function checkPid(value: unknown, name = 'pid'): number {
  if (typeof value !== 'number') throw argTypeError(name, 'of type number', value);
  if (!Number.isInteger(value) || value < 1 || value > INT32_MAX) {
    throw outOfRangeError(name, `an integer from 1 to ${INT32_MAX}`, value);
  }
  return value;
}

/**
 * A pid argument of `kill(2)`'s kinds: positive (a process), 0 (the caller's group), < -1 (a
 * group). -1 (every process) is refused: `broadcast()` exists for that on purpose.
 */
export function checkKillTarget(value: unknown, name = 'pid'): number {
  const pid = checkInteger(value, name);
  if (pid === -1) {
    throw argValueError(name, 'must not be -1 (every process); use broadcast() to signal every process on purpose', value);
  }
  return pid;
}

/**
 * The one refusal of process group 1, shared by every path that ends in a group signal (`kill`
 * and `killEach` with a negative signal, `killpg`, `ProcessHandle.killGroup`, `terminate` with
 * `group`, `Job`'s tree backend). kill(2) has no way to address group 1 alone: `kill(-1, sig)`
 * means every process the caller may signal, and glibc's `killpg(1, sig)` is exactly that call.
 * In a container PID 1 leads group 1, so one typo would signal the whole container. Throws a
 * RangeError `ERR_INVALID_ARG_VALUE` (like pid -1) before anything is signalled.
 *
 * @param pgid the group id about to be signalled (already an integer).
 * @param name the argument's name in the error message.
 * @param value the value as the caller gave it (shown in the message), `pgid` by default.
 */
export function checkGroup(pgid: number, name = 'pgid', value: unknown = pgid): number {
  if (pgid === 1) {
    throw argValueError(
      name,
      'must not name process group 1: killpg(1) is kill(-1), which signals every process the caller may signal (PID 1 leads group 1 in a container); use broadcast() to signal every process on purpose',
      value,
    );
  }
  return pgid;
}

/** A duration in milliseconds: finite, >= 0. `undefined` passes through. */
export function checkTimeout(value: unknown, name = 'timeout'): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw argTypeError(name, 'of type number', value);
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw outOfRangeError(name, 'a finite number of milliseconds >= 0', value);
  }
  return value;
}

/** An optional AbortSignal. */
export function checkAbortSignal(value: unknown, name = 'signal'): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as AbortSignal).aborted !== 'boolean' || typeof (value as AbortSignal).addEventListener !== 'function') {
    throw argTypeError(name, 'an instance of AbortSignal', value);
  }
  return value as AbortSignal;
}

/** An options object: undefined or a plain object. */
export function checkOptions<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw argTypeError(name, 'of type object', value);
  }
  return value as Partial<T>;
}

/** An optional boolean option. */
export function checkBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw argTypeError(name, 'of type boolean', value);
  return value;
}

/**
 * @internal Whether `value` is a `child_process` ChildProcess (or works like one: Node's class is
 * not always the one a caller's runtime hands out, e.g. Electron's or a bundler's copy): the one
 * check, for every API that takes a ChildProcess.
 */
export function isChildProcess(value: unknown): value is ChildProcess {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ChildProcess).kill === 'function' &&
    typeof (value as ChildProcess).once === 'function' &&
    'exitCode' in value &&
    'signalCode' in value
  );
}
