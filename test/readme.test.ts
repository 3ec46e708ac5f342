/**
 * The README works as printed: its first commands are the ones a newcomer needs, every ```js
 * block that starts with `// example:` runs (as an ES module, against the built package, which
 * `procsig` resolves to inside the repository) and exits 0, the demo output it shows has the
 * shape `procsig demo` prints, and every command of its CLI section exists.
 * Build first: `npm run build:ts`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hiddenNote, procHiddenSkip } from './helpers';

const root = path.join(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

/** Fenced blocks of the README: language and body. */
const blocks = [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2], at: m.index! }));
const examples = blocks.filter((b) => b.lang === 'js' && b.body.startsWith('// example:'));

const groups = new Set<number>();
afterEach(() => {
  // Each example runs as the leader of its own process group: whatever it left behind (when it
  // failed half-way) is killed with the group.
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // the group is empty: the example cleaned up after itself
    }
  }
  groups.clear();
});

function run(file: string, args: string[], timeout = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(file, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    groups.add(c.pid!);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d));
    c.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), timeout);
    c.once('error', reject);
    c.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README.md', () => {
  it('starts with what procsig is, then npm install, npm test, then npx procsig demo', () => {
    const sh = blocks.filter((b) => b.lang === 'sh');
    expect(sh[0].body).toBe('npm install\nnpm test\n');
    expect(sh[1].body).toBe('npx procsig demo\n');
    expect(readme.indexOf('npm install')).toBeLessThan(readme.indexOf('## Why'));
    expect(readme.split('\n')[0]).toBe('# procsig');
  });

  it('has a runnable example for each seed use case', () => {
    expect(examples.map((e) => e.body.split('\n')[0])).toEqual([
      '// example: Perl-style counted kill',
      '// example: group kill of a spawned child',
      '// example: tree kill',
      '// example: kill-and-wait with exit code 137',
      '// example: graceful terminate',
      '// example: Job',
    ]);
  });

  // Examples that list processes (killTree, a Job that may fall back to 'tree') refuse by design
  // where /proc hides processes (the hidepid lane).
  const needsLists = new Set(['tree kill', 'Job']);
  for (const e of examples) {
    const name = e.body.split('\n')[0].slice('// example: '.length);
    const skip = procHiddenSkip !== null && needsLists.has(name);
    it.skipIf(skip)(`example "${name}" runs and exits 0${skip ? hiddenNote : ''}`, async () => {
      const r = await run(process.execPath, ['--input-type=module', '-e', e.body]);
      expect(r.stderr.replace(/^ignoring SIGTERM\n/m, ''), r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(0);
    });
  }

  it.skipIf(procHiddenSkip !== null)(`shows the demo output in the shape \`procsig demo\` prints it${hiddenNote}`, async () => {
    const shown = blocks.find((b) => b.lang === '' && b.body.startsWith('procsig demo:'))!.body;
    const r = await run(process.execPath, [path.join(root, 'dist', 'cli.js'), 'demo']);
    expect(r.code).toBe(0);
    // Compare line by line with every number and the spacing before a timing blurred.
    const shape = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => l.replace(/\d+(\.\d+)?/g, 'N').replace(/\s+N(ms|s)$/, ' T').replace(/^total N(ms|s) /, 'total T '));
    expect(shape(r.stdout)).toEqual(shape(shown));
  });

  it('lists only commands that exist (each answers --help)', async () => {
    const section = readme.slice(readme.indexOf('## The `procsig` command'));
    const cmds = new Set([...section.matchAll(/^procsig (\w+)/gm)].map((m) => m[1]));
    expect(cmds.size).toBeGreaterThanOrEqual(7);
    for (const cmd of cmds) {
      const r = await run(process.execPath, [path.join(root, 'dist', 'cli.js'), cmd, '--help']);
      expect(r.code, cmd).toBe(0);
    }
  });

  it('links only files that exist', () => {
    for (const m of readme.matchAll(/\]\(((?:docs\/)?[\w./-]+\.md)\)/g)) expect(fs.existsSync(path.join(root, m[1])), m[1]).toBe(true);
  });
});
