/**
 * Process trees without `ps`: {@link snapshot}, {@link descendants}, {@link processTree} and the
 * freeze-then-kill {@link killTree}.
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
import { argTypeError, argValueError, errnoNumber, failureError, processError, ProcessError } from './errors';
import { failureAt, isFailure, native, type NativeBatchFailure, type NativeFailure, type TreeColumns } from './native';
import { assertProcListsAll } from './procfs';
import { displaySignal, signalInfo, SIG, toSignal, type SignalLike } from './signals';
import { refuseThreadId } from './kill';
import { checkAbortSignal, checkBoolean, checkOptions, checkPid, checkTimeout } from './validate';

const ESRCH = errnoNumber('ESRCH') ?? 3;
const IS_WINDOWS = process.platform === 'win32';
const IS_LINUX = process.platform === 'linux';
/** Platforms with SIGSTOP/SIGCONT and process groups. */
const HAS_JOB_CONTROL = !IS_WINDOWS;
const STATE_ZOMBIE = 0x5a; // 'Z'
const STATE_DEAD = 0x58; // 'X'


/** One process of a {@link snapshot}. */
export interface ProcessInfo {
  /** Process id. */
  readonly pid: number;
  /** Parent process id as the OS reports it (on Windows it may name a parent that has exited). */
  readonly ppid: number;
  /** Process group id (0 on Windows, which has none). */
  readonly pgid: number;
  /** Session id (0 on Windows). */
  readonly sid: number;
  /**
   * When the process started, in milliseconds since the Unix epoch; `NaN` when unknown (Windows
   * processes the caller may not open). Linux: boot time + `/proc/<pid>/stat` field 22, so the
   * resolution is one clock tick (10 ms) and boot-time drift applies. macOS: µs. Windows: 100 ns.
   */
  readonly startTime: number;
  /** The short command name (`comm` on Linux/macOS, the image name on Windows). */
  readonly name: string;
  /**
   * A one-letter state as `/proc` spells it: `'R'`, `'S'`, `'D'`, `'T'` (stopped), `'Z'`
   * (zombie), ... Windows reports `'R'` for every listed process.
   */
  readonly state: string;
}

/** A node of {@link processTree}: a process and the processes it started, oldest first. */
export interface ProcessTreeNode extends ProcessInfo {
  readonly children: ProcessTreeNode[];
}

/** One member the kill could not signal, and why. */
export interface KillTreeFailure {
  /** The pid, or the process group id for a failed `killpg` (then `group` is true). */
  readonly pid: number;
  /** True when this is the `killpg` of the root's group. */
  readonly group: boolean;
  /** The OS error (`EPERM`, ...). ESRCH never appears: a member that exits mid-walk is expected. */
  readonly error: ProcessError;
}

/** What {@link killTree} did. */
export interface KillTreeResult {
  /** The root pid asked for. */
  readonly pid: number;
  /** The signal delivered (its name, or its number when it has none). */
  readonly signal: string | number;
  /** Every member that received the signal, top-down (parents before their children). */
  readonly signalled: number[];
  /** The root's process group, when it was also signalled with killpg(2); otherwise null. */
  readonly group: number | null;
  /** Members (or the group) that could not be signalled for a reason other than being gone. */
  readonly failed: KillTreeFailure[];
  /**
   * How many times the walk read the process list: whole snapshots, and on Linux the re-reads
   * of only the processes that appeared since. Linux: 2 when nothing forked during the kill
   * (the scan, then the look after the freeze); elsewhere 1 when every member is in the root's
   * group (frozen before the scan), 2 when members outside it had to be stopped.
   */
  readonly scans: number;
  /**
   * Whether every member was seen dead (zombies count): `true` when the wait ended with all of
   * them gone, `false` when a numeric `wait` ran out first, `null` when not waiting.
   */
  readonly dead: boolean | null;
  /** The members still alive when a numeric `wait` ran out (empty otherwise). */
  readonly survivors: number[];
  /** Milliseconds from the call until it resolved. */
  readonly elapsedMs: number;
}

/** Options of {@link killTree}. */
export interface KillTreeOptions {
  /**
   * Resolve only once every member is dead (zombies count as dead): `true` waits without limit,
   * a number waits at most that many milliseconds and then resolves with `dead: false` and the
   * `survivors`. Default `false`: resolve as soon as the signal is delivered — a member that
   * catches or ignores the signal would otherwise keep the promise pending forever.
   */
  wait?: boolean | number;
  /** Signal the root itself too (default `true`). With `false` only its descendants are signalled. */
  includeRoot?: boolean;
  /**
   * Also take the root's process group when the root leads one (pgid == pid) and it is not the
   * caller's own group (default `true`; POSIX only).
   */
  group?: boolean;
  /** Aborts the wait (the promise rejects with the signal's reason); checked before anything is sent. */
  signal?: AbortSignal;
}

// ---------------------------------------------------------------------------------------------
// The table: one snapshot, indexed, with parent -> children links under the start-time rule.

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

/** One of killTree's scans: the table, and (Linux) every pid /proc listed, for {@link readDelta}. */
interface Scan {
  table: ProcessTable;
  listed: Int32Array | undefined;
}

/**
 * killTree's first scan. Linux, with a `group` (> 0) taken whole: only what can matter is read
 * ({@link groupTable}); elsewhere every process.
 */
function readScan(group: number): Scan {
  if (!IS_LINUX) return { table: readTable(false), listed: undefined };
  assertProcListsAll();
  const listed = listProc();
  return { table: group > 0 ? groupTable(listed, group) : tableOf(native.treeRead(listed)), listed };
}

/** The processes /proc lists now but `before` did not (Linux), as a table of only those. */
function readDelta(before: Int32Array): Scan {
  const listed = listProc();
  const added: number[] = [];
  // Both ascending: one merge pass.
  for (let i = 0, j = 0; i < listed.length; i++) {
    while (j < before.length && before[j] < listed[i]) j++;
    if (j === before.length || before[j] !== listed[i]) added.push(listed[i]);
  }
  return { table: tableOf(native.treeRead(Int32Array.from(added))), listed };
}

function listProc(): Int32Array {
  const l = native.treeList();
  if (isFailure(l)) throw failureError(l);
  return l;
}

/**
 * The table of killTree's first Linux scan when the root leads `group`, reading only what can
 * matter (the policy that decides it lives here; native only lists, asks getpgid/getsid and reads
 * the rows it is given):
 * - A member of the group is listed, not read: getpgid(2) (well under a microsecond, no /proc
 *   entry built) says it is one, and killTree signals the group as a whole. Its row is
 *   `{ pid, pgid: group }` with ppid 0, sid 0, start NaN and state 0 ("listed unread", which
 *   {@link ProcessTable} links children to).
 * - Any other process can matter only as a descendant of a member. A descendant is in its
 *   parent's session unless it called setsid(2), so it is in the group's session, or leads a
 *   session, or is in a session led by such a descendant. getsid(2) sorts the rest out unread:
 *   on a busy host most processes sit in sessions that are none of these.
 */
function groupTable(listed: Int32Array, group: number): ProcessTable {
  const pg = native.treePgids(listed);
  const members: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < listed.length; i++) (pg[i] === group ? members : others).push(listed[i]);
  const other = Int32Array.from(others);
  const sids = native.treeSids(other);
  // The group's session: the leader's, or (the leader gone) any member's.
  let groupSid = native.treeSids(Int32Array.of(group))[0];
  if (groupSid < 0 && members.length > 0) groupSid = native.treeSids(Int32Array.of(members[0]))[0];
  let toRead: number[] = [];
  let unread: number[] = []; // indices into `other` of processes set aside
  for (let i = 0; i < other.length; i++) {
    if (sids[i] < 0) continue; // gone
    if (sids[i] === other[i]) toRead.push(other[i]);
    else unread.push(i);
  }
  const linked = new Set(members); // the group, then rows whose parent is linked
  const sessions = new Set<number>(); // sessions whose every process is read
  const parts: TreeColumns[] = [];
  for (;;) {
    // Read the set-aside processes of the newly relevant sessions (the group's, at first).
    if (sessions.size === 0 && groupSid >= 0) sessions.add(groupSid);
    const rest: number[] = [];
    for (const i of unread) {
      if (sessions.has(sids[i])) toRead.push(other[i]);
      else rest.push(i);
    }
    unread = rest;
    toRead.sort((x, y) => x - y);
    const cols = native.treeRead(Int32Array.from(toRead));
    if (isFailure(cols)) throw failureError(cols);
    parts.push(cols);
    toRead = [];
    // Which rows descend from the group (by parent pid alone: a superset, which is safe — it only
    // means reading more), and which of those lead a session not yet read.
    for (let grew = true; grew; ) {
      grew = false;
      for (const c of parts) {
        for (let r = 0; r < c.pid.length; r++) {
          if (!linked.has(c.pid[r]) && linked.has(c.ppid[r])) {
            linked.add(c.pid[r]);
            grew = true;
          }
        }
      }
    }
    let more = false;
    for (const c of parts) {
      for (let r = 0; r < c.pid.length; r++) {
        const p = c.pid[r];
        if (c.sid[r] === p && linked.has(p) && !sessions.has(p)) {
          sessions.add(p);
          more = true;
        }
      }
    }
    if (!more || unread.length === 0) break;
  }
  return new ProcessTable(withUnreadMembers(members, group, parts));
}

/** The columns of `members` (listed unread: see {@link groupTable}) followed by `parts`' rows. */
function withUnreadMembers(members: number[], group: number, parts: TreeColumns[]): TreeColumns {
  const n = members.length + parts.reduce((sum, c) => sum + c.pid.length, 0);
  const out: TreeColumns = {
    pid: new Int32Array(n),
    ppid: new Int32Array(n),
    pgid: new Int32Array(n),
    sid: new Int32Array(n),
    start: new Float64Array(n),
    state: new Uint8Array(n),
    startUnitMs: parts[0].startUnitMs,
    startBaseMs: parts[0].startBaseMs,
  };
  out.pid.set(members);
  out.pgid.fill(group, 0, members.length);
  out.start.fill(NaN, 0, members.length);
  let at = members.length;
  for (const c of parts) {
    out.pid.set(c.pid, at);
    out.ppid.set(c.ppid, at);
    out.pgid.set(c.pgid, at);
    out.sid.set(c.sid, at);
    out.start.set(c.start, at);
    out.state.set(c.state, at);
    at += c.pid.length;
  }
  return out;
}

function tableOf(cols: TreeColumns | NativeFailure): ProcessTable {
  if (isFailure(cols)) throw failureError(cols);
  return new ProcessTable(cols);
}

function infoOf(t: ProcessTable, i: number): ProcessInfo {
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

/** Rows of every descendant of row `r`, breadth-first (parents before their children). */
function descendantRows(t: ProcessTable, r: number): number[] {
  const out: number[] = [];
  const seen = new Uint8Array(t.size);
  seen[r] = 1;
  let frontier = [r];
  while (frontier.length > 0) {
    const nextFrontier: number[] = [];
    for (const p of frontier) {
      for (let c = t.head[p]; c !== -1; c = t.next[c]) {
        if (seen[c]) continue;
        seen[c] = 1;
        out.push(c);
        nextFrontier.push(c);
      }
    }
    frontier = nextFrontier;
  }
  return out;
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
  const seen = new Uint8Array(t.size);
  const build = (i: number): ProcessTreeNode => {
    seen[i] = 1;
    const kids: number[] = [];
    for (let c = t.head[i]; c !== -1; c = t.next[c]) if (!seen[c]) kids.push(c);
    kids.sort((a, b) => t.cols.start[a] - t.cols.start[b] || t.cols.pid[a] - t.cols.pid[b]);
    // Mark first so a (pathological) cycle cannot recurse forever.
    for (const c of kids) seen[c] = 1;
    return { ...infoOf(t, i), children: kids.map(build) };
  };
  return build(r);
}

// ---------------------------------------------------------------------------------------------
// killTree

interface Walk {
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
 */
function freshMembers(t: ProcessTable, w: Walk): number[] {
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

function addMembers(t: ProcessTable, w: Walk, rows: number[]): Int32Array {
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
 * Waits, blocking, until every (pid, raw start) has actually stopped, or died. kill(2) only
 * queues SIGSTOP: a parent in the middle of fork(2) finishes it first, and its child list is final
 * only once it is stopped. Usually immediate; a process in uninterruptible sleep ('D') cannot stop
 * until it leaves it, so this gives up after {@link SETTLE_LIMIT_MS} and lets the next scan do its
 * best. (Members of a frozen group need none of this: the kernel hands a group-wide signal that
 * lands during a fork to the new child as well.)
 *
 * Synchronous on purpose: killTree's freeze → signal → resume runs within one call, so no caller
 * can exit (process.exit(), a signal handler, an 'exit' handler) with the tree left stopped.
 */
function settleStopped(pids: Int32Array, starts: Float64Array): void {
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
 * One killTree call: its arguments, the walk, and what each phase did. The phases, in order:
 * {@link scanPhase}, {@link freezePhase}, {@link deliverPhase}, {@link resumePhase} and
 * {@link checkGroupReach} — all synchronous, run by {@link runKill} — then the optional,
 * asynchronous {@link waitPhase}.
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

/** Sets up one call (arguments already validated). */
function newTreeKill(root: number, sig: number, includeRoot: boolean, takeGroup: boolean): TreeKill {
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
 * killpg of the candidate group with SIGSTOP (or 0 when not freezing): the whole group — orphans
 * included — stops in one syscall, and no member can fork behind the walk's back (a fork in
 * progress hands the group's stop to the new child as well). Returns the group, or 0 when there
 * is none (ESRCH) or none of it may be signalled (EPERM: its members are then tried one by one,
 * which reports them).
 */
function freezeGroup(k: TreeKill): number {
  return k.candidate !== 0 && native.killpg(k.candidate, k.freeze ? SIG.STOP : 0) === undefined ? k.candidate : 0;
}

/** killMany's failures by pid (each with its own errno and Win32 code); undefined when none failed. */
function failuresByPid(failures: NativeBatchFailure | undefined): Map<number, NativeFailure> | undefined {
  if (failures === undefined) return undefined;
  const m = new Map<number, NativeFailure>();
  for (let i = 0; i < failures.pid.length; i++) m.set(failures.pid[i], failureAt(failures, i));
  return m;
}

/** Whether `p` is never signalled: the caller, or the root when it is spared. */
function spared(k: TreeKill, p: number): boolean {
  return p === k.self || (p === k.root && !k.includeRoot);
}

/** Members not covered by the group's signal. */
function loose(k: TreeKill, pids: readonly number[]): number[] {
  return pids.filter((p) => !k.grouped.has(p));
}

/**
 * Grouped members now in another group (setsid/setpgid): no longer covered by the group's
 * killpg. They leave `grouped` and are returned.
 */
function departed(k: TreeKill): number[] {
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
 * Phase 1, scan: the first read of the list, and the members in it. Linux reads before freezing
 * (the group's members only listed, via getpgid); elsewhere the group is frozen first.
 * @throws ProcessError ESRCH when neither the root nor any member of its group exists.
 */
function scanPhase(k: TreeKill): void {
  if (!k.readFirst) k.pgrp = freezeGroup(k);
  // The group's members are only listed (Linux: getpgid, no /proc read): the signal reaches them
  // through the group.
  k.group = k.readFirst ? k.candidate : k.freeze ? k.pgrp : 0;
  const { table: t, listed } = readScan(k.group);
  k.listed = listed;
  k.scans = 1;
  const first = freshMembers(t, k);
  if (first.length === 0) {
    // A Linux thread id is not listed in /proc: say so rather than "no such process".
    refuseThreadId(k.root);
    throw new ProcessError(ESRCH, 'kill', { pid: k.root, signal: k.shown });
  }
  k.added = Array.from(addMembers(t, k, first));
}

/**
 * Stops `pids` one by one, in order (top-down: a parent before its children, so it cannot add
 * more behind the walk), and waits until they have stopped: a process-directed stop does not
 * reach a child being forked, so a parent's child list is final only once it has stopped. A
 * member that cannot be stopped (EPERM) is not waited for: the signal will fail the same way and
 * report it. Returns whether any needed stopping.
 */
function stopEach(k: TreeKill, pids: readonly number[]): boolean {
  const P = Int32Array.from(pids).filter((p) => p !== k.self && !k.stopped.has(p));
  if (P.length === 0) return false;
  const failed = failuresByPid(native.killMany(P, SIG.STOP));
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
 * Phase 2, freeze (POSIX): the group (Linux: now, after the scan) and then every member outside
 * it, top-down, get SIGSTOP; then the walk looks for what appeared meanwhile (Linux: every process
 * /proc lists that no earlier read did — children forked before their parent froze, including
 * during the first scan; elsewhere the whole list, needed only when something was stopped, since
 * the group froze before the first scan), until nothing new appears.
 */
function freezePhase(k: TreeKill): void {
  let pending: number[];
  if (k.readFirst) {
    k.pgrp = freezeGroup(k);
    if (k.pgrp === 0) {
      k.group = 0;
      k.grouped.clear();
    }
    // Members that left the group between the scan and the freeze are running: stop them too.
    pending = loose(k, k.added).concat(departed(k));
  } else {
    pending = loose(k, k.added);
  }
  for (;;) {
    const stoppedSome = stopEach(k, pending);
    if (!k.readFirst && !stoppedSome) return;
    const scan = k.readFirst && k.listed !== undefined ? readDelta(k.listed) : readScan(k.pgrp);
    const nt = scan.table;
    k.listed = scan.listed;
    k.scans++;
    const fresh = Array.from(addMembers(nt, k, freshMembers(nt, k)));
    pending = loose(k, fresh);
    if (k.readFirst && fresh.length === 0) return;
  }
}

/** kill(2) of each of `pids` but the spared, recording successes and failures (never ESRCH). */
function signalEach(k: TreeKill, pids: readonly number[]): void {
  const targets = Int32Array.from(pids).filter((p) => !spared(k, p));
  if (targets.length === 0) return;
  const failed = failuresByPid(native.killMany(targets, k.sig));
  for (let i = 0; i < targets.length; i++) {
    const f = failed?.get(targets[i]);
    if (f === undefined) k.ok.add(targets[i]);
    // ESRCH: it exited during the walk — expected, and exactly what a kill wants. Each failure
    // carries its own errno and Win32 code.
    else if (f.errno !== ESRCH) k.failed.push({ pid: targets[i], group: false, error: processError(f, { pid: targets[i], signal: k.shown }) });
  }
}

/** killpg of the group with the signal; a failure other than ESRCH goes to `failed`. */
function signalGroup(k: TreeKill): void {
  const f = native.killpg(k.pgrp, k.sig);
  if (f !== undefined && f.errno !== ESRCH) k.failed.push({ pid: k.pgrp, group: true, error: processError(f, { pid: k.pgrp, signal: k.shown }) });
  k.groupSignalled = f === undefined;
}

/**
 * killpg succeeds when it reached at least one member, so a member it could not signal (another
 * uid: EPERM) goes unreported by it. kill(pid, 0) asks the same permission question of each
 * grouped member; those refused go to `failed` (syscall 'kill') and are not counted as signalled.
 */
function checkGroupReach(k: TreeKill): void {
  const pids = Int32Array.from(k.grouped).filter((p) => p !== k.self);
  if (pids.length === 0) return;
  for (const [pid, f] of failuresByPid(native.killMany(pids, 0)) ?? []) {
    if (f.errno === ESRCH) continue;
    k.denied.add(pid);
    k.failed.push({ pid, group: false, error: processError(f, { signal: k.shown }) });
  }
}

/**
 * Phase 3, deliver. Frozen: the group first, in one syscall (it wakes every member at once;
 * signalling each frozen member by pid first would hand the CPU to each in turn), then everything
 * else by pid. Not frozen (signal 0, Windows): members by pid as each scan finds them (Windows
 * re-scans for children started before their parent died), then the group.
 */
function deliverPhase(k: TreeKill): void {
  const viaGroup = k.pgrp !== 0 && k.includeRoot;
  if (k.freeze) {
    if (viaGroup) signalGroup(k);
    // A member whose setsid(2) was in flight as the group froze is frozen but missed the
    // group's signal. (A member the group's SIGKILL has already killed and its parent reaped
    // reports -1; pids are handed out in a cycle, so its pid is not anyone else's yet.)
    const late = viaGroup ? departed(k) : [];
    for (const p of late) k.stopped.add(p);
    signalEach(k, viaGroup ? loose(k, k.order) : k.order);
  } else {
    for (;;) {
      signalEach(k, viaGroup ? loose(k, k.added) : k.added);
      if (k.sig === 0) break;
      const t = readTable(false);
      k.scans++;
      const fresh = freshMembers(t, k);
      if (fresh.length === 0) break;
      k.added = Array.from(addMembers(t, k, fresh));
    }
    if (viaGroup) signalGroup(k);
  }
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
  if (resume.length > 0) native.killMany(Int32Array.from(resume), SIG.CONT);
  if (k.pgrp !== 0 && resumeAll) native.killpg(k.pgrp, SIG.CONT);
}

/**
 * @internal Everything killTree does before its wait, synchronously: scan, freeze, deliver,
 * resume. Nothing in it yields to the event loop, so a caller that exits right after calling
 * (process.exit(), a signal or 'exit' handler) never leaves the tree stopped. Arguments must be
 * validated. Throws ESRCH (nothing to kill) or a list-reading ProcessError.
 */
export function runKill(root: number, sig: number, includeRoot: boolean, takeGroup: boolean): TreeKill {
  const k = newTreeKill(root, sig, includeRoot, takeGroup);
  try {
    scanPhase(k);
    if (k.freeze) freezePhase(k);
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
  const resume = Array.from(k.stopped).filter((p) => p !== k.self);
  if (resume.length > 0) native.killMany(Int32Array.from(resume), SIG.CONT);
  if (k.pgrp !== 0) native.killpg(k.pgrp, SIG.CONT);
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

function resultOf(k: TreeKill, dead: boolean | null, survivors: number[]): KillTreeResult {
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
