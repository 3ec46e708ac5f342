/**
 * What every killTree strategy shares: the state of one call ({@link TreeKill}), the group it
 * takes as a whole, and its signalling — icommandlib's group kill ({@link groupKill}: killpg of
 * the group, "gone" is fine, then each member the group's signal does not cover), every signal
 * going through kill.ts' one "already gone" policy ({@link sendSignal}, or {@link sendEach} for
 * killTree's batches).
 *
 * @internal
 * @packageDocumentation
 */
import { sendEach, sendSignal } from '../kill';
import { displaySignal, SIG } from '../signals';
import { pgidsOf, type ProcessTable } from './table';
import type { KillTreeFailure } from './types';
import { addMembers, freshMembers, type Walk } from './walk';
import { settleStopped } from './wait';

const IS_WINDOWS = process.platform === 'win32';
const IS_LINUX = process.platform === 'linux';
/** Platforms with SIGSTOP/SIGCONT and process groups. */
const HAS_JOB_CONTROL = !IS_WINDOWS;

/**
 * One killTree call: its arguments, the walk, and what each phase did. The phases, in order:
 * scan, freeze (both the {@link KillStrategy}'s), deliver, resume and checkGroupReach — all
 * synchronous, run by `runKill` (phases.ts) — then the optional, asynchronous `waitPhase`.
 * @internal
 */
export interface TreeKill extends Walk {
  readonly t0: number;
  readonly sig: number;
  readonly shown: string | number;
  readonly includeRoot: boolean;
  /** Freeze-then-kill: POSIX and a real signal (signal 0 only probes). */
  readonly freeze: boolean;
  /**
   * Linux reads the list before freezing anything: a scan just after the group's SIGSTOP
   * competes for the CPU with every member as it stops. Only what appeared since is read after
   * the freeze. Elsewhere the group is frozen first and the whole list re-read until stable.
   */
  readonly readFirst: boolean;
  /** The root's group if it may be taken as a whole (0: none). Never 1: see {@link groupCandidate}. */
  readonly candidate: number;
  /** The group taken as a whole — frozen (or probed) by killpg — or 0. */
  pgrp: number;
  /** Every pid the last Linux read listed, for the next {@link readDelta}. */
  listed: Int32Array | undefined;
  scans: number;
  /** The members the last scan added (the unfrozen path signals them scan by scan). */
  added: number[];
  readonly failed: KillTreeFailure[];
  /** Members whose own kill(2) succeeded. */
  readonly ok: Set<number>;
  /** Members this call stopped one by one (group members were stopped by the group's killpg). */
  readonly stopped: Set<number>;
  /** Grouped members the group's signal could not reach (EPERM). */
  readonly denied: Set<number>;
  groupSignalled: boolean;
}

/**
 * @internal How a platform scans and freezes a tree (phases 1 and 2); delivery, resume and the
 * wait are common (phases.ts). Linux: `linux.ts` (read first, then freeze, then /proc deltas);
 * elsewhere `other.ts` (macOS: freeze the group first, re-read the whole list until stable;
 * Windows and signal 0: no freeze).
 */
export interface KillStrategy {
  /** Phase 1's read: the first table (after freezing the group, where that comes first). */
  firstScan(k: TreeKill): ProcessTable;
  /** Phase 2: stop every member and look again until nothing new appears. */
  freeze(k: TreeKill): void;
}

/**
 * The root's group, when it may be taken as a whole: the root leads it (or its leader has gone and
 * the group lives on under the root's id), it is not the caller's own group, and it is not group 1.
 * Returns 0 otherwise.
 */
function groupCandidate(root: number, self: number): number {
  // glibc's killpg(1, sig) is kill(-1, sig): every process the caller may signal. Group 1 (init's,
  // in a container the entrypoint's) is never frozen or signalled as a group; its members in the
  // tree are still signalled one by one.
  if (root === 1) return 0;
  // getpgid(2) of both in one call (-1: no such process), rather than two /proc reads.
  const [mine, roots] = pgidsOf([self, root]);
  // A leader that has exited (and been reaped) leaves its group behind while members remain;
  // the kernel never hands out a pid that is still in use as a group id, so a group with the
  // root's id is the root's group.
  return mine !== -1 && (roots === -1 || roots === root) && root !== mine ? root : 0;
}

/** @internal Sets up one call (arguments already validated). */
export function newTreeKill(root: number, sig: number, includeRoot: boolean, takeGroup: boolean): TreeKill {
  const t0 = performance.now();
  const self = process.pid;
  const freeze = HAS_JOB_CONTROL && sig !== 0;
  return {
    t0,
    root,
    self,
    sig,
    shown: displaySignal(sig),
    includeRoot,
    freeze,
    readFirst: freeze && IS_LINUX,
    candidate: HAS_JOB_CONTROL && takeGroup ? groupCandidate(root, self) : 0,
    pgrp: 0,
    group: 0,
    known: new Map(),
    order: [],
    starts: [],
    grouped: new Set(),
    listed: undefined,
    scans: 0,
    added: [],
    failed: [],
    ok: new Set(),
    stopped: new Set(),
    denied: new Set(),
    groupSignalled: false,
  };
}

/**
 * @internal killpg of the candidate group with SIGSTOP (or 0 when not freezing): the whole group
 * — orphans included — stops in one syscall, and no member can fork behind the walk's back (a
 * fork in progress hands the group's stop to the new child as well). Returns the group, or 0
 * when there is none (gone) or none of it may be signalled (EPERM: its members are then tried
 * one by one, which reports them).
 */
export function freezeGroup(k: TreeKill): number {
  return k.candidate !== 0 && sendSignal(k.candidate, k.freeze ? SIG.STOP : 0, true) === 'sent' ? k.candidate : 0;
}

/** @internal Whether `p` is never signalled: the caller, or the root when it is spared. */
export function spared(k: TreeKill, p: number): boolean {
  return p === k.self || (p === k.root && !k.includeRoot);
}

/** @internal Members not covered by the group's signal. */
export function loose(k: TreeKill, pids: readonly number[]): number[] {
  return pids.filter((p) => !k.grouped.has(p));
}

/**
 * @internal Grouped members now in another group (setsid/setpgid): no longer covered by the group's
 * killpg. They leave `grouped` and are returned.
 */
export function departed(k: TreeKill): number[] {
  if (k.pgrp === 0 || k.grouped.size === 0) return [];
  const pids = Int32Array.from(k.grouped);
  const pgids = pgidsOf(pids);
  const out: number[] = [];
  for (let i = 0; i < pids.length; i++) {
    if (pgids[i] !== k.pgrp && pgids[i] !== -1) {
      k.grouped.delete(pids[i]);
      out.push(pids[i]);
    }
  }
  return out;
}


/**
 * @internal Stops `pids` one by one, in order (top-down: a parent before its children, so it cannot add
 * more behind the walk), and waits until they have stopped: a process-directed stop does not
 * reach a child being forked, so a parent's child list is final only once it has stopped. A
 * member that cannot be stopped (EPERM) is not waited for: the signal will fail the same way and
 * report it. Returns whether any needed stopping.
 */
export function stopEach(k: TreeKill, pids: readonly number[]): boolean {
  const P = Int32Array.from(pids).filter((p) => p !== k.self && !k.stopped.has(p));
  if (P.length === 0) return false;
  const failed = sendEach(P, SIG.STOP);
  const halted: number[] = [];
  for (let i = 0; i < P.length; i++) {
    if (failed?.has(P[i])) continue;
    k.stopped.add(P[i]);
    halted.push(P[i]);
  }
  settleStopped(Int32Array.from(halted), Float64Array.from(halted, (p) => k.known.get(p) ?? NaN));
  return true;
}

/**
 * @internal Adds the members of `t` not seen before (one more scan) and returns them, top-down.
 */
export function addFresh(k: TreeKill, t: ProcessTable): number[] {
  k.scans++;
  return Array.from(addMembers(t, k, freshMembers(t, k)));
}

/** kill(2) of each of `pids` but the spared, recording successes and failures (never ESRCH). */
export function signalEach(k: TreeKill, pids: readonly number[]): void {
  const targets = Int32Array.from(pids).filter((p) => !spared(k, p));
  const outcome = sendEach(targets, k.sig, k.shown);
  for (let i = 0; i < targets.length; i++) {
    const o = outcome?.get(targets[i]);
    if (o === undefined) k.ok.add(targets[i]);
    // 'gone': it exited during the walk — expected, and exactly what a kill wants.
    else if (o !== 'gone') k.failed.push({ pid: targets[i], group: false, error: o });
  }
}

/** killpg of the group with the signal; a failure other than "gone" goes to `failed`. */
export function signalGroup(k: TreeKill): void {
  const o = sendSignal(k.pgrp, k.sig, true);
  if (o !== 'sent' && o !== 'gone') k.failed.push({ pid: k.pgrp, group: true, error: o });
  k.groupSignalled = o === 'sent';
}

/**
 * @internal icommandlib's group kill (seed 004), for a frozen tree: the signal to the root's
 * process group in one killpg(2) — a group already gone is fine — and then, by pid, to every
 * member the group's signal does not cover: members outside the group, members that left it
 * while the walk ran, or all of them when no group was taken (it could not be frozen: EPERM, or
 * it is the caller's or group 1). `checkGroupReach` completes it after the resume.
 */
export function groupKill(k: TreeKill, members: readonly number[]): void {
  const viaGroup = k.pgrp !== 0 && k.includeRoot;
  if (viaGroup) signalGroup(k);
  // A member whose setsid(2) was in flight as the group froze is frozen but missed the group's
  // signal. (A member the group's SIGKILL has already killed and its parent reaped reports -1;
  // pids are handed out in a cycle, so its pid is not anyone else's yet.)
  if (viaGroup) for (const p of departed(k)) k.stopped.add(p);
  signalEach(k, viaGroup ? loose(k, members) : members);
}

/**
 * @internal killpg succeeds when it reached at least one member, so a member it could not signal (another
 * uid: EPERM) goes unreported by it. kill(pid, 0) asks the same permission question of each
 * grouped member; those refused go to `failed` (syscall 'kill') and are not counted as signalled.
 */
export function checkGroupReach(k: TreeKill): void {
  const pids = Int32Array.from(k.grouped).filter((p) => p !== k.self);
  if (pids.length === 0) return;
  // Named after the signal the group was sent, not the probe.
  for (const [pid, o] of sendEach(pids, 0, k.shown) ?? []) {
    if (o === 'gone') continue;
    k.denied.add(pid);
    k.failed.push({ pid, group: false, error: o });
  }
}

