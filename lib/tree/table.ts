/**
 * The one process table: a native snapshot as flat columns, indexed by pid, with parent → child
 * links under the start-time rule — and every walk over it ({@link descendants},
 * {@link processTree}, {@link processForest}, {@link subtreeRows}, {@link groupRows}). killTree,
 * terminate, the Job 'tree' backend and the CLI all link and walk through here.
 *
 * The process list is read natively — `/proc/<pid>/stat` on Linux, `sysctl(KERN_PROC_ALL)` on
 * macOS, a Toolhelp32 snapshot on Windows — and the tree is built here, in one pass over flat
 * columns. Nothing spawns `ps`, `pgrep`, `wmic`, `taskkill` or a shell.
 *
 * **The pid-reuse rule.** A process is linked to its parent only if it started no earlier than
 * that parent (start times compared at the platform's resolution: a clock tick on Linux,
 * microseconds on macOS, 100 ns on Windows). A recycled parent pid therefore never pulls an
 * unrelated older process into a tree — the flaw vscode-windows-process-tree has.
 *
 * @packageDocumentation
 */
import { failureError } from '../errors';
import { isFailure, native, type NativeFailure, type TreeColumns } from '../native';
import { assertProcListsAll } from '../procfs';
import { refuseThreadId } from '../kill';
import { checkPid } from '../validate';
import type { ProcessInfo, ProcessTreeNode } from './types';

const IS_LINUX = process.platform === 'linux';
const STATE_ZOMBIE = 0x5a; // 'Z'
const STATE_DEAD = 0x58; // 'X'

/** @internal A snapshot's columns plus a pid index and child lists (linked lists in arrays). */
export class ProcessTable {
  readonly cols: TreeColumns;
  readonly size: number;
  /** pid -> row */
  readonly index: Map<number, number>;
  /** head[row] = first child row, next[row] = next sibling row; -1 ends a list. */
  readonly head: Int32Array;
  readonly next: Int32Array;

  constructor(cols: TreeColumns) {
    this.cols = cols;
    const n = (this.size = cols.pid.length);
    const { pid, ppid, start, state } = cols;
    const index = (this.index = new Map<number, number>());
    for (let i = 0; i < n; i++) index.set(pid[i], i);
    const head = (this.head = new Int32Array(n).fill(-1));
    const next = (this.next = new Int32Array(n).fill(-1));
    // Iterate backwards so each child list ends up in snapshot (pid) order.
    for (let i = n - 1; i >= 0; i--) {
      const p = index.get(ppid[i]);
      // start[i] >= start[p] is false for NaN: an unknown start time never links — except to a
      // group member listed unread (state 0: groupTable, Linux only), whose children Linux names by their
      // current parent, so there is no stale link to guard against.
      if (p !== undefined && p !== i && (start[i] >= start[p] || state[p] === 0)) {
        next[i] = head[p];
        head[p] = i;
      }
    }
  }

  /** The row of `pid`, or -1. */
  row(pid: number): number {
    return this.index.get(pid) ?? -1;
  }
}

/**
 * The process group of each pid, by getpgid(2), in one native call: -1 where no process has that
 * pid (a zombie still has its group). No /proc read.
 * @internal For killTree and the Job 'tree' backend.
 */
export function pgidsOf(pids: readonly number[] | Int32Array): Int32Array {
  return native.treePgids(pids instanceof Int32Array ? pids : Int32Array.from(pids));
}

/**
 * @internal Reads a native snapshot of every process, throwing a ProcessError when the list
 * cannot be read.
 */
export function readTable(withNames: boolean): ProcessTable {
  // A process /proc does not list would read as gone: refuse when /proc hides any (hidepid) or
  // is not mounted, rather than return a list that looks complete.
  if (IS_LINUX) assertProcListsAll();
  return tableOf(native.treeSnapshot(withNames));
}

/** @internal Builds the table of native columns, throwing the failure as a ProcessError. */
export function tableOf(cols: TreeColumns | NativeFailure): ProcessTable {
  if (isFailure(cols)) throw failureError(cols);
  return new ProcessTable(cols);
}

/** @internal The row of table `t` as a {@link ProcessInfo}. */
export function infoOf(t: ProcessTable, i: number): ProcessInfo {
  const c = t.cols;
  return {
    pid: c.pid[i],
    ppid: c.ppid[i],
    pgid: c.pgid[i],
    sid: c.sid[i],
    startTime: c.startBaseMs + c.start[i] * c.startUnitMs,
    name: c.name ? c.name[i] : '',
    state: String.fromCharCode(c.state[i]),
  };
}

/** @internal Whether row `i` has exited (a zombie, or dead): it only waits to be reaped. */
export function isExited(t: ProcessTable, i: number): boolean {
  const s = t.cols.state[i];
  return s === STATE_ZOMBIE || s === STATE_DEAD;
}

/**
 * @internal Rows of `seeds` and of every descendant of theirs, breadth-first (parents before
 * their children), each once (a pathological cycle cannot loop). Seeds that are -1 are skipped.
 */
export function subtreeRows(t: ProcessTable, seeds: readonly number[]): number[] {
  const out: number[] = [];
  const seen = new Uint8Array(t.size);
  for (const s of seeds) {
    if (s < 0 || seen[s]) continue;
    seen[s] = 1;
    out.push(s);
  }
  for (let q = 0; q < out.length; q++) {
    for (let c = t.head[out[q]]; c !== -1; c = t.next[c]) {
      if (seen[c]) continue;
      seen[c] = 1;
      out.push(c);
    }
  }
  return out;
}

/** @internal Rows of every descendant of row `r` (not `r` itself), parents before their children. */
export function descendantRows(t: ProcessTable, r: number): number[] {
  return subtreeRows(t, [r]).slice(1);
}

/** @internal Rows of every member of process group `pgid`, in table (pid) order. */
export function groupRows(t: ProcessTable, pgid: number): number[] {
  const out: number[] = [];
  const pg = t.cols.pgid;
  for (let i = 0; i < t.size; i++) if (pg[i] === pgid) out.push(i);
  return out;
}

/**
 * @internal The child rows of row `r` in the order trees show them: oldest first, then by pid.
 * Rows already in `seen` are left out, and the returned ones are marked.
 */
export function childRows(t: ProcessTable, r: number, seen: Uint8Array): number[] {
  const kids: number[] = [];
  for (let c = t.head[r]; c !== -1; c = t.next[c]) if (!seen[c]) kids.push(c);
  const { start, pid } = t.cols;
  kids.sort((a, b) => start[a] - start[b] || pid[a] - pid[b]);
  // Marked before they are descended into, so a (pathological) cycle cannot recurse forever.
  for (const c of kids) seen[c] = 1;
  return kids;
}

/** The nested node of row `r` and everything under it (children by {@link childRows}). */
function nodeOf(t: ProcessTable, r: number, seen: Uint8Array): ProcessTreeNode {
  seen[r] = 1;
  return { ...infoOf(t, r), children: childRows(t, r, seen).map((c) => nodeOf(t, c, seen)) };
}

/**
 * Every process the caller can see, as a flat list ordered by pid: `{ pid, ppid, pgid, sid,
 * startTime, name, state }`.
 *
 * Linux reads `/proc/<pid>/stat` for each process (a process that exits during the read is left
 * out); macOS uses `sysctl(KERN_PROC_ALL)` (+ `getsid(2)`); Windows a Toolhelp32 snapshot plus
 * `GetProcessTimes` for the creation time (pgid and sid are 0 there). Never spawns `ps`.
 *
 * @throws ProcessError when the process list itself cannot be read (`syscall` `'opendir'`,
 *   `'sysctl'` or `'CreateToolhelp32Snapshot'`).
 * @example
 * ```ts
 * const nodes = snapshot().filter((p) => p.name === 'node');
 * ```
 */
export function snapshot(): ProcessInfo[] {
  const t = readTable(true);
  const out: ProcessInfo[] = new Array(t.size);
  for (let i = 0; i < t.size; i++) out[i] = infoOf(t, i);
  return out.sort((a, b) => a.pid - b.pid);
}

/**
 * The pids of every descendant of `pid` (children, grandchildren, ...), breadth-first: a parent
 * always comes before its children. The root itself is not included; an unknown pid gives `[]`.
 * Zombies are included (they are still the kernel's children).
 *
 * Linux reads the kernel's own child lists (`/proc/<pid>/task/<tid>/children`, so only the
 * tree's members are read) where the kernel has them (CONFIG_PROC_CHILDREN), and a full `/proc`
 * scan otherwise; macOS uses `proc_listchildpids(3)`; Windows a Toolhelp32 snapshot with
 * creation-time checks (Windows never reparents, so a child whose parent exited is still linked
 * to that parent's pid and still found). A child is linked only if it started after its parent.
 *
 * @throws TypeError/RangeError for a bad pid; ProcessError when the process list cannot be read;
 *   ProcessError `EINVAL` for a Linux thread id that is not a process id.
 * @example
 * ```ts
 * const child = spawn('sh', ['-c', 'sleep 100 & sleep 100']);
 * descendants(child.pid!); // [12346, 12347]
 * ```
 */
export function descendants(pid: number): number[] {
  const p = checkPid(pid);
  // A Linux thread id is no process: its task's children are only the ones that thread forked.
  refuseThreadId(p);
  const fast = native.treeChildren(p);
  if (fast === null) return scanDescendants(p);
  if (isFailure(fast)) throw failureError(fast, { pid: p });
  return Array.from(fast);
}

/**
 * @internal {@link descendants} through a full process-list snapshot, the path taken where the
 * kernel keeps no child lists (tested and benchmarked on its own).
 */
export function scanDescendants(pid: number): number[] {
  const p = checkPid(pid);
  const t = readTable(false);
  const r = t.row(p);
  if (r === -1) return [];
  const rows = descendantRows(t, r);
  const out: number[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = t.cols.pid[rows[i]];
  return out;
}

/**
 * The tree rooted at `pid` as nested nodes (`{ ...ProcessInfo, children }`, children oldest
 * first), or `null` when no such process is visible. Same sources and start-time rule as
 * {@link descendants}; one snapshot, so the tree is consistent with itself.
 *
 * @throws TypeError/RangeError for a bad pid; ProcessError when the process list cannot be read;
 *   ProcessError `EINVAL` for a Linux thread id that is not a process id.
 */
export function processTree(pid: number): ProcessTreeNode | null {
  const p = checkPid(pid);
  const t = readTable(true);
  const r = t.row(p);
  if (r === -1) {
    refuseThreadId(p);
    return null;
  }
  return nodeOf(t, r, new Uint8Array(t.size));
}

/**
 * @internal Every process the caller can see as a forest, from one snapshot: the roots are the
 * processes linked to no parent (by the start-time rule), by pid; children oldest first, as
 * {@link processTree} orders them. The CLI's whole-machine `procsig tree`.
 */
export function processForest(): ProcessTreeNode[] {
  const t = readTable(true);
  const linked = new Uint8Array(t.size);
  for (let r = 0; r < t.size; r++) for (let c = t.head[r]; c !== -1; c = t.next[c]) linked[c] = 1;
  const seen = new Uint8Array(t.size);
  const roots: number[] = [];
  for (let r = 0; r < t.size; r++) if (!linked[r]) roots.push(r);
  roots.sort((a, b) => t.cols.pid[a] - t.cols.pid[b]);
  return roots.map((r) => nodeOf(t, r, seen));
}
