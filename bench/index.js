'use strict';
// `npm run bench`: every benchmark in one run, one after the other, each in its own process
// (so one bench's processes and timers never disturb another's), each printing its figures and
// ratios. The benches use dist/: `npm run build:ts` first if lib/ changed. Names run only those
// benches: `npm run bench -- load` (the load time).
const { spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const all = ['kill', 'load', 'tree', 'wait', 'job'];
const asked = process.argv.slice(2);
for (const a of asked) if (!all.includes(a)) throw new Error(`no bench named ${a} (${all.join(', ')})`);
const parts = asked.length ? asked : all;
console.log(`procsig bench — node ${process.version}, ${os.cpus().length} cores, ${os.type()} ${os.release()}, ${new Date().toISOString()}`);
let failed = 0;
for (const name of parts) {
  console.log(`\n# ${name} (bench/${name}.js)`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, `${name}.js`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.log(`bench/${name}.js failed (${r.status ?? r.signal})`);
    failed++;
  }
}
process.exitCode = failed ? 1 : 0;
