/**
 * Test helpers: spawn real processes, check them with the OS, and clean up everything.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

/** Spawns a fixture with process.execPath and resolves once it printed its "ready" line. */
export function spawnFixture(name: string, args: string[] = [], options: SpawnOptions = {}): Promise<Spawned> {
  const child = spawn(process.execPath, [fixture(name), ...args], { stdio: ['pipe', 'pipe', 'inherit'], ...options });
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

/** Dead means gone or a zombie (orphans wait for PID 1 to reap them). */
export function isDead(pid: number): boolean {
  const s = procState(pid);
  return s === undefined || s === 'Z' || s === 'X';
}

/** Waits until every pid is dead (gone or zombie), or throws after `ms`. */
export async function waitDead(pids: number[], ms = 5000): Promise<void> {
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
 * Why this runner's /proc cannot list every process — mounted hidepid= (the hidepid lane,
 * .ci/deploy-hidepid.sh) or not mounted — or null. Process lists (snapshot, processTree,
 * killTree, a 'tree' Job) then throw ProcUnavailableError by design: tests of them skip with this.
 */
export const procHiddenSkip: string | null =
  process.platform === 'linux' && !procListsAll() ? '/proc hides processes from this runner (hidepid=): process lists throw ERR_PROC_HIDDEN by design' : null;
/** The reason appended to the title of a test skipped for {@link procHiddenSkip} ('' otherwise). */
export const hiddenNote = procHiddenSkip ? ` — skipped: ${procHiddenSkip}` : '';
