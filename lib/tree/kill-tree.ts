/**
 * The public killTree and killTreeSync: argument checks, then the phases (phases.ts).
 *
 * @packageDocumentation
 */
import { argTypeError, argValueError } from '../errors';
import { toSignal, type SignalLike } from '../signals';
import { checkAbortSignal, checkBoolean, checkOptions, checkPid, checkTimeout } from '../validate';
import { resultOf, runKill, waitPhase } from './phases';
import type { KillTreeOptions, KillTreeResult } from './types';

interface ParsedOptions {
  wait: number | null;
  includeRoot: boolean;
  group: boolean;
  signal: AbortSignal | undefined;
}

function parseOptions(options: unknown): ParsedOptions {
  const o = checkOptions<KillTreeOptions>(options);
  let wait: number | null = null;
  if (o.wait === true) wait = Infinity;
  else if (typeof o.wait === 'number') wait = checkTimeout(o.wait, 'options.wait') ?? null;
  else if (o.wait !== undefined && o.wait !== false) throw argTypeError('options.wait', 'of type boolean or number', o.wait);
  return {
    wait,
    includeRoot: checkBoolean(o.includeRoot, 'options.includeRoot') ?? true,
    group: checkBoolean(o.group, 'options.group') ?? true,
    signal: checkAbortSignal(o.signal, 'options.signal'),
  };
}

/**
 * Kills a whole process tree: `pid` and every descendant, found natively and linked by the
 * start-time rule, plus — when `pid` leads its own process group (pgid == pid) that is not the
 * caller's — every process still in that group (orphans whose middle parent exited but that
 * kept the group) and their descendants.
 *
 * **Freeze-then-kill** (Linux, macOS): the group (killpg) and then every member, top-down, get
 * SIGSTOP, so no member can fork while the walk runs; the walk looks again until nothing new
 * has appeared (children forked just before their parent froze); then the signal goes to the
 * group and every member, and finally SIGCONT to every member unless the signal was SIGKILL or
 * a stop signal — so a SIGTERM'd process runs its handler. On Linux the list is read once
 * before the freeze, reading only what can matter (frozen-group members are listed via
 * getpgid, other sessions skipped via getsid), and after it only the processes that appeared
 * since are read; elsewhere the group is frozen first and the whole list re-read. Nothing
 * escapes a parent that keeps forking, a middle parent that exits mid-walk, or a child that
 * called setsid(2) (it is still a child). Signal 0 only probes: no freezing.
 *
 * **Not interruptible**: everything up to the SIGCONT runs synchronously, inside the call, before
 * the promise is returned (the wait for a stop blocks for at most 1 s, for a member stuck in
 * uninterruptible sleep). Only the optional wait for death is asynchronous. So a caller that does
 * not await — `killTree(pid); process.exit()`, a kill from a signal handler or an `'exit'`
 * handler — never leaves the tree stopped. {@link killTreeSync} is the same without a promise.
 *
 * **Windows**: no SIGSTOP. Members are terminated (`TerminateProcess`, exit code 1, for
 * SIGKILL/SIGTERM/SIGINT; other signals fail with ENOSYS) top-down as each scan finds them, until
 * a scan finds no new one. Windows keeps a dead parent's pid as the child's parent id, so
 * orphans are still reached — but only when they started after that parent (pid reuse).
 *
 * **Never signalled**: the caller itself (nor does the walk descend through it, unless it is
 * the root), the caller's own process group and process group 1 (no killpg of either — glibc's
 * killpg(1) is kill(-1), every process; members inside them are still signalled one by one).
 *
 * **The limit**: a process that both left the group (setsid/setpgid) *and* was orphaned before
 * the call (its parent exited, so it was reparented to init or a subreaper) has no link left to
 * the tree — it is out of reach without a {@link https://man7.org/linux/man-pages/man7/cgroups.7.html cgroup}
 * or Job Object (`Job`).
 *
 * @param pid the root (1 .. 2^31-1).
 * @param signal a name or number (default `'SIGTERM'`), as {@link toSignal} accepts.
 * @param options `wait` (default false: resolve once signalled; true: until every member is dead;
 *   a number: at most that many ms), `includeRoot` (default true), `group` (default true),
 *   `signal` (an AbortSignal for the wait).
 * @returns what was signalled (top-down), the group, per-pid failures (ESRCH is never a failure:
 *   a member that exits during the walk is expected; a group member the group's signal could
 *   not reach appears with EPERM), scans, and — when waiting — `dead` and `survivors`.
 * @throws (rejects) TypeError/RangeError for bad arguments before anything is sent;
 *   ProcessError `ESRCH` (`syscall: 'kill'`) when neither the root nor any member of its group
 *   exists; ProcessError when the process list cannot be read; the AbortSignal's reason.
 * @example
 * ```ts
 * const r = await killTree(server.pid!, 'SIGTERM', { wait: 5000 });
 * if (!r.dead) await killTree(server.pid!, 'SIGKILL', { wait: true });
 * ```
 */
export async function killTree(pid: number, signal: SignalLike = 'SIGTERM', options?: KillTreeOptions): Promise<KillTreeResult> {
  const root = checkPid(pid);
  const sig = toSignal(signal);
  const opts = parseOptions(options);
  if (opts.signal?.aborted) throw opts.signal.reason;
  // No await before this returns: see "Not interruptible" above.
  const k = runKill(root, sig, opts.includeRoot, opts.group);
  if (opts.wait === null) return resultOf(k, null, []);
  const survivors = await waitPhase(k, opts.wait, opts.signal);
  return resultOf(k, survivors.length === 0, survivors);
}

/**
 * {@link killTree} without a promise: scans, freezes, signals and resumes the tree within the
 * call and returns what it did. For code that cannot await — a `process.on('exit')` handler, a
 * signal handler about to exit, a synchronous shutdown path. It does not wait for the members to
 * die (`dead` is always `null`); follow it with `killTree(pid, 'SIGKILL', { wait })` or
 * `waitForExit` if that matters.
 *
 * It blocks the thread while it works: a few ms for a ~200-process tree (see
 * docs/benchmarks.md), and at most 1 s more per re-scan when a member cannot stop because it is
 * in uninterruptible sleep (state D).
 *
 * @param pid the root (1 .. 2^31-1).
 * @param signal a name or number (default `'SIGTERM'`), as {@link toSignal} accepts.
 * @param options `includeRoot` (default true) and `group` (default true), as for
 *   {@link killTree}; `wait` (but `false`) and `signal` are refused (TypeError
 *   `ERR_INVALID_ARG_VALUE`).
 * @returns the same {@link KillTreeResult} as killTree without `wait`.
 * @throws TypeError/RangeError for bad arguments before anything is sent; ProcessError `ESRCH`
 *   when neither the root nor any member of its group exists; ProcessError when the process
 *   list cannot be read.
 * @example
 * ```ts
 * process.on('exit', () => killTreeSync(server.pid!, 'SIGKILL'));
 * ```
 */
export function killTreeSync(pid: number, signal: SignalLike = 'SIGTERM', options?: Pick<KillTreeOptions, 'includeRoot' | 'group'>): KillTreeResult {
  const root = checkPid(pid);
  const sig = toSignal(signal);
  const o = checkOptions<KillTreeOptions>(options);
  for (const key of ['wait', 'signal'] as const) {
    if (o[key] !== undefined && o[key] !== false) throw argValueError(`options.${key}`, 'is not supported by killTreeSync, which never waits: use killTree', o[key], TypeError);
  }
  const includeRoot = checkBoolean(o.includeRoot, 'options.includeRoot') ?? true;
  const group = checkBoolean(o.group, 'options.group') ?? true;
  return resultOf(runKill(root, sig, includeRoot, group), null, []);
}
