/**
 * killTree's phases and their driver: scan and freeze (the platform's {@link KillStrategy}),
 * deliver ({@link groupKill} for a frozen tree), resume, and the optional wait — {@link runKill}
 * runs the synchronous ones, in order.
 *
 * @internal
 * @packageDocumentation
 */
import { errnoOf, ProcessError } from '../errors';
import { refuseThreadId, sendEach, sendSignal } from '../kill';
import { signalInfo, SIG } from '../signals';
import { addFresh, checkGroupReach, groupKill, loose, newTreeKill, signalEach, signalGroup, spared, type KillStrategy, type TreeKill } from './common';
import { linuxStrategy } from './linux';
import { otherStrategy } from './other';
import { readTable } from './table';
import type { KillTreeResult } from './types';
import { waitGone } from './wait';
import { addMembers, freshMembers } from './walk';


/** Linux's strategy when it reads before freezing (a real signal); the other one otherwise. */
function strategyOf(k: TreeKill): KillStrategy {
  return k.readFirst ? linuxStrategy : otherStrategy;
}

/**
 * Phase 1, scan: the first read of the list, and the members in it. Linux reads before freezing
 * (the group's members only listed, via getpgid); elsewhere the group is frozen first.
 * @throws ProcessError ESRCH when neither the root nor any member of its group exists.
 */
function scanPhase(k: TreeKill, strategy: KillStrategy): void {
  const t = strategy.firstScan(k);
  k.scans = 1;
  const first = freshMembers(t, k);
  if (first.length === 0) {
    // A Linux thread id is not listed in /proc: say so rather than "no such process".
    refuseThreadId(k.root);
    throw new ProcessError(errnoOf('ESRCH'), 'kill', { pid: k.root, signal: k.shown });
  }
  k.added = Array.from(addMembers(t, k, first));
}

/**
 * Phase 3, deliver. Frozen: {@link groupKill} — the group first, in one syscall (it wakes every
 * member at once; signalling each frozen member by pid first would hand the CPU to each in turn),
 * then everything else by pid. Not frozen (signal 0, Windows): members by pid as each scan finds
 * them (Windows re-scans for children started before their parent died), then the group.
 */
function deliverPhase(k: TreeKill): void {
  if (k.freeze) return groupKill(k, k.order);
  const viaGroup = k.pgrp !== 0 && k.includeRoot;
  for (;;) {
    signalEach(k, viaGroup ? loose(k, k.added) : k.added);
    if (k.sig === 0) break;
    const fresh = addFresh(k, readTable(false));
    if (fresh.length === 0) break;
    k.added = fresh;
  }
  if (viaGroup) signalGroup(k);
}

/**
 * Phase 4, resume: SIGCONT to what this call froze, unless the signal was SIGKILL (nothing left to
 * resume — except a spared root, frozen with the rest) or a stop signal (SIGCONT would discard
 * it). Only what this call stopped is resumed: a member it could not stop (EPERM) may have been
 * stopped by someone else, and the kernel lets SIGCONT through across uids in a session.
 */
function resumePhase(k: TreeKill): void {
  const resumeAll = k.sig !== SIG.KILL && signalInfo(k.sig).action !== 'stop';
  const inGroup = (p: number): boolean => k.pgrp !== 0 && k.grouped.has(p);
  const resume = k.order.filter((p) => p !== k.self && (k.stopped.has(p) || inGroup(p)) && (resumeAll ? !inGroup(p) : spared(k, p)));
  // Nothing to report: a member gone or not ours to resume is as the signal left it.
  sendEach(Int32Array.from(resume), SIG.CONT);
  if (k.pgrp !== 0 && resumeAll) sendSignal(k.pgrp, SIG.CONT, true);
}

/**
 * @internal Everything killTree does before its wait, synchronously: scan, freeze, deliver,
 * resume. Nothing in it yields to the event loop, so a caller that exits right after calling
 * (process.exit(), a signal or 'exit' handler) never leaves the tree stopped. Arguments must be
 * validated. Throws ESRCH (nothing to kill) or a list-reading ProcessError.
 */
export function runKill(root: number, sig: number, includeRoot: boolean, takeGroup: boolean): TreeKill {
  const k = newTreeKill(root, sig, includeRoot, takeGroup);
  const strategy = strategyOf(k);
  try {
    scanPhase(k, strategy);
    if (k.freeze) strategy.freeze(k);
  } catch (err) {
    // Nothing to kill after all (the group emptied), or a list that cannot be read mid-freeze:
    // resume what was stopped before reporting it.
    if (k.freeze) resumeFrozen(k);
    throw err;
  }
  deliverPhase(k);
  if (k.freeze) resumePhase(k);
  // After the resume, so that it does not delay the SIGCONT (~0.1 ms for 200 members).
  if (k.groupSignalled) checkGroupReach(k);
  return k;
}

/** SIGCONT to everything frozen so far (the freeze is abandoned). */
function resumeFrozen(k: TreeKill): void {
  sendEach(Int32Array.from(k.stopped).filter((p) => p !== k.self), SIG.CONT);
  if (k.pgrp !== 0) sendSignal(k.pgrp, SIG.CONT, true);
}

/**
 * @internal Phase 5, wait: until every member that was to be signalled is dead (zombies count),
 * for at most `timeout` ms (Infinity: no limit). Resolves with the survivors.
 */
export function waitPhase(k: TreeKill, timeout: number, abort?: AbortSignal): Promise<number[]> {
  const pids: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < k.order.length; i++) {
    if (spared(k, k.order[i])) continue;
    pids.push(k.order[i]);
    starts.push(k.starts[i]);
  }
  return waitGone(pids, starts, timeout, abort);
}

/** @internal What a call did, as killTree reports it. */
export function resultOf(k: TreeKill, dead: boolean | null, survivors: number[]): KillTreeResult {
  return {
    pid: k.root,
    signal: k.shown,
    signalled: k.order.filter((p) => k.ok.has(p) || (k.groupSignalled && k.grouped.has(p) && !k.denied.has(p))),
    group: k.groupSignalled ? k.pgrp : null,
    failed: k.failed,
    scans: k.scans,
    dead,
    survivors,
    elapsedMs: performance.now() - k.t0,
  };
}

