/**
 * `procsig tree [--json] [--ascii] [PID]`: pstree -p from one snapshot, and the drawing the demo
 * shares.
 *
 * @packageDocumentation
 */
import { processForest, processTree, type ProcessTreeNode } from '../tree';
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

/** A tree node as the JSON output shows it. */
export function toJsonTree(n: ProcessTreeNode): unknown {
  return { pid: n.pid, ppid: n.ppid, pgid: n.pgid, sid: n.sid, name: n.name, state: n.state, startTime: n.startTime, children: n.children.map(toJsonTree) };
}

/** Runs `procsig tree ARGS`; resolves to the exit status (1 for an unknown pid). */
export function treeCommand(args: readonly string[], io: Io): number {
  const p = parseArgs('tree', args, SPECS.tree);
  if (p.opts.has('help')) return help(io, 'tree');
  if (p.pos.length > 1) throw new UsageError('at most one pid', 'tree');
  const pid = p.pos.length === 1 ? parsePid('tree', p.pos[0]) : undefined;
  let roots: ProcessTreeNode[];
  if (pid === undefined) {
    // The table's own links and order (processTree()'s): the CLI keeps no copy of either.
    roots = processForest();
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
