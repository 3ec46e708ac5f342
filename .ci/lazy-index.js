'use strict';
// Post-build step of `npm run build:ts`: makes dist/index.js load its heavy modules on first use.
//
// tsc emits `export { killTree } from './tree'` as
//   var tree_1 = require("./tree");
//   Object.defineProperty(exports, "killTree", { enumerable: true, get: function () { return tree_1.killTree; } });
// This rewrites the require of every module but the core into a proxy that requires the module
// on first property access. The core is signals, errors, kill and the modules the kill-and-wait
// paths need (tree, handle, wait, terminate): a module loaded on first use needs a free fd to be
// read, so a process whose fd table is full would get Node's own require error (EMFILE) at its
// first killTree/waitForExit instead of the fd-free fallbacks those have. Only Job stays lazy
// (creating a job opens files itself). The getters, the export names that
// Node's ESM loader detects (cjs-module-lexer) and the .d.ts files (with their TSDoc) stay as tsc
// wrote them; `require('procsig')` then compiles only the core (see docs/benchmarks.md, load time).
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'dist', 'index.js');
const EAGER = new Set(['./signals', './errors', './kill', './tree', './handle', './wait', './terminate']);
const MARK = '/* procsig: lazy modules */';
let src = fs.readFileSync(file, 'utf8');
if (!src.includes(MARK)) {
  let lazy = 0;
  src = src.replace(/require\("(\.\/[\w-]+)"\)/g, (call, id) => {
    if (EAGER.has(id)) return call;
    lazy++;
    return `lazyModule(() => ${call})`;
  });
  const helper = `${MARK}
function lazyModule(load) {
    let mod;
    return new Proxy({}, { get(_, key) { return (mod ??= load())[key]; } });
}
`;
  src = src.replace('"use strict";\n', `"use strict";\n${helper}`);
  fs.writeFileSync(file, src);
  console.error(`dist/index.js: ${lazy} modules load on first use`);
}
