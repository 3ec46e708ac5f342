// snapshot / descendants / processTree / killTree on Windows: Toolhelp32 + creation times
// (native/tree_win32.cc under lib/tree/). Skipped, with the reason, until lib/index.ts exports them.
'use strict';
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { procsig, spawnFixture, osAlive, waitDead, cleanup, track, has } = require('./helpers');

const T = { timeout: 60000 };
afterEach(cleanup);

const pidOf = (x) => (typeof x === 'number' ? x : x.pid);

/** test → win32-tree.js (child) → 2 × sleeper.js (detached grandchildren). */
async function spawnTree() {
  const t = await spawnFixture('win32-tree.js', ['2']);
  const [leader, ...kids] = t.ready;
  assert.equal(leader, t.pid);
  track(...kids);
  return { ...t, kids };
}

test('snapshot() lists every process from Toolhelp32 with parent links and creation times', { ...T, skip: !has('snapshot') && 'snapshot() is not exported by lib/index.ts yet' }, async () => {
  const { pid, kids } = await spawnTree();
  const snap = await procsig.snapshot();
  const byPid = new Map(snap.map((p) => [p.pid, p]));
  const me = byPid.get(process.pid);
  assert.ok(me, 'the test runner itself is listed');
  assert.match(String(me.name), /node/i);
  const leader = byPid.get(pid);
  assert.ok(leader, 'the child is listed');
  assert.equal(leader.ppid, process.pid);
  for (const k of kids) {
    assert.equal(byPid.get(k)?.ppid, pid, `grandchild ${k} links to the child`);
    // Creation-time check: a child never starts before its parent.
    assert.ok(byPid.get(k).startTime >= leader.startTime, 'child created after its parent');
  }
  assert.ok(leader.startTime >= me.startTime);
});

test('descendants() finds children and grandchildren, and nothing else', { ...T, skip: !has('descendants') && 'descendants() is not exported by lib/index.ts yet' }, async () => {
  const { pid, kids } = await spawnTree();
  const d = (await procsig.descendants(pid)).map(pidOf).sort((a, b) => a - b);
  assert.deepEqual(d, [...kids].sort((a, b) => a - b));
  const mine = (await procsig.descendants(process.pid)).map(pidOf);
  for (const p of [pid, ...kids]) assert.ok(mine.includes(p), `${p} is under the runner`);
});

test('descendants() does not follow a stale parent link (creation-time check)', { ...T, skip: !has('descendants') && 'descendants() is not exported by lib/index.ts yet' }, async () => {
  // Windows never reparents: when the middle process exits, its children keep its pid as their
  // th32ParentProcessID. Once the middle is gone they must not be reported under an unrelated
  // process; under the dead pid itself they may or may not be, but a *new* process that reused
  // that pid would have started after them, and the creation-time check excludes them.
  const { pid, kids, child, exited } = await spawnTree();
  child.kill('SIGKILL');
  await exited;
  await waitDead(pid);
  for (const k of kids) assert.equal(osAlive(k), true, 'orphaned grandchildren live on');
  const mine = (await procsig.descendants(process.pid)).map(pidOf);
  for (const k of kids) assert.ok(!mine.includes(k), `orphan ${k} is no longer under the runner`);
});

test('killTree() kills the child and its grandchildren (exit code 1 each)', { ...T, skip: !has('killTree') && 'killTree() is not exported by lib/index.ts yet' }, async () => {
  const { pid, kids, exited } = await spawnTree();
  await procsig.killTree(pid, 'SIGKILL');
  assert.equal((await exited).code, 1);
  // The grandchildren are detached: nothing but killTree itself could have ended them.
  for (const k of kids) await waitDead(k);
  for (const p of [pid, ...kids]) assert.equal(osAlive(p), false, `${p} is dead`);
});

test('killTree() with SIGTERM also terminates the whole tree (no graceful stop on Windows)', { ...T, skip: !has('killTree') && 'killTree() is not exported by lib/index.ts yet' }, async () => {
  const { pid, kids, exited } = await spawnTree();
  await procsig.killTree(pid);
  assert.equal((await exited).code, 1);
  for (const k of kids) await waitDead(k);
});
