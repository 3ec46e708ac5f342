/**
 * Test helpers: spawn real processes, check them with the OS, and clean up everything.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { nativePath } from '../lib/native';

/** The checkout's root. */
export const repo = path.join(__dirname, '..');
import { procListsAll } from '../lib/procfs';

export const fixture = (name: string): string => path.join(__dirname, 'fixtures', name);

/** pid → its start time (/proc/<pid>/stat field 22) when it was tracked. */
const started = new Map<number, string | undefined>();

/** The start time of a pid (clock ticks since boot), or undefined when it is gone. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Every pid a test started (including group members it reported), for cleanup. The start time is
 * recorded with it, so cleanup never kills a process that later received a recycled pid.
 */
export function track(...pids: number[]): void {
  // A pid tracked again belongs to a newer process (the older one is gone, or the pid could not
  // have been reused): the newest start time is the one to check.
  for (const p of pids) if (p > 0) started.set(p, startTime(p));
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** The words after "ready" on the fixture's first line. */
  ready: string[];
}

/**
 * Spawns a fixture (a name in test/fixtures, or an absolute path such as a staged copy) with
 * process.execPath and resolves once it printed its "ready" line.
 */
export function spawnFixture(name: string, args: string[] = [], options: SpawnOptions = {}): Promise<Spawned> {
  const file = path.isAbsolute(name) ? name : fixture(name);
  const child = spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'inherit'], ...options });
  if (child.pid) track(child.pid);
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i < 0) return;
      child.stdout!.off('data', onData);
      const words = buf.slice(0, i).trim().split(/\s+/);
      if (words[0] !== 'ready') return reject(new Error(`fixture ${name} said: ${buf}`));
      const ready = words.slice(1);
      track(...ready.map(Number));
      resolve({ child, pid: child.pid!, ready });
    };
    child.stdout!.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code, sig) => reject(new Error(`fixture ${name} exited early (${code ?? sig})`)));
  });
}

/** The process state letter from /proc/<pid>/stat, or undefined when the pid is gone. */
export function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/**
 * Dead means gone or a zombie (orphans wait for PID 1 to reap them). For a pid the test tracked,
 * also when the pid now belongs to another process (its start time differs from the tracked one):
 * a bare-pid check would call a recycled pid alive.
 */
export function isDead(pid: number): boolean {
  if (started.has(pid)) return isDeadSince(pid, started.get(pid));
  const s = procState(pid);
  return s === undefined || s === 'Z' || s === 'X';
}

/** `[state letter, start time]` from one read of /proc/<pid>/stat, or undefined when the pid is gone. */
function stateAndStart(pid: number): [string, string] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [f[0], f[19]];
  } catch {
    return undefined;
  }
}

/**
 * Whether the process a test tracked under `pid` is dead: gone, a zombie, or gone with its pid
 * already reused by another process (the start time differs from the one {@link track} recorded).
 * A bare-pid check would call a recycled pid alive.
 */
export function isTrackedDead(pid: number): boolean {
  if (!started.has(pid)) throw new Error(`pid ${pid} was not tracked (track() it first)`);
  return isDeadSince(pid, started.get(pid));
}

/**
 * Whether the process that had `pid` and start time `start` (see {@link startTime}) is dead: gone,
 * a zombie, or its pid now another process's. `start` undefined means it was gone already.
 */
export function isDeadSince(pid: number, start: string | undefined): boolean {
  const now = stateAndStart(pid);
  if (start === undefined || now === undefined || now[1] !== start) return true;
  return now[0] === 'Z' || now[0] === 'X';
}

/**
 * Sends `signal` to the process tracked under `pid` only while it is still that process (same
 * start time): a dead process's pid may already be a stranger's, and pid-reuse tests hand out
 * freed pids on purpose. Returns whether it was sent.
 */
export function killTracked(pid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (isTrackedDead(pid)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The opposite of {@link isTrackedDead}: the very process tracked under `pid` is still running. */
export function isTrackedAlive(pid: number): boolean {
  return !isTrackedDead(pid);
}

/**
 * Waits until every pid is dead (gone or zombie; a tracked pid also when it now belongs to
 * another process), or throws after `ms`.
 */
export async function waitDead(pids: number[], ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const alive = pids.filter((p) => !isDead(p));
    if (alive.length === 0) return;
    if (Date.now() > end) throw new Error(`still alive after ${ms} ms: ${alive.join(' ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * SIGKILLs every tracked process that is still alive and is still the same process (same start
 * time: pids are recycled, and some tests recycle them on purpose). Call from afterEach.
 */
export function cleanup(): void {
  for (const [pid, start] of started) {
    try {
      if (start !== undefined && !isDead(pid) && startTime(pid) === start) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  started.clear();
}

/** Asks a canary fixture which signals it has received. */
export function canaryReport(child: ChildProcess): Promise<string[]> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i < 0) return;
      child.stdout!.off('data', onData);
      resolve(JSON.parse(buf.slice(0, i)));
    };
    child.stdout!.on('data', onData);
    child.stdin!.write('report\n');
  });
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * The addon this test process loaded (lib/native.ts resolves it: `$PROCSIG_NATIVE`, build/Release,
 * or a prebuild). Hand it to workers and child processes instead of hard-coding a build path.
 */
export const addonPath: string = nativePath;

/** Throws when the current test should stop: it timed out or the run was cancelled (vitest aborts `ctx.signal`). */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error('test aborted (timed out): stopping its loop so nothing runs on into the next test');
}

/** A world-readable copy of what a process running as another uid needs (see {@link stageForOtherUid}). */
export interface Staged {
  /** The temporary directory (mode 0755, under /tmp). */
  dir: string;
  /** The staged dist/index.js (require it: the staged addon is beside it at build/Release). */
  index: string;
  /** The staged addon. */
  addon: string;
  /** The staged copy of test/fixtures/<name>. */
  fixture(name: string): string;
  /** Removes the copy. */
  remove(): void;
}

/** Makes `p` and everything under it readable (and directories/executables enterable) by everyone. */
function openUp(p: string): void {
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    fs.chmodSync(p, 0o755);
    for (const e of fs.readdirSync(p)) openUp(path.join(p, e));
  } else {
    fs.chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
  }
}

const stagedDirs = new Set<string>();

/**
 * Code run as another uid (tests drop to 65534/65533) cannot read the checkout when it lives in a
 * private directory (a 0700 home, `mktemp -d`). This copies what such a process runs — the
 * compiled lib (`lib`, default the checkout's dist/), the addon this process loaded and
 * test/fixtures — into a fresh /tmp directory readable by everyone. Remove it with `remove()`
 * (afterAll also removes any left over).
 */
export function stageForOtherUid(lib: string = path.join(repo, 'dist')): Staged {
  const base = fs.existsSync('/tmp') ? '/tmp' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, 'procsig-uid-'));
  stagedDirs.add(dir);
  fs.cpSync(lib, path.join(dir, 'dist'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
  const addon = path.join(dir, 'build', 'Release', 'procsig.node');
  fs.copyFileSync(addonPath, addon);
  fs.cpSync(path.join(__dirname, 'fixtures'), path.join(dir, 'fixtures'), { recursive: true });
  // (no package.json: node-gyp-build is never needed, the addon is where dist/ looks first)
  openUp(dir);
  return {
    dir,
    index: path.join(dir, 'dist', 'index.js'),
    addon,
    fixture: (name) => path.join(dir, 'fixtures', name),
    remove: () => removeStaged(dir),
  };
}

function removeStaged(dir: string): void {
  stagedDirs.delete(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Live (non-zombie) pids whose command line contains `token` (a process in exit(2) has an empty
 * one). The Job tests mark what they start with a random token: a job's members are not all
 * children of the test, and a daemon may have left every group.
 */
export function liveWithToken(token: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(token) && !isDead(Number(d))) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * SIGKILLs every live process marked with one of `tokens` (see {@link liveWithToken}) and empties
 * the list. Passes repeat (10 ms apart, 5 s at most) until none is left: a fork loop's child in
 * flight during one pass (a double-forked `( sleep & )`, reparented away from its loop) shows up
 * only in the next.
 */
export function killTokened(tokens: string[]): void {
  const ts = tokens.splice(0);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let round = 0; round < 500; round++) {
    const live = ts.flatMap((t) => liveWithToken(t));
    if (live.length === 0) return;
    for (const pid of live) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    Atomics.wait(pause, 0, 0, 10);
  }
}

/**
 * Starts `n` `sleep 1000`s from one shell (a Node process each would need ~40 MB; these are the
 * shell's children, and it reaps them, sitting in `wait`), and resolves once it has printed every
 * pid. The shell and the sleepers are tracked. On a loaded machine the shell may fail to fork a
 * few: the pids are what it got. Kill `sh` when done (and the sleepers, which cleanup also does).
 */
export async function spawnShellSleepers(n: number): Promise<{ sh: ChildProcess; pids: number[] }> {
  const sh = spawn('/bin/sh', ['-c', `i=0; while [ $i -lt ${n} ]; do sleep 1000 & echo $!; i=$((i+1)); done; echo done; wait`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  track(sh.pid!);
  let buf = '';
  await new Promise<void>((resolve) => {
    const on = (d: Buffer): void => {
      buf += d.toString();
      if (/\bdone\b/.test(buf)) {
        sh.stdout!.off('data', on);
        resolve();
      }
    };
    sh.stdout!.on('data', on);
  });
  const pids = buf.split('\n').map(Number).filter((x) => x > 0);
  track(...pids);
  return { sh, pids };
}

/** What {@link runStagedAs} saw of the process. */
export interface StagedRun {
  /** Everything it wrote to stdout. */
  out: string;
  /** Its exit code (null: killed by a signal, or still running at the limit). */
  code: number | null;
}

/**
 * Runs the staged fixture `name` with node as `uid` (its gid the same), detached (a session of its
 * own: kill(2) lets SIGCONT through to a process of the caller's session whatever the uids) and
 * in `/`, with `args`, and resolves once it exits or after `limitMs`. The staged addon is named in
 * `PROCSIG_NATIVE`, so a `PROCSIG_NATIVE` of this run (which another uid may not read) is not
 * inherited. The process is tracked, so cleanup kills it if it outlives the test.
 */
export async function runStagedAs(staged: Staged, uid: number, name: string, args: string[], limitMs = 60_000): Promise<StagedRun> {
  const c = spawn(process.execPath, [staged.fixture(name), ...args], {
    uid,
    gid: uid,
    env: { ...process.env, PROCSIG_NATIVE: staged.addon },
    cwd: '/',
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  track(c.pid!);
  let out = '';
  c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, limitMs);
    c.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { out, code: c.exitCode };
}

/** Removes every staged copy still there (helpers call it after each test file). */
export function removeAllStaged(): void {
  for (const d of [...stagedDirs]) removeStaged(d);
}

// A last sweep for each test file (every file imports these helpers): whatever a test tracked after
// its own afterEach ran — a timed-out test's body runs on in the background until it sees its
// signal aborted — is killed (by pid and start time) before the next file starts, and staged
// copies are removed. The exit hook covers a worker that is torn down without its hooks.
afterAll(() => {
  cleanup();
  removeAllStaged();
});
process.once('exit', () => {
  cleanup();
  removeAllStaged();
});

/**
 * Why this runner's /proc cannot list every process — mounted hidepid= (the hidepid lane,
 * .ci/deploy-hidepid.sh) or not mounted — or null. Process lists (snapshot, processTree,
 * killTree, a 'tree' Job) then throw ProcUnavailableError by design: tests of them skip with this.
 */
export const procHiddenSkip: string | null =
  process.platform === 'linux' && !procListsAll() ? '/proc hides processes from this runner (hidepid=): process lists throw ERR_PROC_HIDDEN by design' : null;
/** The reason appended to the title of a test skipped for {@link procHiddenSkip} ('' otherwise). */
export const hiddenNote = procHiddenSkip ? ` — skipped: ${procHiddenSkip}` : '';

/** The kernel's pid_max (Linux), or the largest pid 64-bit Linux can ever hand out elsewhere. */
export function readPidMax(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  } catch {
    return 4194304;
  }
}

/**
 * A pid no process can have: above pid_max, so kill(2) answers ESRCH, as for a process that
 * exited. Tests use it instead of the pid of a child that exited, which the kernel may hand to
 * anyone meanwhile (pid_max is 32768 here, and tests recycle pids on purpose): a signal meant for
 * "nobody" must never reach another suite's process. `k` gives distinct pids.
 */
export function unusedPid(k = 0): number {
  return readPidMax() + 1 + k;
}
