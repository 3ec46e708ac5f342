// ProcessHandle and waitForExit on Windows: a process HANDLE (native/handle_win32.cc) and a wait
// handle (RegisterWaitForSingleObject) under lib/handle.ts / lib/wait.ts. Skipped, with the
// reason, until lib/index.ts exports them.
'use strict';
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { procsig, spawnFixture, unusedPid, osAlive, cleanup } = require('./helpers');

const T = { timeout: 30000 };
afterEach(cleanup);
const noHandle = !procsig.ProcessHandle && 'ProcessHandle is not exported by lib/index.ts yet';
const noWait = typeof procsig.waitForExit !== 'function' && 'waitForExit() is not exported by lib/index.ts yet';

let native;
try {
  native = require('../../dist/native').native;
} catch {
  native = undefined;
}
/** [active exit watchers, open process HANDLEs] of this thread, when the addon exposes it. */
const counts = () => (native && typeof native.watchCount === 'function' ? native.watchCount() : null);

test('waitForExit resolves on exit, event-driven through a wait handle', { ...T, skip: noWait }, async () => {
  const { pid, child, exited } = await spawnFixture('sleeper.js', ['--exit-on-stdin', '3']);
  const before = counts();
  const waiting = procsig.waitForExit(pid);
  const during = counts();
  if (before && during) assert.ok(during[0] > before[0], 'a wait-handle watcher is registered while waiting');
  child.stdin.write('go\n');
  const r = await waiting;
  assert.equal(r.pid, pid);
  assert.equal((await exited).code, 3);
  // GetExitCodeProcess through the HANDLE gives the real code of any process, child or not.
  assert.equal(r.status?.exitCode, 3);
  const after = counts();
  if (before && after) assert.equal(after[0], before[0], 'the watcher is gone once it fired');
});

test('waitForExit sees a TerminateProcess exit (code 1) and honours its timeout', { ...T, skip: noWait }, async () => {
  const { pid } = await spawnFixture('sleeper.js');
  await assert.rejects(procsig.waitForExit(pid, { timeout: 200 }), (e) => e.code === 'ETIMEDOUT');
  assert.equal(osAlive(pid), true);
  const waiting = procsig.waitForExit(pid);
  procsig.kill('KILL', pid);
  const r = await waiting;
  assert.equal(r.status?.exitCode, 1);
});

test('waitForExit on a pid that names no process resolves at once, without a status', { ...T, skip: noWait }, async () => {
  const pid = unusedPid();
  const r = await procsig.waitForExit(pid);
  assert.equal(r.pid, pid);
  assert.equal(r.status, undefined, 'nothing is invented');
});

test('ProcessHandle holds a HANDLE: kill, wait, and no signal after the exit was observed', { ...T, skip: noHandle }, async () => {
  const { pid, exited } = await spawnFixture('sleeper.js');
  const before = counts();
  const h = await procsig.ProcessHandle.open(pid);
  try {
    assert.equal(h.pid, pid);
    const during = counts();
    if (before && during) assert.equal(during[1], before[1] + 1, 'one process HANDLE is open');
    const st = await h.kill('SIGKILL', { wait: true });
    assert.equal((await exited).code, 1);
    assert.equal(st?.exitCode, 1);
    // The HANDLE pins the process object: the exit stays known to the handle, so a second kill
    // is refused as already exited instead of going to whatever now has this pid.
    await assert.rejects(async () => h.kill('SIGKILL'), { code: 'ERR_PROCESS_ALREADY_EXITED' });
  } finally {
    h.close();
  }
  const after = counts();
  if (before && after) assert.equal(after[1], before[1], 'close() closed the HANDLE');
});

test('ProcessHandle.fromChild and handle.wait()', { ...T, skip: noHandle }, async () => {
  const { child, exited } = await spawnFixture('sleeper.js', ['--exit-on-stdin', '5']);
  const h = await procsig.ProcessHandle.fromChild(child);
  try {
    const waiting = h.wait();
    child.stdin.write('go\n');
    const r = await waiting;
    assert.equal((await exited).code, 5);
    assert.equal(r.status?.exitCode, 5);
  } finally {
    h.close();
  }
});

test('ProcessHandle.open on a pid that names no process: ESRCH', { ...T, skip: noHandle }, async () => {
  await assert.rejects(async () => procsig.ProcessHandle.open(unusedPid()), { code: 'ESRCH' });
});
