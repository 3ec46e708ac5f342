'use strict';
// The cost of loading procsig, against issue 15's target: at most 5 ms added to a process start.
// `npm run bench -- load` (PROCSIG_LOAD_ROUNDS=n for more or fewer rounds than 100).
//
// Three figures for each way a program loads a package, from interleaved process starts (each
// round starts every kind once), each the median of its per-round differences:
// - added: a start that loads procsig, less the same start without it;
// - an empty package alike: the same for a package with procsig's `exports` map over empty files,
//   which is Node's own cost of loading any package of this shape by name (the floor no package of
//   this shape goes under);
// - procsig's own: the difference of the two.
// "added" is also given for each fifth of the rounds apart, which shows how far one figure moves
// with the machine's load (on a small VM, by a millisecond or more).
//
// The ways a program loads it:
// - CommonJS, `node -e "require('procsig')"` against `node -e 0` (the issue's own wording);
// - an ES module program, `node app.mjs` whose one line is `import { kill } from 'procsig'`,
//   against `node empty.mjs`. A program that imports is a file, and the first file an ES module
//   program loads starts Node's ES module file loading (resolver, translators, 4 ms on Debian's
//   Node 20), which the program pays whether it imports procsig or not;
// - `node --input-type=module -e "import { kill } from 'procsig'"` against
//   `node --input-type=module -e 0`, for reference: there procsig's import is the first file, so
//   "added" also carries Node's cost of starting its ES module file loading.
//
// Last, procsig's own share measured inside one process (median over fresh processes): reading
// the consumer's dist/index.js, compiling it, and running its top level (which loads the addon).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fmt, table } = require('./common');

const root = path.join(__dirname, '..');

async function main() {
  const rounds = Number(process.env.PROCSIG_LOAD_ROUNDS ?? 100);
  const { dir: consumer, addon } = loadConsumer();
  console.log(`\n## load time (${rounds} rounds of interleaved process starts; medians of per-round differences; the installed copy's addon: ${addon})`);
  const starts = {
    cjsBase: ['-e', '0'],
    cjs: ['-e', "require('procsig')"],
    cjsFloor: ['-e', "require('empty-package')"],
    esmBase: ['empty.mjs'],
    esm: ['app.mjs'],
    esmFloor: ['floor.mjs'],
    evalBase: ['--input-type=module', '-e', '0'],
    eval: ['--input-type=module', '-e', "import { kill } from 'procsig'"],
    evalFloor: ['--input-type=module', '-e', "import 'empty-package'"],
  };
  const times = Object.fromEntries(Object.keys(starts).map((k) => [k, []]));
  let own;
  try {
    for (let i = 0; i < rounds; i++) {
      for (const [k, args] of Object.entries(starts)) {
        const t0 = process.hrtime.bigint();
        execFileSync(process.execPath, args, { cwd: consumer });
        times[k].push(Number(process.hrtime.bigint() - t0));
      }
    }
    own = inProcess(path.join(consumer, 'node_modules', 'procsig', 'dist', 'index.js'));
  } finally {
    fs.rmSync(consumer, { recursive: true, force: true });
  }
  // Each figure is the median of per-round differences: the two starts of a difference ran one
  // after the other, so a slow stretch of the machine moves both.
  const diff = (a, b, from = 0, to = rounds) => median(times[a].slice(from, to).map((t, i) => t - times[b][from + i]));
  const size = Math.ceil(rounds / 5);
  const blocks = (k) => {
    const added = [];
    for (let from = 0; from < rounds; from += size) added.push(diff(k, `${k}Base`, from, Math.min(from + size, rounds)));
    return `${fmt(Math.min(...added))} – ${fmt(Math.max(...added))}`;
  };
  const added = (k) => diff(k, `${k}Base`);
  const row = (label, k) => [label, fmt(median(times[`${k}Base`])), fmt(added(k)), blocks(k), fmt(diff(`${k}Floor`, `${k}Base`)), fmt(diff(k, `${k}Floor`))];
  table([
    ['program', 'empty start', 'added by procsig', 'the same, per fifth of the rounds', 'an empty package alike', "procsig's own"],
    row("CommonJS: node -e 0 / node -e \"require('procsig')\"", 'cjs'),
    row("ES module: node empty.mjs / node app.mjs (import { kill } from 'procsig')", 'esm'),
    row('for reference: node --input-type=module -e 0 / -e "import { kill } from \'procsig\'"', 'eval'),
  ]);
  const verdict = (k) => (added(k) <= 5e6 ? 'met' : 'MISSED');
  console.log(`target: at most 5 ms added — require ${verdict('cjs')}, import ${verdict('esm')}`);

  console.log('\n## procsig\'s own share, inside one process (medians of 30 fresh processes)');
  table([
    ['read dist/index.js', 'compile it', 'run its top level (loads the addon)', 'total'],
    [fmt(own.read), fmt(own.compile), fmt(own.run), fmt(own.read + own.compile + own.run)],
  ]);
  return {
    requireMs: added('cjs') / 1e6,
    importMs: added('esm') / 1e6,
    requireFloorMs: diff('cjsFloor', 'cjsBase') / 1e6,
    importFloorMs: diff('esmFloor', 'esmBase') / 1e6,
    ownMs: (own.read + own.compile + own.run) / 1e6,
  };
}

function median(xs) {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

/**
 * A consumer folder laid out as an install leaves it: node_modules/procsig holds this package's
 * package.json, dist/ and its addon (the prebuild for this platform when prebuilds/ has one, as
 * from npm; else build/Release), node_modules/empty-package has procsig's `exports` map over empty
 * files, and three ES module programs: empty.mjs, app.mjs (imports procsig) and floor.mjs (imports
 * empty-package). Returns the folder and which addon its copy carries.
 */
function loadConsumer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-load-'));
  const modules = path.join(dir, 'node_modules');
  const pkg = path.join(modules, 'procsig');
  fs.mkdirSync(path.join(modules, 'empty-package', 'dist'), { recursive: true });
  fs.cpSync(path.join(root, 'package.json'), path.join(pkg, 'package.json'));
  fs.cpSync(path.join(root, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  const prebuilds = path.join('prebuilds', `${process.platform}-${process.arch}`);
  const prebuilt = fs.existsSync(path.join(root, prebuilds, 'procsig.glibc.node')) || fs.existsSync(path.join(root, prebuilds, 'procsig.node'));
  if (prebuilt) fs.cpSync(path.join(root, prebuilds), path.join(pkg, prebuilds), { recursive: true });
  else fs.cpSync(path.join(root, 'build', 'Release', 'procsig.node'), path.join(pkg, 'build', 'Release', 'procsig.node'));
  const { exports } = require('../package.json');
  fs.writeFileSync(path.join(modules, 'empty-package', 'package.json'), JSON.stringify({ name: 'empty-package', version: '1.0.0', exports }));
  fs.writeFileSync(path.join(modules, 'empty-package', 'dist', 'index.js'), 'module.exports = {};\n');
  fs.writeFileSync(path.join(modules, 'empty-package', 'dist', 'index.mjs'), "import { createRequire } from 'node:module';\nexport default createRequire(import.meta.url)('./index.js');\n");
  fs.writeFileSync(path.join(dir, 'empty.mjs'), '');
  fs.writeFileSync(path.join(dir, 'app.mjs'), "import { kill } from 'procsig';\n");
  fs.writeFileSync(path.join(dir, 'floor.mjs'), "import 'empty-package';\n");
  return { dir, addon: prebuilt ? 'the prebuild, as from npm' : 'build/Release (no prebuild here)' };
}

/**
 * Reads, compiles (as Node's CommonJS loader does: one function with the module wrapper's
 * parameters) and runs the consumer's copy of dist/index.js (`file`) in each of 30 fresh
 * processes; the medians of each step.
 */
function inProcess(file) {
  const program = `
    const fs = require('node:fs'), vm = require('node:vm'), { createRequire } = require('node:module');
    const file = ${JSON.stringify(file)};
    const req = createRequire(file);
    const now = () => process.hrtime.bigint();
    const t0 = now();
    const source = fs.readFileSync(file, 'utf8');
    const t1 = now();
    const fn = vm.compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
    const t2 = now();
    const module = { exports: {} };
    fn.call(module.exports, module.exports, req, module, file, ${JSON.stringify(path.dirname(file))});
    const t3 = now();
    console.log(JSON.stringify([t1 - t0, t2 - t1, t3 - t2].map(Number)));`;
  const steps = [[], [], []];
  for (let i = 0; i < 30; i++) JSON.parse(execFileSync(process.execPath, ['-e', program], { encoding: 'utf8' })).forEach((ns, j) => steps[j].push(ns));
  const [read, compile, run] = steps.map(median);
  return { read, compile, run };
}

module.exports = main;
if (require.main === module) main().then((r) => console.log('\n', r));
