/**
 * What ships is what the source says: `dist/` is exactly tsc's emit of `lib/` (`npm run build:ts`
 * post-processes nothing), and the built package loads the same modules whether a consumer
 * `require`s it or `import`s it. `require('procsig')` loads the kill-and-wait modules with the
 * package (a module loaded on first use needs a free fd to be read, so a process whose fd table
 * is full would get EMFILE from Node's loader instead of their fd-free fallbacks), never the CLI
 * or the tree-kill drop-in, and only on first use what `LAZY` lists.
 * Build first: `npm run build:ts`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hiddenNote, procHiddenSkip } from './helpers';

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Every file under `dir`, as paths relative to it. */
function files(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

describe('dist/ is tsc output, unprocessed', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-emit-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('every emitted .js and .d.ts file is byte-identical to what tsc writes from lib/', () => {
    // The two passes of `npm run build:ts`: JS without comments, then .d.ts with every TSDoc comment.
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, stdio: 'inherit' });
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--declaration', '--emitDeclarationOnly', '--removeComments', 'false', '--outDir', out], { cwd: root, stdio: 'inherit' });
    const emitted = files(out);
    expect(emitted).toContain('index.js');
    expect(emitted).toContain('index.d.ts');
    const differ = emitted.filter((f) => !fs.existsSync(path.join(dist, f)) || !fs.readFileSync(path.join(dist, f)).equals(fs.readFileSync(path.join(out, f))));
    expect(differ, 'dist/ files that are not what tsc emits (run npm run build:ts)').toEqual([]);
  });

  it('ships no source maps (none is emitted, so none can be off)', () => {
    expect(files(dist).filter((f) => f.endsWith('.map'))).toEqual([]);
  });
});

/**
 * The modules `dist/index.js` must load with the package: the kill-and-wait paths and what they
 * import (see docs/internals.md, "Under EMFILE").
 */
const EAGER = ['signals', 'errors', 'kill', 'tree/index', 'handle', 'wait', 'terminate'];
/** Never loaded by the package entry: separate entry points. */
const NEVER = ['cli', 'tree-kill'];
/**
 * Modules that load on first use, each with the code (given the package as `p`) that first uses
 * it: Job's backend choice, backends and watchdog load when the first Job is created
 * (lib/job/index.ts, `@lazy-modules`); everything else loads with the package.
 */
const createJob = 'p.Job.create({ killOnClose: false }).close()';
const LAZY: Array<[module: string, use: string]> = [
  ['job/select', createJob],
  ['job/pgroup', createJob],
  ['job/watchdog', 'p.Job.create().close()'],
];

/** The dist modules a fresh Node process has loaded after `load` (CommonJS code), and after `then`. */
function loaded(mode: 'require' | 'import', then = ''): { before: string[]; after: string[] } {
  const list = `Object.keys(require.cache).filter((f) => f.startsWith(${JSON.stringify(dist + path.sep)})).map((f) => f.slice(${dist.length + 1}).replace(/\\.js$/, '')).sort()`;
  const body = `const before = ${list}; ${then}; console.log(JSON.stringify({ before, after: ${list} }));`;
  const code =
    mode === 'require'
      ? `const p = require('procsig'); ${body}`
      : `import * as p from 'procsig'; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); ${body}`;
  const args = mode === 'require' ? ['-e', code] : ['--input-type=module', '-e', code];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' })) as { before: string[]; after: string[] };
}

describe('what loading the package loads (built dist/, by package name)', () => {
  const cjs = loaded('require');
  const esm = loaded('import');

  it('require and import load the same modules', () => {
    expect(esm.before).toEqual(cjs.before);
  });

  it.each(['require', 'import'] as const)('%s loads the kill-and-wait modules with the package', (mode) => {
    const got = mode === 'require' ? cjs.before : esm.before;
    for (const m of ['index', ...EAGER]) expect(got, m).toContain(m);
  });

  it.each(['require', 'import'] as const)('%s never loads the CLI or the tree-kill drop-in', (mode) => {
    const got = mode === 'require' ? cjs.before : esm.before;
    for (const m of NEVER) expect(got, m).not.toContain(m);
  });

  // (a Job cannot be created where /proc hides processes from the runner: the hidepid lane)
  it.skipIf(LAZY.length === 0 || procHiddenSkip !== null)(`lazy modules load on first use, not before${hiddenNote}`, () => {
    for (const mode of ['require', 'import'] as const) {
      for (const [m, use] of LAZY) {
        const r = loaded(mode, use);
        expect(r.before, `${mode}: ${m} before use`).not.toContain(m);
        expect(r.after, `${mode}: ${m} after ${use}`).toContain(m);
      }
    }
  });

  // (Node 23+ adds a 'module.exports' name to a CommonJS module's namespace: not one of ours)
  it('ESM sees every export name CommonJS has (cjs-module-lexer detects them all)', () => {
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
});
