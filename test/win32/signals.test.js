// The Windows signal and errno tables (native/win32.cc) against Windows Node's own constants.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const os = require('node:os');
const util = require('node:util');
const { procsig } = require('./helpers');

const T = { timeout: 10000 };

test('signals agree with os.constants.signals, name for name', T, () => {
  assert.deepEqual({ ...procsig.signals }, { ...os.constants.signals });
  assert.equal(procsig.signals.SIGKILL, 9);
  assert.equal(procsig.signals.SIGTERM, 15);
  assert.equal(procsig.signals.SIGBREAK, 21);
  assert.equal(procsig.signals.SIGABRT, 22);
  assert.equal(procsig.signals.SIGRTMIN, undefined, 'no real-time signals');
});

test('toSignal and friends work with the Windows numbers', T, () => {
  assert.equal(procsig.toSignal('term'), 15);
  assert.equal(procsig.toSignal(':break'), 21);
  assert.equal(procsig.toSignal('SIGWINCH'), 28);
  assert.equal(procsig.toSignal('ZERO'), 0);
  assert.equal(procsig.signalName(22), 'SIGABRT');
  assert.throws(() => procsig.toSignal('USR1'), { code: 'ERR_UNKNOWN_SIGNAL' });
  assert.throws(() => procsig.toSignal('RTMIN+1'), { code: 'ERR_UNKNOWN_SIGNAL' });
  assert.throws(() => procsig.toSignal(29), { code: 'ERR_OUT_OF_RANGE' });
  const names = procsig.listSignals().map((s) => s.name);
  assert.deepEqual(names, Object.entries(os.constants.signals).sort((a, b) => a[1] - b[1]).map(([n]) => n));
});

test('errno names come from the CRT errno.h and map to Node\'s errno numbers', T, () => {
  // (ECHILD is left out: libuv has no UV_ECHILD on any platform, so Node has no number for it.)
  for (const code of ['EPERM', 'ESRCH', 'EINVAL', 'ENOSYS', 'ETIMEDOUT', 'EBADF', 'ENOMEM', 'EEXIST', 'ENOENT']) {
    const e = new procsig.ProcessError(errnoOf(code), 'kill', {});
    assert.equal(e.code, code);
    assert.equal(util.getSystemErrorName(e.errno), code);
  }
  assert.equal(procsig.errnoName(3), 'ESRCH');
  assert.equal(procsig.errnoName(40), 'ENOSYS', 'the CRT numbers ENOSYS 40 (Linux: 38)');
  assert.equal(procsig.errnoName(-4040), 'ESRCH', 'Node\'s negative numbers too');
  assert.equal(procsig.strerror(3), 'No such process');
});

function errnoOf(code) {
  for (let n = 1; n < 200; n++) if (procsig.errnoName(n) === code) return n;
  throw new Error(`no errno for ${code}`);
}
