/**
 * `procsig tree [--json] [--ascii] [PID]`: pstree -p from one snapshot, and the drawing the demo
 * shares.
 *
 * @packageDocumentation
 */
import type { TreeColumns } from '../native';
import { processTree, ProcessTable, snapshot, type ProcessInfo, type ProcessTreeNode } from '../tree';
import { EXIT_FAILED, EXIT_OK, help, json, parseArgs, parsePid, UsageError, type Io } from './core';
import { SPECS } from './usage';

/** What a drawing needs of a process. */
export interface DrawNode {
  pid: number;
  name: string;
  pgid: number;
  sid: number;
  children: DrawNode[];
}

/** Lines of a pstree-like drawing: `name(pid)`, children indented below with box lines. */
export function drawTree(roots: readonly DrawNode[], options: { ascii?: boolean; note?: (n: DrawNode) => string } = {}): string[] {
  const [tee, elbow, pipe, blank] = options.ascii ? ['|-- ', '`-- ', '|   ', '    '] : ['├─ ', '└─ ', '│  ', '   '];
  const lines: string[] = [];
  const label = (n: DrawNode) => `${n.name}(${n.pid})${options.note ? options.note(n) : ''}`;
  const walk = (n: DrawNode, prefix: string, last: boolean, top: boolean) => {
    lines.push(top ? label(n) : prefix + (last ? elbow : tee) + label(n));
    const next = top ? '' : prefix + (last ? blank : pipe);
    n.children.forEach((c, i) => walk(c, next, i === n.children.length - 1, false));
  };
  for (const r of roots) walk(r, '', true, true);
  return lines;
}

/** Marks group and session leaders the way `ps -j` readers look for them. */
function leaderNote(n: DrawNode): string {
  if (n.pgid === 0) return '';
  if (n.sid === n.pid) return ' [session leader]';
  if (n.pgid === n.pid) return ' [group leader]';
  return '';
}

/**
 * The whole machine as a forest, from one snapshot. The parent links are the library's
 * {@link ProcessTable}'s (its start-time rule, the one processTree() uses), so the CLI keeps no
 * copy of that rule; children are ordered oldest first, as processTree() orders them.
 */
export function forest(list: readonly ProcessInfo[]): ProcessTreeNode[] {
  const cols: TreeColumns = {
    pid: Int32Array.from(list, (p) => p.pid),
    ppid: Int32Array.from(list, (p) => p.ppid),
    pgid: Int32Array.from(list, (p) => p.pgid),
    sid: Int32Array.from(list, (p) => p.sid),
    start: Float64Array.from(list, (p) => p.startTime),
    // A snapshot's rows are all read: never state 0 (the table's "listed unread" mark).
    state: Uint8Array.from(list, (p) => p.state.charCodeAt(0) || 0x3f),
    startUnitMs: 1,
    startBaseMs: 0,
  };
  const t = new ProcessTable(cols);
  const nodes: ProcessTreeNode[] = list.map((p) => ({ ...p, children: [] }));
  const linked = new Uint8Array(t.size);
  for (let r = 0; r < t.size; r++) {
    for (let c = t.head[r]; c !== -1; c = t.next[c]) {
      nodes[r].children.push(nodes[c]);
      linked[c] = 1;
    }
  }
  const order = (a: ProcessTreeNode, b: ProcessTreeNode) => a.startTime - b.startTime || a.pid - b.pid;
  for (const n of nodes) n.children.sort(order);
  return nodes.filter((_, r) => !linked[r]).sort((a, b) => a.pid - b.pid);
}

/** A tree node as the JSON output shows it. */
export function toJsonTree(n: ProcessTreeNode): unknown {
  return { pid: n.pid, ppid: n.ppid, pgid: n.pgid, sid: n.sid, name: n.name, state: n.state, startTime: n.startTime, children: n.children.map(toJsonTree) };
}

/** Runs `procsig tree ARGS`; resolves to the exit status (1 for an unknown pid). */
export function run(args: readonly string[], io: Io): number {
  const p = parseArgs('tree', args, SPECS.tree);
  if (p.opts.has('help')) return help(io, 'tree');
  if (p.pos.length > 1) throw new UsageError('at most one pid', 'tree');
  const pid = p.pos.length === 1 ? parsePid('tree', p.pos[0]) : undefined;
  let roots: ProcessTreeNode[];
  if (pid === undefined) {
    roots = forest(snapshot());
  } else {
    const node = processTree(pid);
    if (!node) {
      io.err(`procsig tree: no process ${pid} [ESRCH]`);
      return EXIT_FAILED;
    }
    roots = [node];
  }
  if (p.opts.has('json')) {
    json(io, pid === undefined ? roots.map(toJsonTree) : toJsonTree(roots[0]));
    return EXIT_OK;
  }
  for (const line of drawTree(roots, { ascii: p.opts.has('ascii'), note: leaderNote })) io.out(line);
  return EXIT_OK;
}
