/**
 * procsig's kill() against Perl's kill on the same kinds of processes: every case of the Perl
 * document (shared/seeds/003). Each scenario is run once through the real `perl` binary and once
 * through procsig, each on its own fresh processes, and the count, $! and the effect compared.
 */
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { errnoName, kill, lastKillError, toSignal } from '../lib';
import { cleanup, isDead, procState, spawnFixture, stageForOtherUid, track, unusedPid, waitDead, type Staged } from './helpers';

afterEach(cleanup);

const hasPerl = (() => {
  try {
    execFileSync('perl', ['-e', '1']);
    return true;
  } catch {
    return false;
  }
})();

type Sig = string | number;

/** Perl's literal for a signal argument: strings quoted, numbers bare. */
const perlLiteral = (sig: Sig) => (typeof sig === 'number' ? String(sig) : `'${sig}'`);

interface Outcome {
  count?: number;
  errno?: string; // code of $! / lastKillError(), '' when none
  died?: string; // exception text
}

function perlKill(sig: Sig, pids: number[], opts: { uid?: number } = {}): Outcome {
  const src = `$! = 0; my $n = eval { kill(${perlLiteral(sig)}, ${pids.join(', ')}) }; if ($@) { my $m = $@; $m =~ s/ at .*//s; print "DIED $m\\n"; exit 0 } my $e = $! + 0; print "$n $e\\n";`;
  // (another uid may not enter the checkout's directory: it runs from /)
  const out = execFileSync('perl', ['-e', src], { encoding: 'utf8', ...(opts.uid ? { uid: opts.uid, gid: opts.uid, cwd: '/' } : {}) }).trim();
  if (out.startsWith('DIED ')) return { died: out.slice(5) };
  const [n, e] = out.split(' ').map(Number);
  return { count: n, errno: e === 0 ? '' : (errnoName(e) ?? String(e)) };
}

function procsigKill(sig: Sig, pids: number[]): Outcome {
  try {
    const count = kill(sig as never, ...pids);
    return { count, errno: lastKillError()?.code ?? '' };
  } catch (e) {
    return { died: (e as Error).message };
  }
}

/** A world-readable copy of dist/ for other uids (the checkout may be in a private directory). */
let staged: Staged | undefined;
afterAll(() => staged?.remove());

/** procsig run in a child process (own group, or another uid), printing the same outcome line. */
function procsigKillIn(sig: Sig, pids: number[], opts: { uid?: number } = {}): Outcome {
  const dist = opts.uid ? (staged ??= stageForOtherUid()).index : require.resolve('../dist');
  const src = `const p = require(${JSON.stringify(dist)}); const n = p.kill(${JSON.stringify(sig)}, ${pids.join(', ')}); const e = p.lastKillError(); console.log(n + ' ' + (e ? e.code : ''));`;
  const out = execFileSync(process.execPath, ['-e', src], {
    encoding: 'utf8',
    ...(opts.uid ? { uid: opts.uid, gid: opts.uid, cwd: '/', env: { ...process.env, PROCSIG_NATIVE: staged!.addon } } : {}),
  }).trim();
  const [n, e] = out.split(' ');
  return { count: Number(n), errno: e ?? '' };
}

let unused = 0;
/**
 * A pid no process has: above pid_max, ESRCH as for one that exited (test/helpers.ts unusedPid).
 * Never a reaped child's pid: the kernel may hand that to anyone meanwhile, and Perl's side and
 * ours would then send HUP or CONT to another suite's process.
 */
const deadPid = () => unusedPid(unused++ % 1000);

async function zombie(): Promise<{ zpid: number; done: () => void }> {
  const parent = spawn('perl', ['-e', '$| = 1; my $p = fork; if (!$p) { exit 0 } print "$p\\n"; sleep 60']);
  track(parent.pid!);
  const zpid = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))));
  // (a limit far above the few ms this takes, for a loaded machine)
  for (const end = Date.now() + 30_000; Date.now() < end && procState(zpid) !== 'Z'; ) await new Promise((r) => setTimeout(r, 5));
  return { zpid, done: () => parent.kill('SIGKILL') };
}

describe.skipIf(!hasPerl || process.platform === 'win32')('kill() matches Perl', () => {
  it.each(['ZERO', 'SIGZERO', 0, 'CONT', 'SIGCONT', 'HUP'])(
    'signal %s on live and dead pids: same count, same $!',
    async (sig) => {
      // The sleepers ignore HUP so every signal here leaves them alive; each side gets its own.
      const run = async (fn: (s: Sig, p: number[]) => Outcome) => {
        const a = await spawnFixture('sleeper.js', ['--ignore', 'SIGHUP']);
        const b = await spawnFixture('sleeper.js', ['--ignore', 'SIGHUP']);
        const before = [isDead(a.pid), isDead(b.pid)];
        const r = fn(sig, [a.pid, deadPid(), b.pid]);
        return { r, before, alive: [isDead(a.pid), isDead(b.pid)] };
      };
      const perl = await run(perlKill);
      const ours = await run(procsigKill);
      // (the sleepers were alive when each side ran: a failure below is about the kill)
      expect([perl.before, ours.before]).toEqual([[false, false], [false, false]]);
      expect(ours.r).toEqual(perl.r);
      expect(ours.r).toEqual({ count: 2, errno: 'ESRCH' });
      expect(ours.alive).toEqual(perl.alive);
    },
  );

  it.each(['TERM', 'SIGTERM', 15, 'KILL', 9, 'INT'])('signal %s kills like Perl and counts the same', async (sig) => {
    const run = async (fn: (s: Sig, p: number[]) => Outcome) => {
      const a = await spawnFixture('sleeper.js');
      const r = fn(sig, [a.pid]);
      await waitDead([a.pid]);
      return r;
    };
    const perl = await run(perlKill);
    const ours = await run(procsigKill);
    expect(ours).toEqual(perl);
    expect(ours).toEqual({ count: 1, errno: '' });
  });

  it('empty list: 0 and nothing sent', () => {
    expect(procsigKill('TERM', [])).toEqual({ count: 0, errno: '' });
    const perl = execFileSync('perl', ['-e', 'print scalar(kill("TERM"))'], { encoding: 'utf8' });
    expect(perl).toBe('0');
  });

  it('unknown name: the same exception text', () => {
    const perl = perlKill('FOO', [process.pid]);
    const ours = procsigKill('FOO', [process.pid]);
    expect(ours.died).toBe(perl.died);
    expect(ours.died).toBe('Unrecognized signal name "FOO"');
  });

  it('only dead pids: 0 and ESRCH', async () => {
    const d = [deadPid(), deadPid()];
    expect(procsigKill(0, d)).toEqual(perlKill(0, d));
  });

  it('a zombie still counts as signallable (signal 0)', async () => {
    const z = await zombie();
    try {
      expect(procState(z.zpid)).toBe('Z');
      const perl = perlKill('ZERO', [z.zpid]);
      const ours = procsigKill('ZERO', [z.zpid]);
      expect(ours).toEqual(perl);
      expect(ours).toEqual({ count: 1, errno: '' });
    } finally {
      z.done();
    }
  });

  it.each(['-TERM', -9, '-KILL', '-SIGKILL'])('negative signal %s kills the whole group', async (sig) => {
    const run = async (fn: (s: Sig, p: number[]) => Outcome) => {
      const g = await spawnFixture('group-leader.js', ['2'], { detached: true });
      const r = fn(sig, [g.pid]);
      await waitDead(g.ready.map(Number));
      return r;
    };
    const perl = await run(perlKill);
    const ours = await run(procsigKill);
    expect(ours).toEqual(perl);
    expect(ours).toEqual({ count: 1, errno: '' });
  });

  it('negative pid signals the group abs(pid)', async () => {
    const run = async (fn: (s: Sig, p: number[]) => Outcome) => {
      const g = await spawnFixture('group-leader.js', ['2'], { detached: true });
      const r = fn('TERM', [-g.pid]);
      await waitDead(g.ready.map(Number));
      return r;
    };
    expect(await run(procsigKill)).toEqual(await run(perlKill));
  });

  it('negative signal on a group that does not exist: 0 and ESRCH', async () => {
    const dead = deadPid();
    expect(procsigKill('-ZERO', [dead])).toEqual(perlKill('-ZERO', [dead]));
    expect(procsigKill(-toSignal('CONT'), [dead])).toEqual({ count: 0, errno: 'ESRCH' });
  });

  it('pid 0 is the caller\'s own group (probed from a process in a group of its own)', async () => {
    // Run both sides in a detached (new session and group) process so the probe touches only it.
    const perl = execFileSync('setsid', ['perl', '-e', '$! = 0; my $n = kill(0, 0); print "$n ", $!+0'], { encoding: 'utf8' });
    const ours = execFileSync('setsid', [process.execPath, '-e', `const p = require(${JSON.stringify(require.resolve('../dist'))}); process.stdout.write(p.kill(0, 0) + ' ' + (p.lastKillError() ? p.lastKillError().osErrno : 0))`], { encoding: 'utf8' });
    expect(ours).toBe(perl);
    expect(ours).toBe('1 0');
  });

  it.skipIf(process.getuid?.() !== 0)('EPERM, and $! is the LAST failing pid', async () => {
    // As nobody, our root-owned process is EPERM and a dead pid is ESRCH.
    const dead = deadPid();
    const mine = process.pid;
    for (const pids of [[mine, dead], [dead, mine], [mine], [dead, mine, dead]]) {
      const perl = perlKill(0, pids, { uid: 65534 });
      const ours = procsigKillIn(0, pids, { uid: 65534 });
      expect(ours, pids.join(',')).toEqual(perl);
    }
    expect(procsigKillIn(0, [dead, mine], { uid: 65534 })).toEqual({ count: 0, errno: 'EPERM' });
    expect(procsigKillIn(0, [mine, dead], { uid: 65534 })).toEqual({ count: 0, errno: 'ESRCH' });
  });
});
