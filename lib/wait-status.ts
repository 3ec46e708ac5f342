/**
 * Wait statuses and exit results: the one place in TypeScript where a status is decoded (from
 * the native side's `[raw, kind, value, core]`, or from what Node's `child_process` reported),
 * and the one builder of the {@link ExitResult} that every wait resolves to (`handle.wait()`,
 * `handle.kill(sig, { wait: true })`, `waitForExit()`, `terminate()`). It imports neither the
 * handle nor the wait functions, so the errors that carry a status can name its type.
 *
 * @packageDocumentation
 */
import { WaitKind, type WaitTuple } from './native';
import { signalName, toSignal } from './signals';

const IS_WINDOWS = process.platform === 'win32';

/**
 * A decoded wait status. Exactly one of `exited`, `signaled`, `stopped`, `continued` is true.
 * A signal the platform has no name for (a real-time one, say) keeps its number in
 * `signalNumber`; the status is never lost.
 */
export interface WaitStatus {
  /** The pid whose state changed. */
  readonly pid: number;
  /** The raw status word as waitpid(2) filled it in (synthesised the same way from waitid(2)). */
  readonly status: number;
  /** It exited normally (`WIFEXITED`). */
  readonly exited: boolean;
  /** `WEXITSTATUS` when it exited, else `null`. */
  readonly exitCode: number | null;
  /** A signal ended it (`WIFSIGNALED`). */
  readonly signaled: boolean;
  /** The name of the signal that ended it (`'SIGKILL'`), or `null`. */
  readonly signal: string | null;
  /** The number of the signal that ended it, or `null`. */
  readonly signalNumber: number | null;
  /** It dumped core (`WCOREDUMP`). */
  readonly coreDumped: boolean;
  /** It is stopped (`WIFSTOPPED`). */
  readonly stopped: boolean;
  /** The stopping signal's name when `stopped`, else `null`. */
  readonly stopSignal: string | null;
  /** It was resumed by SIGCONT (`WIFCONTINUED`). */
  readonly continued: boolean;
  /**
   * The shell's number for how it ended: the exit code, or 128 + signal number when a signal
   * ended it (137 after SIGKILL); `null` for stopped/continued.
   */
  readonly code: number | null;
}

/**
 * How a process ended, as far as the OS can tell: what `handle.wait()`, `handle.exited`,
 * `handle.tryWait()`, `handle.kill(sig, { wait: true })` and `waitForExit()` resolve to (and
 * `terminate()`, with more fields). The exit code and signal are read the same way from each:
 * `code` is the shell's number (137 after SIGKILL), `exitCode` and `signal` say which way it
 * ended. When the status cannot be known (a non-child that nobody has reaped yet, a kernel
 * without `PIDFD_INFO_EXIT`, a pid that was already gone) they are `null` and `status` is
 * absent: procsig never invents one.
 */
export interface ExitResult {
  /** The pid that exited. */
  readonly pid: number;
  /** The shell's number: the exit code, or 128 + the signal number (137 after SIGKILL); `null` when unknown. */
  readonly code: number | null;
  /** The exit code when it exited normally, else `null`. */
  readonly exitCode: number | null;
  /** The name of the signal that ended it (`'SIGKILL'`), else `null`. */
  readonly signal: string | null;
  /** The number of the signal that ended it, else `null`. */
  readonly signalNumber: number | null;
  /** Whether it dumped core (false when unknown). */
  readonly coreDumped: boolean;
  /** The whole decoded status (raw word included), when known. */
  readonly status?: WaitStatus;
}

function nameOf(sig: number): string {
  return signalName(sig) ?? `SIG${sig}`;
}

/**
 * @internal The one decoder: a status from the native side's decoded fields (`kind` a
 * `WaitKind`), `null` for `WaitKind.None` (WNOHANG and nothing to report).
 */
export function waitStatus(pid: number, raw: number, kind: number, value: number, core: number): WaitStatus | null {
  if (kind === WaitKind.None) return null;
  const exited = kind === WaitKind.Exited;
  const signaled = kind === WaitKind.Signaled;
  const stopped = kind === WaitKind.Stopped;
  return Object.freeze({
    pid,
    status: raw,
    exited,
    exitCode: exited ? value : null,
    signaled,
    signal: signaled ? nameOf(value) : null,
    signalNumber: signaled ? value : null,
    coreDumped: signaled && core === 1,
    stopped,
    stopSignal: stopped ? nameOf(value) : null,
    continued: kind === WaitKind.Continued,
    code: exited ? value : signaled ? 128 + value : null,
  });
}

/** @internal {@link waitStatus} of a native `waitpid` tuple. */
export function decodeWait(t: WaitTuple): WaitStatus | null {
  return waitStatus(t[0], t[1], t[2], t[3], t[4]);
}

/** Whether a status is an end (exited or signalled), not a stop or a resume. */
export function isTermination(s: WaitStatus | null | undefined): s is WaitStatus {
  return !!s && (s.exited || s.signaled);
}

/**
 * @internal The status Node's `child_process` reported for `child` (`exitCode`/`signalCode`),
 * or undefined when it has not reported one. Node gives no status word: the raw word is laid
 * out as the native side lays it out (POSIX `W_EXITCODE`; Windows: the exit code itself).
 */
export function statusFromChild(child: { exitCode: number | null; signalCode: NodeJS.Signals | null } | undefined, pid: number): WaitStatus | undefined {
  if (!child) return undefined;
  const c = child.exitCode;
  if (c !== null && c !== undefined) return waitStatus(pid, IS_WINDOWS ? c : (c & 0xff) << 8, WaitKind.Exited, c, 0) ?? undefined;
  if (!child.signalCode) return undefined;
  let n: number;
  try {
    n = toSignal(child.signalCode);
  } catch {
    return undefined;
  }
  return waitStatus(pid, n & 0x7f, WaitKind.Signaled, n, 0) ?? undefined;
}

/** @internal The one builder of an {@link ExitResult}: `status` a termination, or absent when unknown. */
export function exitResult(pid: number, status?: WaitStatus | null): ExitResult {
  if (!status) return { pid, code: null, exitCode: null, signal: null, signalNumber: null, coreDumped: false };
  return { pid, code: status.code, exitCode: status.exitCode, signal: status.signal, signalNumber: status.signalNumber, coreDumped: status.coreDumped, status };
}

/** @internal How it ended, in words ("with exit code 3", "after SIGKILL (code 137)", "with an unknown status"). */
export function describeStatus(status: WaitStatus | undefined): string {
  if (!status) return 'with an unknown status';
  if (status.signaled) return `after ${status.signal} (code ${status.code})`;
  return `with exit code ${status.exitCode}`;
}
