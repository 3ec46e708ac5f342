'use strict';
// procsig.kill against process.kill and a C loop of kill(2): per call on a live and a dead pid,
// and one call over 10,000 pids. Also the cost of loading procsig (require and import).
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { sleepers, deadPid, nsPerCall, compileC, fmt, ratio, table } = require('./common');
const procsig = require('../dist');

async function main() {
  console.log('\n## kill: per-call cost (signal 0; best of 7 rounds)');
  const kids = await sleepers(8);
  const live = kids[0].pid;
  const dead = await deadPid();
  const cloop = compileC('killloop');
  const c = (pids, rounds = 50) => Number(execFileSync(cloop, ['0', String(rounds), ...pids.map(String)], { encoding: 'utf8' }));

  const liveC = c(Array(10_000).fill(live));
  const deadC = c(Array(10_000).fill(dead));
  const liveP = nsPerCall(() => procsig.kill(0, live));
  const liveN = nsPerCall(() => process.kill(live, 0));
  const deadP = nsPerCall(() => procsig.kill(0, dead));
  const deadN = nsPerCall(() => {
    try {
      process.kill(dead, 0);
    } catch {
      // ESRCH
    }
  }, 50_000);
  table([
    ['case', 'C kill(2)', 'procsig.kill', 'process.kill', 'procsig/C', 'process.kill/procsig'],
    ['live pid', fmt(liveC), fmt(liveP), fmt(liveN), ratio(liveP, liveC), ratio(liveN, liveP)],
    ['dead pid (ESRCH)', fmt(deadC), fmt(deadP), fmt(deadN) + ' (throws)', ratio(deadP, deadC), ratio(deadN, deadP)],
  ]);

  console.log('\n## kill(0, ...10,000 pids): one batch call against the C loop over the same pids');
  const pids = [];
  for (let i = 0; i < 10_000; i++) pids.push(i % 2 ? kids[i % 8].pid : dead);
  const batchC = c(pids, 50) * pids.length;
  const batchP = nsPerCall(() => procsig.kill(0, ...pids), 50, 15);
  const batchE = nsPerCall(() => procsig.killEach(0, pids), 20, 7);
  table([
    ['case', 'C loop', 'procsig.kill', 'procsig/C', 'procsig.killEach'],
    ['10,000 pids (half dead)', fmt(batchC), fmt(batchP), ratio(batchP, batchC), fmt(batchE)],
  ]);

  // Load time, for CommonJS and ESM consumers (both by package name, from the repository root,
  // which resolves procsig to this package's dist/): each against its own empty start, all the
  // kinds of start interleaved so they see the same machine load. An ESM import of an empty
  // CommonJS file shows what Node's CommonJS interop costs any CommonJS package.
  console.log('\n## load time (medians of 60 interleaved process starts each)');
  const start = (args) => {
    const t0 = process.hrtime.bigint();
    execFileSync(process.execPath, args, { cwd: path.join(__dirname, '..') });
    return Number(process.hrtime.bigint() - t0);
  };
  const starts = {
    cjsBase: ['-e', '0'],
    cjs: ['-e', "require('procsig')"],
    esmBase: ['--input-type=module', '-e', '0'],
    esm: ['--input-type=module', '-e', "import { kill } from 'procsig'"],
    esmCjs: ['--input-type=module', '-e', "import './bench/empty.cjs'"],
  };
  const times = Object.fromEntries(Object.keys(starts).map((k) => [k, []]));
  for (let i = 0; i < 60; i++) for (const [k, args] of Object.entries(starts)) times[k].push(start(args));
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const m = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)]));
  table([
    ['consumer', 'empty start', 'with procsig', 'added'],
    ["require: node -e 0 / node -e \"require('procsig')\"", fmt(m.cjsBase), fmt(m.cjs), fmt(m.cjs - m.cjsBase)],
    ["import: node --input-type=module -e 0 / -e \"import { kill } from 'procsig'\"", fmt(m.esmBase), fmt(m.esm), fmt(m.esm - m.esmBase)],
    ["(Node's interop alone: -e \"import './bench/empty.cjs'\")", fmt(m.esmBase), fmt(m.esmCjs), fmt(m.esmCjs - m.esmBase)],
  ]);
  const verdict = (ns) => (ns <= 5e6 ? 'met' : 'MISSED');
  console.log(`target: at most 5 ms added — require ${verdict(m.cjs - m.cjsBase)}, import ${verdict(m.esm - m.esmBase)}`);

  for (const k of kids) k.kill('SIGKILL');
  return {
    liveRatioC: liveP / liveC,
    liveVsNode: liveN / liveP,
    deadVsNode: deadN / deadP,
    batchRatioC: batchP / batchC,
    loadMs: (m.cjs - m.cjsBase) / 1e6,
    importMs: (m.esm - m.esmBase) / 1e6,
  };
}

module.exports = main;
if (require.main === module) main().then((r) => console.log('\n', r));
