/**
 * The addon as a pure Node-API module: it imports no libuv symbol (so Bun, Deno and Electron can
 * load it), and its exit watcher — one thread per environment, reporting through a thread-safe
 * function — costs no thread per waiter and keeps the event loop alive exactly while something
 * is watched, as a libuv poll handle did.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForExit } from '../lib';
import { native } from '../lib/native';
import { cleanup, spawnShellSleepers, track } from './helpers';

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');
const extra: ChildProcess[] = [];

afterEach(() => {
  for (const c of extra.splice(0)) c.kill('SIGKILL');
  cleanup();
});

/** The procsig binary this process has loaded, from its own memory map. */
function loadedAddon(): string | undefined {
  void native.watchCount();
  const maps = fs.readFileSync('/proc/self/maps', 'utf8');
  return maps
    .split('\n')
    .map((l) => l.slice(l.indexOf('/')))
    .find((p) => p.startsWith('/') && p.endsWith('.node') && path.basename(p).startsWith('procsig'));
}

const hasNm = (() => {
  try {
    execFileSync('nm', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const threads = (): number => fs.readdirSync('/proc/self/task').length;

describe.skipIf(process.platform !== 'linux')('pure Node-API', () => {
  it.skipIf(!hasNm)('the loaded addon imports no libuv symbol', () => {
    const addon = loadedAddon();
    expect(addon).toBeDefined();
    const undef = execFileSync('nm', ['-D', '--undefined-only', addon!], { encoding: 'utf8' });
    expect(undef).toMatch(/\bnapi_/);
    expect(undef.split('\n').filter((l) => /\buv_/.test(l))).toEqual([]);
  });

  it('one watcher thread per environment, not one per waiter', async () => {
    const { sh, pids } = await spawnShellSleepers(200);
    extra.push(sh);
    const t0 = threads();
    const first = waitForExit(pids[0]!, { timeout: 30000 });
    const t1 = threads();
    // The thread starts with the first watch of this environment (or was already running).
    expect(t1 - t0).toBeLessThanOrEqual(1);
    const rest = pids.slice(1).map((p) => waitForExit(p, { timeout: 30000 }));
    expect(threads()).toBe(t1);
    for (const p of pids) process.kill(p, 'SIGKILL');
    await Promise.all([first, ...rest]);
    expect(native.watchCount()[0]).toBe(0);
  });

  it('an active wait keeps the event loop alive; a settled one does not', () => {
    // The sleep is unref'd and its stdio ignored: only procsig's watch can keep node running.
    const script = (sleepS: number, wait: string) => `
      const { spawn } = require('node:child_process');
      const p = require(${JSON.stringify(dist)});
      const c = spawn('sleep', ['${sleepS}'], { stdio: 'ignore' });
      c.unref();
      process.on('exit', () => { try { c.kill('SIGKILL'); } catch {} });
      const t0 = Date.now();
      ${wait}.then(
        () => console.log('resolved', Date.now() - t0),
        (e) => console.log('rejected', e.name, Date.now() - t0),
      );`;
    const t0 = Date.now();
    const kept = execFileSync(process.execPath, ['-e', script(0.4, 'p.waitForExit(c.pid)')], { encoding: 'utf8' }).trim();
    expect(kept).toMatch(/^resolved \d+$/);
    expect(Number(kept.split(' ')[1])).toBeGreaterThanOrEqual(300);
    // Aborted after 50 ms while the sleep lives on for 30 s: nothing holds the loop any more.
    const t1 = Date.now();
    const gone = execFileSync(process.execPath, ['-e', script(30, 'p.waitForExit(c.pid, { signal: AbortSignal.timeout(50) })')], {
      encoding: 'utf8',
      timeout: 20000,
    }).trim();
    expect(gone).toMatch(/^rejected TimeoutError \d+$/);
    expect(Date.now() - t1).toBeLessThan(10000);
    expect(t1 - t0).toBeGreaterThanOrEqual(300);
  });
});
