/**
 * The native boundary's one result convention (native/native.h, lib/native.ts), checked export by
 * export over the addon's own export table: success returns the value (undefined when there is
 * none) and never carries `syscall`; a failure is `{ errno, syscall, win32?, pid? }` and nothing
 * else (a batch: one such object whose fields are per-pid arrays). A new export without a case here fails the
 * walk.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureAt, isFailure, nativePath, WaitFlag, type NativeAddon, type NativeFailure } from '../lib/native';
import { cleanup, track } from './helpers';

const linux = process.platform === 'linux';
// Loaded here as a plain module object: the walk must see the table itself.
const addon = require(nativePath) as NativeAddon & Record<string, unknown>;
/** A pid no process has (above the Linux pid_max ceiling). */
const NOPID = 0x7ffffffe;
const ESRCH = 3;
const EBADF = 9;
const ECHILD = 10;
const ENOENT = 2;
const ENOSYS = 38;

/** Checks the failure shape and returns it typed. */
function failure(r: unknown, errno?: number, syscall?: string): NativeFailure {
  expect(isFailure(r), JSON.stringify(r)).toBe(true);
  const f = r as NativeFailure & Record<string, unknown>;
  for (const k of Object.keys(f)) expect(['errno', 'syscall', 'win32', 'pid'], `key ${k}`).toContain(k);
  expect(typeof f.errno).toBe('number');
  expect(f.errno).not.toBe(0);
  expect(typeof f.syscall).toBe('string');
  expect(f.syscall.length).toBeGreaterThan(0);
  // The raw Win32 code exists on Windows only, and only when a Win32 call failed.
  if (!linux || f.win32 !== undefined) expect(f.win32 === undefined || (typeof f.win32 === 'number' && f.win32 !== 0)).toBe(true);
  if (linux) expect(f.win32).toBeUndefined();
  if (f.pid !== undefined) expect(Number.isInteger(f.pid)).toBe(true);
  if (errno !== undefined) expect(f.errno).toBe(errno);
  if (syscall !== undefined) expect(f.syscall).toBe(syscall);
  return f;
}

/** Checks a success value: never a failure, and no `syscall` field on an object. */
function success<T>(r: T | NativeFailure): T {
  expect(isFailure(r), JSON.stringify(r)).toBe(false);
  if (typeof r === 'object' && r !== null) expect('syscall' in r).toBe(false);
  return r as T;
}

/**
 * The exports that read /proc, called in a child whose fd table is full (EMFILE): `prlimit`
 * gives it 64 fds, it opens /dev/null until EMFILE, makes the calls, closes what it opened and
 * prints the results. Run once, on first use.
 */
let emfileResults: Record<string, unknown> | undefined;
function underEmfile(name: string): unknown {
  emfileResults ??= (() => {
    const code = `const fs = require('node:fs'); const a = require(${JSON.stringify(nativePath)}); const held = [];
      for (;;) { try { held.push(fs.openSync('/dev/null', 'r')); } catch (e) { if (e.code === 'EMFILE') break; throw e; } }
      const pid = ${child.pid};
      const out = { processState: a.processState(pid), processStartTime: a.processStartTime(pid), treeSnapshot: a.treeSnapshot(false),
        treeList: a.treeList(), treeRead: a.treeRead(Int32Array.of(pid)), treeChildren: a.treeChildren(process.pid) };
      for (const fd of held) fs.closeSync(fd);
      process.stdout.write(JSON.stringify(out));`;
    const r = spawnSync('prlimit', ['--nofile=64:64', process.execPath, '-e', code], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the EMFILE child failed (${r.status ?? r.signal}): ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  })();
  return emfileResults[name];
}
const EMFILE = 24;

let child: ChildProcess;
beforeAll(async () => {
  // Its own process group (detached), so killpg has a group of ours to probe with signal 0.
  child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  track(child.pid!);
});
afterAll(() => {
  child.kill('SIGKILL');
  cleanup();
});

/** An open handle on the child: a pidfd, else (pidfds refused) a /proc/<pid> dirfd. */
function openChild(): { fd: number; procDir: boolean } {
  const h = addon.handleOpen(child.pid!);
  if (!isFailure(h)) return { fd: h[0], procDir: false };
  const d = success(addon.handleOpen(child.pid!, true));
  return { fd: d[0], procDir: true };
}

/**
 * One case per export: `ok` makes a succeeding call and checks it, `fail` a failing one (null
 * where no failure can be provoked on Linux without breaking the test process: an exhausted fd
 * table, an unreadable /proc).
 */
const cases: Record<string, { ok?: () => unknown; fail?: (() => unknown) | null }> = {
  signalTable: { ok: () => expect(success(addon.signalTable()).nsig).toBeGreaterThan(31), fail: null },
  signalDescription: { ok: () => expect(success(addon.signalDescription(15))).toMatch(/^Terminated/), fail: null },
  errnoTable: { ok: () => expect(success(addon.errnoTable()).length).toBeGreaterThan(30), fail: null },
  kill: {
    ok: () => expect(addon.kill(child.pid!, 0)).toBeUndefined(),
    fail: () => failure(addon.kill(NOPID, 0), ESRCH, 'kill'),
  },
  killMany: {
    ok: () => expect(addon.killMany(Int32Array.of(child.pid!, process.pid), 0)).toBeUndefined(),
    fail: () => {
      const r = addon.killMany(Int32Array.of(child.pid!, NOPID, NOPID - 1), 0);
      // One failure object for the batch, one entry per failed pid (fresh parallel arrays).
      expect(isFailure(r)).toBe(true);
      expect(Object.keys(r!).sort()).toEqual(['errno', 'pid', 'syscall']);
      expect(r!.syscall).toBe('kill');
      expect(Array.from(r!.pid)).toEqual([NOPID, NOPID - 1]);
      expect(Array.from(r!.errno)).toEqual([ESRCH, ESRCH]);
      expect(r!.win32).toBeUndefined();
      failure(failureAt(r!, 1), ESRCH, 'kill');
    },
  },
  killpg: {
    ok: () => expect(addon.killpg(child.pid!, 0)).toBeUndefined(),
    fail: () => failure(addon.killpg(NOPID, 0), ESRCH, 'killpg'),
  },
  waitpid: {
    ok: () => expect(success(addon.waitpid(child.pid!, WaitFlag.NoHang | WaitFlag.NoWait))).toEqual([0, 0, 0, 0, 0]),
    fail: () => failure(addon.waitpid(1, WaitFlag.NoHang), ECHILD, 'waitpid'),
  },
  waitpidAsync: {
    ok: async () => expect(success(await addon.waitpidAsync(child.pid!, WaitFlag.NoHang | WaitFlag.NoWait))).toEqual([0, 0, 0, 0, 0]),
    fail: async () => failure(await addon.waitpidAsync(1, WaitFlag.NoHang), ECHILD, 'waitpid'),
  },
  processState: {
    ok: () => {
      expect(success(addon.processState(child.pid!))).toBe('S');
      expect(addon.processState(NOPID)).toBeNull(); // gone is data, not a failure
    },
    fail: () => failure(underEmfile('processState'), EMFILE, 'open'),
  },
  processStartTime: {
    ok: () => {
      expect(success(addon.processStartTime(child.pid!))).toMatch(/^\d+$/);
      expect(addon.processStartTime(NOPID)).toBeNull();
    },
    fail: () => failure(underEmfile('processStartTime'), EMFILE, 'open'),
  },
  handleProbe: { ok: () => expect(typeof success(addon.handleProbe())).toBe('number'), fail: null },
  handleOpen: {
    ok: () => {
      const { fd } = openChild();
      expect(addon.handleClose(fd)).toBeUndefined();
    },
    fail: () => {
      failure(addon.handleOpen(NOPID, true), ESRCH, 'open');
      const f = failure(addon.handleOpen(NOPID));
      // ENOSYS/EPERM where a seccomp filter refuses pidfd_open.
      expect(f.syscall).toBe('pidfd_open');
    },
  },
  handleSignal: {
    ok: () => {
      const { fd, procDir } = openChild();
      try {
        expect(procDir ? addon.handleSignal(fd, 0, child.pid!) : addon.handleSignal(fd, 0)).toBeUndefined();
      } finally {
        addon.handleClose(fd);
      }
    },
    // EBADF for an fd that is no handle; where seccomp refuses the pidfd syscalls (handleProbe() is
    // 0: the deployment lanes) the syscall's own ENOSYS or EPERM comes first.
    fail: () => failure(addon.handleSignal(0x7ffff, 0), addon.handleProbe() === 0 ? undefined : EBADF, 'pidfd_send_signal'),
  },
  handleQuery: {
    ok: () => {
      const { fd } = openChild();
      try {
        expect(success(addon.handleQuery(fd, true, child.pid!))).toEqual([0, 0, 0, 0, 0]);
      } finally {
        addon.handleClose(fd);
      }
    },
    fail: () => failure(addon.handleQuery(0x7ffff, false), EBADF, 'poll'),
  },
  handleClose: {
    ok: () => expect(addon.handleClose(openChild().fd)).toBeUndefined(),
    fail: () => {
      const { fd } = openChild();
      addon.handleClose(fd);
      failure(addon.handleClose(fd), EBADF, 'close');
    },
  },
  watchExit: {
    ok: () => {
      const { fd, procDir } = openChild();
      try {
        if (procDir) return; // a /proc dirfd is not watched (the TS layer polls)
        const id = success(addon.watchExit(fd, child.pid!, () => {}));
        expect(typeof id).toBe('number');
        expect(addon.watchCancel(id as number)).toBeUndefined();
      } finally {
        addon.handleClose(fd);
      }
    },
    fail: () => failure(addon.watchExit(-1, child.pid!, () => {}), ENOSYS),
  },
  watchCancel: {
    ok: () => undefined, // with watchExit above
    fail: () => failure(addon.watchCancel(0xfffffff), ENOENT),
  },
  watchCount: { ok: () => expect(success(addon.watchCount())).toHaveLength(2), fail: null },
  treeSnapshot: {
    ok: () => {
      const c = success(addon.treeSnapshot(true));
      expect(Array.from(c.pid)).toContain(child.pid);
      expect(c.name).toHaveLength(c.pid.length);
      expect(success(addon.treeSnapshot(false)).name).toBeUndefined();
    },
    fail: () => failure(underEmfile('treeSnapshot'), EMFILE, 'opendir'),
  },
  treeList: { ok: () => expect(Array.from(success(addon.treeList()))).toContain(child.pid), fail: () => failure(underEmfile('treeList'), EMFILE, 'opendir') },
  treeRead: {
    ok: () => {
      const c = success(addon.treeRead(Int32Array.of(child.pid!, NOPID)));
      expect(Array.from(c.pid)).toEqual([child.pid]); // a pid that names no process is left out
    },
    fail: () => failure(underEmfile('treeRead'), EMFILE, 'open'),
  },
  treeChildren: {
    ok: () => {
      const r = success(addon.treeChildren(process.pid));
      if (r !== null) expect(Array.from(r)).toContain(child.pid);
    },
    // (the failure names the process whose child lists could not be read)
    fail: () => expect(failure(underEmfile('treeChildren'), EMFILE, 'opendir').pid).toBeGreaterThan(0),
  },
  treeStates: {
    ok: () => {
      const r = success(addon.treeStates(Int32Array.of(child.pid!, NOPID), Float64Array.of(NaN, NaN)));
      expect(r.alive).toBe(1);
      expect(Array.from(r.state)).toEqual(['S'.charCodeAt(0), 0]);
      expect(Number.isNaN(r.start[0])).toBe(false); // learnt, in a fresh array
    },
    fail: null,
  },
  treePgids: { ok: () => expect(Array.from(success(addon.treePgids(Int32Array.of(child.pid!, NOPID))))).toEqual([child.pid, -1]), fail: null },
  treeSids: { ok: () => expect(success(addon.treeSids(Int32Array.of(NOPID)))[0]).toBe(-1), fail: null },
  jobExecve: {
    // Returns only on failure, after resetting this process's signal dispositions: run it in a
    // child so the test worker keeps its own.
    fail: () => {
      const r = spawnSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(nativePath)}).jobExecve('/nonexistent/procsig', ['x'], [])))`], { encoding: 'utf8' });
      failure(JSON.parse(r.stdout), ENOENT, 'execvpe');
    },
  },
  jobObjectCreate: { fail: () => failure(addon.jobObjectCreate(null), ENOSYS, 'CreateJobObject') },
  jobObjectAssign: { fail: () => failure(addon.jobObjectAssign({} as never, 1), ENOSYS, 'AssignProcessToJobObject') },
  jobObjectAssignSelf: { fail: () => failure(addon.jobObjectAssignSelf('x'), ENOSYS, 'AssignProcessToJobObject') },
  jobObjectTerminate: { fail: () => failure(addon.jobObjectTerminate({} as never, 1), ENOSYS, 'TerminateJobObject') },
  jobObjectQuery: { fail: () => failure(addon.jobObjectQuery({} as never), ENOSYS, 'QueryInformationJobObject') },
  jobObjectPids: { fail: () => failure(addon.jobObjectPids({} as never), ENOSYS, 'QueryInformationJobObject') },
  jobObjectClose: { fail: () => failure(addon.jobObjectClose({} as never), ENOSYS, 'CloseHandle') },
};

describe.runIf(linux)('every native export follows the one result convention', () => {
  it('the export table has a case for every export, and no case for a missing one', () => {
    const exported = Object.keys(addon).filter((k) => typeof addon[k] === 'function').sort();
    expect(exported).toEqual(Object.keys(cases).sort());
    expect(exported).not.toContain('lastWin32Error'); // no side channel
  });

  for (const [name, c] of Object.entries(cases)) {
    if (c.ok) it(`${name}: success`, async () => void (await c.ok!()));
    if (c.fail) it(`${name}: failure`, async () => void (await c.fail!()));
  }
});
