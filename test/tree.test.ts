/**
 * Process trees on real processes: snapshot/descendants/processTree against the kernel (`ps`,
 * run here by the test, never by the library), and killTree on the adversarial shapes of issue 3
 * — deep and wide trees, orphans of an exited middle parent, a parent forking during the kill, a
 * setsid'd grandchild, a zombie. Every process a test starts carries a unique environment mark;
 * "nothing the test started is alive" is checked by scanning /proc for that mark (zombies count
 * as dead), and afterEach SIGKILLs whatever still carries it.
 *
 * PROCSIG_SOAK=1 repeats each adversarial case 20 times.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import realTreeKill from 'tree-kill';
import treeKill from '../lib/tree-kill';
import { descendants, killTree, processTree, ProcessTable, snapshot, type KillTreeResult } from '../lib/tree';
import type { TreeColumns } from '../lib/native';
import { hiddenNote, procHiddenSkip } from './helpers';

const linux = process.platform === 'linux';
const FIXTURES = path.join(__dirname, 'fixtures');
const SOAK = process.env.PROCSIG_SOAK === '1';
const REPS = SOAK ? 20 : 2;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-tree-'));

interface Started {
  mark: string;
  file: string;
  root: ChildProcess;
  pid: number;
}
const started: Started[] = [];
let seq = 0;

/**
 * The environment for what the test spawns. Neither the fixtures (node, bash, sleep) nor ps load
 * the addon: a sanitizer lane's LD_PRELOAD of libasan stays away from them (ps hangs under it).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const { LD_PRELOAD: _preload, ...env } = process.env;
  return env;
}

function start(fixture: string, args: string[], detached: boolean): Started {
  const mark = `m${process.pid}x${++seq}x${Math.random().toString(36).slice(2, 10)}`;
  const file = path.join(tmp, `${mark}.pids`);
  fs.writeFileSync(file, '');
  const root = spawn(process.execPath, [path.join(FIXTURES, fixture), ...args], {
    stdio: 'ignore',
    detached,
    env: { ...cleanEnv(), PROCSIG_TREE_MARK: mark, PROCSIG_TREE_FILE: file },
  });
  root.on('error', () => {});
  const s = { mark, file, root, pid: root.pid! };
  started.push(s);
  return s;
}

function recorded(s: Started): number[] {
  return fs
    .readFileSync(s.file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

async function until(what: string, fn: () => boolean, timeout = 15_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Stat {
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
}
function stat(pid: number): Stat | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]) };
  } catch {
    return null;
  }
}

/** Pids carrying the mark that are alive (not zombies): what the test started and did not kill. */
function liveMarked(mark: string): number[] {
  const needle = Buffer.from(`PROCSIG_TREE_MARK=${mark}\0`);
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let env: Buffer;
    try {
      env = fs.readFileSync(`/proc/${name}/environ`);
    } catch {
      continue;
    }
    if (!env.includes(needle)) continue;
    const st = stat(Number(name));
    if (st && st.state !== 'Z' && st.state !== 'X') out.push(Number(name));
  }
  return out;
}

/** The kernel's view: descendants of `root` from `ps -A -o pid=,ppid=`. */
function psDescendants(root: number): Set<number> {
  const text = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8', env: cleanEnv() });
  const kids = new Map<number, number[]>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)/.exec(line);
    if (!m) continue;
    const [pid, ppid] = [Number(m[1]), Number(m[2])];
    if (!kids.has(ppid)) kids.set(ppid, []);
    kids.get(ppid)!.push(pid);
  }
  const out = new Set<number>();
  const queue = [root];
  while (queue.length) {
    for (const c of kids.get(queue.shift()!) ?? []) {
      if (!out.has(c)) {
        out.add(c);
        queue.push(c);
      }
    }
  }
  return out;
}

function expectNothingAlive(s: Started): void {
  expect(liveMarked(s.mark)).toEqual([]);
}

function expectClean(r: KillTreeResult): void {
  expect(r.failed).toEqual([]);
  expect(r.dead).toBe(true);
  expect(r.survivors).toEqual([]);
}

afterEach(async () => {
  // Kill whatever a test left behind, even on failure; only marked processes (ours) are touched.
  for (const s of started.splice(0)) {
    for (let round = 0; round < 50; round++) {
      const live = liveMarked(s.mark);
      if (live.length === 0) break;
      for (const p of live) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    fs.rmSync(s.file, { force: true });
  }
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** 1 + b + b^2 + ... + b^d bash nodes, plus the node root. */
function treeSize(depth: number, breadth: number): number {
  let n = 1;
  let level = 1;
  for (let i = 0; i < depth; i++) n += level *= breadth;
  return n + 1;
}

async function startTree(depth: number, breadth: number, detached = true): Promise<Started> {
  const s = start('tree-spawn.js', ['tree', String(depth), String(breadth)], detached);
  const n = treeSize(depth, breadth);
  await until(`${n} processes`, () => recorded(s).length >= n, 30_000);
  return s;
}

describe('the start-time rule (pure)', () => {
  function cols(rows: [pid: number, ppid: number, start: number][]): TreeColumns {
    return {
      pid: Int32Array.from(rows.map((r) => r[0])),
      ppid: Int32Array.from(rows.map((r) => r[1])),
      pgid: new Int32Array(rows.length),
      sid: new Int32Array(rows.length),
      start: Float64Array.from(rows.map((r) => r[2])),
      state: new Uint8Array(rows.length).fill(0x53),
      startUnitMs: 1,
      startBaseMs: 0,
    };
  }
  it('links a child only when it started no earlier than its parent', () => {
    // 10 started at 100; 11 (started 150) is its child; 12 claims parent 10 but started at 50:
    // its real parent was an older process whose pid 10 was recycled, so it is not linked.
    const t = new ProcessTable(cols([
      [10, 1, 100],
      [11, 10, 150],
      [12, 10, 50],
      [13, 11, 150],
      [14, 99, NaN],
      [15, 14, 200],
    ]));
    const kids = (p: number): number[] => {
      const out: number[] = [];
      for (let c = t.head[t.row(p)]; c !== -1; c = t.next[c]) out.push(t.cols.pid[c]);
      return out;
    };
    expect(kids(10)).toEqual([11]);
    expect(kids(11)).toEqual([13]);
    // An unknown start time never links.
    expect(kids(14)).toEqual([]);
  });
});

describe.skipIf(!linux || procHiddenSkip !== null)(`snapshot / descendants / processTree${hiddenNote}`, () => {
  it('snapshot() lists this process with its real parent, group and a plausible start time', () => {
    const all = snapshot();
    const me = all.find((p) => p.pid === process.pid)!;
    expect(me).toBeDefined();
    expect(me.ppid).toBe(process.ppid);
    const st = stat(process.pid)!;
    expect(me.pgid).toBe(st.pgid);
    expect(me.sid).toBe(st.sid);
    expect(me.name.length).toBeGreaterThan(0);
    expect(me.state).toMatch(/^[RS]$/);
    const started = Date.now() - process.uptime() * 1000;
    expect(Math.abs(me.startTime - started)).toBeLessThan(5_000);
    expect(all.map((p) => p.pid)).toEqual([...all.map((p) => p.pid)].sort((a, b) => a - b));
  });

  it('descendants() agrees with ps on a 212-process tree (kernel lists and full scan)', async () => {
    const s = await startTree(2, 14);
    const kernel = psDescendants(s.pid);
    expect(kernel.size).toBe(treeSize(2, 14) - 1);
    const mine = descendants(s.pid);
    expect(new Set(mine)).toEqual(kernel);
    expect(mine.length).toBe(kernel.size);
    // The full-scan path (used where task/*/children is missing) agrees too.
    const { scanDescendants } = await import('../lib/tree');
    expect(new Set(scanDescendants(s.pid))).toEqual(kernel);
    // Parents come before their children.
    const pos = new Map(mine.map((p, i) => [p, i]));
    for (const p of mine) {
      const parent = stat(p)!.ppid;
      if (parent !== s.pid) expect(pos.get(parent)!).toBeLessThan(pos.get(p)!);
    }
    const tree = processTree(s.pid)!;
    let count = 0;
    const walk = (n: { children: unknown[] } & { pid: number }): void => {
      count++;
      for (const c of n.children as typeof tree[]) walk(c);
    };
    walk(tree);
    expect(count).toBe(kernel.size + 1);
    expect(tree.name).toBe('node');
    expect(tree.children.map((c) => c.name)).toEqual(['bash']);
    expect(descendants(0x7ffffffe)).toEqual([]);
    expect(processTree(0x7ffffffe)).toBeNull();
  });

  it('rejects bad pids with typed errors', () => {
    for (const bad of [0, -1, 1.5, NaN, 2 ** 31]) {
      expect(() => descendants(bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
    expect(() => descendants('1' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => processTree(-5)).toThrow(RangeError);
  });
});

describe.skipIf(!linux || procHiddenSkip !== null)(`killTree${hiddenNote}`, () => {
  it('kills a 200-deep chain (SIGTERM) and waits until every member is dead', async () => {
    const s = await startTree(200, 1);
    const pids = recorded(s);
    const kernel = psDescendants(s.pid);
    expect(new Set(descendants(s.pid))).toEqual(kernel);
    const r = await killTree(s.pid, 'SIGTERM', { wait: true });
    expectClean(r);
    expect(r.signal).toBe('SIGTERM');
    expect(new Set(r.signalled)).toEqual(new Set(pids));
    expect(r.signalled[0]).toBe(s.pid);
    expect(r.group).toBe(s.pid);
    expectNothingAlive(s);
  });

  it('kills a 200-wide tree (SIGKILL) whose root is not a group leader', async () => {
    const s = await startTree(1, 200, false);
    const r = await killTree(s.pid, 'KILL', { wait: true });
    expectClean(r);
    // The root shares the test's group: that group is never signalled, and the walk needs a
    // second scan to be sure nothing forked before its parent froze.
    expect(r.group).toBeNull();
    expect(r.scans).toBeGreaterThanOrEqual(2);
    expect(r.signalled.length).toBe(treeSize(1, 200));
    expectNothingAlive(s);
  });

  it('kills a 212-process tree and SIGCONTs nothing after SIGKILL', async () => {
    const s = await startTree(2, 14);
    const r = await killTree(s.pid, 9, { wait: 10_000 });
    expectClean(r);
    // The whole tree is in the root's group: one scan (plus, on Linux, which reads the list
    // before freezing, one look at what appeared since).
    expect(r.scans).toBe(process.platform === 'linux' ? 2 : 1);
    expectNothingAlive(s);
  });

  for (let rep = 0; rep < REPS; rep++) {
    it(`orphans of an exited middle parent that kept the group die too (#${rep + 1})`, async () => {
      const s = start('tree-spawn.js', ['orphans', '15'], true);
      await until('17 processes', () => recorded(s).length >= 17);
      const [, middle, ...orphans] = recorded(s);
      await until('the middle parent to exit', () => {
        const st = stat(middle);
        return st === null || st.state === 'Z';
      });
      // Reparented away from the tree: no parent link is left, only the group.
      for (const o of orphans) {
        const st = stat(o)!;
        expect(st.ppid).not.toBe(middle);
        expect(st.pgid).toBe(s.pid);
      }
      const r = await killTree(s.pid, rep % 2 ? 'SIGKILL' : 'SIGTERM', { wait: true });
      expectClean(r);
      expect(r.group).toBe(s.pid);
      for (const o of orphans) expect(r.signalled).toContain(o);
      expectNothingAlive(s);
    });

    it(`a parent forking children in a loop during the kill loses them all (#${rep + 1})`, async () => {
      // Odd repetitions: the root shares the test's group, so only the walk itself can win.
      const detached = rep % 2 === 0;
      const s = start('tree-spawn.js', ['forker'], detached);
      await until('the forker to get going', () => recorded(s).length >= 60);
      const r = await killTree(s.pid, rep % 4 < 2 ? 'SIGKILL' : 'SIGTERM', { wait: true });
      expectClean(r);
      expectNothingAlive(s);
      expect(r.signalled.length).toBeGreaterThanOrEqual(60);
    });

    it(`a parent forking children that each call setsid, during the kill, loses them all (#${rep + 1})`, async () => {
      // Each child leaves the group (and session) as soon as it runs: only the walk, not the
      // group's killpg, can reach it, and the scan reads it although it skips other sessions.
      const s = start('tree-spawn.js', ['setsidforker'], rep % 2 === 0);
      await until('the forker to get going', () => recorded(s).length >= 40);
      const r = await killTree(s.pid, rep % 4 < 2 ? 'SIGKILL' : 'SIGTERM', { wait: true });
      expectClean(r);
      expectNothingAlive(s);
      expect(r.signalled.length).toBeGreaterThanOrEqual(40);
    });

    it(`a grandchild that called setsid dies with the tree (#${rep + 1})`, async () => {
      const s = start('tree-setsid.js', ['root'], rep % 2 === 0);
      await until('3 processes', () => recorded(s).length >= 3);
      const grandchild = recorded(s)[2];
      await until('the grandchild to run', () => stat(grandchild)?.sid === grandchild);
      expect(stat(grandchild)!.pgid).toBe(grandchild);
      expect(descendants(s.pid)).toContain(grandchild);
      const r = await killTree(s.pid, 'SIGTERM', { wait: true });
      expectClean(r);
      expect(r.signalled).toContain(grandchild);
      expectNothingAlive(s);
    });
  }

  it('members in sessions of their own, nested two deep, die with the tree', async () => {
    // root -> child -> bash (setsid) -> subshell -> bash (setsid again) -> sleep: the last two
    // are in a session led by a process whose parent leads none, so a scan that skips other
    // sessions' processes must follow the chain a session at a time.
    for (const detached of [true, false]) {
      const s = start('tree-setsid.js', ['root', 'deep'], detached);
      await until('6 processes', () => recorded(s).length >= 6);
      await until('everything to run', () => recorded(s).every((p) => stat(p) !== null && stat(p)!.state !== 'Z'));
      // The processes record themselves in no fixed order; the bash is the child's child.
      const child = recorded(s)[1];
      const bash = recorded(s).find((p) => stat(p)!.ppid === child)!;
      expect(stat(bash)!.sid).toBe(bash);
      const inner = recorded(s).slice(1).filter((p) => p !== bash && stat(p)!.sid === p);
      expect(inner.length).toBe(1);
      expect(new Set(descendants(s.pid))).toEqual(new Set(recorded(s).slice(1)));
      const r = await killTree(s.pid, 'SIGKILL', { wait: true });
      expectClean(r);
      expect(new Set(r.signalled)).toEqual(new Set(recorded(s)));
      expectNothingAlive(s);
    }
  });

  it('a zombie child of a living parent is a member, and dead already', async () => {
    const s = start('tree-spawn.js', ['zombie'], true);
    await until('3 processes', () => recorded(s).length >= 3);
    const [, zombie, parent] = recorded(s);
    await until('the zombie', () => stat(zombie)?.state === 'Z' && stat(parent) !== null);
    expect(stat(zombie)!.ppid).toBe(parent);
    expect(descendants(s.pid)).toEqual(expect.arrayContaining([parent, zombie]));
    expect(new Set(descendants(s.pid))).toEqual(psDescendants(s.pid));
    const r = await killTree(s.pid, 'SIGKILL', { wait: true });
    expectClean(r);
    expectNothingAlive(s);
  });

  it('includeRoot: false spares (and resumes) the root', async () => {
    const s = await startTree(1, 3);
    const kids = descendants(s.pid);
    const r = await killTree(s.pid, 'SIGKILL', { includeRoot: false, wait: true });
    expectClean(r);
    expect(r.signalled).not.toContain(s.pid);
    expect(new Set(r.signalled)).toEqual(new Set(kids));
    expect(r.group).toBeNull();
    // The root was frozen with the rest and must run again.
    await until('the root to be resumed', () => stat(s.pid)?.state === 'S' || stat(s.pid)?.state === 'R', 2_000);
    expect(liveMarked(s.mark)).toEqual([s.pid]);
  });

  it('a numeric wait gives up with the survivors, which are resumed, not left stopped', async () => {
    const s = start('tree-spawn.js', ['tree', '1', '2'], true);
    await until('4 processes', () => recorded(s).length >= 4);
    // SIGWINCH's default action is to ignore it: the tree survives, resumed.
    const r = await killTree(s.pid, 'SIGWINCH', { wait: 100 });
    expect(r.dead).toBe(false);
    expect(new Set(r.survivors)).toEqual(new Set(recorded(s)));
    for (const p of recorded(s)) expect(stat(p)!.state).not.toBe('T');
    const k = await killTree(s.pid, 'SIGKILL', { wait: true });
    expectClean(k);
    expectNothingAlive(s);
  });

  it('without wait it resolves once signalled; dead is null', async () => {
    const s = await startTree(1, 5);
    const r = await killTree(s.pid);
    expect(r.dead).toBeNull();
    expect(r.signal).toBe('SIGTERM');
    expect(r.signalled.length).toBe(7);
    await until('the tree to die', () => liveMarked(s.mark).length === 0);
  });

  it('rejects bad arguments before signalling anything', async () => {
    const s = await startTree(1, 2);
    const cases: [unknown[], string][] = [
      [[0], 'ERR_OUT_OF_RANGE'],
      [[-1], 'ERR_OUT_OF_RANGE'],
      [[1.5], 'ERR_OUT_OF_RANGE'],
      [['123'], 'ERR_INVALID_ARG_TYPE'],
      [[s.pid, 'SIGFOO'], 'ERR_UNKNOWN_SIGNAL'],
      [[s.pid, 'TERM', { wait: 'yes' }], 'ERR_INVALID_ARG_TYPE'],
      [[s.pid, 'TERM', { wait: -1 }], 'ERR_OUT_OF_RANGE'],
      [[s.pid, 'TERM', { includeRoot: 1 }], 'ERR_INVALID_ARG_TYPE'],
      [[s.pid, 'TERM', { signal: {} }], 'ERR_INVALID_ARG_TYPE'],
      [[s.pid, 'TERM', 5], 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [args, code] of cases) {
      await expect((killTree as (...a: unknown[]) => Promise<unknown>)(...args)).rejects.toMatchObject({ code });
    }
    const reason = new Error('stop');
    await expect(killTree(s.pid, 'KILL', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(liveMarked(s.mark).length).toBe(treeSize(1, 2));
    for (const p of recorded(s)) expect(stat(p)!.state).not.toBe('T');
  });

  it('rejects with ESRCH when the root does not exist', async () => {
    await expect(killTree(0x7ffffffe)).rejects.toMatchObject({ name: 'ProcessError', code: 'ESRCH', syscall: 'kill', pid: 0x7ffffffe });
  });

  it('an abort during the wait rejects with the reason (the signal was already sent)', async () => {
    const s = start('tree-spawn.js', ['tree', '1', '1'], true);
    await until('3 processes', () => recorded(s).length >= 3);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('enough')), 50);
    await expect(killTree(s.pid, 'SIGWINCH', { wait: true, signal: ac.signal })).rejects.toThrow('enough');
  });

  it('never signals the caller: killTree(process.pid) takes only our descendants', async () => {
    const s = await startTree(1, 2, false);
    const r = await killTree(process.pid, 'SIGKILL', { wait: true });
    expect(r.signalled).not.toContain(process.pid);
    expect(r.group).toBeNull();
    for (const p of recorded(s)) expect(r.signalled).toContain(p);
    expectNothingAlive(s);
  });
});

describe.skipIf(!linux || procHiddenSkip !== null)(`procsig/tree-kill${hiddenNote}`, () => {
  it('gives the same errors as tree-kill for a pid that is not a number', () => {
    for (const bad of ['abc', undefined, null, {}, NaN]) {
      const theirs = (() => {
        try {
          realTreeKill(bad as unknown as number);
        } catch (e) {
          return (e as Error).message;
        }
        return 'no throw';
      })();
      expect(() => treeKill(bad as unknown as number)).toThrow(theirs);
      let ours: Error | undefined;
      let theirsCb: Error | undefined;
      treeKill(bad as unknown as number, 'SIGTERM', (e) => (ours = e));
      realTreeKill(bad as unknown as number, 'SIGTERM', (e) => (theirsCb = e));
      // Both call back synchronously, with the same message.
      expect(ours?.message).toBe(theirsCb?.message);
      expect(ours?.message).toBe('pid must be a number');
    }
  });

  it('calls back only once the whole tree is dead (signal given, and omitted)', async () => {
    for (const withSignal of [true, false]) {
      const s = start('tree-spawn.js', ['orphans', '5'], true);
      await until('6 processes', () => recorded(s).length >= 6);
      const err = await new Promise<Error | undefined>((resolve) => {
        const cb = (e?: Error): void => {
          // Checked inside the callback: nothing may be alive by now.
          expect(liveMarked(s.mark)).toEqual([]);
          resolve(e);
        };
        if (withSignal) treeKill(String(s.pid), 'SIGKILL', cb);
        else treeKill(s.pid, cb);
      });
      expect(err).toBeUndefined();
    }
  });

  it('treats a pid that does not exist as nothing to do, like tree-kill', async () => {
    const err = await new Promise<Error | undefined | null>((resolve) => treeKill(0x7ffffffe, 'SIGTERM', resolve));
    expect(err).toBeUndefined();
  });

  it('reports an unknown signal or a pid <= 0 through the callback, or throws without one', async () => {
    const e1 = await new Promise<Error | undefined>((resolve) => treeKill(process.pid, 'SIGNOPE', resolve));
    expect(e1).toMatchObject({ code: 'ERR_UNKNOWN_SIGNAL' });
    expect(() => treeKill(process.pid, 'SIGNOPE')).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
    const e2 = await new Promise<Error | undefined>((resolve) => treeKill('0', resolve));
    expect(e2).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(() => treeKill(-1)).toThrow(RangeError);
  });
});
