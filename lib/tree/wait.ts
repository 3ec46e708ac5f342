/**
 * killTree's two waits: until members have stopped (blocking, inside the synchronous part), and
 * until members are dead (asynchronous, polled).
 *
 * @internal
 * @packageDocumentation
 */
import { native } from '../native';

const STATE_ZOMBIE = 0x5a; // 'Z'
const STATE_DEAD = 0x58; // 'X'

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * @internal Waits until every (pid, raw start) is gone, a zombie, or recycled. Resolves with the
 * pids still alive when `timeout` (ms, Infinity for none) ran out; rejects with the abort reason.
 */
export async function waitGone(pids: readonly number[], starts: readonly number[], timeout: number, signal?: AbortSignal): Promise<number[]> {
  let P = Int32Array.from(pids);
  let S: Float64Array = Float64Array.from(starts);
  const deadline = performance.now() + timeout;
  let delay = 1;
  for (;;) {
    if (signal?.aborted) throw signal.reason;
    if (P.length === 0) return [];
    const r = native.treeStates(P, S);
    const { alive, state: out } = r;
    // The start times read for the unknown (NaN) ones: the next round tells a recycled pid apart.
    S = r.start;
    if (alive === 0) return [];
    if (alive < P.length) {
      // Keep polling only the living.
      const np = new Int32Array(alive);
      const ns = new Float64Array(alive);
      let k = 0;
      for (let i = 0; i < P.length; i++) {
        if (out[i] !== 0 && out[i] !== STATE_ZOMBIE && out[i] !== STATE_DEAD) {
          np[k] = P[i];
          ns[k++] = S[i];
        }
      }
      P = np;
      S = ns;
    }
    const left = deadline - performance.now();
    if (left <= 0) return Array.from(P);
    await sleep(Math.min(delay, left), signal);
    delay = Math.min(delay * 2, 25);
  }
}

const STATE_STOPPED = 0x54; // 'T'
const STATE_TRACED = 0x74; // 't'
const SETTLE_LIMIT_MS = 1000;

/** One cell for {@link pause}: Atomics.wait on it sleeps without a busy loop or an event-loop turn. */
const pauseCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the calling thread for `ms` milliseconds (Atomics.wait: allowed on Node's main thread). */
function pause(ms: number): void {
  Atomics.wait(pauseCell, 0, 0, ms);
}

/**
 * @internal Waits, blocking, until every (pid, raw start) has actually stopped, or died. kill(2) only
 * queues SIGSTOP: a parent in the middle of fork(2) finishes it first, and its child list is final
 * only once it is stopped. Usually immediate; a process in uninterruptible sleep ('D') cannot stop
 * until it leaves it, so this gives up after {@link SETTLE_LIMIT_MS} and lets the next scan do its
 * best. (Members of a frozen group need none of this: the kernel hands a group-wide signal that
 * lands during a fork to the new child as well.)
 *
 * Synchronous on purpose: killTree's freeze → signal → resume runs within one call, so no caller
 * can exit (process.exit(), a signal handler, an 'exit' handler) with the tree left stopped.
 */
export function settleStopped(pids: Int32Array, starts: Float64Array): void {
  if (pids.length === 0) return;
  const end = performance.now() + SETTLE_LIMIT_MS;
  for (let round = 0; ; round++) {
    const r = native.treeStates(pids, starts);
    const out = r.state;
    starts = r.start;
    let pending = false;
    for (let i = 0; i < out.length && !pending; i++) {
      const c = out[i];
      pending = c !== 0 && c !== STATE_STOPPED && c !== STATE_TRACED && c !== STATE_ZOMBIE && c !== STATE_DEAD;
    }
    if (!pending || performance.now() > end) return;
    // Spin briefly (a stop takes microseconds on an idle CPU), then give the CPU away: the
    // members need it to stop.
    if (round >= 20) pause(1);
  }
}
