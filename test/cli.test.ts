/**
 * The `procsig` command as a user runs it: the built `dist/cli.js`, spawned with
 * `process.execPath`, checked by its exit status, its output and the OS (what it killed is dead,
 * what it must not touch got no signal). Build first: `npm run build:ts`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../lib/cli/core';
import { drawTree } from '../lib/cli/tree';
import { canaryReport, cleanup, hiddenNote, isDead, procHiddenSkip, procState, spawnFixture, track, waitDead } from './helpers';

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli.js');
/** Beyond any pid_max: kill(2) says ESRCH. */
const NO_PID = 2147483647;

/** Resolves once process `waiter` holds a pidfd on `target` (or, without pidfds, has loaded procsig.node). */
async function waitUntilWaiting(waiter: number, target: number): Promise<void> {
  const holdsPidfd = (): boolean => {
    try {
      return fs.readdirSync(`/proc/${waiter}/fdinfo`).some((fd) => {
        try {
          return new RegExp(`^Pid:\\s+${target}$`, 'm').test(fs.readFileSync(`/proc/${waiter}/fdinfo/${fd}`, 'utf8'));
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  };
  const loaded = (): boolean => {
    try {
      return fs.readFileSync(`/proc/${waiter}/maps`, 'utf8').includes('procsig.node');
    } catch {
      return false;
    }
  };
  // Without pidfds (PROCSIG_NO_PIDFD=1, or seccomp) the handle is the target's /proc directory.
  const holdsProcDir = (): boolean => {
    try {
      return fs.readdirSync(`/proc/${waiter}/fd`).some((fd) => {
        try {
          return fs.readlinkSync(`/proc/${waiter}/fd/${fd}`) === `/proc/${target}`;
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  };
  const noPidfd = process.env.PROCSIG_NO_PIDFD === '1';
  for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    if (holdsPidfd() || holdsProcDir()) return;
    if (noPidfd && loaded()) return void (await new Promise((r) => setTimeout(r, 500)));
  }
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli.js ...args` and collects its output. `spawned` gets its pid. The CLI is
 * tracked (killed by the helpers' cleanup should the test end first).
 */
function procsig(args: string[], options: { input?: string; timeout?: number; spawned?: (pid: number) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    if (c.pid) {
      track(c.pid);
      options.spawned?.(c.pid);
    }
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d));
    c.stderr.on('data', (d: Buffer) => (stderr += d));
    // (a safety net far above the CLI's normal time, for a loaded machine)
    const timer = setTimeout(() => c.kill('SIGKILL'), options.timeout ?? 60_000);
    c.once('error', reject);
    c.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    c.stdin.end(options.input ?? '');
  });
}

beforeAll(() => {
  if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build:ts` first');
});

afterEach(cleanup);

describe('the bin file', () => {
  it('starts with a node shebang, so it runs as `procsig` once npm links it', () => {
    expect(fs.readFileSync(cli, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it.skipIf(process.platform === 'win32')('is executable (npm run build:ts makes it so; npx runs it through a symlink)', () => {
    expect(fs.statSync(cli).mode & 0o111, 'run `npm run build:ts`: scripts/build-ts.js marks dist/cli.js executable').not.toBe(0);
  });

  it('package.json maps bin.procsig to it', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(path.resolve(root, pkg.bin.procsig)).toBe(cli);
  });

  it('--help loads nothing but dist/cli.js, not the addon (light startup); kill loads the addon', async () => {
    const loaded = (args: string[]) =>
      new Promise<string[]>((resolve) => {
        const c = spawn(process.execPath, ['-r', path.join(__dirname, 'fixtures', 'cli-loaded.js'), cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        c.stderr.on('data', (d: Buffer) => (err += d));
        c.once('close', () => resolve(JSON.parse(err.trim().split('\n').pop()!)));
      });
    // One bundle: the CLI's library-free core runs; the library's modules (and with them the
    // addon) are initialized only by a command that uses them.
    expect(await loaded(['--help'])).toEqual(['dist/cli.js']);
    expect(await loaded(['kill', '--help'])).toEqual(['dist/cli.js']);
    const kill = await loaded(['kill', '-0', String(process.pid)]);
    expect(kill[0]).toBe('dist/cli.js');
    expect(kill.filter((f) => f.endsWith('.node'))).toHaveLength(1);
  });
});

describe('help and usage', () => {
  it('procsig --help lists every command, exit 0', async () => {
    const r = await procsig(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['signals', 'kill', 'tree', 'terminate', 'wait', 'alive', 'demo']) expect(r.stdout).toContain(`  ${c}`);
  });

  it.each(['signals', 'kill', 'tree', 'terminate', 'wait', 'alive', 'demo'])('procsig %s --help (and -h, and help CMD) print its usage, exit 0', async (cmd) => {
    for (const args of [[cmd, '--help'], [cmd, '-h'], ['help', cmd]]) {
      const r = await procsig(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: procsig ${cmd}`));
      expect(r.stderr).toBe('');
    }
  });

  it('no command, or an unknown one: a one-line error and the usage on stderr, exit 2', async () => {
    for (const args of [[], ['frobnicate'], ['help', 'frobnicate']]) {
      const r = await procsig(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines[0]).toMatch(/^procsig: /);
      expect(lines[1]).toMatch(/^Usage: procsig/);
    }
  });

  it('--version prints the package version', async () => {
    const r = await procsig(['--version']);
    expect(r.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
  });
});

describe('durations and drawing (the pure parts)', () => {
  it('parseDuration accepts 500ms, 5s, 1.5s, 1m, 1h and plain milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('0')).toBe(0);
    for (const bad of ['', 's', '-5s', '5x', '5 s s', 'Infinity', '1e3', 'NaN']) expect(() => parseDuration(bad), bad).toThrow(RangeError);
  });

  it('formatDuration gives 5.0s, 12ms, 0.42ms', () => {
    expect(formatDuration(5000)).toBe('5.0s');
    expect(formatDuration(12.4)).toBe('12ms');
    expect(formatDuration(0.421)).toBe('0.42ms');
    expect(formatDuration(123_000)).toBe('2m03s');
  });

  it('drawTree draws name(pid) with box lines, like pstree', () => {
    const leaf = (pid: number, name: string) => ({ pid, name, pgid: pid, sid: 1, children: [] });
    const tree = { ...leaf(1, 'init'), children: [{ ...leaf(2, 'a'), children: [leaf(4, 'c')] }, leaf(3, 'b')] };
    expect(drawTree([tree])).toEqual(['init(1)', '├─ a(2)', '│  └─ c(4)', '└─ b(3)']);
    expect(drawTree([tree], { ascii: true })).toEqual(['init(1)', '|-- a(2)', '|   `-- c(4)', '`-- b(3)']);
  });
});

describe('procsig signals / -l', () => {
  it('prints a table of name, number, keyword, action and description', async () => {
    const r = await procsig(['signals']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+NUMBER\s+KEYWORD\s+ACTION\s+DESCRIPTION$/);
    expect(lines).toContainEqual(expect.stringMatching(/^SIGTERM\s+15\s+term\s+terminate\s+Terminated$/));
    expect(lines).toContainEqual(expect.stringMatching(/^SIGKILL\s+9\s+kill\s+terminate\s+Killed$/));
    const l = await procsig(['-l']);
    expect(l.stdout).toBe(r.stdout);
  });

  it('--json gives listSignals() of the library', async () => {
    const r = await procsig(['signals', '--json']);
    const { listSignals } = require(path.join(root, 'dist')) as typeof import('../lib');
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify(listSignals())));
  });

  it('lists only the signals asked for, in any spelling', async () => {
    const r = await procsig(['signals', '--json', '9', 'term', ':hup', 'SIGUSR1']);
    expect(JSON.parse(r.stdout).map((s: { name: string }) => s.name)).toEqual(['SIGKILL', 'SIGTERM', 'SIGHUP', 'SIGUSR1']);
  });

  it('an unknown signal is a usage error (exit 2)', async () => {
    const r = await procsig(['signals', 'FOO']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('procsig signals: Unrecognized signal name "FOO"');
  });
});

describe('procsig kill', () => {
  it('sends SIGTERM by default and prints "Killed process N", exit 0', async () => {
    const s = await spawnFixture('sleeper.js');
    const r = await procsig(['kill', String(s.pid)]);
    expect(r).toMatchObject({ code: 0, stdout: `Killed process ${s.pid}\n`, stderr: '' });
    await waitDead([s.pid]);
    expect(s.child.signalCode ?? (await new Promise((res) => s.child.once('exit', (_c, sig) => res(sig))))).toBe('SIGTERM');
  });

  it('accepts -s SIG, -SIG, -NUMBER, --signal=SIG and keywords; the canary sees exactly those', async () => {
    const c = await spawnFixture('canary.js');
    for (const args of [['-s', 'USR1'], ['-SIGUSR2'], ['-1'], ['--signal=:winch'], ['-s', '10'], ['-n', 'URG']]) {
      const r = await procsig(['kill', ...args, String(c.pid)]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toBe(`Killed process ${c.pid}\n`);
    }
    expect((await canaryReport(c.child)).sort()).toEqual(['SIGHUP', 'SIGURG', 'SIGUSR1', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'].sort());
  });

  it('signal 0 only checks: "exists and may be signalled"', async () => {
    const c = await spawnFixture('canary.js');
    const r = await procsig(['kill', '-0', String(c.pid)]);
    expect(r).toMatchObject({ code: 0, stdout: `Process ${c.pid} exists and may be signalled\n` });
    expect(await canaryReport(c.child)).toEqual([]);
  });

  it('signals every pid it can, reports the others with their code, and exits 1 (like kill(1))', async () => {
    const a = await spawnFixture('sleeper.js');
    const b = await spawnFixture('sleeper.js');
    const r = await procsig(['kill', '-KILL', String(a.pid), String(NO_PID), String(b.pid)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`Killed process ${a.pid}\nKilled process ${b.pid}\n`);
    expect(r.stderr).toBe(`procsig kill: (${NO_PID}) - No such process [ESRCH]\n`);
    await waitDead([a.pid, b.pid]);
  });

  it('--json reports each pid with ok / code / errno / syscall', async () => {
    const a = await spawnFixture('sleeper.js');
    const r = await procsig(['kill', '--json', '-s', 'KILL', String(a.pid), String(NO_PID)]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      signal: 'SIGKILL',
      signalled: 1,
      results: [
        { pid: a.pid, ok: true },
        { pid: NO_PID, ok: false, code: 'ESRCH', syscall: 'kill' },
      ],
    });
    expect(j.results[1].errno).toBe(-3);
    await waitDead([a.pid]);
  });

  it('a negative pid after -- is a process group: the leader and its members die', async () => {
    const g = await spawnFixture('group-leader.js', ['2'], { detached: true });
    const members = g.ready.map(Number);
    expect(members).toHaveLength(3);
    const r = await procsig(['kill', '-TERM', '--', `-${g.pid}`]);
    expect(r).toMatchObject({ code: 0, stdout: `Killed process group ${g.pid}\n` });
    await waitDead(members);
  });
});

describe('procsig alive', () => {
  it('exit 0 and "alive" when every pid is alive', async () => {
    const a = await spawnFixture('sleeper.js');
    const r = await procsig(['alive', String(a.pid), String(process.pid)]);
    expect(r).toMatchObject({ code: 0, stdout: `${a.pid} alive\n${process.pid} alive\n` });
  });

  it('exit 1 when one is gone; --json says which', async () => {
    const a = await spawnFixture('sleeper.js');
    const r = await procsig(['alive', '--json', String(a.pid), String(NO_PID)]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([
      { pid: a.pid, state: 'alive', alive: true },
      { pid: NO_PID, state: 'gone', alive: false },
    ]);
  });

  it('a zombie is not alive', async () => {
    // sh forks `true` and then becomes `sleep`, which never reaps it: a zombie that lasts.
    const sh = spawn('/bin/sh', ['-c', 'true & exec sleep 30'], { stdio: 'ignore' });
    track(sh.pid!);
    let zombie = 0;
    for (let i = 0; i < 500 && !zombie; i++) {
      await new Promise((res) => setTimeout(res, 10));
      const kids = fs.readFileSync(`/proc/${sh.pid}/task/${sh.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      zombie = kids.find((k) => procState(k) === 'Z') ?? 0;
    }
    expect(zombie).toBeGreaterThan(0);
    const r = await procsig(['alive', String(zombie)]);
    expect(r).toMatchObject({ code: 1, stdout: `${zombie} zombie\n` });
  });
});

describe.skipIf(procHiddenSkip !== null)(`procsig tree${hiddenNote}`, () => {
  it('draws the tree of a pid like pstree -p: name(pid), children below', async () => {
    const g = await spawnFixture('group-leader.js', ['2'], { detached: true });
    const [leader, c1, c2] = g.ready.map(Number);
    const r = await procsig(['tree', String(leader)]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^node\\(${leader}\\) \\[session leader\\]$`));
    expect(lines.slice(1).sort()).toEqual([`├─ node(${c1})`, `└─ node(${c2})`].sort());
  });

  it('--json gives the nested tree with pgid and sid', async () => {
    const g = await spawnFixture('group-leader.js', ['2'], { detached: true });
    const [leader, c1, c2] = g.ready.map(Number);
    const r = await procsig(['tree', '--json', String(leader)]);
    const t = JSON.parse(r.stdout);
    expect(t).toMatchObject({ pid: leader, pgid: leader, name: 'node' });
    expect(t.children.map((c: { pid: number }) => c.pid).sort()).toEqual([c1, c2].sort());
    expect(t.children.every((c: { pgid: number }) => c.pgid === leader)).toBe(true);
  });

  it('with no pid draws the whole machine (this test runner among it); --ascii uses plain lines', async () => {
    const r = await procsig(['tree', '--ascii']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(${process.pid})`);
    expect(r.stdout).not.toMatch(/[├└│]/);
    const j = await procsig(['tree', '--json']);
    const forest = JSON.parse(j.stdout) as { pid: number }[];
    expect(Array.isArray(forest)).toBe(true);
    expect(JSON.stringify(forest)).toContain(`"pid":${process.pid},`);
  });

  it('an unknown pid: exit 1 with ESRCH', async () => {
    const r = await procsig(['tree', String(NO_PID)]);
    expect(r).toMatchObject({ code: 1, stderr: `procsig tree: no process ${NO_PID} [ESRCH]\n` });
  });
});

describe('procsig terminate', () => {
  it('stops a process with SIGTERM and prints how it ended', async () => {
    const s = await spawnFixture('sleeper.js');
    const r = await procsig(['terminate', String(s.pid)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The status is known when the kernel reports a non-child's exit (PIDFD_INFO_EXIT, Linux >= 6.15).
    expect(r.stdout).toMatch(new RegExp(`^Killed process ${s.pid} \\[(exit code: 143|exit status unknown)\\], after \\S+\\n$`));
    expect(isDead(s.pid)).toBe(true);
  });

  it('escalates to SIGKILL when SIGTERM is ignored: "escalated to SIGKILL after 300ms"', async () => {
    const s = await spawnFixture('sleeper.js', ['--ignore', 'SIGTERM']);
    const r = await procsig(['terminate', '--timeout', '300ms', String(s.pid)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Killed process ${s.pid} \\[(exit code: 137|exit status unknown)\\], escalated to SIGKILL after 300ms\\n$`));
    expect(isDead(s.pid)).toBe(true);
  });

  it('--json: pid, code, status, escalated, elapsedMs', async () => {
    const s = await spawnFixture('sleeper.js', ['--ignore', 'SIGTERM,SIGINT']);
    const r = await procsig(['terminate', '--json', '--signal', 'INT', '--timeout', '200', String(s.pid)]);
    expect(r.code).toBe(0);
    const [j] = JSON.parse(r.stdout);
    expect(j).toMatchObject({ pid: s.pid, ok: true, escalated: 'SIGKILL' });
    expect([137, null]).toContain(j.code);
    expect(j.elapsedMs).toBeGreaterThanOrEqual(200);
  });

  it('--no-escalate: a process that ignores the signal outlives the timeout, exit 1, ETIMEDOUT', async () => {
    const s = await spawnFixture('sleeper.js', ['--ignore', 'SIGTERM']);
    const r = await procsig(['terminate', '--no-escalate', '--timeout', '200ms', '--json', String(s.pid)]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject([{ pid: s.pid, ok: false, code: 'ETIMEDOUT' }]);
    expect(isDead(s.pid)).toBe(false);
  });

  it.skipIf(procHiddenSkip !== null)(`--tree stops the whole tree; --group the whole group${hiddenNote}`, async () => {
    const t = await spawnFixture('group-leader.js', ['2'], { detached: true });
    const g = await spawnFixture('group-leader.js', ['2'], { detached: true });
    const r1 = await procsig(['terminate', '--tree', String(t.pid)]);
    const r2 = await procsig(['terminate', '--group', String(g.pid)]);
    expect([r1.code, r2.code]).toEqual([0, 0]);
    expect(r1.stdout).toMatch(new RegExp(`^Killed process ${t.pid} `));
    await waitDead([...t.ready, ...g.ready].map(Number));
  });

  it('a pid that does not exist: ESRCH, exit 1', async () => {
    const r = await procsig(['terminate', String(NO_PID)]);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: `procsig terminate: (${NO_PID}) - No such process [ESRCH]\n` });
  });
});

describe('procsig wait', () => {
  it('waits for a process that is not its child and prints its end', async () => {
    const s = await spawnFixture('sleeper.js', ['--exit-on-stdin', '3']);
    let cliPid = 0;
    const running = procsig(['wait', '--timeout', '60s', String(s.pid)], { spawned: (p) => (cliPid = p) });
    // The process must still be there when the CLI starts waiting (a busy machine may take
    // seconds to start it): wait until the CLI holds a pidfd on it, or, without pidfds, has
    // loaded the addon (its wait starts right after).
    await waitUntilWaiting(cliPid, s.pid);
    s.child.stdin!.write('go\n');
    const r = await running;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Process ${s.pid} exited \\[(exit code: 3|exit status unknown)\\] after \\S+\\n$`));
  });

  it('--timeout: still running after it: exit 1, ETIMEDOUT; --json says so', async () => {
    const s = await spawnFixture('sleeper.js');
    const r = await procsig(['wait', '--timeout', '200ms', String(s.pid)]);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: `procsig wait: (${s.pid}) - still running after 200ms [ETIMEDOUT]\n` });
    const j = await procsig(['wait', '--json', '-t', '0.1s', String(s.pid)]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject([{ pid: s.pid, exited: false, code: 'ETIMEDOUT' }]);
    expect(isDead(s.pid)).toBe(false);
  });

  it('a pid that is not running has nothing to wait for: exit 0, says so', async () => {
    const r = await procsig(['wait', '--json', String(NO_PID)]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject([{ pid: NO_PID, exited: true, wasRunning: false, code: null }]);
  });
});

describe('bad arguments: one-line error + usage on stderr, exit 2, nothing signalled', () => {
  const cases = (p: string): string[][] => [
    ['kill', '-s', 'FOO', p],
    ['kill', '-s', '999', p],
    ['kill', '-USR1', p, 'abc'],
    ['kill', '-USR1', p, '3.5'],
    ['kill', '-USR1', p, '99999999999'],
    ['kill', '-USR1', '-KILL', p],
    ['kill', '--bogus', p],
    ['kill', '-USR1'],
    ['kill', '-0', '--', '-1'],
    ['kill', '-0', '0'],
    ['kill', '-USR1', '--', `-${p}`, '-1'],
    ['terminate', '--timeout', 'abc', p],
    ['terminate', '--timeout', '-5s', p],
    ['terminate', '--timeout'],
    ['terminate', '--tree', '--group', p],
    ['terminate', '--signal', 'FOO', p],
    ['terminate', '--escalate', 'FOO', p],
    ['terminate', p, 'x'],
    ['terminate'],
    ['wait', '--timeout', '5x', p],
    ['wait'],
    ['alive', p, 'x'],
    ['alive', `-${p}`],
    ['tree', p, p],
    ['tree', 'x'],
    ['demo', 'extra'],
    ['signals', '--bogus'],
  ];

  it.skipIf(procHiddenSkip !== null)(`for every case, and the canary got no signal${hiddenNote}`, async () => {
    const c = await spawnFixture('canary.js');
    const p = String(c.pid);
    for (const args of cases(p)) {
      const r = await procsig(args);
      const shown = args.join(' ');
      expect(r.code, shown).toBe(2);
      expect(r.stdout, shown).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines[0], shown).toMatch(new RegExp(`^procsig ${args[0]}: \\S`));
      expect(lines[1], shown).toMatch(new RegExp(`^Usage: procsig ${args[0]}`));
    }
    expect(await canaryReport(c.child)).toEqual([]);
    expect(isDead(c.pid)).toBe(false);
  });
});

describe.skipIf(procHiddenSkip !== null)(`procsig demo${hiddenNote}`, () => {
  it('spawns a tree with a setsid grandchild, draws it, kills it, shows nothing is left', async () => {
    const r = await procsig(['demo']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = /pids: parent (\d+), children (\d+) (\d+), grandchild (\d+)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const [parent, c1, c2, grandchild] = m!.slice(1).map(Number);
    track(parent, c1, c2, grandchild);
    expect(r.stdout).toContain(`demo-parent(${parent})`);
    expect(r.stdout).toMatch(new RegExp(`├─ demo-child-1\\(${c1}\\)`));
    expect(r.stdout).toMatch(new RegExp(`└─ demo-child-2\\(${c2}\\)`));
    expect(r.stdout).toMatch(new RegExp(`└─ demo-grandchild\\(${grandchild}\\)  pgid ${grandchild}, sid ${grandchild}: left the group`));
    expect(r.stdout).toContain('4. probe(): nothing is left of the 4 processes');
    for (const step of ['1. spawned', '2. read the tree', '3. killTree(', '4. probe()']) expect(r.stdout).toMatch(new RegExp(`${step.replace(/[().]/g, '\\$&')}.*\\d(ms|s)$`, 'm'));
    for (const pid of [parent, c1, c2, grandchild]) expect(isDead(pid), String(pid)).toBe(true);
  });

  it('--json: pids, tree, steps with timings, and nothing left', async () => {
    const r = await procsig(['demo', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    track(j.pids.parent, ...j.pids.children, j.pids.grandchild);
    expect(j.ok).toBe(true);
    expect(j.left).toEqual([]);
    expect(j.steps.map((s: { step: string }) => s.step)).toEqual(['spawn', 'processTree', 'killTree', 'verify']);
    expect(j.tree.pid).toBe(j.pids.parent);
    expect(j.killTree.signalled.sort()).toEqual([j.pids.parent, ...j.pids.children, j.pids.grandchild].sort());
    for (const s of j.after) expect(['gone', 'zombie']).toContain(s.state);
  });

  it('cleans up what it spawned when it is interrupted', async () => {
    const c = spawn(process.execPath, [cli, 'demo'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    track(c.pid!);
    // Once the sample tree is up, find its members through /proc, then interrupt the demo.
    const members = await new Promise<number[]>((resolve) => {
      let buf = '';
      c.stdout!.on('data', (d: Buffer) => {
        buf += d;
        if (!buf.includes('1. spawned')) return;
        c.stdout!.removeAllListeners('data');
        const found: number[] = [];
        const walk = (pid: number) => {
          for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
            const kids = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
            for (const k of kids) {
              found.push(k);
              walk(k);
            }
          }
        };
        try {
          walk(c.pid!);
        } catch {
          // a member exited while it was read: the demo moved on
        }
        c.kill('SIGINT');
        resolve(found);
      });
    });
    track(...members);
    const code = await new Promise((res) => c.once('close', (cd, sig) => res(cd ?? sig)));
    expect([0, 130]).toContain(code);
    await waitDead(members);
  });
});
