/**
 * terminate(): the graceful stop with escalation — Perl's "TERM, wait, KILL if alive, reap".
 *
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import { AlreadyExitedError, argTypeError, argValueError, ProcessError, TimeoutError, UnexpectedExitError } from './errors';
import { ProcessHandle, type ExitResult } from './handle';
import { sendSignal } from './kill';
import { displaySignal, toSignal, type SignalLike } from './signals';
import { descendantRows, groupRows, isExited, killTree, readTable, waitGone, type ProcessTable } from './tree';
import { checkAbortSignal, checkBoolean, checkGroup, checkOptions, checkPid, checkTimeout, isChildProcess } from './validate';
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

/** Pids and raw start times of `rows` of `t`, minus those `skip` rejects. */
function pidsOf(t: ProcessTable, rows: readonly number[], skip?: (row: number) => boolean): Members {
  const pids: number[] = [];
  const starts: number[] = [];
  for (const r of rows) {
    if (skip?.(r)) continue;
    pids.push(t.cols.pid[r]);
    starts.push(t.cols.start[r]);
  }
  return { pids, starts };
}

/**
 * What terminate waits for besides the target, from one snapshot (the table's walks): `group`,
 * the live (non-zombie) members of the target's process group; `tree`, every process still under
 * the root plus the root's group (killTree walked the tree; a dying parent's children are
 * reparented, so this is read before each signal).
 */
function membersOf(pid: number, tree: boolean): Members {
  const t = readTable(false);
  const inGroup = groupRows(t, pid);
  if (!tree) return pidsOf(t, inGroup, (r) => isExited(t, r));
  const root = t.row(pid);
  const under = root === -1 ? [] : descendantRows(t, root);
  const taken = new Set(under);
  return pidsOf(t, under.concat(inGroup.filter((r) => !taken.has(r) && r !== root && !isExited(t, r))));
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
  const pid = targetPid(target);
  const o = parse(options);
  // group: killpg(pid), and group 1 is every process (see checkGroup).
  if (o.group) checkGroup(pid, 'target');
  if (o.signal?.aborted) throw o.signal.reason;
  const owned = !(target instanceof ProcessHandle);
  const handle = owned ? openHandle(target, pid) : target;
  try {
    return await new Termination(pid, o, handle, t0).run();
  } finally {
    if (owned) handle?.close();
  }
}

/** The pid of terminate()'s target, validated. */
function targetPid(target: unknown): number {
  if (target instanceof ProcessHandle) return target.pid;
  if (isChildProcess(target)) {
    if (typeof target.pid !== 'number') throw argValueError('target', 'has no pid (it failed to spawn)', target, TypeError);
    return checkPid(target.pid, 'target.pid');
  }
  if (typeof target === 'number') return checkPid(target, 'target');
  throw argTypeError('target', 'a pid, a ChildProcess or a ProcessHandle', target);
}

/** A handle on a pid or ChildProcess target for the call's duration; undefined when it is gone already. */
function openHandle(target: number | ChildProcess, pid: number): ProcessHandle | undefined {
  try {
    return isChildProcess(target) ? ProcessHandle.fromChild(target) : ProcessHandle.open(pid);
  } catch (e) {
    if (!(e instanceof ProcessError && e.code === 'ESRCH')) throw e;
    // The root is gone; with group/tree its group may still have members.
    return undefined;
  }
}

/** Pids (with raw start times) terminate waits for besides the target. */
type Members = { pids: number[]; starts: number[] };

/** One terminate() call: signal, wait, escalate, wait. */
class Termination {
  #status: WaitStatus | undefined;

  constructor(
    readonly pid: number,
    readonly o: Parsed,
    readonly handle: ProcessHandle | undefined,
    readonly t0: number,
  ) {}

  async run(): Promise<TerminateResult> {
    const { o, pid, handle } = this;
    // Members are listed before the signal: after it, a dying parent's children are reparented
    // and no longer found under it.
    const snap = this.members();
    const sent = await this.deliver(o.killSignal);
    if (!sent && !(snap && snap.pids.length)) {
      if (handle) this.noteExit(handle.closed ? null : await handle.wait({ signal: o.signal }).catch(() => null));
      return this.done(false);
    }
    if (await this.settle(o.timeout, snap)) return this.done(false);
    if (o.escalate === false) throw new TimeoutError(o.timeout, pid, `Process ${pid} still running ${o.timeout} ms after ${displaySignal(o.killSignal)}`);
    if (o.signal?.aborted) throw o.signal.reason;
    const more = this.members();
    if (snap && more) {
      for (let i = 0; i < more.pids.length; i++) {
        if (!snap.pids.includes(more.pids[i])) {
          snap.pids.push(more.pids[i]);
          snap.starts.push(more.starts[i]);
        }
      }
    }
    await this.deliver(o.escalate);
    // Orphans that left the tree: signal the survivors directly (they were alive a moment ago).
    if (snap && o.tree) {
      const left = await waitGone(snap.pids, snap.starts, 0, o.signal);
      // Each through the one 'already gone' policy; nothing to report: the wait below judges.
      for (const p of left) sendSignal(p, o.escalate);
    }
    if (await this.settle(o.timeout, snap)) return this.done(true);
    throw new TimeoutError(o.timeout, pid, `Process ${pid} still running ${o.timeout} ms after ${displaySignal(o.escalate)}`);
  }

  done(escalated: boolean): TerminateResult {
    return { ...exitResult(this.pid, this.#status), escalated, elapsedMs: performance.now() - this.t0 };
  }

  noteExit(r: ExitResult | null | undefined): void {
    if (r?.status) this.#status = r.status;
  }

  /** The group's or tree's members now (the table's walks), or undefined when neither is asked for. */
  members(): Members | undefined {
    return this.o.tree || this.o.group ? membersOf(this.pid, this.o.tree) : undefined;
  }

  /** Sends `sig` to the target (and its tree/group); false when there was nothing left to signal. */
  async deliver(sig: number): Promise<boolean> {
    const { o, pid, handle } = this;
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
          if (e.status) this.#status = e.status;
        } else if (!(e instanceof ProcessError && e.code === 'ESRCH')) {
          throw e;
        }
      }
    }
    if (o.group) {
      // The group id stays reserved while members remain, even after the leader is gone.
      const outcome = sendSignal(pid, sig, true);
      if (outcome === 'sent') sent = true;
      else if (outcome !== 'gone') throw outcome;
    }
    return sent;
  }

  /** Waits up to `ms` for everything to be gone; true when it is. */
  async settle(ms: number, snap: Members | undefined): Promise<boolean> {
    const deadline = performance.now() + ms;
    if (this.handle) {
      try {
        this.noteExit(await this.handle.wait({ timeout: ms, signal: this.o.signal }));
      } catch (e) {
        if (e instanceof TimeoutError) return false;
        throw e;
      }
    }
    if (snap && snap.pids.length > 0) {
      const left = await waitGone(snap.pids, snap.starts, Math.max(0, deadline - performance.now()), this.o.signal);
      if (left.length > 0) return false;
    }
    return true;
  }
}
