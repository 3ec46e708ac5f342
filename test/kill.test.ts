import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { broadcast, isAlive, kill, killEach, killpg, lastKillError, probe, ProcessError, signals } from '../lib';
import { cleanup, isDead, isRoot, procState, spawnFixture, stageForOtherUid, unusedPid, waitDead } from './helpers';
import * as util from 'node:util';
import { spawn, execFileSync } from 'node:child_process';

afterEach(cleanup);

let unused = 0;
/**
 * A pid no process has: above pid_max, ESRCH as for one that exited (helpers.ts unusedPid). Not
 * a reaped child's pid, which the kernel may hand to another suite's process meanwhile: these
 * tests send it SIGTERM (killpg) too.
 */
async function deadPid(): Promise<number> {
  return unusedPid(unused++ % 1000);
}

describe('kill (Perl semantics)', () => {
  it('returns the number of pids signalled, and signals them', async () => {
    const a = await spawnFixture('sleeper.js');
    const b = await spawnFixture('sleeper.js');
    expect(kill('TERM', a.pid, b.pid)).toBe(2);
    expect(lastKillError()).toBeUndefined();
    await waitDead([a.pid, b.pid]);
  });

  it('counts only the pids that could be signalled and keeps the last error', async () => {
    const a = await spawnFixture('sleeper.js');
    const dead = await deadPid();
    expect(kill(0, a.pid, dead, a.pid)).toBe(2);
    const e = lastKillError()!;
    expect(e).toBeInstanceOf(ProcessError);
    expect(e).toMatchObject({ code: 'ESRCH', syscall: 'kill', pid: dead, signal: 0 });
    expect(util.getSystemErrorName(e.errno)).toBe('ESRCH');
    expect(e.message).toBe(`kill ESRCH (pid ${dead}, 0): No such process`);
    // a later all-successful call clears it
    expect(kill('ZERO', a.pid)).toBe(1);
    expect(lastKillError()).toBeUndefined();
  });

  it('sends nothing for an empty list', () => {
    expect(kill('KILL')).toBe(0);
    expect(lastKillError()).toBeUndefined();
  });

  it('treats a negative signal and a "-NAME" signal as process-group kills', async () => {
    for (const sig of ['-TERM', -15, '-SIGKILL', -9] as const) {
      const g = await spawnFixture('group-leader.js', ['2'], { detached: true });
      const members = g.ready.map(Number);
      expect(members).toHaveLength(3);
      expect(kill(sig, g.pid)).toBe(1);
      await waitDead(members);
    }
  });

  it('treats a negative pid as a process group', async () => {
    const g = await spawnFixture('group-leader.js', ['2'], { detached: true });
    expect(kill('KILL', -g.pid)).toBe(1);
    await waitDead(g.ready.map(Number));
  });

  it('signals each pid once per occurrence, in one batch call, for 10,000 pids', async () => {
    const a = await spawnFixture('sleeper.js');
    const pids = new Array(10_000).fill(a.pid);
    expect(kill(0, ...pids)).toBe(10_000);
  });

  it('counts a zombie as signallable with signal 0', async () => {
    // perl does not reap its forked child: a zombie of a living parent.
    const parent = spawn('perl', ['-e', '$| = 1; my $p = fork; if (!$p) { exit 3 } print "$p\\n"; sleep 60']);
    const zpid = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))));
    try {
      for (let i = 0; i < 200 && procState(zpid) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 5));
      expect(procState(zpid)).toBe('Z');
      expect(kill(0, zpid)).toBe(1);
      expect(kill('ZERO', zpid)).toBe(1);
      expect(probe(zpid)).toBe('zombie');
      expect(isAlive(zpid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

describe('killEach', () => {
  it('reports every pid in order', async () => {
    const a = await spawnFixture('sleeper.js');
    const dead = await deadPid();
    const r = killEach(0, [a.pid, dead]);
    expect(r[0]).toEqual({ pid: a.pid, ok: true });
    expect(r[1].ok).toBe(false);
    expect(r[1].pid).toBe(dead);
    expect(r[1].ok === false && r[1].error).toMatchObject({ code: 'ESRCH', syscall: 'kill', pid: dead });
    expect(killEach('TERM', [])).toEqual([]);
  });

  it('reports group targets as negative pids', async () => {
    const g = await spawnFixture('group-leader.js', ['1'], { detached: true });
    expect(killEach('-KILL', [g.pid])).toEqual([{ pid: -g.pid, ok: true }]);
    await waitDead(g.ready.map(Number));
  });
});

describe('killpg', () => {
  it('signals the whole group', async () => {
    const g = await spawnFixture('group-leader.js', ['3'], { detached: true });
    killpg(g.pid, 'KILL');
    await waitDead(g.ready.map(Number));
  });

  it('throws a ProcessError for a group that does not exist', async () => {
    const dead = await deadPid();
    let err: ProcessError | undefined;
    try {
      killpg(dead, 'TERM');
    } catch (e) {
      err = e as ProcessError;
    }
    expect(err).toBeInstanceOf(ProcessError);
    expect(err).toMatchObject({ code: 'ESRCH', syscall: 'killpg', pid: dead, signal: 'SIGTERM' });
  });

  it('defaults to SIGTERM', async () => {
    const g = await spawnFixture('group-leader.js', ['1'], { detached: true });
    killpg(g.pid);
    await waitDead(g.ready.map(Number));
  });
});

describe('probe / isAlive', () => {
  it('tells alive, gone and forbidden apart', async () => {
    const a = await spawnFixture('sleeper.js');
    expect(probe(a.pid)).toBe('alive');
    expect(isAlive(a.pid)).toBe(true);
    const dead = await deadPid();
    expect(probe(dead)).toBe('gone');
    expect(isAlive(dead)).toBe(false);
  });

  it.skipIf(!isRoot)('reports forbidden for a process owned by another user (as an unprivileged caller; needs root to switch uid)', async () => {
    // run the probe as nobody against our own (root) process, from a world-readable copy of dist/
    // (nobody cannot read a checkout in a private directory)
    const staged = stageForOtherUid();
    onTestFinished(() => staged.remove());
    // `code` run as nobody with the staged package as `p`; what it printed.
    const asNobody = (code: string): string =>
      execFileSync(process.execPath, ['-e', `const p = require(${JSON.stringify(staged.index)}); ${code}`], {
        uid: 65534,
        gid: 65534,
        cwd: '/',
        encoding: 'utf8',
        env: { ...process.env, PROCSIG_NATIVE: staged.addon },
      }).trim();
    expect(asNobody(`console.log(p.probe(${process.pid}), p.isAlive(${process.pid}), p.kill(0, ${process.pid}), p.lastKillError().code)`)).toBe('forbidden true 0 EPERM');
    // The same after the one signalling path (kill.ts sendSignal) has run first: the errno numbers
    // probe compares against are loaded together, whichever caller needs them first. killTreeSync
    // of a pid no process can have probes it as a group first (sendSignal(pid, 0, group): ESRCH),
    // then throws ESRCH.
    expect(asNobody(`try { p.killTreeSync(${unusedPid()}, 0); } catch {} console.log(p.probe(${process.pid}))`)).toBe('forbidden');
  });
});

describe('broadcast', () => {
  it('exists on purpose and validates its signal (not sent in tests)', () => {
    expect(typeof broadcast).toBe('function');
    expect(() => broadcast('FOO' as never)).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
  });
});

describe('signals are really delivered', () => {
  it('a stopped process is stopped and continues', async () => {
    const a = await spawnFixture('sleeper.js');
    expect(kill('STOP', a.pid)).toBe(1);
    for (let i = 0; i < 200 && procState(a.pid) !== 'T'; i++) await new Promise((r) => setTimeout(r, 5));
    expect(procState(a.pid)).toBe('T');
    expect(kill(signals.SIGCONT, a.pid)).toBe(1);
    for (let i = 0; i < 200 && procState(a.pid) === 'T'; i++) await new Promise((r) => setTimeout(r, 5));
    expect(procState(a.pid)).not.toBe('T');
    expect(isDead(a.pid)).toBe(false);
  });
});
