/**
 * Process trees without `ps`: {@link snapshot}, {@link descendants}, {@link processTree} and the
 * freeze-then-kill {@link killTree} — what `./tree` resolves to. The parts:
 *
 * - `table.ts`: the one process table — snapshots, the start-time linking rule, and every walk
 *   (descendants, trees, the whole-machine forest, group members).
 * - `walk.ts`: which rows are members of a tree being killed.
 * - `common.ts`: one kill's state and its signalling (icommandlib's group kill, `groupKill`).
 * - `linux.ts`, `other.ts`: the scan-and-freeze strategies (Linux; macOS, Windows and signal 0).
 * - `phases.ts`: the phases and their driver (`runKill`); `wait.ts`: the waits.
 * - `kill-tree.ts`: `killTree` and `killTreeSync`.
 *
 * @packageDocumentation
 */
export type { ProcessInfo, ProcessTreeNode, KillTreeFailure, KillTreeResult, KillTreeOptions } from './types';
export { descendantRows, groupRows, isExited, pgidsOf, processForest, processTree, ProcessTable, readTable, scanDescendants, snapshot, descendants, subtreeRows } from './table';
export { killTree, killTreeSync } from './kill-tree';
export { runKill, waitPhase } from './phases';
export { waitGone } from './wait';
export type { TreeKill } from './common';
