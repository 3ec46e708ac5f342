#!/usr/bin/env node
/**
 * `npm run build:ts`: what ships in dist/ — one bundle per entry point, made by esbuild from
 * lib/, and tsc's declarations of every lib/ file. Nothing is post-processed; running this again
 * into another folder gives the same bytes (test/build-output.test.ts does, and compares).
 *
 * Why bundles (docs/internals.md, "Build outputs"): loading lib/ as ~26 CommonJS files added 15 ms
 * to a process start, a resolve, a read and a compile per file; the bundles add about 5 ms, half
 * of it Node's own cost of loading any package of this shape by name (docs/benchmarks.md, "Load
 * time").
 *
 * - dist/index.js: lib/index.ts and everything it imports but Job's backends, all run when the
 *   package loads (the kill-and-wait paths must not need a free fd later to read a module); its
 *   exports one plain object (cjsEntry).
 * - dist/job-backends.js: Job's backends, loaded with the first Job (lib/job/lazy.ts is the split
 *   point: lazyBackends, backendsEntry and sharedFromMain below).
 * - dist/tree-kill.js: lib/tree-kill.ts, which uses the package's public API only; its import of
 *   './index' is left as a require of dist/index.js, so both entries share one copy of every
 *   module (one ProcessError class, one watchdog).
 * - dist/cli.js: the `procsig` command, a program of its own (its commands load on first use).
 * - dist/job/programs/*.js: the Node programs a Job starts by path (they import only job/env.ts).
 *
 * Usage: node scripts/build-ts.js [outDir]   (default: dist)
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const out = path.resolve(root, process.argv[2] ?? 'dist');
const lib = path.join(root, 'lib');

/** Shared by every bundle: CommonJS for Node 18 and later, code as written (no minifying). */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  // node-gyp-build is a runtime dependency, resolved where the package is installed.
  external: ['node-gyp-build'],
  // No keepNames: it wraps every function and class in a `__name()` call at load (0.3 ms of the
  // start-up). Names stay as written without it, with two rules lib/ follows and
  // test/build-output.test.ts checks: a class body never names its own class (esbuild would bind
  // it a second time as `_Job`, and `Job.name` would say so: the body uses an alias declared after
  // the class), and no two modules of one bundle declare the same top-level name for a function or
  // class (esbuild would rename one of them, `kill2`).
  keepNames: false,
  logLevel: 'warning',
  // The addon is required by a path computed at run time (lib/native.ts): nothing to bundle.
  logOverride: { 'unsupported-require-call': 'silent' },
  absWorkingDir: root,
};

/** In a bundle other than the main one, the import of lib/index.ts stays a require of index.js. */
const mainEntryExternal = {
  name: 'procsig-main-entry-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/index$/ }, (args) => (args.importer === path.join(lib, 'tree-kill.ts') ? { path: './index.js', external: true } : undefined));
    // cli.ts reads the version from the package.json beside dist/ at run time.
    build.onResolve({ filter: /^\.\.\/package\.json$/ }, (args) => (args.importer === path.join(lib, 'cli.ts') ? { path: '../package.json', external: true } : undefined));
  },
};

/**
 * dist/index.js's side of the split (lib/job/lazy.ts): the module that, in lib/, imports Job's
 * backends is bundled instead as a `require` of dist/job-backends.js on the first call, which is
 * handed this bundle's instances of everything the backends use (lib/job/shared.ts's exports, as
 * one plain object built then).
 */
function lazyBackends(sharedNames) {
  return {
    name: 'procsig-lazy-backends',
    setup(build) {
      const lazy = path.join(lib, 'job', 'lazy.ts');
      build.onLoad({ filter: /[\\/]lib[\\/]job[\\/]lazy\.ts$/ }, (args) =>
        args.path !== lazy
          ? undefined
          : {
              loader: 'ts',
              resolveDir: path.dirname(lazy),
              contents: [
                '// lib/job/lazy.ts as dist/index.js has it: Job\'s backends are dist/job-backends.js, loaded on the first call (scripts/build-ts.js).',
                `import { ${sharedNames.join(', ')} } from './shared';`,
                'let backends: typeof import(\'./backends\') | undefined;',
                'export function loadBackends(): typeof import(\'./backends\') {',
                `  return (backends ??= require('./job-backends.js').load({ ${sharedNames.join(', ')} }));`,
                '}',
                '',
              ].join('\n'),
            },
      );
      build.onResolve({ filter: /^\.\/job-backends\.js$/ }, () => ({ path: './job-backends.js', external: true }));
    },
  };
}

/**
 * dist/job-backends.js: lib/job/backends.ts and the modules behind it, which reach the rest of
 * procsig only through lib/job/shared.ts. Here that module is the object dist/index.js hands
 * `load()`: nothing of the rest is bundled a second time.
 */
const backendsEntry = {
  contents: [
    "import { provide } from 'procsig:shared';",
    '/** Called once, by dist/index.js, with its own instances of lib/job/shared.ts\'s exports. */',
    'export function load(shared: object): unknown {',
    '  provide(shared);',
    "  return require('./backends');",
    '}',
    '',
  ].join('\n'),
  resolveDir: path.join(lib, 'job'),
  sourcefile: 'job-backends.js entry (scripts/build-ts.js)',
  loader: 'ts',
};
const sharedFromMain = {
  name: 'procsig-shared-from-main',
  setup(build) {
    build.onResolve({ filter: /^procsig:shared$/ }, () => ({ path: 'holder', namespace: 'procsig-shared' }));
    build.onResolve({ filter: /^\.\/shared$/ }, (args) => (path.dirname(args.importer) === path.join(lib, 'job') ? { path: 'shared', namespace: 'procsig-shared' } : undefined));
    build.onLoad({ filter: /^holder$/, namespace: 'procsig-shared' }, () => ({
      contents: 'export let shared: object | undefined;\nexport function provide(s: object): void {\n  shared = s;\n}\n',
      loader: 'ts',
    }));
    // Read when the backends' modules first run, inside load(): after provide().
    build.onLoad({ filter: /^shared$/, namespace: 'procsig-shared' }, () => ({ contents: "module.exports = require('procsig:shared').shared;\n", loader: 'js' }));
  },
};

async function main() {
  fs.rmSync(out, { recursive: true, force: true });
  // Declarations of every lib/ file, with their TSDoc (the JavaScript comes from esbuild).
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, stdio: 'inherit' });
  const programs = fs.readdirSync(path.join(lib, 'job', 'programs')).filter((f) => f.endsWith('.ts'));
  const names = await exportNames(path.join(lib, 'index.ts'));
  const sharedNames = await exportNames(path.join(lib, 'job', 'shared.ts'));
  const builds = [
    { stdin: cjsEntry(names), outfile: path.join(out, 'index.js'), plugins: [lazyBackends(sharedNames)] },
    { stdin: backendsEntry, outfile: path.join(out, 'job-backends.js'), plugins: [sharedFromMain] },
    { entryPoints: [path.join(lib, 'tree-kill.ts')], outfile: path.join(out, 'tree-kill.js'), plugins: [mainEntryExternal] },
    { entryPoints: [path.join(lib, 'cli.ts')], outfile: path.join(out, 'cli.js'), plugins: [mainEntryExternal] },
    ...programs.map((f) => ({ entryPoints: [path.join(lib, 'job', 'programs', f)], outfile: path.join(out, 'job', 'programs', f.replace(/\.ts$/, '.js')) })),
  ];
  await Promise.all(builds.map((b) => esbuild.build({ ...common, ...b })));
  fs.chmodSync(path.join(out, 'cli.js'), 0o755);
  fs.writeFileSync(path.join(out, 'index.mjs'), esmEntry(names));
  // Its types, as an ES module's (TypeScript reads a .d.ts of this package as CommonJS's).
  fs.writeFileSync(path.join(out, 'index.d.mts'), ["import * as procsig from './index.js';", "export * from './index.js';", 'export default procsig;', ''].join('\n'));
}

/** The names `entry` exports, as esbuild's metafile lists them for an ES module build of it. */
async function exportNames(entry) {
  const r = await esbuild.build({ ...common, entryPoints: [entry], format: 'esm', write: false, metafile: true, outdir: out, logLevel: 'silent' });
  const [output] = Object.values(r.metafile.outputs).filter((o) => o.entryPoint !== undefined);
  return [...output.exports].sort();
}

/**
 * The entry esbuild bundles into dist/index.js: lib/index.ts's exports as one plain object. Bundled
 * as it is, an ES module entry becomes `module.exports = __toCommonJS(...)`: two getters per export,
 * defined one by one (0.3 ms of every start for 33 exports), for live bindings that no export of
 * procsig needs (each is a function, a class or a frozen object, never reassigned).
 */
function cjsEntry(names) {
  const contents = [`import { ${names.join(', ')} } from './index';`, `module.exports = { ${names.join(', ')} };`, ''].join('\n');
  return { contents, resolveDir: lib, sourcefile: 'index.ts (as CommonJS exports)', loader: 'ts' };
}

/**
 * dist/index.mjs, what `import` resolves to: the CommonJS bundle through `require`, its exports
 * named. Imported directly, the bundle would be scanned by Node's CommonJS export lexer first
 * (~15 ms for 125 kB); through this file `import` and `require` also share one instance.
 */
function esmEntry(names) {
  return [
    '// The ES module entry of procsig: dist/index.js, loaded once, shared with require() (scripts/build-ts.js).',
    "import { createRequire } from 'node:module';",
    '',
    "const procsig = createRequire(import.meta.url)('./index.js');",
    'export default procsig;',
    `export const { ${names.join(', ')} } = procsig;`,
    '',
  ].join('\n');
}

main().catch((err) => {
  console.error(err.message);
  process.exitCode = 1;
});
