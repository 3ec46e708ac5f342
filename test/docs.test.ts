/**
 * docs/api.md documents every export: each runtime export of `dist/index.js` (and the default
 * export of `dist/tree-kill.js`) has a heading that names it, and each exported type is named
 * somewhere in the reference. Build first: `npm run build:ts`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const api = fs.readFileSync(path.join(root, 'docs', 'api.md'), 'utf8');
const headings = api.split('\n').filter((l) => /^#{1,5} /.test(l));
/**
 * A heading documents `name` when it shows it in code, as the first word of a code span:
 * `` ### `kill(signal, ...pids)` ``, `` ### `class Job` ``, `` ### `ProcessHandle.open(pid)` ``.
 */
const hasHeading = (name: string) => headings.some((h) => new RegExp(`\`(class |function |async |new |default )?${name}(?![\\w$])`).test(h));

describe('docs/api.md', () => {
  const runtime = Object.keys(require(path.join(root, 'dist', 'index.js')) as object).filter((k) => k !== '__esModule');

  it('the package exports what it should (sanity)', () => {
    expect(runtime).toEqual(expect.arrayContaining(['kill', 'signals', 'killTree', 'ProcessHandle', 'terminate', 'Job', 'waitForExit']));
  });

  it.each(runtime)('has a heading for the export %s', (name) => {
    expect(hasHeading(name), `no heading names ${name}`).toBe(true);
  });

  it('documents procsig/tree-kill (its default export)', () => {
    const treeKill = require(path.join(root, 'dist', 'tree-kill.js')) as { name: string };
    expect(typeof treeKill).toBe('function');
    expect(headings.some((h) => h.includes('procsig/tree-kill')), 'a heading for procsig/tree-kill').toBe(true);
    expect(api).toMatch(/treeKill\(/);
  });

  it('names every exported type', () => {
    const dts = fs.readFileSync(path.join(root, 'dist', 'index.d.ts'), 'utf8');
    const types = [...dts.matchAll(/export type \{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((s) => s.trim()).filter(Boolean));
    expect(types.length).toBeGreaterThan(5);
    for (const t of types) expect(api, `type ${t}`).toMatch(new RegExp(`\\b${t}\\b`));
  });

  it('documents every command of the CLI', () => {
    for (const cmd of ['signals', 'kill', 'tree', 'terminate', 'wait', 'alive', 'demo']) {
      expect(headings.some((h) => h.includes(`\`procsig ${cmd}`)), cmd).toBe(true);
    }
  });

  it('has a table of contents whose links point at headings', () => {
    const slug = (h: string) =>
      h
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-');
    const slugs = new Set(headings.map(slug));
    const links = [...api.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(5);
    for (const l of links) expect(slugs.has(l), l).toBe(true);
  });
});
