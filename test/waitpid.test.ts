import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { kill, ProcessError, signals, waitpid, waitpidAsync } from '../lib';
import { isFailure, native, WaitFlag, type WaitTuple } from '../lib/native';
import { decodeWait } from '../lib/wait-status';
import { cleanup, procState, track } from './helpers';

afterEach(cleanup);

/** A child that exits with `code` when it reads a line on stdin. */
function child(code = 0) {
  const c = spawn(process.execPath, ['-e', `process.stdin.once('data', () => process.exit(${code})); setInterval(() => {}, 1e9)`], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  track(c.pid!);
  return c;
}

/** Resolves once one of our threads is blocked in the given syscall (per /proc), or after 3 s. */
async function blockedIn(nr: number): Promise<void> {
  const fs = await import('node:fs');
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    for (const tid of fs.readdirSync('/proc/self/task')) {
      try {
        if (fs.readFileSync(`/proc/self/task/${tid}/syscall`, 'utf8').split(' ')[0] === String(nr)) return;
      } catch {
        // thread gone
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Spin synchronously until waitpid(WNOHANG) reports something: libuv cannot reap it first
 *  because its SIGCHLD handling runs on this (busy) thread. */
function spinWait(pid: number, opts = {}) {
  for (let i = 0; i < 5_000_000; i++) {
    const s = waitpid(pid, { noHang: true, ...opts });
    if (s) return s;
  }
  throw new Error('no status');
}

describe('waitpid (sync, WNOHANG)', () => {
  it('returns null while the child runs, then its SIGKILL status with code 137', () => {
    const c = child();
    expect(waitpid(c.pid!)).toBeNull();
    expect(kill('KILL', c.pid!)).toBe(1);
    const s = spinWait(c.pid!);
    expect(s).toMatchObject({
      pid: c.pid,
      exited: false,
      exitCode: null,
      signaled: true,
      signal: 'SIGKILL',
      signalNumber: signals.SIGKILL,
      coreDumped: false,
      stopped: false,
      continued: false,
      code: 137,
    });
    expect(s.status & 0x7f).toBe(9);
  });

  it('keeps a real-time signal that has no classic name', ({ skip }) => {
    skip(process.platform !== 'linux', 'Linux real-time signal numbers');
    const c = child();
    expect(kill('RTMIN+3', c.pid!)).toBe(1);
    const s = spinWait(c.pid!);
    expect(s).toMatchObject({ signaled: true, signal: 'SIGRTMIN+3', signalNumber: 37, code: 165 });
  });

  it('reports stopped (untraced) and continued', () => {
    const c = child();
    kill('STOP', c.pid!);
    expect(spinWait(c.pid!, { untraced: true })).toMatchObject({ stopped: true, stopSignal: 'SIGSTOP', code: null, exited: false });
    kill('CONT', c.pid!);
    expect(spinWait(c.pid!, { continued: true })).toMatchObject({ continued: true, stopped: false, code: null });
    kill('KILL', c.pid!);
    expect(spinWait(c.pid!)).toMatchObject({ signal: 'SIGKILL' });
  });

  it('throws ECHILD for a process that is not our child', () => {
    let err: unknown;
    try {
      waitpid(1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProcessError);
    expect(err).toMatchObject({ code: 'ECHILD', syscall: 'waitpid', pid: 1 });
  });
});

describe('waitpidAsync (off the JS thread)', () => {
  it('resolves with the exit code once the child exits', async () => {
    const c = child(7);
    const p = waitpidAsync(c.pid!);
    // Let the child exit only once a pool thread is blocked in wait4 (x86-64 syscall 61), or
    // libuv might reap it first.
    await blockedIn(61);
    c.stdin!.write('go\n');
    // libuv reaps its children from this thread's event loop on SIGCHLD, and on a busy machine
    // it can get there before the pool thread's wait4 returns. Keep this thread busy until the
    // child is gone from /proc (reaped, by the only other waiter) or 3 s have passed.
    const { existsSync } = await import('node:fs');
    for (const end = Date.now() + 3000; Date.now() < end && existsSync(`/proc/${c.pid}`); );
    const s = await p;
    expect(s).toMatchObject({ pid: c.pid, exited: true, exitCode: 7, code: 7, signaled: false, signal: null });
  });

  it('resolves null under noHang when nothing changed', async () => {
    const c = child();
    expect(await waitpidAsync(c.pid!, { noHang: true })).toBeNull();
  });

  it('rejects ECHILD for a non-child', async () => {
    await expect(waitpidAsync(1)).rejects.toMatchObject({ code: 'ECHILD', syscall: 'waitpid' });
  });
});

describe('WNOWAIT peek (the basis of waitForExit for children)', () => {
  it('reports the exit but leaves the child for its owner: child_process still sees "exit"', async () => {
    // The child exits by itself shortly after starting. This thread spins on a non-blocking peek
    // meanwhile, so libuv (whose SIGCHLD handling runs on this thread) cannot reap it first.
    const c = spawn(process.execPath, ['-e', 'setTimeout(() => process.exit(42), 100)'], { stdio: 'ignore' });
    track(c.pid!);
    const exit = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    const peek = (): WaitTuple => {
      const r = native.waitpid(c.pid!, WaitFlag.NoWait | WaitFlag.NoHang);
      if (isFailure(r)) throw new Error(`waitpid failed: ${JSON.stringify(r)}`);
      return r;
    };
    let t = peek();
    const deadline = Date.now() + 10_000;
    while (t[0] === 0 && Date.now() < deadline) t = peek();
    // peeking twice gives the same answer: nothing was reaped
    expect(native.waitpid(c.pid!, WaitFlag.NoWait | WaitFlag.NoHang)).toEqual(t);
    const s = decodeWait(t)!;
    expect(s).toMatchObject({ pid: c.pid, exited: true, exitCode: 42, code: 42 });
    expect(procState(c.pid!) === 'Z' || procState(c.pid!) === undefined).toBe(true);
    expect(await exit).toBe(42);
  });
});
