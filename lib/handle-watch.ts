/**
 * The exit watch of a `ProcessHandle`: one watch per handle, shared by every waiter (an fd is
 * registered once per env) — the env's epoll/kqueue watcher or a Windows wait on the handle,
 * else backoff polling — and the `timeout`/`signal` of each wait around it.
 *
 * @internal
 * @packageDocumentation
 */
import { errnoOf, TimeoutError } from './errors';
import { HandleCap, isFailure, native, type HandleQueryResult } from './native';
import { checkAbortSignal, checkOptions, checkTimeout } from './validate';
import type { ExitResult } from './wait-status';


/** Options of `ProcessHandle.wait` and `waitForExit`. */
export interface WaitForExitOptions {
  /** Give up after this many milliseconds: the promise rejects with a `TimeoutError`. */
  timeout?: number;
  /** Abort the wait: the promise rejects with `signal.reason`. Nothing is signalled. */
  signal?: AbortSignal;
}

/** @internal Validates `{ timeout, signal }`. */
export function readWaitOptions(options: unknown): WaitForExitOptions & { signal: AbortSignal | undefined } {
  const o = checkOptions<WaitForExitOptions>(options);
  return { timeout: checkTimeout(o.timeout, 'options.timeout'), signal: checkAbortSignal(o.signal, 'options.signal') };
}

/** @internal What the watch needs of its handle. */
export interface WatchTarget {
  readonly pid: number;
  /** The handle's capabilities (`HandleCap` bits). */
  readonly caps: number;
  /** The fd/HANDLE to watch, or -1 (watch the pid). */
  fd(): number;
  closed(): boolean;
  /** The exit check: `null` while running; may throw. `peeked`: what the exit watcher read already. */
  check(peeked?: HandleQueryResult): ExitResult | null;
}

interface Shared {
  promise: Promise<ExitResult>;
  settled: boolean;
  cancel: () => void;
  resolve: (r: ExitResult) => void;
  reject: (e: unknown) => void;
}

/** @internal One exit watch per handle, counted: it stops when the last waiter leaves. */
export class ExitWatch {
  readonly #t: WatchTarget;
  #shared: Shared | undefined;
  #refs = 0;

  constructor(target: WatchTarget) {
    this.#t = target;
  }

  /** Joins the watch (starting it when none runs): a promise of the exit. Pair with {@link release}. */
  acquire(): Promise<ExitResult> {
    this.#refs++;
    if (this.#shared && !this.#shared.settled) return this.#shared.promise;
    let resolve!: (r: ExitResult) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<ExitResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {});
    const shared: Shared = { promise, settled: false, cancel: () => {}, resolve, reject };
    this.#shared = shared;
    this.#arm(shared);
    return promise;
  }

  /** Leaves the watch; the last one out cancels it. */
  release(): void {
    if (--this.#refs > 0) return;
    this.#refs = 0;
    const s = this.#shared;
    if (s && !s.settled) {
      s.settled = true;
      s.cancel();
      this.#shared = undefined;
    }
  }

  /** Cancels the watch and rejects its waiters with `error()` (the handle was closed; built only when someone waits). */
  close(error: () => Error): void {
    const s = this.#shared;
    this.#shared = undefined;
    this.#refs = 0;
    if (s && !s.settled) {
      s.cancel();
      s.settled = true;
      s.reject(error());
    }
  }

  /** One waiter: the shared exit, or a rejection on `timeout` (`TimeoutError`) or abort. */
  wait(o: WaitForExitOptions, observe: (r: ExitResult) => void): Promise<ExitResult> {
    const exit = this.acquire();
    return new Promise<ExitResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        if (timer) clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        this.release();
        return true;
      };
      const onAbort = (): void => {
        if (finish()) reject(o.signal!.reason);
      };
      // setTimeout cannot wait longer than 2^31-1 ms; longer timeouts wait without limit.
      if (o.timeout !== undefined && o.timeout <= 0x7fffffff) {
        timer = setTimeout(() => {
          if (finish()) reject(new TimeoutError(o.timeout!, this.#t.pid));
        }, o.timeout);
      }
      o.signal?.addEventListener('abort', onAbort, { once: true });
      exit.then(
        (r) => {
          if (!finish()) return;
          observe(r);
          resolve(r);
        },
        (e: unknown) => {
          if (finish()) reject(e);
        },
      );
    });
  }

  /** Runs one exit check; settles and returns true when the wait is over (exit or error). */
  #settledBy(s: Shared, check: () => ExitResult | null): boolean {
    let r: ExitResult | null;
    try {
      r = check();
    } catch (e) {
      if (!s.settled) {
        s.settled = true;
        s.reject(e);
      }
      return true;
    }
    if (!r) return false;
    if (!s.settled) {
      s.settled = true;
      s.resolve(r);
    }
    return true;
  }

  /** Watches with the OS where it can (epoll, kqueue, a Windows wait), else by backoff polling. */
  #arm(s: Shared): void {
    const t = this.#t;
    const fd = t.fd();
    const onExit = (peeked?: HandleQueryResult): void => {
      if (!this.#settledBy(s, () => (t.closed() ? null : t.check(peeked))) && !t.closed()) this.#arm(s);
    };
    if ((fd >= 0 && t.caps & HandleCap.WatchFd) || (fd < 0 && t.caps & HandleCap.WatchPid)) {
      const id = native.watchExit(fd, t.pid, (_errno, peeked) => {
        s.cancel = () => {};
        onExit(peeked);
      });
      if (!isFailure(id)) {
        s.cancel = () => {
          native.watchCancel(id);
        };
        return;
      }
      // kqueue refuses a pid that is already gone: that is an exit.
      if (id.errno === errnoOf('ESRCH')) {
        queueMicrotask(() => onExit());
        return;
      }
    }
    // Last resort: backoff polling, 1 ms doubling to 100 ms.
    let delay = 1;
    let timer: NodeJS.Timeout;
    const tick = (): void => {
      if (this.#settledBy(s, () => t.check())) return;
      delay = Math.min(delay * 2, 100);
      timer = setTimeout(tick, delay);
    };
    timer = setTimeout(tick, delay);
    s.cancel = () => clearTimeout(timer);
  }
}
