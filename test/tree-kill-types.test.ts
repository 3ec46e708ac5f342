/**
 * procsig/tree-kill's types as tree-kill's users compile them (issue 18): tiny consumer files in
 * a temp dir, compiled by tsc, importing `procsig/tree-kill` and — for comparison — `tree-kill`
 * itself, under the configurations those projects use:
 * - CommonJS + `moduleResolution: "node"` (node10: concurrently, tsup), with and without
 *   esModuleInterop (Angular CLI, nx and vscode-cmake-tools use `import * as` without it);
 * - node16 / nodenext, and bundler.
 * The forms that must compile are listed per configuration; and in every configuration each form
 * compiles for procsig/tree-kill exactly when it compiles for tree-kill.
 *
 * TypeScript 7 (this project's compiler) no longer has node10 resolution nor esModuleInterop
 * false, so those configurations run on TypeScript 5.9 (the `typescript5` dev dependency).
 * Needs the built dist/ (`npm run build:ts`).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = path.join(__dirname, '..');
const TSC7 = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
const TSC5 = path.join(repo, 'node_modules', 'typescript5', 'bin', 'tsc');

/** The import forms, each a consumer file's first line; the second line calls it. */
const FORMS = {
  'import = require': (m: string) => `import treeKill = require('${m}');\ntreeKill(1234, 'SIGKILL', (err) => { if (err) throw err; });\n`,
  'import * as': (m: string) => `import * as treeKill from '${m}';\ntreeKill(1234);\n`,
  'default import': (m: string) => `import treeKill from '${m}';\ntreeKill(1234, (err) => { if (err) throw err; });\n`,
} as const;
type Form = keyof typeof FORMS;
const MODULES = { procsig: 'procsig/tree-kill', 'tree-kill': 'tree-kill' } as const;

interface Config {
  name: string;
  tsc: string;
  options: Record<string, unknown>;
  /** Forms that must compile for procsig/tree-kill. */
  mustCompile: Form[];
}
const CONFIGS: Config[] = [
  {
    name: 'TS 5.9, commonjs, moduleResolution node (node10), no esModuleInterop',
    tsc: TSC5,
    options: { module: 'commonjs', moduleResolution: 'node', esModuleInterop: false },
    mustCompile: ['import = require', 'import * as'],
  },
  {
    name: 'TS 5.9, commonjs, moduleResolution node (node10), esModuleInterop',
    tsc: TSC5,
    options: { module: 'commonjs', moduleResolution: 'node', esModuleInterop: true },
    mustCompile: ['import = require', 'default import'],
  },
  {
    name: 'TS 5.9, node16, no esModuleInterop',
    tsc: TSC5,
    options: { module: 'node16', moduleResolution: 'node16', esModuleInterop: false },
    mustCompile: ['import = require', 'import * as'],
  },
  {
    name: 'TS 7, nodenext',
    tsc: TSC7,
    options: { module: 'nodenext', moduleResolution: 'nodenext' },
    mustCompile: ['import = require', 'default import'],
  },
  {
    name: 'TS 7, commonjs, moduleResolution bundler',
    tsc: TSC7,
    options: { module: 'commonjs', moduleResolution: 'bundler' },
    mustCompile: ['import = require', 'default import'],
  },
];

let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-tk-types-'));
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(nm);
  // The package as a consumer installs it (dist/ and package.json are what is read), and
  // tree-kill as this repo has it.
  fs.symlinkSync(repo, path.join(nm, 'procsig'), 'dir');
  fs.symlinkSync(path.join(repo, 'node_modules', 'tree-kill'), path.join(nm, 'tree-kill'), 'dir');
  for (const [pkg, m] of Object.entries(MODULES)) {
    for (const [form, src] of Object.entries(FORMS)) fs.writeFileSync(path.join(dir, fileOf(pkg, form)), src(m));
  }
});
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function fileOf(pkg: string, form: string): string {
  return `${pkg.replace(/\W/g, '_')}__${form.replace(/\W/g, '_')}.ts`;
}

/** Compiles every consumer file under `c`; returns the files tsc reported errors in, with them. */
function compile(c: Config): Map<string, string[]> {
  const tsconfig = path.join(dir, `tsconfig.${CONFIGS.indexOf(c)}.json`);
  const files = Object.keys(MODULES).flatMap((pkg) => Object.keys(FORMS).map((form) => fileOf(pkg, form)));
  fs.writeFileSync(tsconfig, JSON.stringify({ compilerOptions: { target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, skipDefaultLibCheck: true, types: [], ...c.options }, files }));
  let out = '';
  try {
    execFileSync(process.execPath, [c.tsc, '-p', tsconfig, '--pretty', 'false'], { cwd: dir, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, LD_PRELOAD: '' } });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '') + String((e as { stderr?: string }).stderr ?? '');
  }
  const errors = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const m = /^([^(]+\.ts)\(\d+,\d+\): error (TS\d+)/.exec(line.trim());
    if (m) errors.set(path.basename(m[1]), [...(errors.get(path.basename(m[1])) ?? []), line.trim()]);
    else if (/error TS/.test(line)) errors.set('(config)', [...(errors.get('(config)') ?? []), line.trim()]);
  }
  return errors;
}

describe('procsig/tree-kill compiles wherever tree-kill does', () => {
  for (const c of CONFIGS) {
    it(c.name, { timeout: 120_000 }, () => {
      if (!fs.existsSync(c.tsc)) throw new Error(`no compiler at ${c.tsc}: run npm ci`);
      const errors = compile(c);
      expect(errors.get('(config)') ?? []).toEqual([]);
      // Nothing in procsig's own declaration files fails to compile.
      expect([...errors.keys()].filter((f) => !f.includes('__'))).toEqual([]);
      for (const form of c.mustCompile) expect(errors.get(fileOf('procsig', form)) ?? [], form).toEqual([]);
      for (const form of Object.keys(FORMS)) {
        const ours = errors.has(fileOf('procsig', form));
        const theirs = errors.has(fileOf('tree-kill', form));
        expect(ours, `${form}: procsig ${ours ? 'fails' : 'compiles'}, tree-kill ${theirs ? 'fails' : 'compiles'}: ${errors.get(fileOf('procsig', form))?.join(' ') ?? ''}`).toBe(theirs);
      }
    });
  }
});
