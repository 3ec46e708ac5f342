/**
 * kill (Perl-style, counted), killEach, killpg, broadcast, probe, isAlive.
 *
 * @packageDocumentation
 */
import { argTypeError, argValueError, errnoOf, processError, ProcessError, procReadError } from './errors';
import { failureAt, isFailure, native, type NativeFailure } from './native';
import { displaySignal, toSignal, type GroupSignalName, type SignalLike } from './signals';
import { checkGroup, checkKillTarget, checkPid, checkInteger } from './validate';

let ESRCH = 0;
let EPERM = 0;
let EINVAL = 0;
/** Reads the errno numbers this module compares against from the addon's table, once, on first need. */
function loadCodes(): void {
  if (ESRCH !== 0) return;
  ESRCH = errnoOf('ESRCH');
  EPERM = errnoOf('EPERM');
  EINVAL = errnoOf('EINVAL');
}
const IS_LINUX = process.platform === 'linux';

/**
 * Parses kill()'s signal argument without allocating (it is on the hot path): the signal number
 * for a process kill, or its bitwise complement (`~sig`, always negative) when the signal was
 * negative or a '-NAME' string, i.e. when the pids name process groups.
 */
function parseKillSignal(signal: SignalLike | GroupSignalName): number {
  if (typeof signal === 'number') return signal < 0 ? ~toSignal(-signal) : toSignal(signal);
  if (typeof signal === 'string' && signal.length > 1 && signal.charCodeAt(0) === 45 /* '-' */) {
    return ~toSignal(signal.slice(1));
  }
  return toSignal(signal);
}

function checkTarget(pid: unknown, group: boolean, name: string): number {
  const p = checkKillTarget(pid, name);
  if (group && p < 0) {
    throw argValueError(name, 'must not be negative when the signal is negative (a process group is already meant)', pid);
  }
  if (group) checkGroup(p, name, pid);
  return p;
}

/** The native failure of the last failing pid, turned into a ProcessError only when asked for. */
interface Failure {
  failure: NativeFailure;
  pid: number;
  sig: number;
  error?: ProcessError;
}
let lastFailure: Failure | undefined;

function lastError(f: Failure): ProcessError {
  return (f.error ??= processError(f.failure, { pid: f.pid, signal: displaySignal(f.sig) }));
}

/**
 * Sends `signal` to every pid and returns how many were signalled successfully — Perl's
 * `kill SIGNAL, LIST`.
 *
 * - `signal` is a name (`'TERM'`, `'SIGTERM'`, `':term'`), a number, or 0/`'ZERO'` for the
 *   existence-and-permission probe (a zombie counts as signallable).
 * - A negative number (`-9`) or a `'-NAME'` string (`'-KILL'`) signals the process *groups*
 *   named by the pids.
 * - Pid 0 is the caller's own process group; pid < -1 is the group `abs(pid)`.
 * - Pid -1 (every process) is refused with a RangeError: use {@link broadcast}.
 * - A negative signal together with a negative pid is refused with a RangeError.
 * - A negative signal with pid 1 (process group 1) is refused with a RangeError: kill(2) cannot
 *   address group 1 alone, `kill(-1)` means every process (see {@link killpg}).
 * - A thread id (Linux) passes through: kill(2) given a tid signals the whole process it belongs
 *   to, as Perl's and kill(1)'s do. Use a {@link ProcessHandle} to refuse tids.
 * - No pids: returns 0 and sends nothing.
 *
 * Every argument is validated before the first signal is sent; one native call covers the
 * whole list. Failures are not thrown: the pid is not counted, and {@link lastKillError} returns
 * the error of the last failing pid (Perl's `$!`).
 *
 * Windows: signal 0 probes; SIGKILL, SIGTERM and SIGINT terminate the process (exit code 1);
 * other signals fail with ENOSYS; groups are not supported (ENOSYS).
 *
 * @returns the number of pids signalled.
 * @throws TypeError `ERR_UNKNOWN_SIGNAL` / `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE` /
 *   `ERR_INVALID_ARG_VALUE` — and then nothing was signalled.
 * @example
 * ```ts
 * const n = kill('HUP', worker1, worker2, 99999); // 2 when 99999 is gone
 * if (n < 3) console.log(lastKillError()?.code);  // 'ESRCH'
 * ```
 */
export function kill(signal: SignalLike | GroupSignalName, ...pids: number[]): number {
  const parsed = parseKillSignal(signal);
  const group = parsed < 0;
  const sig = group ? ~parsed : parsed;
  const n = pids.length;
  if (n === 1) {
    const pid = checkTarget(pids[0], group, 'pid');
    const target = group ? -pid : pid;
    const failure = native.kill(target, sig);
    if (failure === undefined) {
      lastFailure = undefined;
      return 1;
    }
    lastFailure = { failure, pid: target, sig };
    return 0;
  }
  if (n === 0) {
    lastFailure = undefined;
    return 0;
  }
  const targets = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const pid = checkTarget(pids[i], group, `pids[${i}]`);
    targets[i] = group ? -pid : pid;
  }
  const failures = native.killMany(targets, sig);
  lastFailure = undefined;
  if (failures === undefined) return n;
  // In pid order: the last entry is the last failing pid, with its own errno and Win32 code.
  const last = failures.pid.length - 1;
  lastFailure = { failure: failureAt(failures, last), pid: failures.pid[last], sig };
  return n - failures.pid.length;
}

/**
 * The error of the last failing pid of the last {@link kill} call (Perl's `$!`), or `undefined`
 * when that call signalled every pid. Per thread (each worker has its own).
 */
export function lastKillError(): ProcessError | undefined {
  return lastFailure ? lastError(lastFailure) : undefined;
}

/** One pid's outcome in {@link killEach}. */
export type KillResult = { pid: number; ok: true } | { pid: number; ok: false; error: ProcessError };

/**
 * Like {@link kill}, but reports every pid's outcome: `[{ pid, ok: true } | { pid, ok: false,
 * error }]`, in the order given. Same signal and pid rules (group 1 refused, a thread id passes
 * through to kill(2)); all validated first.
 */
export function killEach(signal: SignalLike | GroupSignalName, pids: readonly number[]): KillResult[] {
  const parsed = parseKillSignal(signal);
  const group = parsed < 0;
  const sig = group ? ~parsed : parsed;
  if (!Array.isArray(pids)) throw argTypeError('pids', 'an array of pids', pids);
  const n = pids.length;
  const targets = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const pid = checkTarget(pids[i], group, `pids[${i}]`);
    targets[i] = group ? -pid : pid;
  }
  const failures = n > 0 ? native.killMany(targets, sig) : undefined;
  const out: KillResult[] = new Array(n);
  // Failures come in pid order, one entry per failed pid, each with its own errno and Win32 code.
  let f = 0;
  const failed = failures === undefined ? 0 : failures.pid.length;
  for (let i = 0; i < n; i++) {
    if (f === failed || failures!.pid[f] !== targets[i]) {
      out[i] = { pid: targets[i], ok: true };
      continue;
    }
    out[i] = { pid: targets[i], ok: false, error: processError(failureAt(failures!, f++), { signal: displaySignal(sig) }) };
  }
  return out;
}

/**
 * Sends `signal` to every process in group `pgid` (killpg(2)). `pgid` 0 means the caller's own
 * group. Windows: ENOSYS.
 *
 * Group 1 is refused (RangeError `ERR_INVALID_ARG_VALUE`, nothing signalled): kill(2) has no way
 * to address group 1 alone — `killpg(1, sig)` is `kill(-1, sig)`, every process the caller may
 * signal — and in a container PID 1 leads group 1. Use {@link broadcast} for that on purpose.
 *
 * @throws RangeError `ERR_INVALID_ARG_VALUE` for a negative `pgid` or group 1; ProcessError
 *   (`ESRCH`, `EPERM`, `ENOSYS`) with `syscall: 'killpg'`.
 */
export function killpg(pgid: number, signal: SignalLike = 'SIGTERM'): void {
  const sig = toSignal(signal);
  const g = checkInteger(pgid, 'pgid');
  if (g < 0) throw argValueError('pgid', 'must be >= 0 (a process group id; 0 is the caller\'s own group)', pgid);
  checkGroup(g, 'pgid', pgid);
  const failure = native.killpg(g, sig);
  if (failure !== undefined) throw processError(failure, { pid: g, signal: displaySignal(sig) });
}

/** What {@link sendSignal} did: sent, the target was already gone (ESRCH), or the OS refused. */
export type SendOutcome = 'sent' | 'gone' | ProcessError;

/**
 * @internal The one signalling path with the one "already gone" policy, for every caller that
 * kills on the user's behalf: handles, trees (icommandlib's group kill), terminate, jobs. kill(2)
 * of `pid`, or killpg(2) of group `pid` when `group`; ESRCH is `'gone'` (a target that exited is
 * what a kill wants), any other failure the ProcessError (with the signal's name), never thrown.
 *
 * The caller has validated `pid` (checkPid / checkGroup: never group 1, never 0 or -1) and `sig`.
 */
export function sendSignal(pid: number, sig: number, group = false): SendOutcome {
  return sendOutcome(group ? native.killpg(pid, sig) : native.kill(pid, sig), pid, sig);
}

/**
 * @internal {@link sendSignal}'s policy for a signal sent another way (through a process handle:
 * `pidfd_send_signal`, `TerminateProcess`): no failure is `'sent'`, ESRCH `'gone'`, any other
 * failure the ProcessError naming `pid` and the signal.
 */
export function sendOutcome(failure: NativeFailure | undefined, pid: number, sig: number): SendOutcome {
  if (failure === undefined) return 'sent';
  loadCodes();
  if (failure.errno === ESRCH) return 'gone';
  return processError(failure, { pid, signal: displaySignal(sig) });
}

/**
 * @internal kill(2) of each of `pids` with `sig` in one native batch (killTree's hot path: one
 * call for hundreds of members), decoded with {@link sendSignal}'s policy: `undefined` when every
 * pid was signalled, else each pid that was not with `'gone'` (ESRCH, never a failure) or its
 * ProcessError (its own errno and Win32 code), naming the signal as `shown`.
 */
export function sendEach(pids: Int32Array, sig: number, shown?: string | number): Map<number, 'gone' | ProcessError> | undefined {
  const failures = pids.length > 0 ? native.killMany(pids, sig) : undefined;
  if (failures === undefined) return undefined;
  loadCodes();
  const esrch = ESRCH;
  const out = new Map<number, 'gone' | ProcessError>();
  for (let i = 0; i < failures.pid.length; i++) {
    const pid = failures.pid[i];
    out.set(pid, failures.errno[i] === esrch ? 'gone' : processError(failureAt(failures, i), { pid, signal: shown ?? displaySignal(sig) }));
  }
  return out;
}

/**
 * Sends `signal` to every process the caller may signal: `kill(-1, signal)`. Deliberately a
 * function of its own, because {@link kill} refuses pid -1. As root this is the whole system.
 *
 * @throws ProcessError when no process could be signalled.
 */
export function broadcast(signal: SignalLike): void {
  const sig = toSignal(signal);
  const failure = native.kill(-1, sig);
  if (failure !== undefined) throw processError(failure, { pid: -1, signal: displaySignal(sig) });
}

/** The answer of {@link probe}. */
export type ProbeResult = 'alive' | 'zombie' | 'gone' | 'forbidden';

/**
 * Whether `pid` has exited (a zombie), asked through a pidfd (pollable once it exits, whatever
 * its uid, and no /proc needed): true/false, or undefined when no pidfd can be had (kernel <
 * 5.3, seccomp, `PROCSIG_NO_PIDFD=1`, no fd left), 'gone' when the pid names no process.
 */
function exitedByPidfd(pid: number): boolean | 'gone' | undefined {
  if (process.platform !== 'linux' || process.env.PROCSIG_NO_PIDFD === '1') return undefined;
  const h = native.handleOpen(pid);
  if (isFailure(h)) return h.errno === ESRCH ? 'gone' : undefined;
  const fd = h[0];
  if (fd < 0) return undefined;
  try {
    const q = native.handleQuery(fd, false);
    return isFailure(q) ? undefined : q[0] !== 0;
  } finally {
    native.handleClose(fd);
  }
}

/**
 * @internal Linux: refuses a thread id with ProcessError `EINVAL` (kill(2) accepts one and then
 * reaches the whole process). The check is ProcessHandle's without pidfds: `/proc/<tid>` opens,
 * but its `Tgid` is another id. Where /proc hides the process (hidepid) nothing can be told: it
 * passes. Used by {@link probe} and `Job.add`.
 */
export function refuseThreadId(p: number): void {
  if (!IS_LINUX) return;
  const h = native.handleOpen(p, true);
  if (!isFailure(h)) {
    native.handleClose(h[0]);
    return;
  }
  loadCodes();
  if (h.errno === EINVAL) throw processError(h, { pid: p });
}

/**
 * What signal 0 says of a pid, refined with the process state where the platform tells it:
 * `'alive'`, `'zombie'` (exited, not yet reaped — Linux and macOS), `'gone'` (ESRCH) or
 * `'forbidden'` (EPERM: it exists, but the caller may not signal it, and it has not exited).
 *
 * Linux reads the state from `/proc/<pid>/stat`; where `/proc` does not show the process
 * (hidepid, `/proc` not mounted, no fd left) it asks a pidfd instead, and when that is not
 * possible either it throws rather than guess between alive and zombie.
 *
 * @throws TypeError/RangeError for a bad pid; ProcessError for an unexpected kill(2) error or
 *   when the state cannot be read (`EMFILE`, ...); `ProcUnavailableError`
 *   (`ERR_PROC_HIDDEN`/`ERR_PROC_NOT_MOUNTED`) when /proc hides the process and no pidfd can be had.
 *
 * A Linux thread id that is not a process id is refused with ProcessError `EINVAL` (syscall
 * `'open'`, as `ProcessHandle.open` refuses it without pidfds): kill(2) accepts a tid and reaches
 * the whole process, so signal 0 alone would call it `'alive'` although no process has that id.
 */
export function probe(pid: number): ProbeResult {
  const p = checkPid(pid);
  const failure = native.kill(p, 0);
  loadCodes();
  if (failure !== undefined && failure.errno === ESRCH) return 'gone';
  if (failure !== undefined && failure.errno !== EPERM) throw processError(failure, { pid: p, signal: 0 });
  refuseThreadId(p);
  const state = native.processState(p);
  const living: ProbeResult = failure === undefined ? 'alive' : 'forbidden';
  if (typeof state === 'string') return state === 'Z' || state === 'X' ? 'zombie' : living;
  // Gone between kill(2) and the read (reaped just now).
  if (state === null) return process.platform === 'linux' ? 'gone' : living;
  const exited = exitedByPidfd(p);
  if (exited === 'gone') return 'gone';
  if (exited !== undefined) return exited ? 'zombie' : living;
  throw procReadError(state, 'open', p);
}

/**
 * True unless the pid is gone or a zombie (a process that exists but may not be signalled counts
 * as alive). Throws like {@link probe} (a Linux thread id: ProcessError `EINVAL`).
 */
export function isAlive(pid: number): boolean {
  const r = probe(pid);
  return r === 'alive' || r === 'forbidden';
}
