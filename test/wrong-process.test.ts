/**
 * Issue 13, "wrong process signalled": process group 1, pids from ChildProcess-like objects, the
 * ProcessHandle constructor, thread ids, and Job.kill() failures.
 *
 * Group 1 is a broadcast (glibc's killpg(1) is kill(-1)). Outside a PID namespace no test may
 * ever let such a call through, even against code without the refusal: the addon is wrapped
 * here (and by test/fixtures/no-broadcast.js in child processes) so that a call reaching kill(-1)
 * or killpg(1) is recorded and answered EPERM instead of being made. Native's own refusal is
 * checked with signal 0 only (kill(-1, 0) signals nothing). The real thing runs in a fresh PID
 * namespace where this suite's node is PID 1 and leads group 1 (root and unshare(1) needed).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { descendants, Job, kill, killEach, killpg, killTree, killTreeSync, ProcessHandle, probe, processTree, isAlive, terminate } from '../lib';
import { HandleCap, native } from '../lib/native';
import { canaryReport, cleanup, fixture, hiddenNote, isRoot, procHiddenSkip, runStagedAs, spawnFixture, stageForOtherUid, track, type Spawned } from './helpers';

const linux = process.platform === 'linux';
const repo = path.join(__dirname, '..');
const dist = path.join(repo, 'dist');
const EINVAL = 22;

/** Calls that would reach every process, caught by the wrapper below instead of being made. */
const reached: unknown[][] = [];
const real = { kill: native.kill, killMany: native.killMany, killpg: native.killpg };

let canary: Spawned;
beforeAll(async () => {
  native.kill = (pid, sig) => (pid === -1 ? (reached.push(['kill', pid, sig]), { errno: 1, syscall: 'kill' }) : real.kill(pid, sig));
  native.killMany = (pids, sig) => {
    if (pids.includes(-1)) {
      reached.push(['killMany', Array.from(pids), sig]);
      return { syscall: 'kill', pid: Int32Array.from(pids), errno: new Int32Array(pids.length).fill(1) };
    }
    return real.killMany(pids, sig);
  };
  native.killpg = (pgid, sig) => (pgid === 1 || pgid < 0 ? (reached.push(['killpg', pgid, sig]), { errno: 1, syscall: 'killpg' }) : real.killpg(pgid, sig));
  canary = await spawnFixture('canary.js');
});
afterAll(() => {
  native.kill = real.kill;
  native.killMany = real.killMany;
  native.killpg = real.killpg;
  cleanup();
});

/** The error `fn` throws or its promise rejects with; 'returned' when neither. */
async function outcome(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return 'returned';
}

const GROUP1 = { name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/group 1.*kill\(-1\)/) };

describe('process group 1 is refused on every path, before anything is signalled', () => {
  const forms: [string, () => unknown][] = [
    ['kill(-15, 1)', () => kill(-15, 1)],
    ["kill('-TERM', 1)", () => kill('-TERM', 1)],
    ["kill('-SIGKILL', 1)", () => kill('-SIGKILL', 1)],
    ["kill('-KILL', canary, 1)", () => kill('-KILL', canary.pid, 1)],
    ["kill(-9, 1, canary)", () => kill(-9, 1, canary.pid)],
    ['killEach(-15, [1])', () => killEach(-15, [1])],
    ["killEach('-TERM', [canary, 1])", () => killEach('-TERM', [canary.pid, 1])],
    ['killpg(1)', () => killpg(1)],
    ["killpg(1, 'KILL')", () => killpg(1, 'KILL')],
    ['killpg(1, 0)', () => killpg(1, 0)],
    ['terminate(1, { group: true })', () => terminate(1, { group: true, timeout: 100 })],
  ];
  it.each(forms)('%s: RangeError ERR_INVALID_ARG_VALUE, no kill(-1)', async (_name, fn) => {
    const before = reached.length;
    const e = await outcome(fn);
    expect(e).toMatchObject(GROUP1);
    expect(reached.slice(before)).toEqual([]);
  });

  it.runIf(linux)('ProcessHandle.open(1).killGroup(): refused', async () => {
    let h: ProcessHandle | undefined;
    try {
      h = ProcessHandle.open(1);
    } catch (e) {
      // pid 1 may not be openable here (another namespace's init, hidepid): nothing to test.
      expect((e as { code?: string }).code).toMatch(/^E/);
      return;
    }
    try {
      const before = reached.length;
      expect(await outcome(() => h!.killGroup('SIGTERM'))).toMatchObject(GROUP1);
      expect(reached.slice(before)).toEqual([]);
    } finally {
      h.close();
    }
  });

  it.runIf(linux)('native killpg refuses group 1 and negative groups, killMany refuses -1 (EINVAL; probed with signal 0)', () => {
    // Signal 0 sends nothing even where the refusal were missing: kill(-1, 0) is only a check.
    expect(real.killpg(1, 0)).toEqual({ errno: EINVAL, syscall: 'killpg' });
    expect(real.killpg(-canary.pid, 0)).toEqual({ errno: EINVAL, syscall: 'killpg' });
    expect(real.killpg(canary.pid, 0)).toEqual({ errno: 3 /* ESRCH: the canary leads no group */, syscall: 'killpg' });
    expect(real.killMany(Int32Array.of(-1, canary.pid), 0)).toEqual({ syscall: 'kill', pid: Int32Array.of(-1), errno: Int32Array.of(EINVAL) });
  });

  it.runIf(linux)('`procsig terminate --group 1` exits 1 with the refusal and signals nothing', () => {
    const r = spawnSync(process.execPath, ['-r', fixture('no-broadcast.js'), path.join(dist, 'cli.js'), 'terminate', '--group', '--json', '1'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, PROCSIG_DIST: dist },
    });
    expect(r.stderr).not.toMatch(/no-broadcast: reached/);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ pid: 1, ok: false, code: 'ERR_INVALID_ARG_VALUE' })]);
  });

  it('the canary received nothing and nothing reached kill(-1)', async () => {
    expect(reached).toEqual([]);
    expect(await canaryReport(canary.child)).toEqual([]);
  });
});

const canNamespace = ((): string | null => {
  if (!linux) return 'Linux only';
  if (!isRoot) return 'unshare --pid needs root';
  try {
    execFileSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return null;
  } catch (e) {
    return `unshare --pid --fork --mount-proc fails here (${(e as Error).message.split('\n')[0]})`;
  }
})();
if (canNamespace) console.warn(`PID-namespace group-1 test skipped: ${canNamespace}`);

describe.skipIf(canNamespace !== null)('in a PID namespace, as PID 1 leading group 1 (a container)', () => {
  it('every group-1 form is refused and neither canary (same group, own group) receives anything', () => {
    // setsid: the namespace's PID 1 leads session 1 and group 1, like a container's init.
    const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'setsid', process.execPath, fixture('ns-group1.js'), dist], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout, r.stderr).toMatch(/^\{/);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ pid: 1, pgid: 1, sid: 1 });
    const forms = Object.entries(out.forms as Record<string, unknown>);
    expect(forms.length).toBe(10);
    for (const [name, res] of forms) expect(res, name).toMatchObject(GROUP1);
    expect(out.native).toEqual({ killpg1: EINVAL, killManyMinus1: EINVAL });
    expect(out.cli.status).toBe(1);
    expect(JSON.parse(out.cli.stdout)).toEqual([expect.objectContaining({ pid: 1, ok: false, code: 'ERR_INVALID_ARG_VALUE' })]);
    expect(out.received).toEqual([[], []]);
  });
});

// ---------------------------------------------------------------------------------------------

/** A ChildProcess look-alike (what fromChild and terminate accept) with the given pid. */
function fakeChild(pid: number): ChildProcess {
  return { pid, exitCode: null, signalCode: null, kill: () => true, once: () => undefined, on: () => undefined } as unknown as ChildProcess;
}

describe('a pid from a ChildProcess-like object is validated like every other pid', () => {
  it.each([
    ['2^32 + pid', (p: number) => 2 ** 32 + p],
    ['pid + 0.5', (p: number) => p + 0.5],
    ['-pid', (p: number) => -p],
    ['0', () => 0],
    ['2^31', () => 2 ** 31],
    ['NaN', () => NaN],
  ])('%s: fromChild and terminate refuse it (RangeError ERR_OUT_OF_RANGE), nothing signalled', async (_l, make) => {
    const bad = fakeChild(make(canary.pid));
    let h: ProcessHandle | undefined;
    const e = await outcome(() => {
      h = ProcessHandle.fromChild(bad);
      h.kill('SIGUSR1');
    });
    h?.close();
    expect(e).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    expect(await outcome(() => terminate(bad, { killSignal: 'SIGUSR1', timeout: 100 }))).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    expect(await canaryReport(canary.child)).toEqual([]);
  });

  it('new ProcessHandle(...) is refused from outside (TypeError ERR_ILLEGAL_CONSTRUCTOR); the real handle keeps its fd', () => {
    const h = ProcessHandle.open(canary.pid);
    try {
      const Ctor = ProcessHandle as unknown as new (...a: unknown[]) => ProcessHandle;
      for (const args of [[canary.pid, 0, null, undefined], [Symbol('procsig.ProcessHandle'), canary.pid, 0, null, undefined], []]) {
        expect(() => new Ctor(...args)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_ILLEGAL_CONSTRUCTOR' }));
      }
      // still usable: nobody closed its fd
      expect(h.tryWait()).toBeNull();
      h.kill(0);
    } finally {
      h.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe.runIf(linux)('thread ids', () => {
  /** A thread of this process that is not its main thread (libuv and V8 start several). */
  const tid = (): number => Number(fs.readdirSync('/proc/self/task').find((t) => Number(t) !== process.pid));

  it('kill()/killEach() pass a tid through to kill(2) (Perl-style; documented), shown with signal 0 only', () => {
    expect(kill(0, tid())).toBe(1);
    expect(killEach(0, [tid()])).toEqual([{ pid: tid(), ok: true }]);
  });

  it('probe()/isAlive() refuse a tid: ProcessError EINVAL (no process has that id)', () => {
    const t = tid();
    expect(() => probe(t)).toThrow(expect.objectContaining({ name: 'ProcessError', code: 'EINVAL', pid: t }));
    expect(() => isAlive(t)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(probe(process.pid)).toBe('alive');
  });

  it.skipIf(procHiddenSkip !== null)(`the tree functions refuse a tid: descendants, processTree, killTree, killTreeSync (EINVAL; signal 0, nothing sent)${hiddenNote}`, async () => {
    const t = tid();
    expect(() => descendants(t)).toThrow(expect.objectContaining({ code: 'EINVAL', pid: t }));
    expect(() => processTree(t)).toThrow(expect.objectContaining({ code: 'EINVAL', pid: t }));
    await expect(killTree(t, 0)).rejects.toMatchObject({ code: 'EINVAL', pid: t });
    expect(() => killTreeSync(t, 0)).toThrow(expect.objectContaining({ code: 'EINVAL', pid: t }));
  });

  it('ProcessHandle.open(tid) is refused with and without pidfds (EINVAL)', async () => {
    expect(() => ProcessHandle.open(tid())).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    const saved = process.env.PROCSIG_NO_PIDFD;
    process.env.PROCSIG_NO_PIDFD = '1';
    vi.resetModules();
    try {
      const mod = await import('../lib/handle');
      expect(() => mod.ProcessHandle.open(tid())).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'open' }));
      const h = mod.ProcessHandle.open(process.pid);
      h.close();
    } finally {
      if (saved === undefined) delete process.env.PROCSIG_NO_PIDFD;
      else process.env.PROCSIG_NO_PIDFD = saved;
      vi.resetModules();
    }
  });

  it('Job.add(tid) is refused by every backend (cgroup.procs would move the whole process)', () => {
    // In a process of its own: without the refusal the cgroup2 job takes that process.
    const r = spawnSync(process.execPath, [fixture('job-tid.js'), path.join(dist, 'index.js')], { encoding: 'utf8', timeout: 20_000 });
    const out = JSON.parse(r.stdout);
    expect(out.cgroupMoved).toBe(false);
    for (const backend of ['cgroup2', 'tree']) {
      if (out[backend].unavailable) continue;
      expect(out[backend], backend).toMatchObject({ code: 'EINVAL' });
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe.runIf(linux && isRoot)('Job.kill() reports what it could not signal', () => {
  it("a member of another uid (EPERM) is in `failed` ('tree' backend)", async () => {
    // The target runs as nobody; the job's owner is another unprivileged uid (root may signal anything).
    // Other uids cannot read a checkout in a private (0700) directory: they run a staged copy.
    const staged = stageForOtherUid();
    onTestFinished(() => staged.remove());
    const target = await spawnFixture(staged.fixture('canary.js'), [], { uid: 65534, gid: 65534, detached: true, cwd: '/' });
    const run = await runStagedAs(staged, 65533, 'job-perm.js', [staged.index, String(target.pid)]);
    const out = JSON.parse(run.out);
    expect(out.uid).toBe(65533);
    expect(out.result).toEqual({ failed: [{ pid: target.pid, group: false, code: 'EPERM' }] });
    expect(await canaryReport(target.child)).toEqual([]);
  });

  it('a job whose members were all signalled resolves with failed: []', async () => {
    const job = Job.create({ backend: 'tree' });
    try {
      const { child } = job.spawn(process.execPath, [fixture('sleeper.js')]);
      track(child.pid!);
      expect(await job.kill('SIGKILL')).toEqual({ failed: [] });
      await job.wait({ timeout: 10_000 });
    } finally {
      await job.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Without pidfds: the identity of a handle is an open /proc/<pid> directory, not pid + start time

const canRecycle = ((): boolean => {
  if (!linux || !isRoot) return false;
  try {
    fs.accessSync('/proc/sys/kernel/ns_last_pid', fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();
const TRIALS = Number(process.env.PROCSIG_REUSE_TRIALS ?? (process.env.PROCSIG_SOAK === '1' ? 1000 : 150));
const exitOf = (c: ChildProcess): Promise<void> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r())));
const startTick = (pid: number): string | undefined => {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
};

describe.runIf(canRecycle)('pid reuse without pidfds (PROCSIG_NO_PIDFD=1), directed to the same clock tick', () => {
  it(
    `a handle never signals the newcomer, even one started in the old process's clock tick (${TRIALS} trials)`,
    async ({ skip }) => {
      const saved = process.env.PROCSIG_NO_PIDFD;
      process.env.PROCSIG_NO_PIDFD = '1';
      vi.resetModules();
      let trials = 0;
      let sameTick = 0;
      let wrong = 0;
      let skipped = 0;
      try {
        const mod = await import('../lib/handle');
        expect(mod.handleKind()).toBe('procfd');
        const sleeper = (): ChildProcess => spawn('sleep', ['1000'], { stdio: 'ignore' });
        // Until TRIALS pids were recycled (a concurrent fork elsewhere may take one first).
        for (let i = 0; trials < TRIALS && i < TRIALS * 1.5; i++) {
          // Everything as fast as it goes: the newcomer should start in the old one's 10 ms tick,
          // which a pid + start-time identity cannot tell apart.
          const old = sleeper();
          const pid = old.pid!;
          track(pid);
          const h = i % 2 === 0 ? mod.ProcessHandle.open(pid) : mod.ProcessHandle.fromChild(old);
          const tick = startTick(pid);
          old.kill('SIGKILL');
          await exitOf(old); // reaped by libuv: the pid is free
          let newcomer: ChildProcess | null = null;
          for (let attempt = 0; attempt < 20 && !newcomer; attempt++) {
            fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
            const c = sleeper();
            if (c.pid) track(c.pid);
            if (c.pid === pid) newcomer = c;
            else {
              c.kill('SIGKILL');
              await exitOf(c);
            }
          }
          if (!newcomer) {
            skipped++;
            h.close();
            continue;
          }
          trials++;
          if (tick !== undefined && startTick(pid) === tick) sameTick++;
          const e = await outcome(() => h.kill('SIGKILL'));
          if ((e as { code?: string }).code !== 'ERR_PROCESS_UNEXPECTED_EXIT' && (e as { code?: string }).code !== 'ERR_PROCESS_ALREADY_EXITED') wrong++;
          h.close();
          // Had the handle's SIGKILL reached the newcomer, it would not die of our SIGTERM.
          newcomer.kill('SIGTERM');
          await exitOf(newcomer);
          if (newcomer.signalCode !== 'SIGTERM') wrong++;
        }
      } finally {
        if (saved === undefined) delete process.env.PROCSIG_NO_PIDFD;
        else process.env.PROCSIG_NO_PIDFD = saved;
        vi.resetModules();
      }
      process.stdout.write(`[procfd reuse] ${trials} trials with the pid recycled (${skipped} could not be recycled), ${sameTick} newcomers in the old process's clock tick, ${wrong} signalled\n`);
      expect(wrong).toBe(0);
      expect(trials).toBeGreaterThanOrEqual(TRIALS * 0.8);
      // The trial is only meaningful when it produces same-tick newcomers (pid + start time's blind
      // spot). Where processes start too slowly for that (the sanitizer lane preloads libasan into
      // every one), it says so by skipping, after the checks above held.
      if (sameTick === 0) skip("no newcomer started in the old process's clock tick here (slow process start): the same-tick case was not exercised");
    },
    600_000,
  );
});

// ---------------------------------------------------------------------------------------------
// Under seccomp: pidfd syscalls denied (test/fixtures/seccomp-launch.c, compiled here)

const launcher = ((): string | { skip: string } => {
  if (!linux) return { skip: 'Linux only' };
  if (process.arch !== 'x64' && process.arch !== 'arm64') return { skip: `no seccomp launcher for ${process.arch}` };
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-seccomp-')), 'seccomp-launch');
  try {
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', out, fixture('seccomp-launch.c')], { stdio: 'pipe', timeout: 60_000 });
    execFileSync(out, ['--deny', 'pidfd_open:38', '--', 'true'], { stdio: 'pipe', timeout: 10_000 });
    return out;
  } catch (e) {
    return { skip: `cannot build or run the seccomp launcher (${(e as Error).message.split('\n')[0]})` };
  }
})();
if (typeof launcher !== 'string') console.warn(`seccomp tests skipped: ${launcher.skip}`);

describe.skipIf(typeof launcher !== 'string')('pidfd syscalls denied by seccomp', () => {
  // What this process itself may do (a CI lane may already run the suite under such a filter):
  // the filters below only take away.
  const outer = linux ? native.handleProbe() : 0;
  const run = (filter: string[]) => {
    // Only the filter takes pidfds away: PROCSIG_NO_PIDFD=1 (a lane's forced fallback) is not passed on.
    const env = { ...process.env };
    delete env.PROCSIG_NO_PIDFD;
    const r = spawnSync(launcher as string, [...filter, '--', process.execPath, fixture('seccomp-handles.js'), dist], { encoding: 'utf8', timeout: 30_000, env });
    expect(r.stdout, r.stderr).toMatch(/^\{/);
    return JSON.parse(r.stdout);
  };

  it.each([
    ['EPERM', '1'],
    ['ENOSYS', '38'],
  ])('waitid(P_PIDFD) denied (%s): a child\'s exit status is still read (waitid(P_PID, WNOWAIT) fallback)', (_n, errno) => {
    const out = run(['--deny-waitid-pidfd', errno]);
    expect(out.kind).toBe(outer & HandleCap.Fd ? 'pidfd' : 'procfd');
    expect(out.zombieStatus).toEqual({ code: 137, signal: 'SIGKILL' });
    expect(out.killWait).toEqual({ code: 143 });
    expect(out.bSignal).toBe('SIGTERM');
  });

  it.each([
    ['pidfd_open and pidfd_send_signal denied (ENOSYS): checked kill(2)', ['--deny', 'pidfd_open:38', '--deny', 'pidfd_send_signal:38'], 0],
    ['pidfd_open denied (EPERM), pidfd_send_signal allowed: it signals through the /proc dirfd', ['--deny', 'pidfd_open:1'], 128],
  ])('%s: /proc/<pid> dirfd handles, statuses known', (_n, filter, caps) => {
    const out = run(filter as string[]);
    expect(out.kind).toBe('procfd');
    expect(out.caps).toBe((caps as number) & outer);
    expect(out.zombieStatus).toEqual({ code: 137, signal: 'SIGKILL' });
    expect(out.killWait).toEqual({ code: 143 });
    expect(out.bSignal).toBe('SIGTERM');
  });
});
