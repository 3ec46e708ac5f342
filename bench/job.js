'use strict';
// Job kill latency: a 200-process job (a Node parent + 199 `sleep` children), `job.kill()` then
// `job.wait()` resolving. Target (cgroup2 backend): <= 20 ms. The 'tree' backend is measured
// beside it for comparison. Needs root and a writable cgroup2 for the cgroup2 rows.
//
// Then job.spawn's cost: spawn-to-ready of a trivial program (`/bin/echo ready`, until its
// first stdout chunk arrives) through job.spawn against child_process.spawn, medians in one run,
// rounds interleaved (in a new random order each round). Target: job.spawn <= 1.2x
// child_process.spawn with the exec helper. Rows with the kill-on-close watchdog (the default)
// and without it (killOnClose: false) show what the watchdog costs; the Node-intermediate row is
// an install without the helper.
//
//   npm run build:ts && node bench/job.js [rounds=10]   (BENCH_SPAWN_ROUNDS=40)
const fs = require('node:fs');
const path = require('node:path');
const { Job } = require('../dist');

const ROUNDS = Number(process.argv[2] || 10);
const SIZE = 200;
const fixture = path.join(__dirname, '..', 'test', 'fixtures', 'job-tree200.js');

function ready(child) {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve();
    });
    child.once('exit', (c, s) => reject(new Error(`fixture exited (${c ?? s})`)));
  });
}

async function round(backend) {
  const job = Job.create({ backend });
  try {
    const { child } = job.spawn(process.execPath, [fixture, String(SIZE - 1)], { stdio: ['ignore', 'pipe', 'inherit'] });
    await ready(child);
    // Wait until every member is visible (the fixture reports once all have spawned).
    let n = job.pids().length;
    for (let i = 0; n < SIZE && i < 200; i++) {
      await new Promise((r) => setTimeout(r, 10));
      n = job.pids().length;
    }
    const t0 = process.hrtime.bigint();
    await job.kill();
    const t1 = process.hrtime.bigint();
    await job.wait({ timeout: 30_000 });
    const t2 = process.hrtime.bigint();
    return { members: n, killMs: Number(t1 - t0) / 1e6, totalMs: Number(t2 - t0) / 1e6 };
  } finally {
    await job.close();
  }
}

// The kernel's own floor on this machine: the same 200 processes, cgroup.kill written directly and
// cgroup.events busy-polled until `populated 0` (no procsig code in the timed section).
async function floorRound() {
  const job = Job.create({ backend: 'cgroup2' });
  try {
    const { child } = job.spawn(process.execPath, [fixture, String(SIZE - 1)], { stdio: ['ignore', 'pipe', 'inherit'] });
    await ready(child);
    for (let i = 0; job.pids().length < SIZE && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
    const events = path.join(job.path, 'cgroup.events');
    const t0 = process.hrtime.bigint();
    fs.writeFileSync(path.join(job.path, 'cgroup.kill'), '1');
    while (!fs.readFileSync(events, 'utf8').includes('populated 0'));
    return { totalMs: Number(process.hrtime.bigint() - t0) / 1e6 };
  } finally {
    await job.close();
  }
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { min: s[0], median: q(0.5), p90: q(0.9), max: s[s.length - 1] };
}

const f = (x) => x.toFixed(2).padStart(8);

// ---- spawn cost ----

const SPAWN_ROUNDS = Number(process.env.BENCH_SPAWN_ROUNDS || 40);
const PREBUILT_HELPER = path.join(__dirname, '..', 'prebuilds', `${process.platform}-${process.arch}`, 'helpers', 'procsig-job-exec');
const PREBUILT_ROW = 'job.spawn cgroup2, prebuilt static helper';
const ECHO = '/bin/echo';

/** ms from the spawn call until the child's first stdout chunk, then until it exited. */
function spawnToReady(spawnIt) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawnIt();
    let readyMs;
    child.stdout.once('data', () => {
      readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
    });
    child.once('error', reject);
    child.once('close', () => (readyMs === undefined ? reject(new Error('no output')) : resolve(readyMs)));
  });
}

async function spawnBench() {
  const { spawn } = require('node:child_process');
  const opts = { stdio: ['ignore', 'pipe', 'inherit'] };
  const rows = [['child_process.spawn', () => spawn(ECHO, ['ready'], opts), null]];
  for (const backend of ['cgroup2', 'tree']) {
    try {
      await Job.create({ backend, killOnClose: false }).close();
    } catch {
      continue;
    }
    for (const killOnClose of [true, false]) {
      const job = Job.create({ backend, killOnClose });
      rows.push([`job.spawn ${backend}${killOnClose ? '' : ' (killOnClose: false)'}`, () => job.spawn(ECHO, ['ready'], opts).child, job]);
    }
  }
  /** A cgroup2 job whose spawns use the exec helper `helper` (PROCSIG_JOB_EXEC). */
  const withHelper = (name, helper) => {
    const job = Job.create({ backend: 'cgroup2' });
    rows.push([name, () => {
      process.env.PROCSIG_JOB_EXEC = helper;
      try {
        return job.spawn(ECHO, ['ready'], opts).child;
      } finally {
        delete process.env.PROCSIG_JOB_EXEC;
      }
    }, job]);
  };
  if (rows.some((r) => r[0].startsWith('job.spawn cgroup2'))) {
    // The helper a prebuilt install runs (`npm run prebuildify` or `prebuild:all` makes it): a
    // static executable, where node-gyp's build (the rows above) links libc dynamically.
    if (fs.existsSync(PREBUILT_HELPER)) withHelper(PREBUILT_ROW, PREBUILT_HELPER);
    // The Node intermediate (PROCSIG_JOB_EXEC=node: no helper at all).
    withHelper('job.spawn cgroup2, Node intermediate', 'node');
  }
  const times = rows.map(() => []);
  for (let i = 0; i < 3; i++) for (const r of rows) await spawnToReady(r[1]); // warm-up
  for (let i = 0; i < SPAWN_ROUNDS; i++) {
    // A new order each round: the first spawn after another kind of spawn tends to be slower.
    const order = rows.map((_, k) => k);
    for (let k = order.length - 1; k > 0; k--) {
      const j = Math.floor(Math.random() * (k + 1));
      [order[k], order[j]] = [order[j], order[k]];
    }
    for (const k of order) times[k].push(await spawnToReady(rows[k][1]));
  }
  for (const r of rows) if (r[2]) await r[2].close();
  console.log(`\nSpawn-to-ready of ${ECHO} (first stdout chunk), ${SPAWN_ROUNDS} rounds, interleaved:`);
  const base = stats(times[0]).median;
  rows.forEach((r, k) => {
    const st = stats(times[k]);
    console.log(`  ${r[0].padEnd(44)} ms: min ${f(st.min)} median ${f(st.median)} p90 ${f(st.p90)}   ${(st.median / base).toFixed(2)}x`);
  });
  // The target is for a prebuilt install (issue 17): its static helper when it was built.
  const prebuiltRow = rows.findIndex((r) => r[0] === PREBUILT_ROW);
  const helperRow = prebuiltRow > 0 ? prebuiltRow : rows.findIndex((r) => r[0] === 'job.spawn cgroup2');
  if (helperRow > 0) {
    const ratio = stats(times[helperRow]).median / base;
    const which = prebuiltRow > 0 ? 'the prebuilt static helper' : "node-gyp's helper; no prebuilt one here";
    console.log(`  target job.spawn (cgroup2, ${which}, watchdog on) <= 1.2x child_process.spawn: ${ratio <= 1.2 ? 'met' : 'MISSED'} (${ratio.toFixed(2)}x)`);
  }
}

async function main() {
  console.log(`Job kill + wait, ${SIZE}-process job, ${ROUNDS} rounds per backend (node ${process.version}, ${process.platform})`);
  const results = {};
  for (const backend of ['cgroup2', 'tree']) {
    try {
      await Job.create({ backend }).close();
    } catch (e) {
      console.log(`  ${backend}: skipped (${e.message})`);
      continue;
    }
    const rows = [];
    for (let i = 0; i < ROUNDS; i++) rows.push(await round(backend));
    const total = stats(rows.map((r) => r.totalMs));
    const kill = stats(rows.map((r) => r.killMs));
    results[backend] = total;
    console.log(`  ${backend.padEnd(8)} members ${rows[0].members}  kill()+wait() ms: min ${f(total.min)} median ${f(total.median)} p90 ${f(total.p90)} max ${f(total.max)}   (kill() alone: median ${f(kill.median)})`);
  }
  if (results.cgroup2) {
    const floor = [];
    for (let i = 0; i < ROUNDS; i++) floor.push((await floorRound()).totalMs);
    const fl = stats(floor);
    console.log(`  floor    (raw cgroup.kill + busy-poll populated 0, same job)  ms: min ${f(fl.min)} median ${f(fl.median)} p90 ${f(fl.p90)} max ${f(fl.max)}`);
    console.log(`  procsig cgroup2 / kernel floor (median): ${(results.cgroup2.median / fl.median).toFixed(2)}x`);
    const ok = results.cgroup2.median <= 20;
    console.log(`  target cgroup2 median <= 20 ms: ${ok ? 'met' : 'MISSED'} (${results.cgroup2.median.toFixed(2)} ms)`);
    if (results.tree) console.log(`  tree / cgroup2 (median): ${(results.tree.median / results.cgroup2.median).toFixed(1)}x`);
  }
  await spawnBench();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
