/**
 * terminate(): the graceful stop with escalation — Perl's "TERM, wait, KILL if alive, reap".
 *
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { AlreadyExitedError, argTypeError, argValueError, errnoName, processError, ProcessError, TimeoutError, UnexpectedExitError } from './errors';
import { ProcessHandle, type ExitResult } from './handle';
import { native } from './native';
import { displaySignal, toSignal, type SignalLike } from './signals';
import { killTree, readTable, waitGone } from './tree';
import { checkAbortSignal, checkBoolean, checkGroup, checkOptions, checkPid, checkTimeout } from './validate';
import { exitResult, type WaitStatus } from './wait-status';

/** Options of {@link terminate} (named like Node's: `killSignal` is sent, `signal` aborts). */
export interface TerminateOptions {
  /** The first signal (default `'SIGTERM'`). */
  killSignal?: SignalLike;
  /** Milliseconds to wait after each signal (default 5000). */
  timeout?: number;
  /** Sent when the target outlives `timeout` (default `'SIGKILL'`); `false`: reject with `TimeoutError` instead. */
  escalate?: SignalLike | false;
  /** Signal the whole process tree (`killTree`: freeze, re-scan, signal) and wait for all of it. */
  tree?: boolean;
  /** Signal the target's process group (`killpg(2)`) and wait for every member. POSIX only. */
  group?: boolean;
  /** Aborts the wait (rejects with the signal's reason); no further signal is sent after an abort. */
  signal?: AbortSignal;
}

/** What {@link terminate} did: how the target ended (the {@link ExitResult} every wait resolves to), and how. */
export interface TerminateResult extends ExitResult {
  /** Whether the `escalate` signal had to be sent. */
  readonly escalated: boolean;
  /** Milliseconds from the call until everything was gone. */
  readonly elapsedMs: number;
}

interface Parsed {
  killSignal: number;
  timeout: number;
  escalate: number | false;
  tree: boolean;
  group: boolean;
  signal: AbortSignal | undefined;
}

function parse(options: unknown): Parsed {
  const o = checkOptions<TerminateOptions>(options);
  const killSignal = toSignal(o.killSignal ?? 'SIGTERM');
  const timeout = checkTimeout(o.timeout, 'options.timeout') ?? 5000;
  let escalate: number | false;
  if (o.escalate === false) escalate = false;
  else if (o.escalate === undefined) escalate = toSignal('SIGKILL');
  else escalate = toSignal(o.escalate);
  const tree = checkBoolean(o.tree, 'options.tree') ?? false;
  const group = checkBoolean(o.group, 'options.group') ?? false;
  if (tree && group) throw argValueError('options', 'must not set both tree and group (tree already takes the group)', options);
  return { killSignal, timeout, escalate, tree, group, signal: checkAbortSignal(o.signal, 'options.signal') };
}

function isChild(value: unknown): value is ChildProcess {
  return typeof value === 'object' && value !== null && 'exitCode' in value && 'signalCode' in value && typeof (value as ChildProcess).kill === 'function';
}

/** Live (non-zombie) members of process group `pgid`, with their raw start times. */
function groupMembers(pgid: number): { pids: number[]; starts: number[] } {
  const t = readTable(false);
  const pids: number[] = [];
  const starts: number[] = [];
  const { pid, pgid: pg, start, state } = t.cols;
  for (let i = 0; i < t.size; i++) {
    if (pg[i] === pgid && state[i] !== 0x5a /* Z */ && state[i] !== 0x58 /* X */) {
      pids.push(pid[i]);
      starts.push(start[i]);
    }
  }
  return { pids, starts };
}

/**
 * Stops a process gracefully: sends `killSignal`, waits up to `timeout` ms for it to exit, sends
 * `escalate` (SIGKILL) if it is still alive, waits again — then resolves with
 * `{ pid, code, exitCode, signal, ..., status?, escalated, elapsedMs }`. A zombie counts as gone; nothing is reaped that
 * procsig does not own, so a `child_process` child still emits `'exit'`.
 *
 * - `target`: a pid, a `ChildProcess` or a {@link ProcessHandle} (used as is and left open;
 *   for a pid or a ChildProcess a handle is opened for the duration and closed), so a recycled
 *   pid is never signalled.
 * - A target that is already gone resolves at once (`escalated: false`, the status when known).
 * - `tree: true` uses `killTree` (the whole tree, frozen while it is walked) and waits for every
 *   member; `group: true` uses `killpg(2)` and waits for every member of the group (zombies
 *   count as gone).
 * - `group: true` with pid 1 is refused (RangeError `ERR_INVALID_ARG_VALUE`): killpg(1) is
 *   kill(-1), every process the caller may signal.
 * - Windows: SIGTERM and SIGKILL both `TerminateProcess` (exit code 1); `group` fails with ENOSYS.
 *
 * @throws (rejects) TypeError/RangeError for bad arguments before anything is sent;
 *   `TimeoutError` when the target outlives `timeout` with `escalate: false`, or outlives the
 *   escalation too; the AbortSignal's reason; ProcessError (`EPERM`, ...).
 * @example
 * ```ts
 * const r = await terminate(child, { timeout: 2000 });
 * console.log(r.escalated ? 'had to SIGKILL' : 'stopped', r.code);
 * ```
 */
export async function terminate(target: number | ChildProcess | ProcessHandle, options?: TerminateOptions): Promise<TerminateResult> {
  const t0 = performance.now();
  let pid: number;
  if (target instanceof ProcessHandle) pid = target.pid;
  else if (isChild(target)) {
    if (typeof target.pid !== 'number') throw argValueError('target', 'has no pid (it failed to spawn)', target, TypeError);
    pid = checkPid(target.pid, 'target.pid');
  } else if (typeof target === 'number') pid = checkPid(target, 'target');
  else throw argTypeError('target', 'a pid, a ChildProcess or a ProcessHandle', target);
  const o = parse(options);
  // group: killpg(pid), and group 1 is every process (see checkGroup).
  if (o.group) checkGroup(pid, 'target');
  if (o.signal?.aborted) throw o.signal.reason;

  let handle: ProcessHandle | undefined;
  let owned = false;
  let status: WaitStatus | undefined;
  const done = (escalated: boolean): TerminateResult => {
    return { ...exitResult(pid, status), escalated, elapsedMs: performance.now() - t0 };
  };
  const noteExit = (r: ExitResult | null | undefined): void => {
    if (r?.status) status = r.status;
  };

  if (target instanceof ProcessHandle) {
    handle = target;
  } else {
    try {
      handle = isChild(target) ? ProcessHandle.fromChild(target) : ProcessHandle.open(pid);
      owned = true;
    } catch (e) {
      if (!(e instanceof ProcessError && e.code === 'ESRCH')) throw e;
      // The root is gone; with group/tree its group may still have members.
    }
  }

  try {
    /** Sends `sig` to the target (and its tree/group); false when there was nothing left to signal. */
    const deliver = async (sig: number): Promise<boolean> => {
      if (o.tree) {
        try {
          await killTree(pid, sig, { signal: o.signal });
        } catch (e) {
          if (e instanceof ProcessError && e.code === 'ESRCH') return false;
          throw e;
        }
        return true;
      }
      let sent = false;
      if (handle) {
        try {
          handle.kill(sig);
          sent = true;
        } catch (e) {
          if (e instanceof UnexpectedExitError || e instanceof AlreadyExitedError) {
            if (e.status) status = e.status as WaitStatus;
          } else if (!(e instanceof ProcessError && e.code === 'ESRCH')) {
            throw e;
          }
        }
      }
      if (o.group) {
        // The group id stays reserved while members remain, even after the leader is gone.
        const failure = native.killpg(pid, sig);
        if (failure === undefined) sent = true;
        else if (errnoName(failure.errno) !== 'ESRCH') throw processError(failure, { pid, signal: displaySignal(sig) });
      }
      return sent;
    };

    /** Waits up to `ms` for everything to be gone; true when it is. */
    const settle = async (ms: number, snapshot: { pids: number[]; starts: number[] } | undefined): Promise<boolean> => {
      const deadline = performance.now() + ms;
      if (handle) {
        try {
          noteExit(await handle.wait({ timeout: ms, signal: o.signal }));
        } catch (e) {
          if (e instanceof TimeoutError) return false;
          throw e;
        }
      }
      if (snapshot && snapshot.pids.length > 0) {
        const left = await waitGone(snapshot.pids, snapshot.starts, Math.max(0, deadline - performance.now()), o.signal);
        if (left.length > 0) return false;
      }
      return true;
    };

    const members = (): { pids: number[]; starts: number[] } | undefined => {
      if (o.group) return groupMembers(pid);
      if (o.tree) {
        // The tree was walked by killTree; what matters now is every process still under the
        // root plus the root's group.
        const t = readTable(false);
        const pids: number[] = [];
        const starts: number[] = [];
        const stack = [t.row(pid)];
        while (stack.length) {
          const r = stack.pop()!;
          if (r < 0) continue;
          for (let c = t.head[r]; c !== -1; c = t.next[c]) {
            pids.push(t.cols.pid[c]);
            starts.push(t.cols.start[c]);
            stack.push(c);
          }
        }
        const g = groupMembers(pid);
        for (let i = 0; i < g.pids.length; i++) {
          if (!pids.includes(g.pids[i]) && g.pids[i] !== pid) {
            pids.push(g.pids[i]);
            starts.push(g.starts[i]);
          }
        }
        return { pids, starts };
      }
      return undefined;
    };

    // Members are listed before the signal: after it, a dying parent's children are reparented
    // and no longer found under it.
    const snap = o.tree || o.group ? members() : undefined;
    const sent = await deliver(o.killSignal);
    if (!sent && !(snap && snap.pids.length)) {
      if (handle) noteExit(handle.closed ? null : await handle.wait({ signal: o.signal }).catch(() => null));
      return done(false);
    }
    if (await settle(o.timeout, snap)) return done(false);
    if (o.escalate === false) throw new TimeoutError(o.timeout, pid, `Process ${pid} still running ${o.timeout} ms after ${displaySignal(o.killSignal)}`);
    if (o.signal?.aborted) throw o.signal.reason;
    const more = o.tree || o.group ? members() : undefined;
    if (snap && more) {
      for (let i = 0; i < more.pids.length; i++) {
        if (!snap.pids.includes(more.pids[i])) {
          snap.pids.push(more.pids[i]);
          snap.starts.push(more.starts[i]);
        }
      }
    }
    await deliver(o.escalate);
    // Orphans that left the tree: signal the survivors directly (they were alive a moment ago).
    if (snap && o.tree) {
      const left = await waitGone(snap.pids, snap.starts, 0, o.signal);
      if (left.length) native.killMany(Int32Array.from(left), o.escalate);
    }
    if (await settle(o.timeout, snap)) return done(true);
    throw new TimeoutError(o.timeout, pid, `Process ${pid} still running ${o.timeout} ms after ${displaySignal(o.escalate)}`);
  } finally {
    if (owned) handle?.close();
  }
}
