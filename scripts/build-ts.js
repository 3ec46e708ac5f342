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
 * - dist/index.js: lib/index.ts and everything it imports but Job's backends and the deferred
 *   modules, all run when the package loads (the kill-and-wait paths must not need a free fd later
 *   to read a module); its exports one plain object (cjsEntry).
 * - dist/deferred.js: the deferred modules, lib/tree/ and lib/terminate.ts, whose text
 *   dist/index.js reads when it loads and compiles on the first call of one of their functions
 *   (deferredEntries and the plugins below it).
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

/**
 * The modules dist/index.js compiles on first use (`deferredChunk`, `deferredStubs`): the process
 * table and tree walks (lib/tree/) and terminate, 27 kB that every start would otherwise compile
 * (0.5 ms: docs/benchmarks.md, "Load time"). Their code is dist/deferred.js, whose text
 * dist/index.js reads when the package loads and compiles (`vm.compileFunction`, as Node's
 * CommonJS loader compiles a file) on the first call of one of their functions: nothing is read
 * later, so they work with a full fd table ("Under EMFILE", docs/internals.md). Every other module
 * reaches them through their entry files only, and only their functions: a class exported there
 * (ProcessTable) can only be used as a type outside them.
 */
const deferredEntries = [path.join(lib, 'tree', 'index.ts'), path.join(lib, 'terminate.ts')];
const isDeferred = (file) => file.startsWith(path.join(lib, 'tree') + path.sep) || file === path.join(lib, 'terminate.ts');
const libRelative = (file) => path.relative(lib, file).split(path.sep).join('/');

/**
 * dist/deferred.js's side: the deferred modules, each import of another lib/ module bundled as the
 * values dist/index.js hands it (`require('procsig:main')[file]`, the names `imports` lists for
 * that file), so that nothing is bundled twice. Those values are taken on the first call: every
 * one is a function, a class or a constant. With `external`, the imports are left as ES module
 * imports of `procsig-main:<file>` instead (`deferredImports` reads the names from them).
 */
function deferredChunk({ external, imports }) {
  return {
    name: 'procsig-deferred-chunk',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, async (args) => {
        if (args.namespace !== 'file' || args.pluginData === 'procsig-resolving' || !isDeferred(args.importer)) return undefined;
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'procsig-resolving' });
        if (r.errors.length > 0 || isDeferred(r.path) || !r.path.startsWith(lib + path.sep)) return undefined;
        return external ? { path: `procsig-main:${libRelative(r.path)}`, external: true } : { path: libRelative(r.path), namespace: 'procsig-main' };
      });
      build.onResolve({ filter: /^procsig:main$/ }, () => ({ path: 'procsig:main', external: true }));
      // Named, so that a name missing on either side fails the build ("No matching export").
      build.onLoad({ filter: /.*/, namespace: 'procsig-main' }, (args) => ({
        contents: `export const { ${imports.get(args.path).join(', ')} } = require('procsig:main')[${JSON.stringify(args.path)}];\n`,
        loader: 'js',
      }));
    },
  };
}

/**
 * The names dist/deferred.js takes from each of dist/index.js's modules, by file: the import
 * statements of an ES module build of it with those modules external (esbuild writes
 * `import { a, b } from "procsig-main:<file>";`, a module's names sometimes over several). Any
 * other form of import from them is refused.
 */
async function deferredImports() {
  const r = await esbuild.build({ ...common, stdin: deferredEntry, format: 'esm', write: false, outfile: path.join(out, 'deferred.mjs'), logLevel: 'silent', plugins: [deferredChunk({ external: true, imports: null })] });
  const text = r.outputFiles[0].text;
  const imports = new Map();
  const statement = /^import \{([^}]*)\} from "procsig-main:([^"]+)";$/gm;
  for (const [, names, file] of text.matchAll(statement)) {
    imports.set(file, [...new Set([...(imports.get(file) ?? []), ...names.split(',').map((n) => n.trim().split(/\s+as\s+/)[0])])].sort());
  }
  if (/"procsig-main:/.test(text.replace(statement, ''))) throw new Error('dist/deferred.js imports from dist/index.js other than by name (scripts/build-ts.js, deferredImports)');
  return imports;
}

/**
 * dist/index.js's side: an import of a deferred entry from any other module is bundled as a stub
 * of the same function exports, each calling the real function in dist/deferred.js (compiled on
 * the first such call, `procsig:deferred` below). `functions` maps each entry to its function
 * exports; `imports` the names dist/deferred.js takes from this bundle's modules, by file.
 */
function deferredStubs(functions, imports) {
  return {
    name: 'procsig-deferred-stubs',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, async (args) => {
        if (args.namespace !== 'file' || args.pluginData === 'procsig-resolving') return undefined;
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'procsig-resolving' });
        if (r.errors.length > 0 || !isDeferred(r.path)) return undefined;
        if (!deferredEntries.includes(r.path)) return { errors: [{ text: `${libRelative(args.importer)} imports ${libRelative(r.path)}: import it through ${deferredEntries.map(libRelative).join(' or ')} (scripts/build-ts.js)` }] };
        // (named by its path in lib/: the bundle's comments carry no absolute path)
        return { path: libRelative(r.path), namespace: 'procsig-deferred-stub' };
      });
      build.onLoad({ filter: /.*/, namespace: 'procsig-deferred-stub' }, (args) => ({
        contents: [
          "import { loadDeferred } from 'procsig:deferred';",
          ...functions.get(path.join(lib, args.path)).map((name) => `export function ${name}(...args) {\n  return loadDeferred().${name}(...args);\n}`),
          '',
        ].join('\n'),
        resolveDir: lib,
        loader: 'js',
      }));
      build.onResolve({ filter: /^procsig:deferred$/ }, () => ({ path: 'loader', namespace: 'procsig-deferred' }));
      build.onLoad({ filter: /^loader$/, namespace: 'procsig-deferred' }, () => ({
        contents: [
          "// lib/tree/ and lib/terminate.ts, compiled on first use from dist/deferred.js, read now (scripts/build-ts.js).",
          "const fs = require('node:fs');",
          "const path = require('node:path');",
          ...[...imports].map(([file, names], i) => `import { ${names.map((n) => `${n} as m${i}_${n}`).join(', ')} } from './${file.replace(/\.ts$/, '')}';`),
          // what dist/deferred.js takes from this bundle, made on the first call
          'const modules = () => ({',
          ...[...imports].map(([file, names], i) => `  ${JSON.stringify(file)}: { ${names.map((n) => `${n}: m${i}_${n}`).join(', ')} },`),
          '});',
          "const file = path.join(__dirname, 'deferred.js');",
          "const source = fs.readFileSync(file, 'utf8');",
          'let deferred;',
          'export function loadDeferred() {',
          '  if (deferred) return deferred;',
          "  const compiled = require('node:vm').compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });",
          '  const module = { exports: {} };',
          "  const main = modules();",
          "  compiled.call(module.exports, module.exports, (id) => (id === 'procsig:main' ? main : require(id)), module, file, __dirname);",
          '  return (deferred = module.exports);',
          '}',
          '',
        ].join('\n'),
        resolveDir: lib,
        loader: 'js',
      }));
    },
  };
}

/** The function exports of each deferred entry (its class exports stay in dist/deferred.js). */
async function deferredFunctions() {
  const functions = new Map();
  for (const entry of deferredEntries) {
    const r = await esbuild.build({ ...common, entryPoints: [entry], format: 'esm', write: false, metafile: true, outdir: out, logLevel: 'silent' });
    const [output] = Object.values(r.metafile.outputs).filter((o) => o.entryPoint !== undefined);
    const text = r.outputFiles.find((f) => f.path.endsWith('.js')).text;
    functions.set(entry, [...output.exports].filter((name) => !new RegExp(`^(var ${name} = )?class ${name}\\b`, 'm').test(text)).sort());
  }
  return functions;
}

/** dist/deferred.js's entry: the deferred entries' exports, as one CommonJS module. */
const deferredEntry = {
  contents: deferredEntries.map((e) => `export * from './${libRelative(e).replace(/\.ts$/, '')}';`).join('\n') + '\n',
  resolveDir: lib,
  sourcefile: 'deferred.js entry (scripts/build-ts.js)',
  loader: 'ts',
};

async function main() {
  fs.rmSync(out, { recursive: true, force: true });
  // Declarations of every lib/ file, with their TSDoc (the JavaScript comes from esbuild).
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, stdio: 'inherit' });
  const programs = fs.readdirSync(path.join(lib, 'job', 'programs')).filter((f) => f.endsWith('.ts'));
  const names = await exportNames(path.join(lib, 'index.ts'));
  const sharedNames = await exportNames(path.join(lib, 'job', 'shared.ts'));
  // dist/deferred.js first: dist/index.js's loader hands it what it imports.
  const imports = await deferredImports();
  await esbuild.build({ ...common, stdin: deferredEntry, outfile: path.join(out, 'deferred.js'), plugins: [deferredChunk({ external: false, imports })] });
  const functions = await deferredFunctions();
  const builds = [
    { stdin: cjsEntry(names), outfile: path.join(out, 'index.js'), plugins: [lazyBackends(sharedNames), deferredStubs(functions, imports)] },
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
