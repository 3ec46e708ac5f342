// waitpid / waitpidAsync on Windows: WaitForSingleObject + GetExitCodeProcess on a HANDLE.
// Windows has no reaping, so waiting never takes an exit from Node's child_process.
'use strict';
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { procsig, spawnFixture, unusedPid, cleanup } = require('./helpers');

const T = { timeout: 30000 };
afterEach(cleanup);

test('waitpid (noHang) is null while the process runs', T, async () => {
  const { pid } = await spawnFixture('sleeper.js');
  assert.equal(procsig.waitpid(pid), null);
});

test('waitpidAsync resolves with the exit code, and Node still sees its exit', T, async () => {
  const { pid, child, exited } = await spawnFixture('sleeper.js', ['--exit-on-stdin', '7']);
  const waiting = procsig.waitpidAsync(pid);
  child.stdin.write('go\n');
  const st = await waiting;
  assert.equal(st.pid, pid);
  assert.equal(st.exited, true);
  assert.equal(st.exitCode, 7);
  assert.equal(st.code, 7);
  assert.equal(st.signaled, false);
  assert.equal((await exited).code, 7, 'child_process still got its exit');
});

test('a TerminateProcess\'d child waits as exit code 1', T, async () => {
  const { pid } = await spawnFixture('sleeper.js');
  const waiting = procsig.waitpidAsync(pid);
  procsig.kill('KILL', pid);
  const st = await waiting;
  assert.equal(st.exitCode, 1);
  assert.equal(st.signaled, false, 'Windows has no signal exits');
});

test('no such process: ECHILD; group forms (pid <= 0): ENOSYS', T, async () => {
  const pid = unusedPid();
  assert.throws(() => procsig.waitpid(pid), (e) => e.code === 'ECHILD' && e.syscall === 'waitpid' && e.win32 === 87);
  await assert.rejects(procsig.waitpidAsync(pid), { code: 'ECHILD' });
  assert.throws(() => procsig.waitpid(-1), { code: 'ENOSYS' });
  assert.throws(() => procsig.waitpid(0), { code: 'ENOSYS' });
});
