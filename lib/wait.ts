/**
 * waitpid (sync, WNOHANG), waitpidAsync (off the JS thread) and waitForExit (any process). Statuses
 * are decoded in lib/wait-status.ts.
 *
 * @packageDocumentation
 */
import { argValueError, processError, ProcessError, TimeoutError } from './errors';
import { isFailure, native, WaitFlag } from './native';
import { checkBoolean, checkInteger, checkOptions, checkPid } from './validate';
import { ProcessHandle } from './handle';
import { readWaitOptions, type WaitForExitOptions } from './handle-watch';
import { decodeWait, exitResult, isTermination, type ExitResult, type WaitStatus } from './wait-status';

export type { ExitResult, WaitStatus } from './wait-status';
export type { WaitForExitOptions } from './handle-watch';

/** Options of {@link waitpid} / {@link waitpidAsync}. */
export interface WaitpidOptions {
  /** `WNOHANG`: return `null` at once when nothing changed. {@link waitpid} requires it (default true there). */
  noHang?: boolean;
  /** `WUNTRACED`: also report stopped children. */
  untraced?: boolean;
  /** `WCONTINUED`: also report children resumed by SIGCONT. */
  continued?: boolean;
}

function flagsOf(options: WaitpidOptions): number {
  let flags = 0;
  if (options.noHang) flags |= WaitFlag.NoHang;
  if (options.untraced) flags |= WaitFlag.Untraced;
  if (options.continued) flags |= WaitFlag.Continued;
  return flags;
}

function readOptions(options: unknown): WaitpidOptions {
  const o = checkOptions<WaitpidOptions>(options);
  return {
    noHang: checkBoolean(o.noHang, 'options.noHang'),
    untraced: checkBoolean(o.untraced, 'options.untraced'),
    continued: checkBoolean(o.continued, 'options.continued'),
  };
}

/**
 * waitpid(2) with `WNOHANG`: reaps a child that has changed state and returns its status, or
 * returns `null` when none has. Never blocks the JS thread, so `noHang` must stay true (the
 * default here); use {@link waitpidAsync} to block.
 *
 * `pid` follows waitpid(2): a child's pid, -1 for any child, 0 for any child in the caller's
 * group, < -1 for any child in group `abs(pid)`.
 *
 * This is the raw, *reaping* call: reaping a child that `child_process` spawned takes its exit
 * from libuv, and its `'exit'` event never fires. `waitForExit` observes without reaping.
 *
 * @throws ProcessError `ECHILD` (not a child), `EINVAL`, `ENOSYS` (Windows).
 */
export function waitpid(pid: number, options?: WaitpidOptions): WaitStatus | null {
  const p = checkInteger(pid, 'pid');
  const o = readOptions(options);
  if (o.noHang === false) {
    throw argValueError('options.noHang', 'must be true for the synchronous waitpid(), which never blocks the JS thread; use waitpidAsync() to block', false, TypeError);
  }
  const t = native.waitpid(p, flagsOf({ ...o, noHang: true }));
  if (isFailure(t)) throw processError(t, { pid: p });
  return decodeWait(t);
}

/**
 * waitpid(2) run off the JS thread (on libuv's thread pool): resolves with the child's status
 * once it changes state, or with `null` at once under `noHang` when nothing changed.
 *
 * It holds one thread-pool thread while it blocks (the pool has `UV_THREADPOOL_SIZE` = 4 by
 * default); for many waits, or for processes that are not children, use `waitForExit`.
 * Like {@link waitpid}, it reaps.
 *
 * @throws (rejects) ProcessError `ECHILD`, `EINVAL`, `ENOSYS` (Windows).
 */
export async function waitpidAsync(pid: number, options?: WaitpidOptions): Promise<WaitStatus | null> {
  const p = checkInteger(pid, 'pid');
  const o = readOptions(options);
  const t = await native.waitpidAsync(p, flagsOf(o));
  if (isFailure(t)) throw processError(t, { pid: p });
  return decodeWait(t);
}

/**
 * Resolves once the process exits — any process, child or not — with its {@link ExitResult}:
 * `{ pid, code, exitCode, signal, signalNumber, coreDumped, status? }`, the shape every wait of
 * procsig resolves to (`code` 137 after SIGKILL, `null` when the status cannot be known).
 * Event-driven, never reaping, and a zombie counts as exited:
 *
 * - **Linux ≥ 5.3**: a pidfd in the env's one epoll watcher thread (no thread per waiter, no
 *   libuv; resolves within 2× of a C program's kill → pidfd-readable latency). For a child of
 *   this process the status is peeked with `waitid(P_PIDFD, …, WNOWAIT)`, so `child_process`
 *   still reaps it and its `'exit'` event fires with the right code. For a non-child, Linux
 *   ≥ 6.15 reports the real status through `PIDFD_GET_INFO`/`PIDFD_INFO_EXIT` once its parent
 *   has reaped it, provided the pidfd was opened before the exit (pass a {@link ProcessHandle}
 *   opened early, or call this before the exit); a non-child that is still a zombie, or an
 *   older kernel, gives no `status`. Without pidfds (seccomp, kernel < 5.3): pid + start time
 *   with backoff polling (1 ms doubling to 100 ms).
 * - **macOS**: kqueue `EVFILT_PROC`/`NOTE_EXIT`; a child's status by `waitid(WNOWAIT)` once it
 *   is a zombie, a non-child's is unknown.
 * - **Windows**: `RegisterWaitForSingleObject` on a process HANDLE; the status is
 *   `GetExitCodeProcess`'s exit code.
 *
 * A pid with no process at all resolves at once, without a status (it may have been reaped
 * long ago; nothing is invented). A handle that has been closed rejects with
 * `ERR_PROCESS_HANDLE_CLOSED`.
 *
 * @param target a pid (1 .. 2^31-1) or a {@link ProcessHandle} (preferred: it cannot be
 *   confused by pid reuse and keeps a non-child's status readable).
 * @param options `timeout` (ms): reject with `TimeoutError` (`code` `'ETIMEDOUT'`); `signal`
 *   (AbortSignal): reject with its reason. Every watcher and fd is released on resolve, reject,
 *   abort, and when the worker exits.
 * @throws (rejects) TypeError/RangeError for bad arguments; `TimeoutError`; the abort reason;
 *   ProcessError `EINVAL` (a Linux thread id), `EPERM` (Windows).
 * @example
 * ```ts
 * const { code } = await waitForExit(pid, { timeout: 5000 });
 * console.log(code ?? 'unknown');
 * ```
 */
export async function waitForExit(target: number | ProcessHandle, options?: WaitForExitOptions): Promise<ExitResult> {
  const isHandle = target instanceof ProcessHandle;
  const pid = isHandle ? target.pid : checkPid(target, 'target');
  const o = readWaitOptions(options);
  if (o.signal?.aborted) throw o.signal.reason;
  if (isHandle) return target.wait(o);
  let h: ProcessHandle;
  try {
    h = ProcessHandle.open(pid);
  } catch (e) {
    // No such process: it is gone (reaped, possibly long ago); its status cannot be known.
    if (e instanceof ProcessError && e.code === 'ESRCH') return exitResult(pid);
    if (isFdExhaustion(e)) return pollWithoutFd(pid, o);
    throw e;
  }
  try {
    return await h.wait(o);
  } finally {
    h.close();
  }
}

function isFdExhaustion(e: unknown): boolean {
  return e instanceof ProcessError && (e.code === 'EMFILE' || e.code === 'ENFILE');
}

/**
 * waitForExit's fallback when no fd is left to open a handle (EMFILE/ENFILE): backoff polling
 * (1 ms doubling to 100 ms) with calls that need no fd — getpgid(2) for "gone", and for a child
 * of this process `waitid(WNOWAIT)` for its status — retrying the handle on every round, which
 * takes over as soon as an fd is free. A non-child that is a zombie cannot be told from a live
 * process without an fd, so the wait goes on until it is reaped or an fd frees up: never a false
 * exit.
 */
async function pollWithoutFd(pid: number, o: WaitForExitOptions): Promise<ExitResult> {
  const deadline = o.timeout !== undefined ? performance.now() + o.timeout : Infinity;
  let delay = 1;
  for (;;) {
    if (o.signal?.aborted) throw o.signal.reason;
    if (native.treePgids(Int32Array.of(pid))[0] === -1) return exitResult(pid);
    const t = native.waitpid(pid, WaitFlag.NoHang | WaitFlag.NoWait);
    if (!isFailure(t) && t[0] === pid) {
      const status = decodeWait(t);
      if (isTermination(status)) return exitResult(pid, status);
    }
    let h: ProcessHandle | undefined;
    try {
      h = ProcessHandle.open(pid);
    } catch (e) {
      if (e instanceof ProcessError && e.code === 'ESRCH') return exitResult(pid);
      if (!isFdExhaustion(e)) throw e;
    }
    if (h) {
      try {
        const left = deadline - performance.now();
        return await h.wait({ signal: o.signal, timeout: left === Infinity ? undefined : Math.max(0, left) });
      } catch (e) {
        if (e instanceof TimeoutError) throw new TimeoutError(o.timeout!, pid);
        throw e;
      } finally {
        h.close();
      }
    }
    const left = deadline - performance.now();
    if (left <= 0) throw new TimeoutError(o.timeout!, pid);
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(o.signal!.reason);
      };
      const timer = setTimeout(() => {
        o.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.min(delay, left));
      o.signal?.addEventListener('abort', onAbort, { once: true });
    });
    delay = Math.min(delay * 2, 100);
  }
}
