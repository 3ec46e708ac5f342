import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessHandle, terminate, TimeoutError } from '../lib/index';
import { handleCaps } from '../lib/handle';
import { HandleCap } from '../lib/native';
import { cleanup, hiddenNote, isDead, procHiddenSkip, spawnFixture, waitDead } from './helpers';

const posix = process.platform !== 'win32';
// Linux without pidfds: the status of a child libuv reaped first is unknown (issue 13 item 8).
const childStatus = process.platform !== 'linux' || (handleCaps() & HandleCap.Fd) !== 0;
const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
const exitOf = (c: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve([c.exitCode, c.signalCode])
    : new Promise((r) => c.once('exit', (code, sig) => r([code, sig])));

afterEach(() => cleanup());

describe.runIf(posix)('terminate', () => {
  it('a process that ignores SIGTERM is escalated to SIGKILL (code 137)', async () => {
    const { child, pid } = await spawnFixture('sleeper.js', ['--ignore', 'SIGTERM']);
    const exit = exitOf(child);
    const r = await terminate(child, { timeout: 200 });
    expect(r).toMatchObject({ pid, escalated: true });
    expect(r.status).toMatchObject({ signal: 'SIGKILL', code: 137 });
    expect(r.elapsedMs).toBeGreaterThanOrEqual(150);
    expect(await exit).toEqual([null, 'SIGKILL']);
  });

  it.skipIf(!childStatus)(`a process that exits on SIGTERM is not escalated (code 143)${childStatus ? '' : ' — skipped: pidfds are refused here (seccomp, kernel < 5.3)'}`, async () => {
    const { child, pid } = await spawnFixture('sleeper.js');
    const r = await terminate(pid, { timeout: 5000 });
    expect(r).toMatchObject({ pid, escalated: false });
    expect(r.status).toMatchObject({ signal: 'SIGTERM', code: 143 });
    expect(await exitOf(child)).toEqual([null, 'SIGTERM']);
  });

  it('a process already gone resolves at once without escalation', async () => {
    const { child } = await spawnFixture('handle-exit.js', ['4']);
    await exitOf(child);
    const r = await terminate(child, { timeout: 5000 });
    expect(r).toMatchObject({ pid: child.pid, escalated: false });
    expect(r.status).toMatchObject({ exitCode: 4 });
    const gone = spawn(process.execPath, ['-e', '0']);
    await exitOf(gone);
    const fds = fdCount();
    const r2 = await terminate(gone.pid!, { timeout: 5000 }).catch((e: unknown) => e);
    if (!(r2 instanceof TimeoutError)) expect(r2).toMatchObject({ pid: gone.pid, escalated: false });
    expect(fdCount()).toBe(fds);
  });

  it('escalate: false rejects with TimeoutError and leaves the process running', async () => {
    const { pid } = await spawnFixture('sleeper.js', ['--ignore', 'SIGTERM']);
    const err = await terminate(pid, { timeout: 100, escalate: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err).toMatchObject({ code: 'ETIMEDOUT', pid });
    expect(isDead(pid)).toBe(false);
  });

  it('custom killSignal and escalate', async () => {
    const { child } = await spawnFixture('sleeper.js', ['--ignore', 'SIGINT']);
    const r = await terminate(child, { killSignal: 'SIGINT', escalate: 'SIGTERM', timeout: 100 });
    expect(r.escalated).toBe(true);
    expect(r.status?.signal).toBe('SIGTERM');
  });

  it('accepts a ProcessHandle and leaves it open', async () => {
    const { child } = await spawnFixture('sleeper.js');
    const h = ProcessHandle.fromChild(child);
    try {
      const r = await terminate(h, { timeout: 5000 });
      expect(r.status?.code).toBe(143);
      expect(h.closed).toBe(false);
      expect(() => h.kill()).toThrow(expect.objectContaining({ code: 'ERR_PROCESS_ALREADY_EXITED' }));
    } finally {
      h.close();
    }
  });

  it.skipIf(procHiddenSkip !== null)(`group: true takes every member of the group${hiddenNote}`, async () => {
    const { ready } = await spawnFixture('group-leader.js', ['2'], { detached: true });
    const pids = ready.map(Number);
    const r = await terminate(pids[0], { group: true, timeout: 5000 });
    expect(r.escalated).toBe(false);
    for (const p of pids) expect(isDead(p)).toBe(true);
  });

  it.skipIf(procHiddenSkip !== null)(`tree: true takes the children and grandchildren (killTree)${hiddenNote}`, async () => {
    const { pid, ready } = await spawnFixture('handle-parent.js');
    const grandchild = Number(ready[0]);
    const r = await terminate(pid, { tree: true, timeout: 5000 });
    expect(r.pid).toBe(pid);
    await waitDead([pid, grandchild]);
    expect(isDead(grandchild)).toBe(true);
  });

  it('abort rejects with the reason', async () => {
    const { pid } = await spawnFixture('sleeper.js', ['--ignore', 'SIGTERM']);
    const ac = new AbortController();
    const p = terminate(pid, { timeout: 10000, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('enough')), 50);
    await expect(p).rejects.toThrow('enough');
    expect(isDead(pid)).toBe(false);
    await expect(terminate(pid, { signal: AbortSignal.abort('pre') })).rejects.toBe('pre');
    expect(isDead(pid)).toBe(false);
  });

  it('rejects bad input before anything is signalled', async () => {
    const { pid } = await spawnFixture('sleeper.js');
    await expect(terminate('x' as unknown as number)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(terminate(pid, { tree: true, group: true })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(terminate(pid, { killSignal: 'NOPE' as never })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_SIGNAL' });
    await expect(terminate(pid, { escalate: 'NOPE' as never })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_SIGNAL' });
    await expect(terminate(pid, { timeout: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(terminate(0)).rejects.toBeInstanceOf(RangeError);
    expect(isDead(pid)).toBe(false);
  });
});
