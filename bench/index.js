'use strict';
// `npm run bench`: every benchmark in one run, each printing its figures and ratios.
// Run `npm run build:ts` first if lib/ changed (the benches use dist/).
const fs = require('node:fs');
const path = require('node:path');

const parts = ['kill', 'tree', 'wait', 'job'];

(async () => {
  console.log(`procsig bench — node ${process.version}, ${require('node:os').cpus().length} cores, ${new Date().toISOString()}`);
  for (const name of parts) {
    const file = path.join(__dirname, `${name}.js`);
    if (!fs.existsSync(file)) continue;
    const mod = require(file);
    if (typeof mod === 'function') await mod();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
