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
 * Without the helper binary (an install without it), a Node program does the same
 * (`process.execPath dist/job/programs/watchdog.js`, `ELECTRON_RUN_AS_NODE=1`; its source is
 * lib/job/programs/watchdog.ts), with start-time checks but no pidfds, at the cost of a Node
 * process (~40 MB) per supervisor. `PROCSIG_JOB_WATCHDOG=node` forces it (tests).
 *
 * Linux only: elsewhere {@link watchJob} returns 0 (Windows Job Objects kill on close by
 * themselves; macOS has only the `'exit'` hook).
 *
 * @internal
 * @packageDocumentation
 */
import type { ChildProcess } from 'node:child_process';
import fs = require('node:fs');
import { programPath } from './shared';
import { nodeWatchdogEnv } from './env';

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
    const program = programPath('watchdog');
    child = program === null ? undefined : cp.spawn(process.execPath, [program], { ...common, env: nodeWatchdogEnv() });
    watchdogKind = 'node';
  }
  if (child?.pid === undefined) {
    child?.on('error', () => {});
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
