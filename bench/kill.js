'use strict';
// procsig.kill against process.kill and a C loop of kill(2): per call on a live and a dead pid,
// and one call over 10,000 pids. Also the cost of loading procsig (require and import).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
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

  // Load time, for CommonJS and ESM consumers, as a consumer loads an installed package: by name,
  // from a folder whose node_modules/procsig is a copy of what an install puts there. Beside it, the floor Node sets
  // for any package shaped like procsig: one whose package.json has the same `exports` map (an
  // `import` condition to an .mjs that requires the .js) over empty files — resolving a name
  // through an exports map loads Node's ESM resolver, and a first `import` the ESM loader. Every
  // kind of start is interleaved with the others so all see the same machine load.
  const consumer = loadConsumer();
  const addon = fs.existsSync(path.join(consumer, 'node_modules', 'procsig', 'prebuilds')) ? 'the prebuild, as from npm' : 'build/Release (no prebuild here)';
  console.log(`\n## load time (medians of 60 interleaved process starts each; the installed copy's addon: ${addon})`);
  const start = (args) => {
    const t0 = process.hrtime.bigint();
    execFileSync(process.execPath, args, { cwd: consumer });
    return Number(process.hrtime.bigint() - t0);
  };
  const starts = {
    cjsBase: ['-e', '0'],
    cjs: ['-e', "require('procsig')"],
    cjsFloor: ['-e', "require('empty-package')"],
    esmBase: ['--input-type=module', '-e', '0'],
    esm: ['--input-type=module', '-e', "import { kill } from 'procsig'"],
    esmFloor: ['--input-type=module', '-e', "import 'empty-package'"],
  };
  const times = Object.fromEntries(Object.keys(starts).map((k) => [k, []]));
  try {
    for (let i = 0; i < 60; i++) for (const [k, args] of Object.entries(starts)) times[k].push(start(args));
  } finally {
    fs.rmSync(consumer, { recursive: true, force: true });
  }
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const m = Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)]));
  table([
    ['consumer', 'empty start', 'with procsig', 'added', 'an empty package alike', "procsig's own"],
    ["require: node -e 0 / node -e \"require('procsig')\"", fmt(m.cjsBase), fmt(m.cjs), fmt(m.cjs - m.cjsBase), fmt(m.cjsFloor - m.cjsBase), fmt(m.cjs - m.cjsFloor)],
    ["import: node --input-type=module -e 0 / -e \"import { kill } from 'procsig'\"", fmt(m.esmBase), fmt(m.esm), fmt(m.esm - m.esmBase), fmt(m.esmFloor - m.esmBase), fmt(m.esm - m.esmFloor)],
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
    loadFloorMs: (m.cjsFloor - m.cjsBase) / 1e6,
    importFloorMs: (m.esmFloor - m.esmBase) / 1e6,
  };
}

/**
 * A consumer folder for the load-time rows, laid out as an install leaves it: node_modules/procsig
 * holds this package's package.json, dist/ and its addon (the prebuild for this platform when
 * prebuilds/ has one, as from npm; else build/Release), and node_modules/empty-package has
 * procsig's `exports` map over empty files.
 */
function loadConsumer() {
  const root = path.join(__dirname, '..');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-load-'));
  const modules = path.join(dir, 'node_modules');
  const pkg = path.join(modules, 'procsig');
  fs.mkdirSync(path.join(modules, 'empty-package', 'dist'), { recursive: true });
  fs.cpSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
  fs.cpSync(path.join(root, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  const prebuilds = path.join('prebuilds', `${process.platform}-${process.arch}`);
  if (fs.existsSync(path.join(root, prebuilds))) fs.cpSync(path.join(root, prebuilds), path.join(pkg, prebuilds), { recursive: true });
  else fs.cpSync(path.join(root, 'build', 'Release', 'procsig.node'), path.join(pkg, 'build', 'Release', 'procsig.node'));
  const { exports } = require('../package.json');
  fs.writeFileSync(path.join(modules, 'empty-package', 'package.json'), JSON.stringify({ name: 'empty-package', version: '1.0.0', exports }));
  fs.writeFileSync(path.join(modules, 'empty-package', 'dist', 'index.js'), 'module.exports = {};\n');
  fs.writeFileSync(path.join(modules, 'empty-package', 'dist', 'index.mjs'), "import { createRequire } from 'node:module';\nexport default createRequire(import.meta.url)('./index.js');\n");
  return dir;
}

module.exports = main;
if (require.main === module) main().then((r) => console.log('\n', r));
