/**
 * killTree's strategy where the Linux one does not apply: macOS (freeze the group first, then
 * re-read the whole list until nothing new appears), Windows (no SIGSTOP: nothing is frozen;
 * members are signalled scan by scan in the deliver phase) and signal 0 on every platform (it
 * only probes: nothing is frozen).
 *
 * @internal
 * @packageDocumentation
 */
import { addFresh, freezeGroup, loose, stopEach, type KillStrategy, type TreeKill } from './common';
import { readTable, type ProcessTable } from './table';

/** @internal The strategy of macOS, Windows, and signal 0. */
export const otherStrategy: KillStrategy = {
  firstScan(k: TreeKill): ProcessTable {
    // The group stops (or, unfrozen, is probed) before the read: nothing in it can fork behind
    // the walk, and its members need no stopping one by one.
    k.pgrp = freezeGroup(k);
    k.group = k.freeze ? k.pgrp : 0;
    return readTable(false);
  },

  /**
   * Every member outside the frozen group, top-down, gets SIGSTOP; then the whole list is read
   * again (needed only when something was stopped, since the group froze before the first
   * scan) until nothing new appears.
   */
  freeze(k: TreeKill): void {
    let pending = loose(k, k.added);
    while (stopEach(k, pending)) pending = loose(k, addFresh(k, readTable(false)));
  },
};
