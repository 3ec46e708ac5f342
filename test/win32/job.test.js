// Job on Windows: a Job Object (native/job_win32.cc under lib/job/win32.ts). Skipped, with the
// reason, until lib/index.ts exports Job.
'use strict';
const { test, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { procsig, fixture, spawnFixture, osAlive, waitDead, cleanup, track } = require('./helpers');

const T = { timeout: 60000 };
const noJob = !procsig.Job && 'Job is not exported by lib/index.ts yet';
const jobs = [];
afterEach(async () => {
  for (const j of jobs.splice(0)) {
    try {
      await j.close();
    } catch {
      // closing kills what is left (KILL_ON_JOB_CLOSE); errors here are not the test's subject
    }
  }
  cleanup();
});

function newJob() {
  const j = procsig.Job.create();
  jobs.push(j);
  return j;
}

/** Reads the "ready <pids>" line a job-spawned win32-tree.js prints. */
function readyLine(child) {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i).trim().split(/\s+/).slice(1).map(Number));
    });
    child.once('exit', (code) => reject(new Error(`exited early (${code}): ${buf}`)));
  });
}

test('Job.create() uses a Job Object', { ...T, skip: noJob }, () => {
  const job = newJob();
  assert.equal(job.backend, 'jobobject');
  assert.deepEqual(job.pids(), []);
});

test('job.spawn() starts a tree inside the job; kill() ends all of it with exit code 1', { ...T, skip: noJob }, async () => {
  const job = newJob();
  const { child } = job.spawn(process.execPath, [fixture('win32-tree.js'), '2'], { stdio: ['ignore', 'pipe', 'inherit'], windowsHide: true });
  track(child.pid);
  const exited = new Promise((r) => child.once('exit', (code) => r(code)));
  const members = await readyLine(child);
  track(...members);
  const inJob = job.pids();
  // The grandchildren are detached (outside libuv's own kill-on-close job), yet still in ours:
  // a Job Object holds every process created by a member unless the job allows breakaway.
  for (const p of members) assert.ok(inJob.includes(p), `${p} (leader or grandchild) is in the Job Object`);
  await job.kill();
  assert.equal(job.killed, true);
  assert.equal(await exited, 1);
  for (const p of members) await waitDead(p);
  await job.wait({ timeout: 10000 });
  assert.throws(() => job.spawn(process.execPath, ['-e', '0']), { code: 'ERR_JOB_KILLED' });
});

test('job.add() assigns a running process (AssignProcessToJobObject)', { ...T, skip: noJob }, async () => {
  const job = newJob();
  const { pid, exited } = await spawnFixture('sleeper.js');
  job.add(pid);
  assert.ok(job.pids().includes(pid));
  await job.kill();
  assert.equal((await exited).code, 1);
});

test('closing the job kills what is in it (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE)', { ...T, skip: noJob }, async () => {
  const job = newJob();
  const { pid, exited } = await spawnFixture('sleeper.js');
  job.add(pid);
  await job.close();
  assert.equal((await exited).code, 1);
  assert.equal(osAlive(pid), false);
});

test('kill-on-close: terminating the supervisor kills every process of its job', { ...T, skip: noJob }, async () => {
  const { pid, ready, exited } = await spawnFixture('win32-job-supervisor.js', ['2']);
  // The Node intermediate, win32-tree.js and its two detached sleepers.
  assert.ok(ready.length >= 3, `job members: ${ready.join(' ')}`);
  assert.ok(!ready.includes(pid), 'the supervisor is not in its own job');
  for (const p of ready) assert.equal(osAlive(p), true);
  const t0 = Date.now();
  process.kill(pid, 'SIGKILL'); // TerminateProcess: no JS runs in the supervisor, no 'exit' hook
  await exited;
  for (const p of ready) await waitDead(p);
  console.log(`kill-on-close (jobobject): all ${ready.length} gone ${Date.now() - t0} ms after TerminateProcess`);
});

test('killOnClose: false is refused by the jobobject backend', { ...T, skip: noJob }, () => {
  assert.throws(() => procsig.Job.create({ killOnClose: false }), { code: 'ERR_INVALID_ARG_VALUE' });
});
