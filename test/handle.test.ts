import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AlreadyExitedError, ProcessError, ProcessHandle, UnexpectedExitError, waitForExit } from '../lib/index';
import { handleCaps, handleKind } from '../lib/handle';
import { HandleCap, native } from '../lib/native';
import { addonPath, cleanup, fixture, isDead, isRoot, isTrackedDead, procState, spawnFixture, track, waitDead } from './helpers';

const linux = process.platform === 'linux';
const hasPidfd = linux && (handleCaps() & HandleCap.Fd) !== 0;
/** Why pidfd-only tests are skipped (PROCSIG_NO_PIDFD=1 forces the fallback for the whole run). */
const noPidfd = process.env.PROCSIG_NO_PIDFD === '1' ? 'PROCSIG_NO_PIDFD=1 forces the pid + start-time fallback' : 'no pidfds on this kernel';
/** Tests of the pidfd path itself (fd counts, pidfd_open, a child's status peeked through it). */
const NO_PIDFD = hasPidfd ? '' : ' — skipped: pidfds are refused here (seccomp, kernel < 5.3)';
const itPidfd = hasPidfd ? it : it.skip;
const handles: ProcessHandle[] = [];
const keep = (h: ProcessHandle): ProcessHandle => (handles.push(h), h);

afterEach(() => {
  for (const h of handles.splice(0)) h.close();
  cleanup();
});

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
/** Where each open fd of this process points. */
const fdLinks = (): string[] =>
  fs.readdirSync('/proc/self/fd').map((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return '';
    }
  });
const exitOf = (c: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve([c.exitCode, c.signalCode])
    : new Promise((r) => c.once('exit', (code, sig) => r([code, sig])));

describe.runIf(linux)('ProcessHandle (Linux)', () => {
  itPidfd(`uses a pidfd on this kernel${NO_PIDFD}`, () => {
    expect(handleKind()).toBe('pidfd');
    expect(handleCaps() & HandleCap.Signal).toBeTruthy();
  });

  it('kill(SIGKILL, { wait: true }) resolves to the ExitResult with code 137; child_process still gets its exit', async () => {
    const { child } = await spawnFixture('sleeper.js');
    const exit = exitOf(child);
    const h = keep(ProcessHandle.fromChild(child));
    expect(h.pid).toBe(child.pid);
    const r = await h.kill('SIGKILL', { wait: true });
    expect(r).toMatchObject({ pid: child.pid, code: 137, exitCode: null, signal: 'SIGKILL', status: { signaled: true, code: 137 } });
    // One shape: wait(), exited, tryWait() and waitForExit() give the same code the same way.
    expect((await h.wait()).code).toBe(137);
    expect((await h.exited).code).toBe(137);
    expect(h.tryWait()?.code).toBe(137);
    expect((await waitForExit(h)).signal).toBe('SIGKILL');
    expect(await exit).toEqual([null, 'SIGKILL']);
  });

  it('killing a process that exited on its own, unobserved, throws UnexpectedExitError with its status', async () => {
    const { child } = await spawnFixture('handle-exit.js', ['3', '50']);
    const h = keep(ProcessHandle.fromChild(child));
    await exitOf(child); // Node saw it; the handle did not
    let err: unknown;
    try {
      h.kill('SIGTERM');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnexpectedExitError);
    expect((err as UnexpectedExitError).code).toBe('ERR_PROCESS_UNEXPECTED_EXIT');
    expect((err as UnexpectedExitError).status).toMatchObject({ exited: true, exitCode: 3, code: 3 });
    // From now on the exit has been observed.
    expect(() => h.kill('SIGTERM')).toThrow(AlreadyExitedError);
  });

  it('killing a process whose exit was observed through the handle throws AlreadyExitedError', async () => {
    const { child } = await spawnFixture('handle-exit.js', ['0', '20']);
    const h = keep(ProcessHandle.fromChild(child));
    const r = await h.wait({ timeout: 60_000 });
    expect(r.status).toMatchObject({ exitCode: 0 });
    let err: unknown;
    try {
      h.kill();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AlreadyExitedError);
    expect((err as AlreadyExitedError).message).toBe('cannot kill process that has already finished');
    expect((err as AlreadyExitedError).code).toBe('ERR_PROCESS_ALREADY_EXITED');
    await expect(h.kill('SIGKILL', { wait: true })).rejects.toBeInstanceOf(AlreadyExitedError);
  });

  it('fromChild of a child Node already reaped never opens the (reusable) pid', async () => {
    const { child } = await spawnFixture('handle-exit.js', ['5']);
    await exitOf(child);
    const before = native.watchCount()[1];
    const h = keep(ProcessHandle.fromChild(child));
    expect(native.watchCount()[1]).toBe(before);
    expect(h.tryWait()?.status?.exitCode).toBe(5);
    expect(() => h.kill()).toThrow(AlreadyExitedError);
  });

  itPidfd(`exited is one shared promise; tryWait() is null while it runs${NO_PIDFD}`, async () => {
    const { child, pid } = await spawnFixture('sleeper.js');
    const h = keep(ProcessHandle.open(pid));
    expect(h.tryWait()).toBeNull();
    const p = h.exited;
    expect(h.exited).toBe(p);
    child.kill('SIGKILL');
    const r = await p;
    expect(r.pid).toBe(pid);
    // (opened by pid: the fallback polls, and if Node reaped the child between two polls the
    // status is unknown, never invented)
    if (hasPidfd || r.status !== undefined) expect(r.status?.signal).toBe('SIGKILL');
    expect(isTrackedDead(pid)).toBe(true);
  });

  itPidfd(`close() rejects pending waits and releases the watcher and the fd${NO_PIDFD}`, async () => {
    const { pid } = await spawnFixture('sleeper.js');
    const fds = fdCount();
    const h = ProcessHandle.open(pid);
    // a pidfd and a native watcher each; the fallback (PROCSIG_NO_PIDFD=1) holds neither and polls
    expect(fdCount()).toBe(fds + (hasPidfd ? 1 : 0));
    const w = h.wait();
    const e = h.exited;
    if (hasPidfd) expect(native.watchCount()[0]).toBeGreaterThan(0);
    h.close();
    h.close(); // idempotent
    await expect(w).rejects.toMatchObject({ code: 'ERR_PROCESS_HANDLE_CLOSED' });
    await expect(e).rejects.toMatchObject({ code: 'ERR_PROCESS_HANDLE_CLOSED' });
    expect(native.watchCount()[0]).toBe(0);
    expect(fdCount()).toBe(fds);
    expect(() => h.kill()).toThrow(expect.objectContaining({ code: 'ERR_PROCESS_HANDLE_CLOSED' }));
    expect(isDead(pid)).toBe(false);
  });

  it('[Symbol.dispose] closes the handle', async () => {
    const { pid } = await spawnFixture('sleeper.js');
    const fds = fdCount();
    {
      const h = ProcessHandle.open(pid);
      h[Symbol.dispose]();
      expect(h.closed).toBe(true);
    }
    expect(fdCount()).toBe(fds);
  });

  it('killGroup takes the children and grandchildren of a child started in its own group', async () => {
    const { child, ready } = await spawnFixture('group-leader.js', ['2'], { detached: true });
    const pids = ready.map(Number);
    expect(pids).toHaveLength(3);
    const h = keep(ProcessHandle.fromChild(child));
    h.killGroup('SIGKILL');
    await waitDead(pids);
    for (const p of pids) expect(isTrackedDead(p)).toBe(true);
  });

  itPidfd(`open() of a pid that does not exist throws ProcessError ESRCH${NO_PIDFD}`, async () => {
    const c = spawn(process.execPath, ['-e', '0']);
    await exitOf(c);
    let err: unknown;
    try {
      ProcessHandle.open(c.pid!);
    } catch (e) {
      err = e;
    }
    // (unless the pid was recycled meanwhile, which a busy machine can do)
    if (err !== undefined) {
      expect(err).toBeInstanceOf(ProcessError);
      expect((err as ProcessError).code).toBe('ESRCH');
      // (the fallback reads /proc/<pid>/stat for the start time instead)
      expect((err as ProcessError).syscall).toBe(hasPidfd ? 'pidfd_open' : 'open');
    }
  });

  it('rejects bad input before anything is signalled', async () => {
    const { pid } = await spawnFixture('sleeper.js');
    expect(() => ProcessHandle.open(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ProcessHandle.open(-1)).toThrow(RangeError);
    expect(() => ProcessHandle.open('1' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => ProcessHandle.fromChild({} as ChildProcess)).toThrow(TypeError);
    const h = keep(ProcessHandle.open(pid));
    expect(() => h.kill('SIGFOO' as never)).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
    expect(() => h.kill('SIGTERM', { wait: 'yes' as unknown as boolean })).toThrow(TypeError);
    await expect(h.wait({ timeout: -1 })).rejects.toThrow(RangeError);
    await expect(h.wait({ signal: 'x' as unknown as AbortSignal })).rejects.toThrow(TypeError);
    expect(isDead(pid)).toBe(false);
  });

  itPidfd(`fds return to their baseline after opening and closing 200 handles${NO_PIDFD}`, async () => {
    const { pid } = await spawnFixture('sleeper.js');
    const fds = fdCount();
    const [watchers0, handles0] = native.watchCount();
    const hs = Array.from({ length: 200 }, () => ProcessHandle.open(pid));
    expect(fdCount()).toBe(fds + 200);
    const waits = hs.map((h) => h.wait().catch(() => null));
    expect(native.watchCount()[0]).toBeGreaterThanOrEqual(200);
    for (const h of hs) h.close();
    await Promise.all(waits);
    expect(fdCount()).toBe(fds);
    expect(native.watchCount()).toEqual([watchers0, handles0]);
  });

  itPidfd.each([
    ['terminated', false],
    ['exiting by itself', true],
  ])(`a worker %s releases its watchers and fds (env cleanup hooks)${NO_PIDFD}`, async (_name, selfExit) => {
    const { pid } = await spawnFixture('sleeper.js');
    const fds = fdCount();
    // the addon this process loaded (a build or a prebuild), never a hard-coded build path
    const w = new Worker(fixture('handle-worker.js'), { workerData: { pids: [pid, pid, pid], exit: selfExit, addon: addonPath } });
    const counts = await new Promise<[number, number]>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    expect(counts).toEqual([3, 3]);
    if (!selfExit) await w.terminate();
    else await new Promise((r) => w.once('exit', r));
    // The worker's own loop fds (epoll, eventfd, its watcher thread's epoll and eventfd) close
    // with it too. At most the baseline: another test's handle collected meanwhile may close one.
    await vi.waitFor(() => expect(fdCount()).toBeLessThanOrEqual(fds), { timeout: 30_000 });
    expect(isDead(pid)).toBe(false);
  });
});

/** Spawns sleepers until one gets `pid` (ns_last_pid = pid - 1 before each try). */
async function spawnWithPid(pid: number): Promise<ChildProcess | null> {
  for (let attempt = 0; attempt < 30; attempt++) {
    fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const c = spawn(process.execPath, [fixture('sleeper.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (c.pid) track(c.pid);
    if (c.pid === pid) {
      await new Promise((r) => c.stdout!.once('data', r));
      return c;
    }
    c.kill('SIGKILL');
    await exitOf(c);
  }
  return null;
}

function canRecyclePids(): string | null {
  if (!linux) return 'Linux only';
  if (!isRoot) return 'writing /proc/sys/kernel/ns_last_pid needs root';
  try {
    const v = fs.readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8');
    fs.writeFileSync('/proc/sys/kernel/ns_last_pid', v.trim());
    return null;
  } catch (e) {
    return `ns_last_pid is not writable here (${(e as Error).message})`;
  }
}
const recycleSkip = canRecyclePids();

describe('a handle never signals a recycled pid', () => {
  it.for<[string, boolean]>([
    ['pidfd', false],
    ['pid + start time fallback', true],
  ])('%s', async ([, fallback], { skip }) => {
    skip(recycleSkip !== null, `pid recycling: ${recycleSkip}`);
    skip(!fallback && !hasPidfd, noPidfd);
    let Handle = ProcessHandle;
    const saved = process.env.PROCSIG_NO_PIDFD;
    if (fallback) {
      process.env.PROCSIG_NO_PIDFD = '1';
      vi.resetModules();
      Handle = (await import('../lib/handle')).ProcessHandle;
    }
    try {
      const { child, pid } = await spawnFixture('sleeper.js');
      const h = Handle.open(pid);
      handles.push(h);
      child.kill('SIGKILL');
      await exitOf(child); // reaped by Node: the pid is free
      const newcomer = await spawnWithPid(pid);
      // (not asserted, and reported as skipped, when the machine is too busy to hand us the pid)
      if (!newcomer) return skip('could not get the pid recycled in 30 tries on a busy machine'); // (skip throws)
      expect(newcomer.pid).toBe(pid);
      // The handle still means the old process: it reports the exit instead of signalling.
      // (toThrow by code: the fallback run loads its own copy of the error classes)
      expect(() => h.kill('SIGKILL')).toThrow(expect.objectContaining({ code: 'ERR_PROCESS_UNEXPECTED_EXIT' }));
      expect(() => h.kill('SIGKILL')).toThrow(expect.objectContaining({ code: 'ERR_PROCESS_ALREADY_EXITED' }));
      await expect(h.wait({ timeout: 60_000 })).resolves.toMatchObject({ pid });
      await new Promise((r) => setTimeout(r, 100));
      expect(procState(pid)).toMatch(/^[RS]$/);
      expect(newcomer.exitCode).toBeNull();
      expect(newcomer.signalCode).toBeNull();
    } finally {
      if (fallback) {
        if (saved === undefined) delete process.env.PROCSIG_NO_PIDFD;
        else process.env.PROCSIG_NO_PIDFD = saved;
        vi.resetModules();
      }
    }
  });
});

describe.runIf(linux)('/proc/<pid> dirfd fallback (PROCSIG_NO_PIDFD=1)', () => {
  it('opens /proc/<pid> instead of a pidfd, signals with a checked kill(2) and waits by backoff polling', async () => {
    const saved = process.env.PROCSIG_NO_PIDFD;
    process.env.PROCSIG_NO_PIDFD = '1';
    vi.resetModules();
    try {
      const mod = await import('../lib/handle');
      expect(mod.handleKind()).toBe('procfd');
      const { child, pid } = await spawnFixture('sleeper.js');
      const exit = exitOf(child);
      const fds = fdCount();
      const h = mod.ProcessHandle.fromChild(child);
      handles.push(h);
      // the handle holds the process's /proc directory open: its identity
      expect(fdCount()).toBe(fds + 1);
      expect(fdLinks()).toContain(`/proc/${pid}`);
      expect(h.tryWait()).toBeNull();
      const status = await h.kill('SIGKILL', { wait: true, timeout: 60_000 });
      // A zombie child is peeked with waitid(WNOWAIT); after Node reaped it, Node's report is used.
      expect(status?.code).toBe(137);
      expect(await exit).toEqual([null, 'SIGKILL']);
      h.close();
      expect(fdLinks()).not.toContain(`/proc/${pid}`);
    } finally {
      if (saved === undefined) delete process.env.PROCSIG_NO_PIDFD;
      else process.env.PROCSIG_NO_PIDFD = saved;
      vi.resetModules();
    }
  });
});

describe.runIf(hasPidfd)('native probe', () => {
  it('reports pidfd features of this kernel', () => {
    const caps = native.handleProbe();
    expect(caps & HandleCap.Fd).toBeTruthy();
    expect(caps & HandleCap.WatchFd).toBeTruthy();
  });

  it('handleClose refuses an fd this env did not open (no double close)', () => {
    const fd = fs.openSync('/dev/null', 'r');
    try {
      expect(native.handleClose(fd)).toEqual({ errno: 9 /* EBADF */, syscall: 'close' });
      expect(() => fs.fstatSync(fd)).not.toThrow();
    } finally {
      fs.closeSync(fd);
    }
  });
});
