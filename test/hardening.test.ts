/**
 * The adversarial suite (issue 8): bad input across the tree/handle/terminate/job/tree-kill APIs
 * with a canary proving nothing was signalled, pid reuse through /proc/sys/kernel/ns_last_pid,
 * spawn/kill/wait storms with fd/thread/RSS/zombie accounting, fork storms killed by killTree
 * and by a Job, the addon in worker_threads (and workers torn down mid-wait), and targets owned
 * by another uid.
 *
 * Sizes are modest here; `PROCSIG_SOAK=1` (npm run soak) runs the full ones. Figures of both
 * are printed (`[hardening] ...`) and recorded in docs/reliability.md.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import treeKill from '../lib/tree-kill';
import {
  AlreadyExitedError,
  descendants,
  Job,
  kill,
  killTree,
  probe,
  ProcessHandle,
  processTree,
  terminate,
  UnexpectedExitError,
  waitForExit,
} from '../lib';
import { handleKind } from '../lib/handle';
import { native } from '../lib/native';
import { addonPath, canaryReport, checkAborted, cleanup, fixture, hiddenNote, isDead, isDeadSince, isRoot, isTrackedDead, killTracked, procHiddenSkip, procState, repo, runStagedAs, spawnFixture, stageForOtherUid, track, type Spawned } from './helpers';

const SOAK = process.env.PROCSIG_SOAK === '1';
const isLinux = process.platform === 'linux';
const N = {
  reuseHandle: SOAK ? 1000 : 100,
  reuseTree: SOAK ? 1000 : 100,
  cycles: SOAK ? 10_000 : 500,
  waiters: 1000,
  storms: SOAK ? 20 : 3,
  stormSize: 400,
  workerRounds: SOAK ? 40 : 8,
  teardowns: SOAK ? 100 : 12,
};
// The addon this process loaded (a build, or a prebuild once `npm run prebuildify` moved it).
const addon = addonPath;
const report = (line: string): void => {
  process.stdout.write(`[hardening${SOAK ? ' soak' : ''}] ${line}\n`);
};

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
const threadCount = (): number => fs.readdirSync('/proc/self/task').length;
const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/** Children of this process that are zombies (exited, never reaped). */
function zombieChildren(): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === process.pid && f[0] === 'Z') out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

/** Whether the environment of `pid` carries PROCSIG_HARD_MARK=mark. */
function hasMark(pid: number | string, mark: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`PROCSIG_HARD_MARK=${mark}\0`);
  } catch {
    return false; // gone, or a kernel thread
  }
}

/** Every process whose environment carries PROCSIG_HARD_MARK=mark. */
function marked(mark: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && hasMark(d, mark))
    .map(Number);
}
const marks = new Set<string>();
/** SIGKILLs every marked process, through a pidfd opened before the mark is re-checked (no pid race). */
function killMarked(): void {
  for (const m of marks) {
    for (const p of marked(m)) {
      let h: ProcessHandle | undefined;
      try {
        h = ProcessHandle.open(p);
        if (hasMark(p, m)) h.kill('SIGKILL');
      } catch {
        // gone, or exited between the scan and the kill
      } finally {
        h?.close();
      }
    }
  }
  marks.clear();
}

const exitOf = (c: ChildProcess): Promise<void> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r())));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** lib/ compiled to plain JS, for worker_threads and other-uid processes (they cannot load .ts). */
let dist = '';
function compileLib(): string {
  if (dist) return dist;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-hard-'));
  fs.chmodSync(dir, 0o755);
  try {
    // The package's own build (scripts/build-ts.js) into `dir`.
    execFileSync(process.execPath, [path.join(repo, 'scripts', 'build-ts.js'), dir], {
      cwd: repo,
      stdio: 'pipe',
      // The sanitizer lane preloads libasan into node; the compilers are not what it checks.
      env: { ...process.env, LD_PRELOAD: '' },
    });
  } catch {
    // (a missing index.js, below, says it failed)
  }
  if (!fs.existsSync(path.join(dir, 'index.js'))) throw new Error('could not compile lib/ for workers');
  dist = dir;
  return dir;
}
afterAll(() => {
  if (dist) fs.rmSync(dist, { recursive: true, force: true });
});

afterEach(async (ctx) => {
  killMarked();
  cleanup();
  // A test that failed (or timed out) may still have a wait in flight that its processes' deaths
  // are about to end: let it release its watcher and fd before the next test takes its baseline.
  if (ctx.task.result?.state === 'fail') {
    for (let i = 0; i < 500 && native.watchCount().some((n) => n > 0); i++) await sleep(10);
  }
});

// ---------------------------------------------------------------------------------------------
// 1. Bad input

type Want = { cls?: string; code?: string; message?: string; reason?: unknown };

/** The error a call gives, sync or async; 'hung' when a promise neither settles within 5 s. */
async function outcome(fn: () => unknown): Promise<unknown> {
  let r: unknown;
  try {
    r = fn();
  } catch (e) {
    return e;
  }
  if (r && typeof (r as Promise<unknown>).then === 'function') {
    const timeout = sleep(5000).then(() => 'hung');
    return Promise.race([(r as Promise<unknown>).then(() => 'resolved', (e: unknown) => e), timeout]);
  }
  return 'returned';
}

describe.runIf(isLinux && procHiddenSkip === null)(`bad input across the tree, handle, terminate, job and tree-kill APIs${hiddenNote}`, () => {
  let canary: Spawned;
  let job: Job;
  let jobCanary: ChildProcess;
  let h: ProcessHandle;
  let closed: ProcessHandle;
  let foreign: unknown;
  const aborted = AbortSignal.abort(new Error('aborted before the call'));

  beforeAll(async () => {
    canary = await spawnFixture('canary.js');
    h = ProcessHandle.open(canary.pid);
    closed = ProcessHandle.open(canary.pid);
    closed.close();
    job = Job.create();
    jobCanary = job.spawn(process.execPath, [fixture('canary.js')], { stdio: ['pipe', 'pipe', 'inherit'] }).child;
    track(jobCanary.pid!);
    await new Promise((r) => jobCanary.stdout!.once('data', r));
    // A ProcessHandle made in another worker arrives as a structured clone: a plain object.
    const w = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const p = require(workerData.dist);
       const h = p.ProcessHandle.open(workerData.pid);
       parentPort.postMessage(h);
       h.close();`,
      { eval: true, workerData: { dist: compileLib(), pid: canary.pid }, env: { ...process.env, PROCSIG_NATIVE: addon } },
    );
    foreign = await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await w.terminate();
  });
  afterAll(async () => {
    h?.close();
    await job?.close();
  });

  const T = (code = 'ERR_INVALID_ARG_TYPE'): Want => ({ cls: 'TypeError', code });
  const R = (code = 'ERR_OUT_OF_RANGE'): Want => ({ cls: 'RangeError', code });
  const CLOSED: Want = { code: 'ERR_PROCESS_HANDLE_CLOSED' };
  const ABORTED: Want = { reason: aborted.reason };
  const tk = (...args: unknown[]) => () =>
    new Promise((resolve, reject) => {
      (treeKill as (...a: unknown[]) => void)(...args, (err?: Error) => (err ? reject(err) : resolve(undefined)));
    });

  // [label, call, expected]; `c` is the canary's pid: a call that wrongly went through would signal it.
  const matrix = (): [string, () => unknown, Want][] => {
    const c = canary.pid;
    const f = foreign as never;
    return [
      ['killTree(NaN)', () => killTree(NaN), R()],
      ['killTree(Infinity)', () => killTree(Infinity), R()],
      ['killTree(-Infinity)', () => killTree(-Infinity), R()],
      ['killTree(-0)', () => killTree(-0), R()],
      ['killTree(2^31)', () => killTree(2 ** 31), R()],
      ['killTree(-1e20)', () => killTree(-1e20), R()],
      ['killTree("<pid>")', () => killTree(String(c) as never), T()],
      ['killTree({valueOf})', () => killTree({ valueOf: () => c } as never), T()],
      ['killTree(Symbol)', () => killTree(Symbol('pid') as never), T()],
      ['killTree(pid, "FOO")', () => killTree(c, 'FOO' as never), T('ERR_UNKNOWN_SIGNAL')],
      ['killTree(pid, 1000)', () => killTree(c, 1000), R()],
      ['killTree(pid, -9)', () => killTree(c, -9), R()],
      ['killTree(pid, TERM, {wait: -1})', () => killTree(c, 'TERM', { wait: -1 }), R()],
      ['killTree(pid, TERM, {wait: NaN})', () => killTree(c, 'TERM', { wait: NaN }), R()],
      ['killTree(pid, TERM, {wait: "yes"})', () => killTree(c, 'TERM', { wait: 'yes' as never }), T()],
      ['killTree(pid, TERM, {signal: aborted})', () => killTree(c, 'TERM', { signal: aborted }), ABORTED],
      ['killTree(pid, TERM, {signal: fake})', () => killTree(c, 'TERM', { signal: { aborted: true } as never }), T()],
      ['killTree(pid, TERM, 5)', () => killTree(c, 'TERM', 5 as never), T()],
      ['killTree(pid, TERM, {includeRoot: "no"})', () => killTree(c, 'TERM', { includeRoot: 'no' as never }), T()],
      ['descendants(NaN)', () => descendants(NaN), R()],
      ['descendants("1")', () => descendants('1' as never), T()],
      ['descendants(0)', () => descendants(0), R()],
      ['processTree(-5)', () => processTree(-5), R()],
      ['processTree(2^31)', () => processTree(2 ** 31), R()],
      ['processTree(10n)', () => processTree(10n as never), T()],
      ['ProcessHandle.open(-0)', () => ProcessHandle.open(-0), R()],
      ['ProcessHandle.open(1.5)', () => ProcessHandle.open(1.5), R()],
      ['ProcessHandle.open(null)', () => ProcessHandle.open(null as never), T()],
      ['ProcessHandle.open(1e10)', () => ProcessHandle.open(12345678901), R()],
      ['ProcessHandle.open(0)', () => ProcessHandle.open(0), R()],
      ['ProcessHandle.fromChild({pid})', () => ProcessHandle.fromChild({ pid: c } as never), T()],
      ['ProcessHandle.fromChild(foreign handle)', () => ProcessHandle.fromChild(f), T()],
      ['ProcessHandle.fromChild(pid)', () => ProcessHandle.fromChild(c as never), T()],
      ['handle.kill("NOPE")', () => h.kill('NOPE' as never), T('ERR_UNKNOWN_SIGNAL')],
      ['handle.kill(-15)', () => h.kill(-15), R()],
      ['handle.kill(NaN)', () => h.kill(NaN), R()],
      ['handle.kill(TERM, {wait: "true"})', () => h.kill('TERM', { wait: 'true' as never }), T()],
      ['handle.kill(TERM, {wait, timeout: -1})', () => h.kill('TERM', { wait: true, timeout: -1 }), R()],
      ['handle.kill(TERM, {wait, signal: aborted})', () => h.kill('TERM', { wait: true, signal: aborted }), ABORTED],
      ['handle.kill(TERM, "wait")', () => h.kill('TERM', 'wait' as never), T()],
      ['handle.wait({timeout: -5})', () => h.wait({ timeout: -5 }), R()],
      ['handle.wait({timeout: Infinity})', () => h.wait({ timeout: Infinity }), R()],
      ['handle.wait({signal: aborted})', () => h.wait({ signal: aborted }), ABORTED],
      ['handle.wait({signal: "abort"})', () => h.wait({ signal: 'abort' as never }), T()],
      ['closed handle.kill()', () => closed.kill('TERM'), CLOSED],
      ['closed handle.wait()', () => closed.wait(), CLOSED],
      ['closed handle.killTree()', () => closed.killTree('KILL'), CLOSED],
      ['closed handle.killGroup()', () => closed.killGroup('KILL'), CLOSED],
      ['closed handle.exited', () => closed.exited, CLOSED],
      ['waitForExit(NaN)', () => waitForExit(NaN), R()],
      ['waitForExit("<pid>")', () => waitForExit(String(c) as never), T()],
      ['waitForExit(2^31)', () => waitForExit(2 ** 31), R()],
      ['waitForExit(foreign handle)', () => waitForExit(f), T()],
      ['waitForExit(pid, {timeout: -1})', () => waitForExit(c, { timeout: -1 }), R()],
      ['waitForExit(pid, {signal: aborted})', () => waitForExit(c, { signal: aborted }), ABORTED],
      ['waitForExit(closed handle)', () => waitForExit(closed), CLOSED],
      ['terminate(NaN)', () => terminate(NaN), R()],
      ['terminate("<pid>")', () => terminate(String(c) as never), T()],
      ['terminate(foreign handle)', () => terminate(f), T()],
      ['terminate(pid, {timeout: -1})', () => terminate(c, { timeout: -1 }), R()],
      ['terminate(pid, {timeout: NaN})', () => terminate(c, { timeout: NaN }), R()],
      ['terminate(pid, {killSignal: "FOO"})', () => terminate(c, { killSignal: 'FOO' as never }), T('ERR_UNKNOWN_SIGNAL')],
      ['terminate(pid, {escalate: "BAR"})', () => terminate(c, { escalate: 'BAR' as never }), T('ERR_UNKNOWN_SIGNAL')],
      ['terminate(pid, {escalate: true})', () => terminate(c, { escalate: true as never }), T()],
      ['terminate(pid, {tree, group})', () => terminate(c, { tree: true, group: true }), R('ERR_INVALID_ARG_VALUE')],
      ['terminate(pid, {signal: aborted})', () => terminate(c, { signal: aborted }), ABORTED],
      ['terminate(closed handle)', () => terminate(closed), CLOSED],
      ['Job.create(5)', () => Job.create(5 as never), T()],
      ['Job.create({backend: "docker"})', () => Job.create({ backend: 'docker' as never }), T('ERR_INVALID_ARG_VALUE')],
      ['Job.create({name: "../x"})', () => Job.create({ name: '../x' }), R('ERR_INVALID_ARG_VALUE')],
      ['Job.create({parent: 5})', () => Job.create({ parent: 5 as never }), T()],
      ['job.spawn("")', () => job.spawn(''), T('ERR_INVALID_ARG_VALUE')],
      ['job.spawn(Symbol)', () => job.spawn(Symbol('cmd') as never), T('ERR_INVALID_ARG_VALUE')],
      ['job.spawn(node, [1])', () => job.spawn(process.execPath, [1 as never]), T()],
      ['job.add(NaN)', () => job.add(NaN), R()],
      ['job.add("<pid>")', () => job.add(String(c) as never), T()],
      ['job.add(-0)', () => job.add(-0), R()],
      ['job.add(foreign handle)', () => job.add(f), T()],
      ['job.kill("FOO")', () => job.kill('FOO' as never), T('ERR_UNKNOWN_SIGNAL')],
      ['job.kill(1000)', () => job.kill(1000), R()],
      ['job.wait({timeout: -1})', () => job.wait({ timeout: -1 }), R()],
      ['job.wait({signal: aborted})', () => job.wait({ signal: aborted }), ABORTED],
      ['job.wait("x")', () => job.wait('x' as never), T()],
      ['treeKill(-1, cb)', tk(-1), R()],
      ['treeKill(0, cb)', tk(0), R()],
      ['treeKill(2^31, cb)', tk(2 ** 31), R()],
      ['treeKill("abc", cb)', tk('abc'), { cls: 'Error', message: 'pid must be a number' }],
      ['treeKill(pid, "FOO", cb)', tk(c, 'FOO'), T('ERR_UNKNOWN_SIGNAL')],
      // As tree-kill (process.kill) reports it: kill(2)'s EINVAL, before anything is sent.
      ['treeKill(pid, 1000, cb)', tk(c, 1000), { cls: 'ProcessError', code: 'EINVAL' }],
      ['treeKill(NaN) without a callback', () => treeKill(NaN as never), { cls: 'Error', message: 'pid must be a number' }],
      ['treeKill(-5) without a callback', () => treeKill(-5), R()],
    ];
  };

  it('every malformed call gives its documented typed error, and nothing is signalled', async () => {
    const rows = matrix();
    expect(rows.length).toBeGreaterThanOrEqual(40);
    const wrong: string[] = [];
    for (const [label, call, want] of rows) {
      const e = await outcome(call);
      const err = e as Error & { code?: string };
      const ok =
        want.reason !== undefined
          ? e === want.reason
          : e instanceof Error && (want.cls === undefined || err.constructor.name === want.cls) && (want.code === undefined || err.code === want.code) && (want.message === undefined || err.message === want.message);
      if (!ok) wrong.push(`${label}: got ${e instanceof Error ? `${err.constructor.name} ${err.code ?? ''} ${err.message}` : String(e)}`);
    }
    report(`bad input: ${rows.length} malformed calls, ${wrong.length} wrong`);
    expect(wrong).toEqual([]);
    // The canaries prove nothing reached them; the job still holds its own.
    expect(await canaryReport(canary.child)).toEqual([]);
    expect(await canaryReport(jobCanary)).toEqual([]);
    expect(probe(canary.pid)).toBe('alive');
    expect(probe(jobCanary.pid!)).toBe('alive');
    expect(job.pids()).toContain(jobCanary.pid);
    expect(h.tryWait()).toBeNull();
  });

  it('Job.add(closed handle) refuses instead of adopting whatever now has that pid', async () => {
    const s = await spawnFixture('sleeper.js');
    const stale = ProcessHandle.open(s.pid);
    stale.close();
    const j = Job.create();
    try {
      const e = await outcome(() => j.add(stale));
      expect((e as { code?: string }).code).toBe('ERR_PROCESS_HANDLE_CLOSED');
      expect(j.pids()).not.toContain(s.pid);
    } finally {
      await j.close();
    }
    // (If the job had taken it, close() would have killed it.)
    expect(probe(s.pid)).toBe('alive');
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Pid reuse

const canRecycle = isLinux && isRoot && (() => {
  try {
    fs.accessSync('/proc/sys/kernel/ns_last_pid', fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();

/** Spawns `make()` until the new process gets `pid` (ns_last_pid = pid - 1 right before); null after 200 tries. */
async function claimPid(pid: number, make: () => ChildProcess, signal?: AbortSignal): Promise<ChildProcess | null> {
  for (let attempt = 0; attempt < 200; attempt++) {
    checkAborted(signal);
    fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const c = make();
    if (c.pid) track(c.pid);
    if (c.pid === pid) return c;
    c.kill('SIGKILL');
    await exitOf(c);
  }
  return null;
}
// A plain `sleep`: any process does for the old owner and the newcomer of a pid, and hundreds of
// them are started, so the cheapest one keeps these tests fast on a loaded machine.
/**
 * The pid + start-time fallback (PROCSIG_NO_PIDFD=1) tells processes apart by start time, which
 * Linux keeps in clock ticks (10 ms): a newcomer started in the same tick as the pid's old owner
 * looks like it (see "small window" in docs/api.md). With the fallback, the old owner lives a few
 * ticks first, so these tests check the start-time logic rather than the tick resolution.
 */
const tickApart = (): Promise<void> => (handleKind() === 'pid' ? sleep(30) : Promise.resolve());
const sleeperProc = (): ChildProcess => spawn('sleep', ['100000'], { stdio: 'ignore' });

/**
 * A parent with one child, both plain `sleep`s (a shell starts the child, prints "ready <child
 * pid>" and execs into the parent): a hundred of these are started, and a Node parent would cost
 * each a Node startup. Killing the parent orphans the child.
 */
async function parentWithChild(): Promise<Spawned> {
  const child = spawn('/bin/sh', ['-c', 'sleep 100000 & echo ready $!; exec sleep 100000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(child.pid!);
  const ready = await new Promise<string[]>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.trim().split(/\s+/).slice(1));
    });
    child.once('exit', (code, sig) => reject(new Error(`parent exited early (${code ?? sig})`)));
  });
  track(...ready.map(Number));
  return { child, pid: child.pid!, ready };
}

describe.runIf(canRecycle)('pid reuse (ns_last_pid)', () => {
  it(
    `a handle never signals the process that inherited its pid (${N.reuseHandle} trials)`,
    async ({ signal }) => {
      let trials = 0;
      let skipped = 0;
      let hit = 0;
      for (let i = 0; i < N.reuseHandle; i++) {
        checkAborted(signal);
        const old = sleeperProc();
        track(old.pid!);
        await tickApart();
        // Half by fromChild, half by open(pid) (no ChildProcess to consult: the pidfd alone).
        const h = i % 2 === 0 ? ProcessHandle.fromChild(old) : ProcessHandle.open(old.pid!);
        const pid = old.pid!;
        old.kill('SIGKILL');
        await exitOf(old); // reaped by libuv: the pid is free
        const newcomer = await claimPid(pid, sleeperProc, signal).catch((e: unknown) => {
          h.close();
          throw e;
        });
        if (!newcomer) {
          skipped++;
          h.close();
          continue;
        }
        trials++;
        const e = await outcome(() => h.kill('SIGKILL'));
        if (!(e instanceof UnexpectedExitError || e instanceof AlreadyExitedError)) hit++;
        const e2 = await outcome(() => h.killTree('SIGKILL'));
        if (!(e2 instanceof UnexpectedExitError || e2 instanceof AlreadyExitedError)) hit++;
        // waiting on the handle ends at once: it is the old process's exit, not the newcomer's
        const r = await Promise.race([h.wait(), sleep(30_000).then(() => 'hung')]);
        if (r === 'hung') hit++;
        h.close();
        // Had the handle sent SIGKILL, the newcomer would be dead of SIGKILL; it dies of our SIGTERM.
        newcomer.kill('SIGTERM');
        await exitOf(newcomer);
        if (newcomer.signalCode !== 'SIGTERM') hit++;
      }
      report(`pid reuse / handle: ${trials} trials with the pid recycled (${skipped} could not be recycled), ${hit} newcomers signalled`);
      expect(hit).toBe(0);
      expect(trials).toBeGreaterThanOrEqual(N.reuseHandle * 0.8);
    },
    SOAK ? 1_800_000 : 300_000,
  );

  it('Job.add(handle) never adopts the process that inherited the handle\'s pid', async ({ skip }) => {
    const old = sleeperProc();
    track(old.pid!);
    await tickApart();
    const h = ProcessHandle.open(old.pid!);
    old.kill('SIGKILL');
    await exitOf(old);
    const newcomer = await claimPid(h.pid, sleeperProc);
    if (!newcomer) {
      h.close();
      // (other processes on the machine forked in between every time: nothing to assert)
      return skip('could not get the pid recycled in 200 tries on a busy machine');
    }
    const job = Job.create();
    try {
      const e = await outcome(() => job.add(h));
      expect(e instanceof UnexpectedExitError || e instanceof AlreadyExitedError).toBe(true);
      expect(job.pids()).not.toContain(h.pid);
    } finally {
      h.close();
      await job.close();
    }
    // Had the job adopted it, close() would have SIGKILLed it.
    newcomer!.kill('SIGTERM');
    await exitOf(newcomer!);
    expect(newcomer!.signalCode).toBe('SIGTERM');
  });

  it(
    `killTree never reaches an orphan through a recycled parent pid (${N.reuseTree} trials)`,
    async ({ signal }) => {
      let trials = 0;
      let skipped = 0;
      let wrong = 0;
      const batch = 10;
      for (let done = 0; done < N.reuseTree; done += batch) {
        checkAborted(signal);
        // Parents start in parallel; the recycling itself is serialized below.
        const parents = await Promise.all(Array.from({ length: Math.min(batch, N.reuseTree - done) }, () => parentWithChild()));
        for (const parent of parents) {
          const orphan = Number(parent.ready[0]);
          parent.child.kill('SIGKILL');
          await exitOf(parent.child);
          const newcomer = await claimPid(parent.pid, sleeperProc, signal);
          if (!newcomer) {
            skipped++;
            continue;
          }
          trials++;
          if (descendants(parent.pid).includes(orphan)) wrong++;
          const r = await killTree(parent.pid, 'SIGKILL', { wait: 30_000 });
          if (r.signalled.includes(orphan) || !r.signalled.includes(parent.pid) || !r.dead) wrong++;
          if (isTrackedDead(orphan)) wrong++;
          await exitOf(newcomer);
          if (newcomer.signalCode !== 'SIGKILL') wrong++;
          killTracked(orphan); // (by pid and start time: had it died, its pid could be anyone's now)
        }
      }
      report(`pid reuse / killTree: ${trials} trials with the parent's pid recycled (${skipped} could not be recycled), ${wrong} wrong (orphans reached or newcomers missed)`);
      expect(wrong).toBe(0);
      expect(trials).toBeGreaterThanOrEqual(N.reuseTree * 0.8);
    },
    SOAK ? 1_800_000 : 300_000,
  );
});

// ---------------------------------------------------------------------------------------------
// 3. Storms and leaks

describe.runIf(isLinux)('storms and leaks', () => {
  it(
    `${N.cycles} spawn → handle → kill → wait cycles leave fds, threads, RSS and zombies at baseline`,
    async ({ signal }) => {
      const cycle = async (i: number): Promise<number | null | undefined> => {
        checkAborted(signal);
        const c = sleeperProc();
        track(c.pid!);
        const h = ProcessHandle.fromChild(c);
        let code: number | null | undefined;
        if (i % 2 === 0) code = (await h.kill('SIGKILL', { wait: true, timeout: 60_000 }))?.code;
        else {
          kill('KILL', c.pid!);
          code = (await waitForExit(h, { timeout: 60_000 })).status?.code;
        }
        h.close();
        await exitOf(c);
        return code;
      };
      for (let i = 0; i < 20; i++) await cycle(i); // warm-up: libuv, V8 and child_process caches
      gc();
      const base = { fds: fdCount(), threads: threadCount(), rss: process.memoryUsage().rss };
      const t0 = Date.now();
      let wrongCodes = 0;
      for (let i = 0; i < N.cycles; i++) if ((await cycle(i)) !== 137) wrongCodes++;
      const ms = Date.now() - t0;
      gc();
      await sleep(50);
      gc();
      const after = { fds: fdCount(), threads: threadCount(), rss: process.memoryUsage().rss };
      const zombies = zombieChildren();
      const [watchers, handles] = native.watchCount();
      report(
        `cycles: ${N.cycles} in ${ms} ms, wrong codes ${wrongCodes}; fds ${base.fds} -> ${after.fds}, threads ${base.threads} -> ${after.threads}, ` +
          `RSS ${(base.rss / 2 ** 20).toFixed(1)} -> ${(after.rss / 2 ** 20).toFixed(1)} MiB, zombies ${zombies.length}, watchers ${watchers}, open handles ${handles}`,
      );
      expect(wrongCodes).toBe(0);
      expect(after.fds).toBeLessThanOrEqual(base.fds);
      expect(after.threads).toBeLessThanOrEqual(base.threads);
      // RSS is noisy (V8 heap growth, malloc arenas): a leak of one fd/handle/watcher object per
      // cycle would still show far beyond this. Under the sanitizer lane ASan's quarantine holds
      // freed memory on purpose (LeakSanitizer checks leaks there instead).
      const underAsan = (process.env.LD_PRELOAD ?? '').includes('libasan');
      expect(after.rss - base.rss).toBeLessThan((underAsan ? 256 : SOAK ? 64 : 48) * 2 ** 20);
      expect(zombies).toEqual([]);
      expect([watchers, handles]).toEqual([0, 0]);
    },
    SOAK ? 1_800_000 : 300_000,
  );

  it(
    `${N.waiters} concurrent waiters on 10 processes all resolve and release everything`,
    async () => {
      const kids = await Promise.all(Array.from({ length: 10 }, () => spawnFixture('sleeper.js')));
      gc();
      const base = { fds: fdCount(), threads: threadCount() };
      const perKid = N.waiters / kids.length;
      const handles = kids.map((k) => ProcessHandle.fromChild(k.child));
      const waits: Promise<{ pid: number }>[] = [];
      kids.forEach((k, i) => {
        // half by pid (a pidfd each), half through one shared handle (one watcher)
        for (let j = 0; j < perKid / 2; j++) waits.push(waitForExit(k.pid, { timeout: 120_000 }));
        for (let j = 0; j < perKid / 2; j++) waits.push(handles[i].wait({ timeout: 120_000 }));
      });
      const peak = native.watchCount();
      expect(waits.length).toBe(N.waiters);
      expect(kill('KILL', ...kids.map((k) => k.pid))).toBe(kids.length);
      const results = await Promise.all(waits);
      for (const h of handles) h.close();
      await Promise.all(kids.map((k) => exitOf(k.child)));
      const pids = new Set(kids.map((k) => k.pid));
      expect(results.every((r) => pids.has(r.pid))).toBe(true);
      await sleep(20);
      const after = { fds: fdCount(), threads: threadCount() };
      const [watchers, open] = native.watchCount();
      report(`waiters: ${waits.length} resolved; peak ${peak[0]} watchers / ${peak[1]} handles; after: fds ${base.fds} -> ${after.fds}, threads ${base.threads} -> ${after.threads}, watchers ${watchers}, zombies ${zombieChildren().length}`);
      expect(after.fds).toBeLessThanOrEqual(base.fds);
      expect(after.threads).toBeLessThanOrEqual(base.threads);
      expect([watchers, open]).toEqual([0, 0]);
      expect(zombieChildren()).toEqual([]);
    },
    300_000,
  );

  const storm = async (how: 'killTree' | 'job'): Promise<{ made: number; survivors: number[] }> => {
    const mark = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    marks.add(mark);
    const env = { ...process.env, PROCSIG_HARD_MARK: mark };
    let survivors: number[];
    let made = 0;
    if (how === 'killTree') {
      const s = await spawnFixture('hard-forkstorm.js', [String(N.stormSize)], { env, detached: true });
      await sleep(30); // mid-storm
      made = marked(mark).length;
      const r = await killTree(s.pid, 'SIGKILL', { wait: 60_000 });
      expect(r.dead).toBe(true);
    } else {
      const job = Job.create();
      try {
        const { child } = job.spawn(process.execPath, [fixture('hard-forkstorm.js'), String(N.stormSize)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
        track(child.pid!);
        await new Promise((r) => child.stdout!.once('data', r));
        await sleep(30);
        made = marked(mark).length;
        await job.kill('SIGKILL');
        await job.wait({ timeout: 60_000 });
      } finally {
        await job.close();
      }
    }
    // Dead means gone or a zombie (orphans wait for init to reap them).
    survivors = marked(mark).filter((p) => !isDead(p));
    return { made, survivors };
  };

  it.skipIf(procHiddenSkip !== null)(
    `a fork storm is killed with zero survivors, by killTree and by a Job (${N.storms} trials each)${hiddenNote}`,
    async ({ signal }) => {
      const rows: string[] = [];
      let survivors = 0;
      const made = { killTree: [] as number[], job: [] as number[] };
      for (let i = 0; i < N.storms; i++) {
        for (const how of ['killTree', 'job'] as const) {
          checkAborted(signal);
          const r = await storm(how);
          survivors += r.survivors.length;
          made[how].push(r.made);
          rows.push(`${how}: ${r.survivors.length} survivors${r.survivors.length ? ` (${r.survivors.map((p) => `${p}:${procState(p)}`).join(' ')})` : ''}`);
          killMarked();
        }
      }
      const range = (a: number[]): string => `${Math.min(...a)}-${Math.max(...a)}`;
      report(`fork storms: ${N.storms} x killTree (${range(made.killTree)} processes alive at the kill) + ${N.storms} x Job (${range(made.job)}), ${survivors} survivors in total`);
      expect(rows.filter((r) => !r.includes(': 0 survivors'))).toEqual([]);
    },
    SOAK ? 1_800_000 : 300_000,
  );
});

// ---------------------------------------------------------------------------------------------
// 4. Workers

describe.runIf(isLinux)('worker_threads', () => {
  it.skipIf(procHiddenSkip !== null)(
    `the addon in 4 workers at once, each spawning, killing and waiting${hiddenNote}`,
    async () => {
      const d = compileLib();
      gc();
      const fds = fdCount();
      const workers = Array.from({ length: 4 }, () => new Worker(fixture('hard-worker.js'), { workerData: { dist: path.join(d, 'index.js'), rounds: N.workerRounds }, env: { ...process.env, PROCSIG_NATIVE: addon } }));
      const results = await Promise.all(
        workers.map(
          (w) =>
            new Promise<{ codes?: number[]; pids?: [number, string][]; error?: string }>((resolve, reject) => {
              w.once('message', resolve);
              w.once('error', reject);
            }),
        ),
      );
      await Promise.all(workers.map((w) => w.terminate()));
      for (const r of results) {
        expect(r.error).toBeUndefined();
        // (not tracked for cleanup: they are reaped, so their pids may already be someone else's)
        expect(r.codes!.length).toBe(N.workerRounds);
        // SIGKILL → 137; terminate's SIGTERM → 143; never unknown
        for (const code of r.codes!) expect([137, 143]).toContain(code);
        // (by pid and start time: a reaped pid may be another process's by now)
        for (const [p, start] of r.pids!) expect(isDeadSince(p, start), `${p}`).toBe(true);
      }
      await sleep(50);
      report(`workers: 4 x ${N.workerRounds} kill/wait rounds, fds ${fds} -> ${fdCount()}`);
      expect(fdCount()).toBeLessThanOrEqual(fds);
    },
    SOAK ? 600_000 : 300_000,
  );

  it(
    `workers terminated mid-wait release their watchers (${N.teardowns} workers)`,
    async ({ signal }) => {
      const d = compileLib();
      const kids = await Promise.all(Array.from({ length: 3 }, () => spawnFixture('sleeper.js')));
      gc();
      const fds = fdCount();
      let resolvedAfter = 0;
      for (let i = 0; i < N.teardowns; i++) {
        checkAborted(signal);
        const target = kids[i % kids.length];
        const w = new Worker(fixture('hard-waiter.js'), { workerData: { dist: path.join(d, 'index.js'), pid: target.pid }, env: { ...process.env, PROCSIG_NATIVE: addon } });
        let terminated = false;
        w.on('message', (m) => {
          if (m === 'resolved' && terminated) resolvedAfter++;
        });
        await new Promise((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        });
        terminated = true;
        await w.terminate();
      }
      // Last round: the target exits while the worker is being torn down.
      const last = kids[0];
      const w = new Worker(fixture('hard-waiter.js'), { workerData: { dist: path.join(d, 'index.js'), pid: last.pid }, env: { ...process.env, PROCSIG_NATIVE: addon } });
      await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      const t = w.terminate();
      kill('KILL', last.pid);
      await t;
      // The others die now, with no worker left to hear it: a stray callback into a dead env
      // would crash this process.
      kill('KILL', ...kids.slice(1).map((k) => k.pid));
      await Promise.all(kids.map((k) => exitOf(k.child)));
      await sleep(100);
      gc();
      const after = fdCount();
      report(`worker teardown: ${N.teardowns + 1} workers terminated mid-wait (24 waits each), fds ${fds} -> ${after}, callbacks after terminate ${resolvedAfter}`);
      expect(after).toBeLessThanOrEqual(fds);
      expect(resolvedAfter).toBe(0);
      expect(native.watchCount()).toEqual([0, 0]);
    },
    SOAK ? 600_000 : 300_000,
  );

  // A native call whose environment is being torn down (worker.terminate()) sees its value
  // creation fail: node-addon-api once turned that into a fatal error (napi_throw refused), and
  // empty typed arrays were written through (a null Data(): SIGSEGV), both aborting the whole
  // process. Run in a child process, with pidfds and without, so that a crash fails this test
  // instead of the runner.
  it.each(['pidfds', 'PROCSIG_NO_PIDFD=1'])('workers terminated inside native calls never abort the process (%s)', (mode) => {
    const r = spawnSyncNode([fixture('terminate-race.js'), path.join(repo, 'dist', 'index.js'), String(SOAK ? 1000 : 100)], {
      ...process.env,
      PROCSIG_NATIVE: addonPath,
      PROCSIG_NO_PIDFD: mode === 'pidfds' ? '' : '1',
    });
    // (its sleeper outlives it if it crashed: killed by pid and start time after the test)
    const sleeper = /^sleeper (\d+) (\d+)$/m.exec(r.stdout);
    if (sleeper && !isDeadSince(Number(sleeper[1]), sleeper[2])) process.kill(Number(sleeper[1]), 'SIGKILL');
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\nsurvived\n$/);
  });
});

/** Runs node with `args` to its end: status, signal and output (the end of stderr). */
function spawnSyncNode(args: string[], env: NodeJS.ProcessEnv): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.slice(-2000) };
}

// ---------------------------------------------------------------------------------------------
// 5. Permissions

describe.runIf(isLinux && isRoot)('a target owned by another uid', () => {
  it('EPERM: probe() forbidden, kill() does not count it, killTree and terminate report it instead of hanging', async () => {
    // Other uids cannot read a checkout in a private (0700) directory: they run a world-readable copy.
    const staged = stageForOtherUid(compileLib());
    onTestFinished(() => staged.remove());
    // The target: a canary running as nobody. The caller: an unprivileged uid (root may signal anything).
    const target = await spawnFixture(staged.fixture('canary.js'), [], { uid: 65534, gid: 65534, cwd: '/' });
    expect(probe(target.pid)).toBe('alive'); // as root
    // detached: a session of its own. kill(2) lets SIGCONT through to any process of the
    // caller's session whatever the uids, and killTree resumes (SIGCONT) every member after the
    // freeze — even one it could not stop (reported); a separate session keeps this test about EPERM.
    const run = await runStagedAs(staged, 65533, 'hard-perm.js', [staged.index, String(target.pid)]);
    expect(run.code).toBe(0);
    const r = JSON.parse(run.out);
    report(`permissions: ${JSON.stringify(r)}`);
    expect(r.uid).toBe(65533);
    expect(r.probe).toBe('forbidden');
    expect(r.isAlive).toBe(true);
    expect(r.kill0).toBe(0);
    expect(r.kill0Error).toMatchObject({ code: 'EPERM', syscall: 'kill', pid: target.pid });
    expect(r.kill0Mixed).toBe(1);
    expect(r.killTerm).toBe(0);
    expect(r.killTermError.code).toBe('EPERM');
    expect(r.killEach).toEqual(['EPERM']);
    expect(r.killTree.threw).toBeUndefined();
    expect(r.killTree.failed).toEqual([{ pid: target.pid, code: 'EPERM' }]);
    expect(r.killTree.signalled).toEqual([]);
    expect(r.terminate).toMatchObject({ code: 'EPERM' });
    expect(r.terminateMs).toBeLessThan(20_000); // (its timeout is 1 s: far below a hang, far above a loaded machine)
    expect(r.handleKill).toMatchObject({ code: 'EPERM' });
    // Nothing got through.
    expect(await canaryReport(target.child)).toEqual([]);
    expect(probe(target.pid)).toBe('alive');
  });
});
