'use strict';
// procsig.kill against process.kill and a C loop of kill(2): per call on a live and a dead pid,
// and one call over 10,000 pids. (The cost of loading procsig: bench/load.js.)
const { execFileSync } = require('node:child_process');
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

  for (const k of kids) k.kill('SIGKILL');
  return {
    liveRatioC: liveP / liveC,
    liveVsNode: liveN / liveP,
    deadVsNode: deadN / deadP,
    batchRatioC: batchP / batchC,
  };
}

module.exports = main;
if (require.main === module) main().then((r) => console.log('\n', r));
