/**
 * The layers of lib/ (docs/internals.md, "Layers"), enforced: which file may import which, that no
 * two files import each other (even through others), and that only lib/native.ts loads the addon.
 * A pure check of the sources: it reads every lib/ file's imports, it starts no process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const lib = path.join(__dirname, '..', 'lib');

/**
 * Each lib file's layer: a file may import files of its own layer or below, never above. The
 * first matching pattern wins (so the job files that handles and trees use sit below `job/`).
 */
const LAYERS: Array<[layer: number, name: string, pattern: RegExp]> = [
  [0, 'boundary', /^native\.ts$/],
  [1, 'base', /^(errors|signals|validate|procfs)\.ts$/],
  [2, 'syscalls', /^(kill|wait-status)\.ts$|^job\/(helper|env|types)\.ts$/],
  [3, 'mechanisms', /^(wait|handle[\w-]*)\.ts$|^tree\/|^tree\.ts$|^job\/(death-signal|backend|mountinfo|shared)\.ts$/],
  [4, 'policies', /^terminate\.ts$|^job\/(?!programs\/)/],
  [5, 'entries', /^(index|tree-kill|cli)\.ts$|^cli\//],
];

/** Programs run by path (`node dist/job/programs/x.js`), not modules: they may import only these. */
const PROGRAMS = /^job\/programs\//;
const PROGRAM_IMPORTS = new Set(['job/env.ts']);

/**
 * The files that call the addon through lib/native.ts's `native` (the syscall layer and the
 * backends that own one OS mechanism each). Everything above them goes through their functions.
 */
const NATIVE_CALLERS = /^(errors|signals|kill|wait|handle[\w-]*)\.ts$|^tree\/(table|linux|wait)\.ts$|^job\/(index|win32)\.ts$/;

function listFiles(dir = lib, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) listFiles(p, out);
    else if (e.name.endsWith('.ts')) out.push(path.relative(lib, p).split(path.sep).join('/'));
  }
  return out.sort();
}

/** Value imports only (`import type` and `export type` create no runtime edge), resolved to files. */
function importsOf(file: string): { imports: string[]; source: string } {
  const source = fs.readFileSync(path.join(lib, file), 'utf8');
  const specs = new Set<string>();
  for (const m of source.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+'(\.[^']+)'/gms)) if (!m[1]) specs.add(m[2]);
  for (const m of source.matchAll(/(?:require|import)\(\s*'(\.[^']+)'\s*\)/g)) specs.add(m[1]);
  const imports: string[] = [];
  for (const spec of specs) {
    const t = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
    if (t.startsWith('..')) continue; // package.json and other files outside lib/
    if (fs.existsSync(path.join(lib, `${t}.ts`))) imports.push(`${t}.ts`);
    else if (fs.existsSync(path.join(lib, t, 'index.ts'))) imports.push(`${t}/index.ts`);
    else throw new Error(`${file}: cannot resolve ${spec}`);
  }
  return { imports, source };
}

const layerOf = (file: string) => LAYERS.find(([, , re]) => re.test(file));
const files = listFiles();
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('the layers of lib/', () => {
  it('imports Node built-ins with `import x = require(...)` or by name, never as a namespace', () => {
    // esbuild turns `import * as fs from 'node:fs'` into a copy of every property of the module
    // at load time (its __toESM helper): 1.5 ms of the package's start for 14 such imports.
    const namespaced = files.filter((f) => /^import \* as \w+ from 'node:/m.test(graph.get(f)!.source));
    expect(namespaced).toEqual([]);
  });

  it('every lib file has a layer (or is a program)', () => {
    expect(files.filter((f) => !PROGRAMS.test(f) && !layerOf(f))).toEqual([]);
  });

  it('no file imports a file of a higher layer', () => {
    const wrong: string[] = [];
    for (const [f, { imports }] of graph) {
      if (PROGRAMS.test(f)) continue;
      const [mine, name] = layerOf(f)!;
      for (const t of imports) {
        const [theirs, theirName] = layerOf(t) ?? [99, 'program'];
        if (theirs > mine) wrong.push(`${f} (${name}) imports ${t} (${theirName})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('no import cycle (value imports), so every module is complete when its importers run', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const t of graph.get(f)!.imports) {
        if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t].join(' → '));
        else if (!state.has(t)) visit(t);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  // dist/job-backends.js is a bundle of its own (lib/job/lazy.ts): whatever it imported from the
  // rest of lib/ directly would be a second copy there, with its own state and classes.
  it("Job's backends reach the rest of lib/ only through job/shared.ts", () => {
    const backends = new Set<string>();
    const visit = (f: string): void => {
      if (backends.has(f) || f === 'job/shared.ts') return;
      backends.add(f);
      for (const t of graph.get(f)!.imports) if (/^job\/(?!index\.ts$|lazy\.ts$)/.test(t) || t === 'job/shared.ts') visit(t);
    };
    visit('job/backends.ts');
    expect([...backends].sort()).toEqual(['job/backend.ts', 'job/backends.ts', 'job/cgroup.ts', 'job/env.ts', 'job/mountinfo.ts', 'job/pgroup.ts', 'job/select.ts', 'job/watchdog.ts', 'job/win32.ts']);
    const outside = [...backends].flatMap((f) => graph.get(f)!.imports.filter((t) => !backends.has(t) && t !== 'job/shared.ts').map((t) => `${f} → ${t}`));
    expect(outside).toEqual([]);
    // and only job/lazy.ts imports them (programs aside: they are bundles of their own), so that
    // the split point is the one place that loads them
    const importers = [...graph].filter(([f, { imports }]) => !backends.has(f) && !PROGRAMS.test(f) && imports.some((t) => backends.has(t))).map(([f]) => f);
    expect(importers).toEqual(['job/lazy.ts']);
  });

  it('programs import only what they are allowed (they run outside the module graph)', () => {
    const wrong = [...graph].filter(([f]) => PROGRAMS.test(f)).flatMap(([f, { imports }]) => imports.filter((t) => !PROGRAM_IMPORTS.has(t)).map((t) => `${f} → ${t}`));
    expect(wrong).toEqual([]);
  });

  it('only lib/native.ts loads the addon; only the syscall layer and the backends call it', () => {
    const loads = [...graph].filter(([f, { source }]) => f !== 'native.ts' && !PROGRAMS.test(f) && /require\([^)]*(\.node\b|nativePath|addon)/.test(source)).map(([f]) => f);
    expect(loads, 'files that require the binary themselves').toEqual([]);
    // (Job's backends reach `native` through job/shared.ts)
    const callers = [...graph].filter(([, { imports, source }]) => (imports.includes('native.ts') || imports.includes('job/shared.ts')) && /\bnative\.\w+\(/.test(source)).map(([f]) => f);
    expect(callers.filter((f) => !NATIVE_CALLERS.test(f)), 'files calling the addon outside the syscall layer and the backends').toEqual([]);
  });
});
