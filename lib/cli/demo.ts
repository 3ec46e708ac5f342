/**
 * `procsig demo [--json]`: spawns a sample tree (a parent, two children, and a grandchild that
 * left the process group with setsid), draws it, kills it with `killTree()`, shows that nothing
 * is left and how long each step took. Also the hidden `__demo-member ROLE` command the sample
 * tree's members run.
 *
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path = require('node:path');
import { isAlive, kill, probe, type ProbeResult } from '../kill';
import { packageRoot } from '../native';
import { signals } from '../signals';
import { killTree, processTree, type KillTreeResult, type ProcessTreeNode } from '../tree';
import { EXIT_FAILED, EXIT_OK, EXIT_RUNNING, formatDuration, help, json, parseArgs, UsageError, type Io } from './core';
import { SPECS } from './usage';
import { drawTree, toJsonTree, type DrawNode } from './tree';

const DEMO_ROLES = ['parent', 'child-1', 'child-2', 'grandchild'] as const;
type DemoRole = (typeof DEMO_ROLES)[number];

/** The built `procsig` entry (dist/cli.js, one bundle), which the sample tree's members run. */
const ENTRY = path.join(packageRoot, 'dist', 'cli.js');

/** Spawns `procsig __demo-member ROLE`; its stdout is piped (it prints `ready PID...`). */
function spawnMember(role: DemoRole, detached: boolean): ChildProcess {
  return spawn(process.execPath, [ENTRY, '__demo-member', role], { stdio: ['ignore', 'pipe', 'inherit'], detached });
}

/** Calls `onLine` with the first line `c` prints, then stops reading its stdout. */
function firstLine(c: ChildProcess, onLine: (line: string) => void): void {
  let buf = '';
  c.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const i = buf.indexOf('\n');
    if (i < 0) return;
    c.stdout!.removeAllListeners('data');
    c.stdout!.destroy();
    onLine(buf.slice(0, i));
  });
}

/**
 * A member of the demo's sample tree (`procsig __demo-member ROLE`). It names itself
 * `demo-ROLE` (visible in /proc/PID/comm), starts its children, prints `ready PID...` once its
 * whole subtree is up, and then sleeps. It exits on its own after 30 s whatever happens, so even
 * a demo killed with SIGKILL leaves nothing behind for long.
 * @returns {@link EXIT_RUNNING}: the process goes on after `main` resolves.
 */
export function member(args: readonly string[]): number {
  const role = args[0] as DemoRole;
  if (!DEMO_ROLES.includes(role)) throw new UsageError('internal command');
  process.title = `demo-${role}`;
  setTimeout(() => process.exit(0), 30_000);
  const start = (r: DemoRole, detached: boolean): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const c = spawnMember(r, detached);
      firstLine(c, (line) => resolve(line.split(' ').slice(1)));
      c.once('error', reject);
    });
  const subtree: Promise<string[]>[] =
    role === 'parent' ? [start('child-1', false), start('child-2', false)] : role === 'child-2' ? [start('grandchild', true)] : [];
  Promise.all(subtree).then(
    (lists) => process.stdout.write(`ready ${[String(process.pid), ...lists.flat()].join(' ')}\n`),
    (e: Error) => {
      process.stderr.write(`demo-${role}: ${e.message}\n`);
      process.exit(1);
    },
  );
  return EXIT_RUNNING;
}

/**
 * Starts the sample tree; resolves to its four pids (parent, child-1, child-2, grandchild) once
 * every member is up. The parent leads its own group (detached) so it is never in ours.
 * `started` gets the parent's ChildProcess at once, so that a failure can still clean up.
 */
function spawnSample(started: (c: ChildProcess) => void): Promise<number[]> {
  const c = spawnMember('parent', true);
  started(c);
  return new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the sample tree did not start within 10s')), 10_000);
    firstLine(c, (line) => {
      clearTimeout(timer);
      c.removeAllListeners('exit');
      const list = line.split(' ').slice(1).map(Number);
      if (list.length !== 4 || list.some((n) => !(n > 0))) reject(new Error(`unexpected answer from the sample tree: ${line}`));
      else resolve(list);
    });
    c.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    c.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`the sample tree's parent exited early (${code ?? sig})`));
    });
  });
}

/** Polls probe() until every pid is gone or a zombie (a zombie waiting for its reaper counts as dead), or 5 s passed. */
async function settle(pids: readonly number[]): Promise<{ pid: number; state: ProbeResult }[]> {
  const end = Date.now() + 5000;
  for (;;) {
    const s = pids.map((pid) => ({ pid, state: probe(pid) }));
    if (s.every((x) => x.state === 'gone' || x.state === 'zombie') || Date.now() > end) return s;
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface DemoStep {
  step: string;
  ms: number;
}

/** The demo's state: what it spawned (for the cleanup) and each step's time. */
class Demo {
  pids: number[] = [];
  child: ChildProcess | undefined;
  readonly steps: DemoStep[] = [];
  constructor(readonly say: (line?: string) => void) {}

  async timed<T>(step: string, f: () => T | Promise<T>): Promise<T> {
    const t0 = performance.now();
    const v = await f();
    this.steps.push({ step, ms: performance.now() - t0 });
    return v;
  }

  /** Says what the last timed step did, with its time. */
  stepLine(text: string): void {
    this.say(`${text.padEnd(62)} ${formatDuration(this.steps[this.steps.length - 1].ms).padStart(7)}`);
  }

  /** SIGKILLs what the demo spawned: only its own pids, and only while they are still alive. */
  cleanup(): void {
    for (const pid of this.pids) {
      try {
        if (isAlive(pid)) kill('SIGKILL', pid);
      } catch {
        // already gone
      }
    }
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

/** Spawns, draws, kills and verifies; returns the JSON report. Throws when a step fails. */
async function steps(d: Demo): Promise<{ report: Record<string, unknown>; left: number[] }> {
  d.pids = await d.timed('spawn', () => spawnSample((c) => (d.child = c)));
  const [parent, child1, child2, grandchild] = d.pids;
  d.stepLine(`1. spawned a parent, 2 children and a grandchild (setsid)`);

  const tree: ProcessTreeNode | null = await d.timed('processTree', () => processTree(parent));
  if (!tree) throw new Error(`process ${parent} vanished before its tree could be read`);
  d.stepLine(`2. read the tree with processTree(${parent})`);
  // Windows has no process groups (pgid 0): nothing to show there.
  const note = (n: DrawNode) =>
    n.pgid === 0 ? '' : n.pid === grandchild && n.pgid !== parent ? `  pgid ${n.pgid}, sid ${n.sid}: left the group, killpg(${parent}) would miss it` : `  pgid ${n.pgid}`;
  for (const line of drawTree([tree], { note })) d.say(`     ${line}`);

  const result: KillTreeResult = await d.timed('killTree', () => killTree(parent, 'SIGTERM'));
  d.stepLine(`3. killTree(${parent}, 'SIGTERM'): ${result.signalled.length} signalled, ${result.scans} scans`);
  if (result.failed.length > 0) throw new Error(`killTree could not signal: ${result.failed.map((f) => `${f.pid} ${f.error.code}`).join(', ')}`);

  const states = await d.timed('verify', () => settle(d.pids));
  const left = states.filter((s) => s.state !== 'gone' && s.state !== 'zombie').map((s) => s.pid);
  d.stepLine(left.length === 0 ? `4. probe(): nothing is left of the ${d.pids.length} processes` : `4. probe(): still alive: ${left.join(' ')}`);
  const report = {
    ok: left.length === 0,
    pids: { parent, children: [child1, child2], grandchild },
    tree: toJsonTree(tree),
    killTree: { signal: result.signal, signalled: result.signalled, group: result.group, scans: result.scans, elapsedMs: result.elapsedMs },
    after: states,
    left,
    steps: d.steps,
  };
  return { report, left };
}

/** Runs `procsig demo ARGS`; resolves to the exit status (1 when anything survived). */
export async function demoCommand(args: readonly string[], io: Io): Promise<number> {
  const p = parseArgs('demo', args, SPECS.demo);
  if (p.opts.has('help')) return help(io, 'demo');
  if (p.pos.length > 0) throw new UsageError('demo takes no arguments', 'demo');
  const asJson = p.opts.has('json');
  const d = new Demo(asJson ? () => {} : (line = '') => io.out(line));
  const onSignal = (sig: NodeJS.Signals) => {
    d.cleanup();
    process.exit(128 + (signals[sig] ?? 15));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  const total0 = performance.now();
  try {
    d.say('procsig demo: a sample process tree, killed with killTree()');
    d.say('');
    const { report, left } = await steps(d);
    const totalMs = performance.now() - total0;
    const [parent, child1, child2, grandchild] = d.pids;
    d.say('');
    d.say(`total ${formatDuration(totalMs)}  (pids: parent ${parent}, children ${child1} ${child2}, grandchild ${grandchild})`);
    if (asJson) json(io, { ...report, totalMs });
    if (left.length > 0) {
      io.err(`procsig demo: processes survived killTree: ${left.join(' ')}`);
      return EXIT_FAILED;
    }
    return EXIT_OK;
  } finally {
    d.cleanup();
    d.child?.stdout?.destroy();
    d.child?.unref();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}
