/**
 * Kill-on-close for {@link Job}s on Linux: a watchdog process per supervisor that kills what is
 * left of its jobs when the supervisor dies, however it dies (SIGKILL, the OOM killer, a native
 * crash, `process.abort()`, an uncaught exception).
 *
 * Nothing runs inside a process killed by SIGKILL, so the cleanup must be done by another one:
 * the watchdog (`procsig-job-exec --watchdog <pid>`, native/job_watchdog_linux.cc — the same
 * binary as the exec helper, so one helper ships). It is started on the first job, outside every
 * job, in its own session (`detached`), unref'd (it never keeps the event loop alive), with a
 * pipe on its stdin that only this process holds the write end of (Node creates it
 * close-on-exec, so children do not inherit it). This module writes one line per event:
 * `c <id> <hex path>` (a cgroup2 job), `r <id> <pid> <start> <group>` (a 'tree' job's root, with
 * its /proc start time so a recycled pid is never signalled), `x <id>` (closed: forget it). When
 * the pipe reports EOF or a pidfd on this process turns readable, the watchdog kills what is
 * registered (`cgroup.kill`, or freeze-then-kill of the groups and trees), removes the cgroups and
 * exits. With no job left for a second, the pipe is closed and the watchdog exits; the next job
 * starts a new one. A watchdog that dies while jobs are registered is restarted and told again.
 *
 * Without the helper binary (an install without it), a Node script does the same
 * (`process.execPath -e`, `ELECTRON_RUN_AS_NODE=1`), with start-time checks but no pidfds, at the
 * cost of a Node process (~40 MB) per supervisor. `PROCSIG_JOB_WATCHDOG=node` forces it (tests).
 *
 * Linux only: elsewhere {@link watchJob} returns 0 (Windows Job Objects kill on close by
 * themselves; macOS has only the `'exit'` hook).
 *
 * @internal
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

/** The Node fallback: the same protocol and the same cleanup as the native watchdog. */
const NODE_WATCHDOG = `
'use strict';
const fs = require('fs');
process.title = 'procsig-watch';
for (const s of ['SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGTERM', 'SIGPIPE', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU']) process.on(s, () => {});
try { process.chdir('/'); } catch {}
const supervisor = Number(process.env.PROCSIG_WATCHDOG_PID);
const entries = [];
let buf = '';
function line(l) {
  const f = l.split(' ');
  if (f[0] === 'c' && f.length === 3 && /^[0-9a-f]+$/.test(f[2])) {
    const p = Buffer.from(f[2], 'hex').toString();
    let cg = false;
    try { cg = fs.statfsSync(p).type === 0x63677270; } catch {}
    if (p.startsWith('/') && !p.includes('\\0') && cg) entries.push({ id: f[1], kind: 'c', path: p });
  } else if (f[0] === 'r' && f.length === 5 && Number(f[2]) > 1) {
    entries.push({ id: f[1], kind: 'r', pid: Number(f[2]), start: f[3], group: f[4] === '1' });
  } else if (f[0] === 'x') {
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i].id === f[1]) entries.splice(i, 1);
  }
}
function stat(pid) {
  try {
    const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), start: f[19] };
  } catch { return null; }
}
const dead = (s) => s === 'Z' || s === 'X' || s === 'x';
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
function sig(pid, start, signal) {
  if (pid <= 1 || pid === process.pid) return;
  const now = stat(pid);
  if (now && now.start === start) try { process.kill(pid, signal); } catch {}
}
function write(dir, file, v) { try { fs.writeFileSync(dir + '/' + file, v); return null; } catch (e) { return e.code; } }
function events(dir, key) {
  try { const m = fs.readFileSync(dir + '/cgroup.events', 'utf8').match(new RegExp('^' + key + ' (\\\\d)', 'm')); return m ? Number(m[1]) : -1; } catch { return -1; }
}
function killProcs(dir) {
  try { for (const l of fs.readFileSync(dir + '/cgroup.procs', 'utf8').split('\\n')) if (Number(l) > 1) try { process.kill(Number(l), 'SIGKILL'); } catch {} } catch {}
  try { for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) killProcs(dir + '/' + e.name); } catch {}
}
function killGroup(dir) {
  const err = write(dir, 'cgroup.kill', '1');
  if (err === null || (err !== 'ENOENT' && err !== 'EACCES') || !fs.existsSync(dir)) return;
  if (write(dir, 'cgroup.freeze', '1') === null) for (let i = 0; i < 200 && events(dir, 'frozen') === 0; i++) sleep(5);
  killProcs(dir);
  write(dir, 'cgroup.freeze', '0');
}
function removeGroup(dir) {
  try { for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeGroup(dir + '/' + e.name); } catch {}
  fs.rmdirSync(dir);
}
function scan() {
  const out = new Map();
  for (const d of fs.readdirSync('/proc')) if (/^[1-9][0-9]*$/.test(d)) { const s = stat(Number(d)); if (s) out.set(s.pid, s); }
  return out;
}
function cleanTrees() {
  const roots = [];
  for (const e of entries) {
    if (e.kind !== 'r') continue;
    const now = stat(e.pid);
    const same = now !== null && now.start === e.start;
    roots.push({ pid: e.pid, start: e.start, alive: same && !dead(now.state), group: e.group && (now === null || same) });
  }
  if (roots.length === 0) return;
  const groups = new Set(roots.filter((r) => r.group && r.pid > 1).map((r) => r.pid));
  for (const g of groups) try { process.kill(-g, 'SIGSTOP'); } catch {}
  const members = (procs) => {
    const m = new Map();
    for (const p of procs.values()) {
      if (p.pid <= 1 || p.pid === process.pid) continue;
      if (groups.has(p.pgid) || roots.some((r) => r.alive && r.pid === p.pid && r.start === p.start)) m.set(p.pid, p);
    }
    for (let changed = true; changed;) {
      changed = false;
      for (const p of procs.values()) {
        if (m.has(p.pid) || p.pid <= 1 || p.pid === process.pid) continue;
        const parent = m.get(p.ppid);
        if (parent && Number(p.start) >= Number(parent.start)) { m.set(p.pid, p); changed = true; }
      }
    }
    return m;
  };
  const stopped = new Map();
  let m = members(scan());
  for (let round = 0; round < 64; round++) {
    let fresh = false;
    for (const p of m.values()) {
      if (dead(p.state) || groups.has(p.pgid) || stopped.get(p.pid) === p.start) continue;
      sig(p.pid, p.start, 'SIGSTOP');
      stopped.set(p.pid, p.start);
      fresh = true;
    }
    if (!fresh) break;
    m = members(scan());
  }
  for (let round = 0; round < 8; round++) {
    for (const g of groups) try { process.kill(-g, 'SIGKILL'); } catch {}
    let any = false;
    for (const p of m.values()) if (!dead(p.state)) { sig(p.pid, p.start, 'SIGKILL'); any = true; }
    if (!any) break;
    m = members(scan());
  }
}
function cleanup() {
  if (entries.length === 0) process.exit(0);
  const cg = entries.filter((e) => e.kind === 'c').map((e) => e.path);
  for (const d of cg) killGroup(d);
  cleanTrees();
  const deadline = Date.now() + 10000;
  for (const d of cg) {
    for (let delay = 1, last = Date.now(); ; delay = Math.min(delay * 2, 16)) {
      if (events(d, 'populated') === 0) {
        try { removeGroup(d); break; } catch (e) { if (e.code === 'ENOENT' || (e.code !== 'EBUSY' && e.code !== 'ENOTEMPTY')) break; }
      } else if (!fs.existsSync(d)) break;
      if (Date.now() > deadline) break;
      if (Date.now() - last >= 50) { killGroup(d); last = Date.now(); }
      sleep(delay);
    }
  }
  process.exit(0);
}
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) { line(buf.slice(0, i)); buf = buf.slice(i + 1); }
});
process.stdin.on('end', cleanup);
process.stdin.on('error', cleanup);
// A write end leaked to a process that forked without exec'ing would hold off EOF: the parent
// changing (reparenting) tells too.
setInterval(() => { if (process.ppid !== supervisor) cleanup(); }, 250);
if (process.ppid !== supervisor) setImmediate(cleanup);
`;

/** Environment variables the Node watchdog must not act on (and ELECTRON_RUN_AS_NODE). */
function nodeWatchdogEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['NODE_OPTIONS', 'NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE', 'NODE_UNIQUE_ID']) delete env[k];
  env.ELECTRON_RUN_AS_NODE = '1';
  env.PROCSIG_WATCHDOG_PID = String(process.pid);
  return env;
}

/** Lines registered per job id, replayed to a restarted watchdog. */
const registry = new Map<number, string[]>();
let watchdog: ChildProcess | undefined;
let watchdogKind: 'native' | 'node' | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let nextId = 0;
let restarts = 0;
const MAX_RESTARTS = 20;
/** How long an idle watchdog (no job registered) stays before its pipe is closed. */
const IDLE_MS = 1000;

function start(helper: string | null): ChildProcess | undefined {
  const cp = require('node:child_process') as typeof import('node:child_process');
  const common = { stdio: ['pipe', 'ignore', 'ignore'] as ['pipe', 'ignore', 'ignore'], detached: true, windowsHide: true };
  let child: ChildProcess | undefined;
  if (helper !== null && process.env.PROCSIG_JOB_WATCHDOG !== 'node') {
    child = cp.spawn(helper, ['--watchdog', String(process.pid)], { ...common, env: {} });
    watchdogKind = 'native';
  }
  if (child?.pid === undefined) {
    child?.on('error', () => {});
    child = cp.spawn(process.execPath, ['-e', NODE_WATCHDOG], { ...common, env: nodeWatchdogEnv() });
    watchdogKind = 'node';
  }
  if (child.pid === undefined) {
    child.on('error', () => {});
    watchdogKind = undefined;
    return undefined;
  }
  const self = child;
  child.on('error', () => {});
  child.stdin!.on('error', () => {
    // EPIPE: the watchdog died; 'exit' restarts it.
  });
  child.once('exit', () => {
    if (watchdog !== self) return;
    watchdog = undefined;
    // Killed from outside while jobs are registered: start another one and tell it everything.
    if (registry.size > 0 && restarts++ < MAX_RESTARTS) ensure(helper);
  });
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  watchdog = child;
  for (const lines of registry.values()) for (const l of lines) child.stdin!.write(l);
  return child;
}

function ensure(helper: string | null): ChildProcess | undefined {
  if (idleTimer !== undefined) {
    clearTimeout(idleTimer);
    idleTimer = undefined;
  }
  return watchdog ?? start(helper);
}

function send(id: number, line: string): void {
  const lines = registry.get(id);
  if (lines === undefined) return;
  lines.push(line);
  // A pipe write with an empty queue is written synchronously by libuv: once this returns, the
  // line is in the kernel's buffer and survives this process's death.
  watchdog?.stdin!.write(line);
}

/** This process's start time (`/proc/<pid>/stat` field 22, clock ticks since boot), or undefined. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * @internal Registers a job with the watchdog (starting it if needed). `helper` is the
 * exec helper's path (`null`: the Node fallback). Returns the job's watchdog id, or 0 when there
 * is no watchdog here (not Linux, or no way to start one).
 */
export function watchJob(helper: string | null, cgroupDir?: string): number {
  if (process.platform !== 'linux') return 0;
  if (ensure(helper) === undefined) return 0;
  const id = ++nextId;
  registry.set(id, []);
  if (cgroupDir !== undefined) send(id, `c ${id} ${Buffer.from(cgroupDir).toString('hex')}\n`);
  return id;
}

/** @internal A 'tree' job's root: `pid` (an unreaped child or a just-opened process) and whether it leads its own group. */
export function watchRoot(id: number, pid: number, group: boolean): void {
  if (id === 0) return;
  const start = startTicks(pid);
  if (start === undefined) return;
  send(id, `r ${id} ${pid} ${start} ${group ? 1 : 0}\n`);
}

/** @internal The job was closed: the watchdog forgets it; with no job left, it exits a second later. */
export function unwatchJob(id: number): void {
  if (id === 0 || !registry.has(id)) return;
  registry.delete(id);
  watchdog?.stdin!.write(`x ${id}\n`);
  if (registry.size === 0 && watchdog !== undefined && idleTimer === undefined) {
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      if (registry.size > 0 || watchdog === undefined) return;
      const w = watchdog;
      watchdog = undefined;
      w.stdin!.end();
    }, IDLE_MS);
    idleTimer.unref();
  }
}

/**
 * @internal The running watchdog (tests): its pid, kind, how many jobs it watches, and the fd of
 * this process's end of its pipe (libuv's handle; undefined if Node does not show it).
 */
export function watchdogInfo(): { pid: number; kind: 'native' | 'node'; jobs: number; fd: number | undefined } | undefined {
  if (watchdog?.pid === undefined || watchdogKind === undefined) return undefined;
  const fd = (watchdog.stdin as unknown as { _handle?: { fd?: number } } | null)?._handle?.fd;
  return { pid: watchdog.pid, kind: watchdogKind, jobs: registry.size, fd: typeof fd === 'number' && fd >= 0 ? fd : undefined };
}
