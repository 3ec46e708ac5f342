/**
 * killTree's walk: which rows of a table are members of the tree being killed, found top-down
 * from the root, the root's group and every member already known, under the table's start-time
 * links (and, on Windows, stale links to members that exited).
 *
 * @internal
 * @packageDocumentation
 */
import type { ProcessTable } from './table';

const IS_WINDOWS = process.platform === 'win32';

/** @internal The members found so far, and what the walk needs to find more. */
export interface Walk {
  readonly root: number;
  readonly self: number;
  /**
   * The group whose members the scans list (unread, on Linux) and track in `grouped`: the
   * root's, when it is taken as a whole (0: none). Dropped when it cannot be frozen.
   */
  group: number;
  /** Every member ever found: pid -> raw start time (dead ones stay, for Windows' stale links). */
  readonly known: Map<number, number>;
  /** Members in discovery order: top-down. */
  readonly order: number[];
  readonly starts: number[];
  /** Members that were in the group when found: the group's killpg covers them. */
  readonly grouped: Set<number>;
}

/**
 * The members of `t` not yet in `w.known`, top-down. Seeds: the root, the group's members, and
 * every known member still present (a member whose parent died was reparented, but its own
 * new children must still be found). A row whose parent pid is a known member that has exited
 * is a seed too (Windows keeps such stale links), provided it started after that member and is
 * not the child of a newer process that reused the pid.
 * @internal
 */
export function freshMembers(t: ProcessTable, w: Walk): number[] {
  const { pid, ppid, pgid, start } = t.cols;
  const n = t.size;
  const seen = new Uint8Array(n);
  const queue: number[] = [];
  const fresh: number[] = [];
  const visit = (i: number): void => {
    if (seen[i]) return;
    seen[i] = 1;
    const p = pid[i];
    // The caller is never a member, and the walk does not descend through it — unless it is the
    // root itself (then its descendants are the tree, and it is skipped when signalling).
    if (p === w.self && p !== w.root) return;
    queue.push(i);
    const s = w.known.get(p);
    if (s === undefined || (s !== start[i] && !(Number.isNaN(s) && Number.isNaN(start[i])))) fresh.push(i);
  };
  const r = t.row(w.root);
  if (r !== -1) {
    const s = w.known.get(w.root);
    // The root recycled since the first scan is not the root any more.
    if (s === undefined || s === start[r] || Number.isNaN(s)) visit(r);
  }
  for (let i = 0; i < n; i++) {
    const p = pid[i];
    if (w.group !== 0 && pgid[i] === w.group) {
      visit(i);
      continue;
    }
    const s = w.known.get(p);
    if (s !== undefined && s === start[i]) {
      visit(i);
      continue;
    }
    // A stale parent link to an exited member (Windows): the parent pid is no longer (or no
    // longer the same) process, the child started after the member did, and before any newer
    // holder of that pid.
    // (A member known without its start time is a group member listed unread, Linux only: no
    // stale links there.)
    const ps = w.known.get(ppid[i]);
    if (ps !== undefined && (start[i] >= ps || (Number.isNaN(ps) && !IS_WINDOWS))) {
      const pr = t.row(ppid[i]);
      if (pr === -1 || (start[pr] !== ps && start[i] < start[pr])) visit(i);
    }
  }
  for (let q = 0; q < queue.length; q++) {
    for (let c = t.head[queue[q]]; c !== -1; c = t.next[c]) visit(c);
  }
  return fresh;
}

/** @internal Records `rows` of `t` as members (in discovery order) and returns their pids. */
export function addMembers(t: ProcessTable, w: Walk, rows: number[]): Int32Array {
  const pids = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    const p = t.cols.pid[i];
    pids[k] = p;
    if (!w.known.has(p)) {
      w.order.push(p);
      w.starts.push(t.cols.start[i]);
    } else {
      // A recycled pid that joined the tree afresh: keep it once, with its new start time.
      const at = w.order.indexOf(p);
      w.starts[at] = t.cols.start[i];
    }
    w.known.set(p, t.cols.start[i]);
    if (w.group !== 0 && t.cols.pgid[i] === w.group) w.grouped.add(p);
    else w.grouped.delete(p);
  }
  return pids;
}
