/**
 * The Node watchdog, a program of its own (`process.execPath <this file>`): the kill-on-close
 * watchdog of lib/job/watchdog.ts where the `procsig-job-exec` binary is missing — the same
 * protocol on stdin and the same cleanup as native/job_watchdog_linux.cc, with start-time checks
 * but no pidfds. The supervisor's pid comes in `PROCSIG_WATCHDOG_PID`.
 *
 * Lines on stdin: `c <id> <hex path>` (a cgroup2 job), `r <id> <pid> <start> <group>` (a 'tree'
 * job's root), `x <id>` (forget the job). On EOF, a pipe error, or the supervisor no longer
 * being its parent, it kills what is registered, removes the cgroups and exits.
 *
 * Self-contained on purpose (node:fs, and the names in ../env, which imports nothing): it runs
 * while the supervisor is dying or dead, and must not depend on anything but the runtime.
 *
 * @internal
 * @packageDocumentation
 */
import fs = require('node:fs');
import { WATCHDOG_PID_ENV } from '../env';

const CGROUP2_SUPER_MAGIC = 0x63677270;

type Entry = { id: string; kind: 'c'; path: string } | { id: string; kind: 'r'; pid: number; start: string; group: boolean };

/** A /proc/<pid>/stat row: what the cleanup needs. */
interface Stat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  start: string;
}

process.title = 'procsig-watch';
for (const s of ['SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGTERM', 'SIGPIPE', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU'] as const) process.on(s, () => {});
try {
  process.chdir('/');
} catch {
  // stay where we are
}
const supervisor = Number(process.env[WATCHDOG_PID_ENV]);
const entries: Entry[] = [];
let buf = '';

function line(l: string): void {
  const f = l.split(' ');
  if (f[0] === 'c' && f.length === 3 && /^[0-9a-f]+$/.test(f[2])) {
    const p = Buffer.from(f[2], 'hex').toString();
    let cg = false;
    try {
      cg = fs.statfsSync(p).type === CGROUP2_SUPER_MAGIC;
    } catch {
      // not there: not a group
    }
    if (p.startsWith('/') && !p.includes('\0') && cg) entries.push({ id: f[1], kind: 'c', path: p });
  } else if (f[0] === 'r' && f.length === 5 && Number(f[2]) > 1) {
    entries.push({ id: f[1], kind: 'r', pid: Number(f[2]), start: f[3], group: f[4] === '1' });
  } else if (f[0] === 'x') {
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i].id === f[1]) entries.splice(i, 1);
  }
}

function stat(pid: number): Stat | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), start: f[19] };
  } catch {
    return null;
  }
}

const dead = (s: string): boolean => s === 'Z' || s === 'X' || s === 'x';
const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** Signals `pid` only while it is still the process that started at `start`. */
function sig(pid: number, start: string, signal: NodeJS.Signals): void {
  if (pid <= 1 || pid === process.pid) return;
  const now = stat(pid);
  if (now && now.start === start) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

/** Signals process group `g` (never group 1 or below: killpg(1) is every process). */
function sigGroup(g: number, signal: NodeJS.Signals): void {
  if (g <= 1) return;
  try {
    process.kill(-g, signal);
  } catch {
    // gone
  }
}

function write(dir: string, file: string, v: string): string | null {
  try {
    fs.writeFileSync(`${dir}/${file}`, v);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'EIO';
  }
}

/** A `cgroup.events` key's value (0 or 1), or -1 when it cannot be read. */
function events(dir: string, key: string): number {
  try {
    const m = fs.readFileSync(`${dir}/cgroup.events`, 'utf8').match(new RegExp(`^${key} (\\d)`, 'm'));
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

function killProcs(dir: string): void {
  try {
    for (const l of fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n')) {
      if (Number(l) > 1) {
        try {
          process.kill(Number(l), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  } catch {
    // the group is gone
  }
  try {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) killProcs(`${dir}/${e.name}`);
  } catch {
    // the group is gone
  }
}

function killGroup(dir: string): void {
  const err = write(dir, 'cgroup.kill', '1');
  if (err === null || (err !== 'ENOENT' && err !== 'EACCES') || !fs.existsSync(dir)) return;
  if (write(dir, 'cgroup.freeze', '1') === null) for (let i = 0; i < 200 && events(dir, 'frozen') === 0; i++) sleep(5);
  killProcs(dir);
  write(dir, 'cgroup.freeze', '0');
}

function removeGroup(dir: string): void {
  try {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeGroup(`${dir}/${e.name}`);
  } catch {
    // rmdir below reports
  }
  fs.rmdirSync(dir);
}

function scan(): Map<number, Stat> {
  const out = new Map<number, Stat>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^[1-9][0-9]*$/.test(d)) continue;
    const s = stat(Number(d));
    if (s) out.set(s.pid, s);
  }
  return out;
}

interface Root {
  pid: number;
  start: string;
  alive: boolean;
  group: boolean;
}

/** The processes of the trees: members of the owned groups, live roots, and their descendants (start-time linked). */
function members(procs: Map<number, Stat>, roots: Root[], groups: Set<number>): Map<number, Stat> {
  const m = new Map<number, Stat>();
  for (const p of procs.values()) {
    if (p.pid <= 1 || p.pid === process.pid) continue;
    if (groups.has(p.pgid) || roots.some((r) => r.alive && r.pid === p.pid && r.start === p.start)) m.set(p.pid, p);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of procs.values()) {
      if (m.has(p.pid) || p.pid <= 1 || p.pid === process.pid) continue;
      const parent = m.get(p.ppid);
      if (parent && Number(p.start) >= Number(parent.start)) {
        m.set(p.pid, p);
        changed = true;
      }
    }
  }
  return m;
}

/** Freeze-then-kill of the 'tree' jobs: stop the groups and every member until none is new, then SIGKILL. */
function cleanTrees(): void {
  const roots: Root[] = [];
  for (const e of entries) {
    if (e.kind !== 'r') continue;
    const now = stat(e.pid);
    const same = now !== null && now.start === e.start;
    roots.push({ pid: e.pid, start: e.start, alive: same && !dead(now.state), group: e.group && (now === null || same) });
  }
  if (roots.length === 0) return;
  const groups = new Set(roots.filter((r) => r.group && r.pid > 1).map((r) => r.pid));
  for (const g of groups) sigGroup(g, 'SIGSTOP');
  const stopped = new Map<number, string>();
  let m = members(scan(), roots, groups);
  for (let round = 0; round < 64; round++) {
    let fresh = false;
    for (const p of m.values()) {
      if (dead(p.state) || groups.has(p.pgid) || stopped.get(p.pid) === p.start) continue;
      sig(p.pid, p.start, 'SIGSTOP');
      stopped.set(p.pid, p.start);
      fresh = true;
    }
    if (!fresh) break;
    m = members(scan(), roots, groups);
  }
  for (let round = 0; round < 8; round++) {
    for (const g of groups) sigGroup(g, 'SIGKILL');
    let any = false;
    for (const p of m.values()) {
      if (dead(p.state)) continue;
      sig(p.pid, p.start, 'SIGKILL');
      any = true;
    }
    if (!any) break;
    m = members(scan(), roots, groups);
  }
}

/** Removes a killed cgroup once it is empty (retrying the kill every 50 ms), for at most until `deadline`. */
function removeWhenEmpty(d: string, deadline: number): void {
  for (let delay = 1, last = Date.now(); ; delay = Math.min(delay * 2, 16)) {
    if (events(d, 'populated') === 0) {
      try {
        removeGroup(d);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || (code !== 'EBUSY' && code !== 'ENOTEMPTY')) break;
      }
    } else if (!fs.existsSync(d)) break;
    if (Date.now() > deadline) break;
    if (Date.now() - last >= 50) {
      killGroup(d);
      last = Date.now();
    }
    sleep(delay);
  }
}

function cleanup(): never {
  if (entries.length === 0) process.exit(0);
  const cg = entries.flatMap((e) => (e.kind === 'c' ? [e.path] : []));
  for (const d of cg) killGroup(d);
  cleanTrees();
  const deadline = Date.now() + 10000;
  for (const d of cg) removeWhenEmpty(d, deadline);
  process.exit(0);
}

process.stdin.on('data', (d: Buffer) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    line(buf.slice(0, i));
    buf = buf.slice(i + 1);
  }
});
process.stdin.on('end', cleanup);
process.stdin.on('error', cleanup);
// A write end leaked to a process that forked without exec'ing would hold off EOF: the parent
// changing (reparenting) tells too.
setInterval(() => {
  if (process.ppid !== supervisor) cleanup();
}, 250);
if (process.ppid !== supervisor) setImmediate(cleanup);
