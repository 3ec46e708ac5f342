import * as os from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessHandle, TimeoutError, waitForExit } from '../lib/index';
import { handleCaps, handleKind } from '../lib/handle';
import { HandleCap, native } from '../lib/native';
import { cleanup, isTrackedAlive, isTrackedDead, procState, spawnFixture, spawnShellSleepers, track } from './helpers';

const linux = process.platform === 'linux';
/** PIDFD_INFO_EXIT (Linux >= 6.15, with pidfds): a reaped non-child's status. */
const exitInfo = linux && (handleCaps() & HandleCap.Fd) !== 0 && kernelAtLeast(6, 15);
function kernelAtLeast(major: number, minor: number): boolean {
  const [maj, min] = os.release().split('.').map((x) => parseInt(x, 10));
  return maj > major || (maj === major && min >= minor);
}
/** pidfds in use (PROCSIG_NO_PIDFD=1 forces the pid + start-time fallback, which polls: no native watchers). */
const pidfd = linux && handleKind() === 'pidfd';
const noExitInfo = process.env.PROCSIG_NO_PIDFD === '1' ? 'PROCSIG_NO_PIDFD=1: no pidfd, no PIDFD_INFO_EXIT' : 'this kernel has no PIDFD_INFO_EXIT';
const hasPidfd = linux && (handleCaps() & HandleCap.Fd) !== 0;
/** Tests that need pidfds: a child's status peeked through waitid(P_PIDFD), pidfd counts. */
const NO_PIDFD = hasPidfd ? '' : ' — skipped: pidfds are refused here (seccomp, kernel < 5.3)';
const itPidfd = hasPidfd ? it : it.skip;
const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
const extra: ChildProcess[] = [];

afterEach(() => {
  for (const c of extra.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  cleanup();
});

/** Resolves with the first stdout line of `c` that starts with `word`. */
function lineOf(c: ChildProcess, word: string): Promise<string[]> {
  return new Promise((resolve) => {
    let buf = '';
    const on = (d: Buffer): void => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        const w = line.trim().split(/\s+/);
        if (w[0] === word) {
          c.stdout!.off('data', on);
          resolve(w.slice(1));
          return;
        }
      }
    };
    c.stdout!.on('data', on);
  });
}

describe.runIf(linux)('waitForExit', () => {
  itPidfd(`a child: reports the status without reaping, so child_process still emits exit with the right code${NO_PIDFD}`, async () => {
    const { child, pid } = await spawnFixture('handle-exit.js', ['7', '100']);
    const exit = new Promise((r) => child.once('exit', (code, sig) => r([code, sig])));
    const r = await waitForExit(pid, { timeout: 60_000 });
    expect(r.pid).toBe(pid);
    // Through a pidfd the zombie is peeked before Node reaps it. The fallback polls: Node may
    // reap the child between two polls, and then the status is unknown (never invented).
    if (pidfd || r.status !== undefined) expect(r.status).toMatchObject({ exited: true, exitCode: 7, code: 7 });
    expect(await exit).toEqual([7, null]);
  });

  itPidfd(`a child killed by SIGKILL: code 137, and child_process sees SIGKILL${NO_PIDFD}`, async () => {
    const { child, pid } = await spawnFixture('sleeper.js');
    const exit = new Promise((r) => child.once('exit', (code, sig) => r([code, sig])));
    const p = waitForExit(child.pid!, { timeout: 60_000 });
    process.kill(pid, 'SIGKILL');
    const r = await p;
    // (the fallback polls: if Node reaped the child between two polls the status is unknown)
    if (pidfd || r.status !== undefined) expect(r.status).toMatchObject({ signaled: true, signal: 'SIGKILL', code: 137 });
    expect(await exit).toEqual([null, 'SIGKILL']);
  });

  // native/exit_watch.h: the watcher thread peeks a child's status as its pidfd turns ready and
  // hands it over with the event; the callback gets handleQuery's answer without asking. A
  // callback may watch the same fd again while the fired registration is still in the epoll set.
  itPidfd(`the exit watcher hands over the status it peeked, and a callback may watch the same fd again${NO_PIDFD}`, async () => {
    const { child, pid } = await spawnFixture('sleeper.js');
    const exit = new Promise((r) => child.once('exit', (code, sig) => r([code, sig])));
    const h = native.handleOpen(pid);
    if (!Array.isArray(h)) throw new Error(`handleOpen: ${JSON.stringify(h)}`);
    const fd = h[0];
    try {
      const calls: unknown[][] = [];
      const done = new Promise<void>((resolve) => {
        const first = native.watchExit(fd, pid, (errno, peeked) => {
          calls.push([errno, peeked]);
          // the same fd, watched again from inside its own callback: ready at once (it exited)
          const again = native.watchExit(fd, pid, (errno2, peeked2) => {
            calls.push([errno2, peeked2]);
            resolve();
          });
          expect(typeof again).toBe('number');
        });
        expect(typeof first).toBe('number');
      });
      process.kill(pid, 'SIGKILL');
      // Keep this thread from reaping the child (libuv does, on SIGCHLD) until the watcher thread
      // has peeked; by the second callback it may have been reaped, and then nothing is peeked.
      const until = Date.now() + 200;
      while (Date.now() < until);
      await done;
      // [HandleState.ExitedKnown, raw status 9, WaitKind.Signaled, SIGKILL, no core], as handleQuery answers
      const known = [1, 9, 2, 9, 0];
      expect(calls[0]).toEqual([0, known]);
      expect(calls).toHaveLength(2);
      expect([[0, known], [0, undefined]]).toContainEqual(calls[1]);
      expect(native.watchCount()[0]).toBe(0);
    } finally {
      native.handleClose(fd);
    }
    expect(await exit).toEqual([null, 'SIGKILL']);
  });

  it('a non-child reaped by its own parent: the real status through PIDFD_INFO_EXIT', async ({ skip }) => {
    skip(!exitInfo, noExitInfo);
    const { child, ready } = await spawnFixture('handle-parent.js');
    const grandchild = Number(ready[0]);
    const h = ProcessHandle.open(grandchild); // opened before the exit
    try {
      const reaped = lineOf(child, 'reaped');
      process.kill(grandchild, 'SIGKILL');
      expect(await reaped).toEqual(['null', 'SIGKILL']); // its parent reaped it, not us
      const r = await waitForExit(h, { timeout: 60_000 });
      expect(r.status).toMatchObject({ signaled: true, signal: 'SIGKILL', signalNumber: 9, code: 137 });
    } finally {
      h.close();
    }
  });

  it('a non-child exiting with a code: status after its parent reaped it (or unknown, never invented)', async () => {
    const { child, ready } = await spawnFixture('handle-parent.js');
    const grandchild = Number(ready[0]);
    const h = ProcessHandle.open(grandchild);
    try {
      const reaped = lineOf(child, 'reaped');
      process.kill(grandchild, 'SIGTERM');
      await reaped;
      const r = await h.wait({ timeout: 60_000 });
      if (exitInfo) expect(r.status).toMatchObject({ signal: 'SIGTERM', code: 143 });
      else expect(r.status).toBeUndefined();
    } finally {
      h.close();
    }
  });

  it('a zombie nobody reaps counts as exited (status unknown for a non-child)', async () => {
    // A Node parent always reaps; sh exec'ing into sleep never will.
    const sh = spawn('/bin/sh', ['-c', 'sleep 1000 & echo ready $!; exec sleep 1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    extra.push(sh);
    track(sh.pid!);
    const [zpid] = (await lineOf(sh, 'ready')).map(Number);
    track(zpid);
    const p = waitForExit(zpid, { timeout: 60_000 });
    process.kill(zpid, 'SIGKILL');
    const r = await p;
    expect(r.pid).toBe(zpid);
    expect(procState(zpid)).toBe('Z');
    expect(r.status).toBeUndefined();
    // And a wait started on the zombie resolves at once.
    expect((await waitForExit(zpid, { timeout: 1000 })).pid).toBe(zpid);
  });

  it('an orphan (its parent gone, waiting for PID 1) is seen dead at once', async () => {
    const { child, ready } = await spawnFixture('handle-parent.js', ['--orphan']);
    const orphan = Number(ready[0]);
    await new Promise((r) => child.once('exit', r));
    const p = waitForExit(orphan, { timeout: 60_000 });
    process.kill(orphan, 'SIGKILL');
    expect((await p).pid).toBe(orphan);
    expect(isTrackedDead(orphan)).toBe(true);
  });

  it('a pid with no process resolves at once without a status', async () => {
    const c = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => c.once('exit', r));
    const r = await waitForExit(c.pid!, { timeout: 1000 }).catch((e: unknown) => e);
    // (on a busy machine the pid may have been recycled: then it times out, which is also right)
    if (!(r instanceof TimeoutError)) expect(r).toEqual({ pid: c.pid, code: null, exitCode: null, signal: null, signalNumber: null, coreDumped: false });
  });

  it('timeout rejects with TimeoutError and releases the watcher and the fd', async () => {
    const { pid } = await spawnFixture('sleeper.js');
    const fds = fdCount();
    const [w0] = native.watchCount();
    const err = await waitForExit(pid, { timeout: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'ETIMEDOUT', pid, timeout: 50 });
    expect(native.watchCount()[0]).toBe(w0);
    expect(fdCount()).toBeLessThanOrEqual(fds);
    expect(isTrackedAlive(pid)).toBe(true);
  });

  it('abort rejects with the signal reason and releases everything; an aborted signal opens nothing', async () => {
    const { pid } = await spawnFixture('sleeper.js');
    const fds = fdCount();
    const ac = new AbortController();
    const p = waitForExit(pid, { signal: ac.signal });
    const reason = new Error('stop waiting');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(fdCount()).toBeLessThanOrEqual(fds);
    await expect(waitForExit(pid, { signal: AbortSignal.abort('already') })).rejects.toBe('already');
    expect(fdCount()).toBeLessThanOrEqual(fds);
    expect(isTrackedAlive(pid)).toBe(true);
  });

  it('rejects bad input', async () => {
    await expect(waitForExit(0)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(waitForExit('12' as unknown as number)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(waitForExit(process.pid, { timeout: -5 })).rejects.toBeInstanceOf(RangeError);
    await expect(waitForExit(process.pid, { timeout: 'x' as unknown as number })).rejects.toBeInstanceOf(TypeError);
  });

  itPidfd(`1,000 concurrent waits resolve as their processes die; fds and watchers return to baseline${NO_PIDFD}`, async () => {
    const { sh, pids } = await spawnShellSleepers(1000);
    extra.push(sh);
    // (on a loaded machine the shell may fail to fork a few: the test uses what it got)
    expect(pids.length).toBeGreaterThan(900);
    const fds = fdCount();
    const [w0] = native.watchCount();
    const waits = pids.map((p) => waitForExit(p, { timeout: 240_000 }));
    // one native watcher each through pidfds; the fallback polls from JS instead
    expect(native.watchCount()[0]).toBe(w0 + (pidfd ? pids.length : 0));
    for (const p of pids) process.kill(p, 'SIGKILL');
    const results = await Promise.all(waits);
    expect(results.map((r) => r.pid)).toEqual(pids);
    // (by pid and start time: a dead sleep's pid may already be another process's)
    for (const p of pids) expect(isTrackedDead(p), `${p}`).toBe(true);
    expect(native.watchCount()[0]).toBe(w0);
    expect(fdCount()).toBeLessThanOrEqual(fds);
  }, 300_000);
});
