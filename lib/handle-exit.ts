/**
 * What a `ProcessHandle` asks the OS: the platform's handle capabilities, and the one exit
 * check — through the handle (pidfd, `/proc/<pid>` dirfd, Windows HANDLE) or by pid + start
 * time — that answers "running" (`null`) or the {@link ExitResult}. Never reaps.
 *
 * @internal
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { errnoOf, processError, procReadError } from './errors';
import { HandleCap, HandleState, isFailure, native, type HandleQueryResult, type NativeFailure, WaitFlag } from './native';
import { decodeWait, exitResult, isTermination, statusFromChild, waitStatus, type ExitResult } from './wait-status';

const IS_WINDOWS = process.platform === 'win32';
const IS_LINUX = process.platform === 'linux';

let capsCache: number | undefined;

/**
 * @internal The handle capabilities of this platform (`HandleCap` bits), probed once.
 * `PROCSIG_NO_PIDFD=1` forces the pid + start-time fallback with backoff polling (the path taken
 * where pidfds are missing or blocked by seccomp); tests use it.
 */
export function handleCaps(): number {
  if (capsCache === undefined) {
    const forced = process.env.PROCSIG_NO_PIDFD === '1' && !IS_WINDOWS;
    capsCache = forced ? 0 : native.handleProbe();
  }
  return capsCache;
}

/**
 * @internal Which mechanism handles use here: `'pidfd'`, `'handle'` (Windows), `'procfd'` (Linux
 * without pidfds: an open `/proc/<pid>` directory) or `'pid'` (macOS: pid + start time).
 */
export function handleKind(): 'pidfd' | 'handle' | 'procfd' | 'pid' {
  if (!(handleCaps() & HandleCap.Fd)) return IS_LINUX ? 'procfd' : 'pid';
  return IS_WINDOWS ? 'handle' : 'pidfd';
}

/** @internal The error of any use of a closed handle (`ERR_PROCESS_HANDLE_CLOSED`). */
export function closedError(pid: number): Error & { code: string } {
  const e = new Error(`The handle of process ${pid} is closed`) as Error & { code: string };
  e.code = 'ERR_PROCESS_HANDLE_CLOSED';
  return e;
}

/** No fd left to read the process through (EMFILE, ENFILE): transient, not an exit. */
function fdExhausted(failure: NativeFailure): boolean {
  return failure.errno === errnoOf('EMFILE') || failure.errno === errnoOf('ENFILE');
}

/** A transient failure (EMFILE, ENFILE) reads as "still running"; anything else throws. */
function unreadable(failure: NativeFailure, pid: number): null {
  if (fdExhausted(failure)) return null;
  throw procReadError(failure, failure.syscall, pid);
}

/**
 * Through the handle `fd` (a pidfd, a `/proc/<pid>` dirfd, a HANDLE): never reaps. `peeked` is
 * the answer the exit watcher already read for it (`watchExit`'s second argument).
 */
function exitByHandle(fd: number, pid: number, peeked: HandleQueryResult | undefined): ExitResult | null {
  const q = peeked ?? native.handleQuery(fd, true, pid);
  if (isFailure(q)) {
    // No fd left to read /proc/<pid>/stat through the handle: not an exit; a poll goes on.
    if (fdExhausted(q)) return null;
    throw processError(q, { pid });
  }
  if (q[0] === HandleState.Running) return null;
  return exitResult(pid, q[0] === HandleState.ExitedKnown ? waitStatus(pid, q[1], q[2], q[3], q[4]) : null);
}

/** pid + start time: gone, recycled (different start) or a zombie all mean it has exited. */
function exitByPid(pid: number, start: string | null): ExitResult | null {
  const now = native.processStartTime(pid);
  // It exists but cannot be read now (EMFILE/ENFILE: it may be readable later; hidden: it will
  // not be): it is not reported gone — a poll keeps polling, and it counts as running.
  if (isFailure(now)) return unreadable(now, pid);
  if (now === null || now !== start) return exitResult(pid);
  const state = native.processState(pid);
  if (isFailure(state)) return unreadable(state, pid);
  if (state !== 'Z' && state !== 'X') return null;
  // A zombie child: peek without reaping (its owner reaps it).
  const t = native.waitpid(pid, WaitFlag.NoHang | WaitFlag.NoWait);
  // Our child, not waitable yet: the leader is a zombie while other threads still exit.
  if (!isFailure(t) && t[0] === 0) return null;
  const status = isFailure(t) ? null : decodeWait(t);
  return exitResult(pid, isTermination(status) ? status : null);
}

/**
 * @internal The exit check of a handle: `null` while the process runs, else its exit — with the
 * status the OS reports, else the one `child_process` reported for `child`, else none. `peeked`:
 * the exit watcher's answer for the handle, which then need not be asked again.
 */
export function checkExit(fd: number, pid: number, start: string | null, child: ChildProcess | undefined, peeked?: HandleQueryResult): ExitResult | null {
  const r = fd >= 0 ? exitByHandle(fd, pid, peeked) : exitByPid(pid, start);
  if (!r || r.status) return r;
  const s = statusFromChild(child, pid);
  return s ? exitResult(pid, s) : r;
}
