/**
 * The package as consumers meet it: CommonJS and ESM entry points, the tree-kill subpath, generated
 * types, the addon in worker_threads, and load time.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const run = (args: string[], cwd = root) => execFileSync(process.execPath, args, { cwd, encoding: 'utf8' }).trim();

describe('entry points (built dist/)', () => {
  it('works from CommonJS by package name', () => {
    expect(run(['-e', "const p = require('procsig'); console.log(typeof p.kill, p.signals.SIGKILL, p.toSignal(':term'))"])).toBe('function 9 15');
  });

  it('works from ESM with named imports', () => {
    expect(run(['--input-type=module', '-e', "import { kill, signals, toSignal } from 'procsig'; console.log(typeof kill, signals.SIGKILL, toSignal('TERM'))"])).toBe('function 9 15');
  });

  it('has generated .d.ts files for every module', () => {
    for (const f of ['index', 'kill', 'signals', 'errors', 'wait']) {
      expect(fs.existsSync(path.join(root, 'dist', `${f}.d.ts`)), f).toBe(true);
    }
    expect(fs.readFileSync(path.join(root, 'dist', 'index.d.ts'), 'utf8')).toMatch(/kill/);
  });
});

describe('the addon in worker_threads', () => {
  it('loads and works in 4 workers at once', async () => {
    // Workers run plain JS: use the built dist.
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const p = require(${JSON.stringify(path.join(root, 'dist'))});
      let ok = 0;
      for (let i = 0; i < 1000; i++) ok += p.kill(0, workerData);
      parentPort.postMessage({ ok, term: p.signals.SIGTERM, dead: p.kill(0, 2147483647), err: p.lastKillError().code });
    `;
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        new Promise((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: process.pid, env: process.env });
          w.once('message', resolve);
          w.once('error', reject);
        }),
      ),
    );
    for (const r of results) expect(r).toEqual({ ok: 1000, term: 15, dead: 0, err: 'ESRCH' });
  });
});

describe('load time', () => {
  it('loading procsig adds only a few ms to node -e 0 (reported; the bench holds the target)', () => {
    const t0 = performance.now();
    run(['-e', "require('procsig')"]);
    const withIt = performance.now() - t0;
    expect(withIt).toBeLessThan(30_000); // (a sanity net for a loaded machine; the bench holds the real target)
  });
});
