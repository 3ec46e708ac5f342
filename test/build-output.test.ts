/**
 * What ships is what the source says: `dist/` is exactly what `npm run build:ts`
 * (scripts/build-ts.js: esbuild's bundles of lib/'s entry points, tsc's declarations) makes from
 * `lib/`, with nothing post-processed; and the built package loads as one file for `require`, two
 * for `import` (dist/index.mjs requires the same dist/index.js), never the CLI or the tree-kill
 * drop-in. Every module loads with the package: a module loaded later would need a free fd to be
 * read, so a process whose fd table is full would get EMFILE from Node's loader instead of the
 * kill-and-wait paths' fd-free fallbacks. (Job's backends are read with the first Job, which
 * needs free fds anyway; the tree modules and terminate are read with the package and compiled
 * on first use.)
 * Build first: `npm run build:ts`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nativePath } from '../lib/native';

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

/** Every file under `dir`, as paths relative to it. */
function files(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

describe('dist/ is the build of lib/, unprocessed', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-emit-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('every file is byte-identical to what scripts/build-ts.js writes from lib/, and no other file is there', () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ts.js'), out], { cwd: root, stdio: 'inherit' });
    const emitted = files(out);
    for (const f of ['index.js', 'index.mjs', 'index.d.ts', 'index.d.mts', 'tree-kill.js', 'tree-kill.d.ts', 'cli.js', 'job/programs/watchdog.js']) expect(emitted).toContain(f);
    expect(files(dist), 'dist/ files the build does not make (run npm run build:ts)').toEqual(emitted);
    const differ = emitted.filter((f) => !fs.readFileSync(path.join(dist, f)).equals(fs.readFileSync(path.join(out, f))));
    expect(differ, 'dist/ files that are not what the build makes (run npm run build:ts)').toEqual([]);
  });

  it('ships no source maps (none is emitted, so none can be off)', () => {
    expect(files(dist).filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('keeps the names of classes and functions as written (util.inspect and stacks show them)', () => {
    const p = require(path.join(dist, 'index.js')) as Record<string, unknown>;
    const named = Object.entries(p).filter(([, v]) => typeof v === 'function') as Array<[string, { name: string }]>;
    expect(named.length).toBeGreaterThan(20);
    for (const [k, v] of named) expect(v.name, k).toBe(k);
  });

  // The bundles are built without esbuild's keepNames (its __name() calls cost 0.3 ms at load), so
  // names survive only while no class body names its own class and no two modules of a bundle
  // declare the same top-level function or class name (scripts/build-ts.js).
  it('no function or class of a bundle is renamed by esbuild (`_Job`, `kill2`)', () => {
    const declared = new Set<string>();
    // (the build script writes two small entries of its own: dist/index.js's and dist/job-backends.js's)
    const sources = [...files(path.join(root, 'lib')).filter((f) => f.endsWith('.ts')).map((f) => path.join(root, 'lib', f)), path.join(root, 'scripts', 'build-ts.js')];
    for (const f of sources) {
      for (const m of fs.readFileSync(f, 'utf8').matchAll(/\b(?:function\*?|class)\s+([A-Za-z_$][\w$]*)/g)) declared.add(m[1]);
    }
    const renamed: string[] = [];
    for (const f of files(dist).filter((f) => f.endsWith('.js'))) {
      const src = fs.readFileSync(path.join(dist, f), 'utf8');
      expect(src, f).not.toMatch(/\b__name\(/);
      for (const m of src.matchAll(/^(?:async )?function\*? ([\w$]+)\(|^var ([\w$]+) = class\b|= class (?!extends\b)([\w$]+)/gm)) {
        const name = m[1] ?? m[2] ?? m[3];
        if (!declared.has(name)) renamed.push(`${f}: ${name}`);
      }
    }
    expect(renamed).toEqual([]);
  });

  // esbuild escapes non-ASCII in strings but keeps some comments (those inside class bodies) as
  // written. One non-ASCII byte sends Node's loader down its slow UTF-8 decode for the whole file:
  // reading dist/index.js took 0.21 ms instead of 0.10 ms of every start (docs/benchmarks.md).
  it('every bundle is ASCII (a comment kept from lib/ may not carry an em dash, an ellipsis, ...)', () => {
    const found: string[] = [];
    for (const f of files(dist).filter((f) => f.endsWith('.js') || f.endsWith('.mjs'))) {
      fs.readFileSync(path.join(dist, f), 'latin1')
        .split('\n')
        .forEach((line, i) => {
          if (/[\u0080-\u00ff]/.test(line)) found.push(`dist/${f}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found, 'reword these comments in lib/ (they are kept in the bundle)').toEqual([]);
  });
});

/** The files of the package a fresh Node process has loaded after loading it by name. */
function loaded(mode: 'require' | 'import'): string[] {
  const list = `Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(root + path.sep)})).map((f) => f.slice(${root.length + 1}).split(require('node:path').sep).join('/')).sort()`;
  const code =
    mode === 'require'
      ? `require('procsig'); console.log(JSON.stringify(${list}));`
      : `import 'procsig'; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); console.log(JSON.stringify(${list}));`;
  const args = mode === 'require' ? ['-e', code] : ['--input-type=module', '-e', code];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' })) as string[];
}

describe('what loading the package loads (built dist/, by package name)', () => {
  it.each(['require', 'import'] as const)('%s loads dist/index.js (the whole library) and the addon, never the CLI or the tree-kill drop-in', (mode) => {
    const got = loaded(mode);
    const js = got.filter((f) => !f.endsWith('.node'));
    // (import reaches dist/index.js through dist/index.mjs, an ES module: not in require.cache)
    expect(js).toEqual(['dist/index.js']);
    expect(got.filter((f) => f.endsWith('.node'))).toHaveLength(1);
  });

  it('import resolves to dist/index.mjs, and it shares the instance require gets', () => {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "import * as p from 'procsig'; import d from 'procsig'; import { createRequire } from 'node:module'; const r = createRequire(import.meta.url)('procsig'); console.log(import.meta.resolve('procsig'), p.Job === r.Job && d === r && p.kill === r.kill)"],
      { cwd: root, encoding: 'utf8' },
    ).trim();
    expect(out).toBe(`${new URL(`file://${path.join(dist, 'index.mjs')}`).href} true`);
  });

  // (Node 23+ adds a 'module.exports' name to a CommonJS module's namespace: not one of ours)
  it('ESM sees every export name CommonJS has', () => {
    const names = (mode: 'require' | 'import') =>
      JSON.parse(
        execFileSync(
          process.execPath,
          mode === 'require'
            ? ['-e', "console.log(JSON.stringify(Object.keys(require('procsig')).filter((k) => k !== '__esModule').sort()))"]
            : ['--input-type=module', '-e', "import * as p from 'procsig'; console.log(JSON.stringify(Object.keys(p).filter((k) => k !== 'default' && k !== '__esModule' && k !== 'module.exports').sort()))"],
          { cwd: root, encoding: 'utf8' },
        ),
      ) as string[];
    const fromCjs = names('require');
    expect(fromCjs).toEqual(expect.arrayContaining(['kill', 'killTree', 'waitForExit', 'ProcessHandle', 'terminate', 'Job', 'JobKilledError']));
    expect(names('import')).toEqual(fromCjs);
  });

  // lib/job/lazy.ts: Job's backends are a bundle of their own, loaded with the first Job.
  it("the first Job loads dist/job-backends.js, which uses dist/index.js's own modules (no second copy)", () => {
    const code = [
      "const p = require('procsig');",
      "const files = () => Object.keys(require.cache).filter((f) => f.startsWith(DIST)).map((f) => f.slice(DIST.length)).sort().join(',');",
      'const before = files();',
      // an error made inside the backends is an instance of the package's exported class
      "let shared = false; try { p.Job.create({ backend: process.platform === 'win32' ? 'cgroup2' : 'jobobject' }); } catch (e) { shared = e instanceof p.JobBackendUnavailableError && e.code === 'ERR_JOB_BACKEND_UNAVAILABLE'; }",
      // a job that works end to end, where this deployment allows one (hidepid=2 refuses the
      // 'tree' backend, with the package's own error class)
      'const report = (job) => console.log(JSON.stringify({ before, after: files(), shared, job }));',
      "let job; try { job = p.Job.create({ backend: 'tree' }); } catch (e) { report(e instanceof p.ProcUnavailableError ? e.code : String(e)); }",
      "if (job) { const { child } = job.spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']); job.kill().then(() => job.close()).then(() => report(child.pid > 0 ? job.backend : 'no pid')); }",
    ].join('\n');
    const out = execFileSync(process.execPath, ['-e', `const DIST = ${JSON.stringify(dist + path.sep)};\n${code}`], { cwd: root, encoding: 'utf8' });
    const r = JSON.parse(out) as { job: string };
    expect(['tree', 'ERR_PROC_HIDDEN']).toContain(r.job);
    expect(r).toEqual({ before: 'index.js', after: 'index.js,job-backends.js', shared: true, job: r.job });
    // and it carries no module of dist/index.js: only lib/job's backends and the two stand-ins
    const modules = [...fs.readFileSync(path.join(dist, 'job-backends.js'), 'utf8').matchAll(/^\/\/ (lib\/\S+|procsig-shared:\S+)/gm)].map((m) => m[1]);
    expect(modules.filter((m) => !/^lib\/job\/(backend|backends|cgroup|env|mountinfo|pgroup|select|watchdog|win32)\.ts$/.test(m) && !m.startsWith('procsig-shared:'))).toEqual(['lib/job/job-backends.js']);
    expect(fs.readFileSync(path.join(dist, 'index.js'), 'utf8')).not.toMatch(/^\/\/ lib\/job\/(cgroup|pgroup|select|watchdog|win32)\.ts$/m);
  });

  // scripts/build-ts.js, deferredChunk/deferredStubs: lib/tree/ and terminate.ts are
  // dist/deferred.js, read with the package and compiled on the first call of one of them.
  it("trees and terminate compile on first use from dist/deferred.js's text, read at load, over dist/index.js's own modules", () => {
    // A copy of dist/ whose deferred.js is deleted once the package has loaded: the first calls
    // then work from the text read at load (as with a full fd table), and an error made there is
    // the package's own class.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-deferred-'));
    try {
      fs.cpSync(dist, path.join(copy, 'dist'), { recursive: true });
      const code = [
        "const fs = require('node:fs'); const path = require('node:path');",
        "const p = require(path.join(process.argv[1], 'dist'));",
        "fs.rmSync(path.join(process.argv[1], 'dist', 'deferred.js'));",
        // (under hidepid=2, the tree readers refuse with ProcUnavailableError: also made there)
        "const made = (e) => (e instanceof p.ProcessError || e instanceof p.ProcUnavailableError ? e.code : String(e));",
        'let root; try { root = p.processTree(process.pid).pid === process.pid; } catch (e) { root = made(e); }',
        "const files = Object.keys(require.cache).filter((f) => f.startsWith(process.argv[1])).map((f) => path.basename(f));",
        'const gone = 2 ** 22 + 12345;',
        "p.killTree(gone, 'SIGTERM').then(() => 'resolved', made)",
        '  .then((shared) => p.terminate(gone).then((r) => r.pid, (e) => e.code).then((terminate) => console.log(JSON.stringify({ root, shared, terminate, files }))));',
      ].join('\n');
      const out = execFileSync(process.execPath, ['-e', code, copy], { encoding: 'utf8', env: { ...process.env, PROCSIG_NATIVE: nativePath } });
      const r = JSON.parse(out) as { root: unknown; shared: unknown };
      expect(r).toEqual({ root: r.root, shared: r.shared, terminate: expect.anything(), files: ['index.js'] });
      expect([true, 'ERR_PROC_HIDDEN']).toContain(r.root);
      expect(['ESRCH', 'ERR_PROC_HIDDEN']).toContain(r.shared);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    // and dist/index.js carries none of their modules, dist/deferred.js none of the others
    const modules = (file: string) => [...fs.readFileSync(path.join(dist, file), 'utf8').matchAll(/^\/\/ (lib\/\S+)/gm)].map((m) => m[1]);
    expect(modules('index.js').filter((m) => /^lib\/(tree\/|terminate\.ts)/.test(m))).toEqual([]);
    expect(modules('deferred.js').filter((m) => !/^lib\/(tree\/|terminate\.ts)/.test(m))).toEqual(['lib/deferred.js']); // (its entry)
  });

  it('procsig/tree-kill loads dist/tree-kill.js over the same dist/index.js', () => {
    const code = `const tk = require('procsig/tree-kill'); require('procsig'); console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(dist + path.sep)})).map((f) => path.basename(f)).sort()), typeof tk)`;
    const out = execFileSync(process.execPath, ['-e', `const path = require('node:path'); ${code}`], { cwd: root, encoding: 'utf8' }).trim();
    expect(out).toBe('["index.js","tree-kill.js"] function');
  });
});
