/**
 * Job: real process trees in real cgroups (as root) and with the 'tree' fallback. After
 * `job.kill()` + `job.wait()` nothing a job held may be alive (zombies count as dead), a killed
 * job refuses new processes, and `close()` removes the cgroup.
 *
 * Every fixture gets a unique token on its command line; "alive" is checked by scanning /proc
 * for that token, so processes the test never learned the pid of (the fork loop's orphans) are
 * checked too. `PROCSIG_SOAK=1` repeats the daemon and fork-loop cases 20 times.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Job, JobBackendUnavailableError, type JobBackend } from '../lib/job';
import { TimeoutError } from '../lib/errors';
import { intermediateEnv } from '../lib/job/env';
import { programPath, withAsarUnpacked } from '../lib/job/helper';
import { cgroup2Mounts, ownCgroup2Path } from '../lib/job/mountinfo';
import { nativePath } from '../lib/native';
import { fixture, hiddenNote, isDead, isRoot, killTokened, liveWithToken, procHiddenSkip } from './helpers';

const linux = process.platform === 'linux';
const SOAK = process.env.PROCSIG_SOAK === '1';
const REPS = SOAK ? 20 : 3;

/** Whether a cgroup2 job can be made here (Linux, root, a writable cgroup2 mount). */
function cgroup2Reason(): string | undefined {
  if (!linux) return 'cgroup2 is Linux-only';
  if (!isRoot) return 'creating cgroups needs root here';
  try {
    const j = Job.create({ backend: 'cgroup2' });
    void j.close().catch(() => {});
    return undefined;
  } catch (e) {
    return `no writable cgroup2: ${(e as Error).message}`;
  }
}
const noCgroup2 = cgroup2Reason();

const jobs: Job[] = [];
const tokens: string[] = [];
const paths: string[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-job-'));

function newToken(): string {
  const t = `${Date.now() % 1e6}${crypto.randomInt(1e6)}`.padEnd(12, '7');
  tokens.push(t);
  return t;
}

function makeJob(backend: JobBackend): Job {
  const j = Job.create({ backend });
  jobs.push(j);
  if (j.path) paths.push(j.path);
  return j;
}

/** Resolves with the words after "ready" on the child's first stdout line. */
function ready(child: ChildProcess): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i < 0) return;
      child.stdout!.off('data', onData);
      const words = buf.slice(0, i).trim().split(/\s+/);
      if (words[0] !== 'ready') reject(new Error(`fixture said: ${buf}`));
      else resolve(words.slice(1));
    };
    child.stdout!.on('data', onData);
    // 'close', not 'exit': a fixture that prints and exits may be reported exited before its output arrives.
    child.once('close', (code, sig) => reject(new Error(`fixture exited early (${code ?? sig})`)));
  });
}

const node = process.execPath;
const pipeOut = { stdio: ['ignore', 'pipe', 'inherit'] as ['ignore', 'pipe', 'inherit'] };

/** The checks every scenario ends with. */
async function killAndCheck(job: Job, token: string): Promise<void> {
  await job.kill();
  await job.wait({ timeout: 60_000 });
  expect(liveWithToken(token)).toEqual([]);
  expect(job.pids()).toEqual([]);
  expect(() => job.spawn(node, [fixture('job-child.js'), token])).toThrow(expect.objectContaining({ code: 'ERR_JOB_KILLED' }));
  expect(() => job.add(process.pid)).toThrow(expect.objectContaining({ code: 'ERR_JOB_KILLED' }));
  const dir = job.path;
  await job.close();
  if (dir) expect(fs.existsSync(dir)).toBe(false);
}

afterEach(async () => {
  // Kill everything a test started, even when it failed half-way, and remove its cgroups.
  killTokened(tokens);
  for (const j of jobs.splice(0)) await j.close().catch(() => {});
  for (const p of paths.splice(0)) {
    if (!fs.existsSync(p)) continue;
    try {
      fs.writeFileSync(path.join(p, 'cgroup.kill'), '1');
    } catch {
      // no cgroup.kill
    }
    for (let i = 0; i < 100 && fs.existsSync(p); i++) {
      try {
        fs.rmdirSync(p);
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('cgroup2 discovery', () => {
  it('parses mountinfo (octal escapes) and /proc/self/cgroup', () => {
    const mi = [
      '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
      '42 31 0:39 /user.slice /mnt/my\\040cg rw shared:9 - cgroup2 cgroup2 rw',
    ].join('\n');
    expect(cgroup2Mounts(mi)).toEqual([
      { root: '/', mountPoint: '/sys/fs/cgroup/unified' },
      { root: '/user.slice', mountPoint: '/mnt/my cg' },
    ]);
    expect(ownCgroup2Path('9:name=systemd:/\n0::/user.slice/x.scope\n')).toBe('/user.slice/x.scope');
    expect(ownCgroup2Path('4:memory:/a\n')).toBeUndefined();
  });
});

describe('exec helper lookup', () => {
  it('tries a path inside an Electron app.asar under app.asar.unpacked first', () => {
    const inAsar = path.join('/opt/app/resources/app.asar/node_modules/procsig/prebuilds/linux-x64/helpers/procsig-job-exec');
    expect(withAsarUnpacked(inAsar)).toEqual([
      path.join('/opt/app/resources/app.asar.unpacked/node_modules/procsig/prebuilds/linux-x64/helpers/procsig-job-exec'),
      inAsar,
    ]);
    expect(withAsarUnpacked('/usr/lib/node_modules/procsig/build/Release/procsig-job-exec')).toEqual(['/usr/lib/node_modules/procsig/build/Release/procsig-job-exec']);
    expect(withAsarUnpacked('/x/app.asar.unpacked/y')).toEqual(['/x/app.asar.unpacked/y']);
  });
});

describe('bad input (validated before anything happens)', () => {
  it('Job.create', () => {
    expect(() => Job.create({ backend: 'nope' as JobBackend })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => Job.create('x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => Job.create({ name: '../escape' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => Job.create({ name: 'cgroup.procs' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => Job.create({ parent: 5 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    if (process.platform !== 'win32') {
      expect(() => Job.create({ backend: 'jobobject' })).toThrow(JobBackendUnavailableError);
    }
  });

  it.skipIf(procHiddenSkip !== null)(`spawn, add, kill, wait (a tree Job)${hiddenNote}`, async () => {
    const job = makeJob('tree');
    expect(() => job.spawn('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => job.spawn(5 as never)).toThrow(TypeError);
    expect(() => job.spawn('true', [1 as never])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => job.add(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    await expect(job.kill('NOPE' as never)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_SIGNAL' });
    // A bad signal does not count as a kill.
    expect(job.killed).toBe(false);
    await expect(job.wait({ timeout: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(job.wait({ signal: {} as AbortSignal })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

for (const backend of ['cgroup2', 'tree'] as const) {
  const skip = backend === 'cgroup2' ? noCgroup2 : !linux ? 'the tests read /proc' : (procHiddenSkip ?? undefined);
  describe.skipIf(skip !== undefined)(`Job (${backend})${skip ? ` — skipped: ${skip}` : ''}`, () => {
    it('kills a child', async () => {
      const job = makeJob(backend);
      expect(job.backend).toBe(backend);
      const token = newToken();
      const { child, handle } = job.spawn(node, [fixture('job-child.js'), token], pipeOut);
      const [pid] = (await ready(child)).map(Number);
      expect(pid).toBe(child.pid);
      expect(handle?.pid).toBe(child.pid);
      expect(child.spawnfile).toBe(node);
      expect(job.pids()).toContain(pid);
      const exit = new Promise<string | null>((r) => child.once('exit', (_c, s) => r(s)));
      await killAndCheck(job, token);
      expect(await exit).toBe('SIGKILL');
    });

    it('kills a grandchild', async () => {
      const job = makeJob(backend);
      const token = newToken();
      const { child } = job.spawn(node, [fixture('job-grandchild.js'), token], pipeOut);
      const [p1, p2] = (await ready(child)).map(Number);
      expect(job.pids()).toEqual(expect.arrayContaining([p1, p2]));
      await killAndCheck(job, token);
      expect(isDead(p2)).toBe(true);
    });

    for (let rep = 1; rep <= REPS; rep++) {
      const daemonSkip = backend === 'tree'
        ? "the 'tree' backend cannot catch a double-forked daemon that called setsid() after its intermediate parent exited: it is in no tracked tree and no tracked process group"
        : undefined;
      it.skipIf(daemonSkip !== undefined)(`kills a double-forked setsid daemon whose parent exited (${rep}/${REPS})${daemonSkip ? ` — ${daemonSkip}` : ''}`, async () => {
        const job = makeJob(backend);
        const token = newToken();
        const file = path.join(tmp, `daemon-${token}`);
        const { child } = job.spawn(node, [fixture('job-daemon.js'), token, file], pipeOut);
        const [, daemon] = (await ready(child)).map(Number);
        await new Promise((r) => child.once('exit', r));
        expect(isDead(daemon)).toBe(false);
        expect(job.pids()).toContain(daemon);
        await killAndCheck(job, token);
        expect(isDead(daemon)).toBe(true);
      });

      it(`kills a process forking in a loop (${rep}/${REPS})`, async () => {
        const job = makeJob(backend);
        const token = newToken();
        const { child } = job.spawn(node, [fixture('job-forkloop.js'), token], pipeOut);
        await ready(child);
        // Let the loop make orphans (reparented away from the tree, still in the group/cgroup).
        await new Promise((r) => setTimeout(r, 150));
        expect(liveWithToken(token).length).toBeGreaterThan(2);
        await killAndCheck(job, token);
      });
    }

    it('wait() resolves when the processes exit on their own; timeout and abort reject', async () => {
      const job = makeJob(backend);
      const token = newToken();
      const { child } = job.spawn(node, [fixture('job-child.js'), token], pipeOut);
      await ready(child);
      await expect(job.wait({ timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
      const ac = new AbortController();
      const p = job.wait({ signal: ac.signal });
      ac.abort(new Error('stop waiting'));
      await expect(p).rejects.toThrow('stop waiting');
      expect(job.killed).toBe(false);
      const w = job.wait({ timeout: 60_000 });
      child.kill('SIGTERM');
      await w;
      expect(liveWithToken(token)).toEqual([]);
      // Not killed: it still takes processes.
      const { child: c2 } = job.spawn(node, [fixture('job-child.js'), token], pipeOut);
      await ready(c2);
      await killAndCheck(job, token);
    });

    it('kill(SIGTERM) delivers a catchable signal (freeze, signal, thaw on cgroup2)', async () => {
      const job = makeJob(backend);
      const token = newToken();
      const { child } = job.spawn(node, [fixture('job-grandchild.js'), token], pipeOut);
      const [, p2] = (await ready(child)).map(Number);
      const exit = new Promise<string | null>((r) => child.once('exit', (_c, s) => r(s)));
      await job.kill('SIGTERM');
      await job.wait({ timeout: 60_000 });
      expect(await exit).toBe('SIGTERM');
      expect(isDead(p2)).toBe(true);
      expect(liveWithToken(token)).toEqual([]);
      await job.close();
    });

    it('add() takes an existing process; close() kills what is left and releases the job', async () => {
      const job = makeJob(backend);
      const token = newToken();
      const outside = spawn(node, [fixture('job-child.js'), token], pipeOut);
      const [pid] = (await ready(outside)).map(Number);
      job.add(pid);
      expect(job.pids()).toContain(pid);
      const dir = job.path;
      await job.close();
      expect(job.closed).toBe(true);
      expect(liveWithToken(token)).toEqual([]);
      if (dir) expect(fs.existsSync(dir)).toBe(false);
      expect(() => job.spawn('true')).toThrow(expect.objectContaining({ code: 'ERR_JOB_CLOSED' }));
      await job.close(); // idempotent
    });

    it('[Symbol.asyncDispose] closes the job', async () => {
      const token = newToken();
      let dir: string | undefined;
      {
        await using job = makeJob(backend);
        dir = job.path;
        const { child } = job.spawn(node, [fixture('job-grandchild.js'), token], pipeOut);
        await ready(child);
      }
      expect(liveWithToken(token)).toEqual([]);
      if (dir) expect(fs.existsSync(dir)).toBe(false);
    });
  });
}

/** The compiled Node intermediate (dist/job/programs/, built by `npm test`'s pretest). */
function linuxIntermediate(): string {
  const p = programPath('intermediate-linux');
  if (p === null) throw new Error('dist/job/programs/intermediate-linux.js is missing: run npm run build:ts');
  return p;
}

describe.skipIf(noCgroup2 !== undefined)('Job (cgroup2) specifics', () => {
  it('the Node intermediate reads its arguments from PROCSIG_JOB_ARGS: extra argv entries (other runtimes shift or add some) change nothing', () => {
    const job = makeJob('cgroup2');
    const procs = path.join(job.path!, 'cgroup.procs');
    const script = 'cat /proc/self/cgroup; echo "ERAN=${ELECTRON_RUN_AS_NODE-unset} ARGS=${PROCSIG_JOB_ARGS-unset} NO=${NODE_OPTIONS-unset}"; echo "$0|$1"';
    const env = intermediateEnv({ ...process.env, NODE_OPTIONS: '--no-warnings' }, { addon: nativePath, procs, file: '/bin/sh', argv: ['sh', '-c', script, 'zero', 'one two'] });
    expect(env.ELECTRON_RUN_AS_NODE).toBe('1');
    // Shifted and extra argv entries, as other runtimes may add: the intermediate ignores argv.
    const r = spawnSync(node, [linuxIntermediate(), '--', 'stray', procs, '/bin/false'], { env, encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^0::.*/${path.basename(job.path!).replace(/[.]/g, '\\.')}$`, 'm'));
    expect(r.stdout).toContain('ERAN=unset ARGS=unset NO=--no-warnings');
    expect(r.stdout).toContain('zero|one two');
  });

  it('the Node intermediate never writes to anything but a cgroup.procs file (exit 125, the file untouched)', () => {
    const victim = path.join(tmp, 'victim.node');
    fs.writeFileSync(victim, 'addon bytes');
    for (const procs of [victim, 'cgroup.procs', path.join(tmp, 'not-cgroup.procs.txt')]) {
      const env = intermediateEnv(process.env, { addon: nativePath, procs, file: '/bin/true', argv: ['true'] });
      const r = spawnSync(node, [linuxIntermediate(), victim], { env, encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(125);
      expect(r.stderr).toMatch(/without valid PROCSIG_JOB_ARGS/);
    }
    // No PROCSIG_JOB_ARGS at all, or garbage in it.
    for (const bad of [undefined, '{', '[]']) {
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (bad === undefined) delete env.PROCSIG_JOB_ARGS;
      else env.PROCSIG_JOB_ARGS = bad;
      const r = spawnSync(node, [linuxIntermediate(), victim, victim], { env, encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(125);
    }
    expect(fs.readFileSync(victim, 'utf8')).toBe('addon bytes');
  });

  it('creates its group under the caller\'s own cgroup2 group, with a custom name', async () => {
    const name = `procsig-test-${process.pid}-${crypto.randomInt(1e9)}`;
    const job = Job.create({ backend: 'cgroup2', name });
    jobs.push(job);
    paths.push(job.path!);
    expect(path.basename(job.path!)).toBe(name);
    expect(fs.existsSync(path.join(job.path!, 'cgroup.procs'))).toBe(true);
    // A second job of the same name is refused: a job owns its group.
    expect(() => Job.create({ backend: 'cgroup2', name })).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'mkdir' }));
    // options.parent: a job inside the first job's group.
    const inner = Job.create({ backend: 'cgroup2', parent: job.path });
    jobs.push(inner);
    paths.push(inner.path!);
    expect(path.dirname(inner.path!)).toBe(job.path);
    await inner.close();
    await job.close();
    expect(fs.existsSync(job.path!)).toBe(false);
  });

  it('a command that cannot be executed exits 127 and never runs outside the group', async () => {
    const job = makeJob('cgroup2');
    const { child } = job.spawn('/nonexistent/procsig-no-such-command', [], { stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code).toBe(127);
    await job.wait({ timeout: 30_000 });
    await job.close();
  });

  it('starts processes inside the group through the Node intermediate too (PROCSIG_JOB_EXEC=node)', async () => {
    const saved = process.env.PROCSIG_JOB_EXEC;
    process.env.PROCSIG_JOB_EXEC = 'node';
    try {
      const job = makeJob('cgroup2');
      const token = newToken();
      const { child } = job.spawn(node, [fixture('job-daemon.js'), token, path.join(tmp, `daemon-n-${token}`)], {
        ...pipeOut,
        env: { ...process.env, NODE_OPTIONS: '--no-warnings' },
      });
      const [p1, daemon] = (await ready(child)).map(Number);
      // exec kept the pid: the ChildProcess is the command itself.
      expect(p1).toBe(child.pid);
      expect(fs.readFileSync(`/proc/${daemon}/cgroup`, 'utf8').trim().endsWith(path.basename(job.path!))).toBe(true);
      await killAndCheck(job, token);
    } finally {
      if (saved === undefined) delete process.env.PROCSIG_JOB_EXEC;
      else process.env.PROCSIG_JOB_EXEC = saved;
    }
  });

  it('a kill during a spawn still catches the new process (it may not have joined yet)', async () => {
    for (let i = 0; i < 5; i++) {
      const job = makeJob('cgroup2');
      const token = newToken();
      job.spawn(node, [fixture('job-child.js'), token], { stdio: 'ignore' });
      await job.kill();
      await job.wait({ timeout: 60_000 });
      expect(liveWithToken(token)).toEqual([]);
      await job.close();
    }
  });

  it('sub-groups made by members are killed, listed and removed too', async () => {
    for (const noKill of [false, true]) {
      const saved = process.env.PROCSIG_JOB_NO_CGROUP_KILL;
      if (noKill) process.env.PROCSIG_JOB_NO_CGROUP_KILL = '1';
      let job: Job;
      try {
        job = makeJob('cgroup2');
      } finally {
        if (saved === undefined) delete process.env.PROCSIG_JOB_NO_CGROUP_KILL;
        else process.env.PROCSIG_JOB_NO_CGROUP_KILL = saved;
      }
      const token = newToken();
      const { child } = job.spawn(node, [fixture('job-grandchild.js'), token], pipeOut);
      const [, p2] = (await ready(child)).map(Number);
      const sub = path.join(job.path!, 'sub');
      fs.mkdirSync(sub);
      fs.writeFileSync(path.join(sub, 'cgroup.procs'), String(p2));
      expect(job.pids()).toEqual(expect.arrayContaining([child.pid, p2]));
      await killAndCheck(job, token);
      expect(fs.existsSync(sub)).toBe(false);
    }
  });
});

describe.skipIf(noCgroup2 !== undefined)('Job (cgroup2) without cgroup.kill: freeze, signal, thaw (the path of Linux < 5.14)', () => {
  let saved: string | undefined;
  const noKillJob = (): Job => {
    saved = process.env.PROCSIG_JOB_NO_CGROUP_KILL;
    process.env.PROCSIG_JOB_NO_CGROUP_KILL = '1';
    try {
      return makeJob('cgroup2');
    } finally {
      if (saved === undefined) delete process.env.PROCSIG_JOB_NO_CGROUP_KILL;
      else process.env.PROCSIG_JOB_NO_CGROUP_KILL = saved;
    }
  };
  for (let rep = 1; rep <= REPS; rep++) {
    it(`kills a double-forked setsid daemon (${rep}/${REPS})`, async () => {
      const job = noKillJob();
      const token = newToken();
      const { child } = job.spawn(node, [fixture('job-daemon.js'), token, path.join(tmp, `daemon-f-${token}`)], pipeOut);
      const [, daemon] = (await ready(child)).map(Number);
      await new Promise((r) => child.once('exit', r));
      expect(isDead(daemon)).toBe(false);
      await killAndCheck(job, token);
    });

    it(`kills a process forking in a loop (${rep}/${REPS})`, async () => {
      const job = noKillJob();
      const token = newToken();
      const { child } = job.spawn(node, [fixture('job-forkloop.js'), token], pipeOut);
      await ready(child);
      await new Promise((r) => setTimeout(r, 150));
      await killAndCheck(job, token);
    });
  }
});

describe('a finished wait leaves nothing behind', () => {
  // The symptom of a poll or watcher outliving its wait: a program that is done never exits.
  // Each case runs in a fresh node process (against dist/) that must exit by itself.
  for (const backend of ['tree', 'cgroup2'] as const) {
    const why = backend === 'cgroup2' ? noCgroup2 : (procHiddenSkip ?? undefined);
    it.skipIf(why !== undefined)(`${backend} backend: the process exits by itself after spawn, wait, kill, close${why ? ` — skipped: ${why}` : ''}`, { timeout: 120_000 }, () => {
    const script = `
      const { Job } = require(${JSON.stringify(path.join(__dirname, '..', 'dist'))});
      (async () => {
        const job = Job.create({ backend: ${JSON.stringify(backend)} });
        const { child } = job.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9); console.log(1)'], { stdio: ['ignore', 'pipe', 'inherit'] });
        await new Promise((r) => child.stdout.once('data', r));
        // wait() first, so that it ends from inside its poll/watch callback rather than at once
        const waiting = job.wait();
        await job.kill();
        await waiting;
        await job.close();
      })();
    `;
    // (a limit far above the ~0.3 s this takes, for a loaded machine)
    const r = spawnSync(process.execPath, ['-e', script], { timeout: 60_000, encoding: 'utf8' });
    expect(r.signal, 'still running 60 s after it started (the job was closed long before)').toBeNull();
    expect(r.status).toBe(0);
    });
  }
});
