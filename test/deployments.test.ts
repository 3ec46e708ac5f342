// Deployments where /proc cannot show everything (issue 13, items 5 and 6): an exhausted fd
// table, /proc mounted hidepid=2, /proc not mounted. In each, every reader must either answer
// completely or fail with a typed error — never an empty or short answer that reads as "gone".
// The fixtures run in their own processes (prlimit, unshare --mount, setpriv), and every pid they
// start is written to a file that afterEach reads to clean up.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { HandleCap, native } from '../lib/native';
import { procListsAll } from '../lib/procfs';
import { cleanup, fixture, isRoot, stageForOtherUid, track } from './helpers';

const linux = process.platform === 'linux';

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let treeFile = '';
let seenLines = 0;
let watcher: ReturnType<typeof setInterval> | undefined;

/**
 * Tracks each pid the fixtures write to the tree file as soon as it appears (its start time read
 * then, while it is surely the process that was written): a pid read only at the end of the test
 * may have exited and been handed to another process meanwhile (a suite running beside this one),
 * and cleanup would then kill that process.
 */
function trackNewPids(): void {
  if (!treeFile || !fs.existsSync(treeFile)) return;
  const lines = fs.readFileSync(treeFile, 'utf8').split('\n').filter(Boolean);
  track(...lines.slice(seenLines).map(Number));
  seenLines = lines.length;
}

function newTreeFile(): string {
  treeFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-deploy-')), 'pids');
  fs.writeFileSync(treeFile, '');
  fs.chmodSync(path.dirname(treeFile), 0o777);
  fs.chmodSync(treeFile, 0o666);
  seenLines = 0;
  watcher = setInterval(trackNewPids, 5);
  return treeFile;
}

afterEach(() => {
  if (watcher) clearInterval(watcher);
  watcher = undefined;
  trackNewPids();
  cleanup();
  if (treeFile) fs.rmSync(path.dirname(treeFile), { recursive: true, force: true });
  treeFile = '';
});

/** Runs argv, resolves with the JSON line the fixture printed. */
function runJson(argv: string[], env: NodeJS.ProcessEnv): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        const r = JSON.parse(out.trim().split('\n').pop() ?? '');
        if (r.crashed) reject(new Error(`fixture crashed: ${JSON.stringify(r.crashed)}`));
        else resolve(r);
      } catch {
        reject(new Error(`fixture exited ${code} with: ${out}`));
      }
    });
  });
}

const fdSkip = !linux ? 'Linux only' : !have('prlimit') ? 'prlimit (util-linux) is not installed' : null;

describe.skipIf(fdSkip !== null)(`an exhausted fd table never turns into a wrong answer${fdSkip ? ` — skipped: ${fdSkip}` : ''}`, () => {
  // Where /proc hides processes from this runner (the hidepid lane), the list readers refuse
  // before they open anything: that typed error is an acceptable answer too.
  const acceptable = (e: { code?: string; processError?: boolean; name?: string }): boolean =>
    (e.processError === true && (e.code === 'EMFILE' || e.code === 'ENFILE')) ||
    (e.name === 'ProcUnavailableError' && !procListsAll());

  for (const free of [0, 1, 2]) {
    it(`with ${free} free fd${free === 1 ? '' : 's'}: complete answers or EMFILE, never a short list or a false exit`, async () => {
      const r = await runJson(['prlimit', '--nofile=64:64', process.execPath, fixture('fd-pressure.js'), String(free)], { PROCSIG_TREE_FILE: newTreeFile() });
      const res = r.results;
      for (const name of ['snapshot', 'descendants', 'processTree']) {
        if (res[name].ok) expect(res[name].value.missing, name).toEqual([]);
        else expect(acceptable(res[name].error), `${name}: ${JSON.stringify(res[name].error)}`).toBe(true);
      }
      // The first use of each API under EMFILE: a typed error at worst, never Node's require error.
      if (res.probe.ok) expect(res.probe.value).toBe('alive');
      else expect(acceptable(res.probe.error), JSON.stringify(res.probe.error)).toBe(true);
      if (!res.handleOpen.ok) expect(acceptable(res.handleOpen.error), JSON.stringify(res.handleOpen.error)).toBe(true);
      // waitForExit falls back to polling: it resolves, and only after the child's 400 ms.
      expect(res.waitForExit.ok, JSON.stringify(res.waitForExit)).toBe(true);
      expect(res.waitForExit.value.afterMs).toBeGreaterThanOrEqual(350);
      // killTree: an error (nothing claimed), or a claim of death that holds.
      if (res.killTree.ok) {
        if (res.killTree.value.dead) expect(r.aliveAfter).toEqual([]);
      } else {
        expect(acceptable(res.killTree.error), JSON.stringify(res.killTree.error)).toBe(true);
      }
    });
  }
});

const nsSkip = !linux
  ? 'Linux only'
  : !isRoot
    ? 'mounting /proc in a mount namespace needs root'
    : !have('unshare') || !have('setpriv')
      ? 'unshare/setpriv (util-linux) are not installed'
      : (() => {
          try {
            execFileSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt'], { stdio: 'ignore' });
            return null;
          } catch {
            return 'unshare --mount is not permitted here (no CAP_SYS_ADMIN)';
          }
        })();

describe.skipIf(nsSkip !== null)(`/proc that cannot show every process${nsSkip ? ` — skipped: ${nsSkip}` : ''}`, () => {
  it('hidepid=2, as uid 65534: a hidden member gives ERR_PROC_HIDDEN, never an empty tree or dead: true', async () => {
    // An execute-only copy of bash: a process that execs it is not dumpable, so hidepid=2 hides
    // it even from its own uid — a child of R that the runner cannot see.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-xonly-'));
    const xonly = path.join(dir, 'bash');
    fs.copyFileSync('/bin/bash', xonly);
    fs.chmodSync(xonly, 0o111);
    fs.chmodSync(dir, 0o711);
    // uid 65534 cannot read a checkout in a private (0700) directory: it runs a staged copy.
    const staged = stageForOtherUid();
    onTestFinished(() => staged.remove());
    try {
      const r = await runJson(
        [
          'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c',
          'mount -t proc -o hidepid=2 proc /proc && exec setpriv --reuid=65534 --regid=65534 --clear-groups -- "$0" "$@"',
          process.execPath, staged.fixture('proc-restricted.js'), 'hidden', xonly,
        ],
        { PROCSIG_TREE_FILE: newTreeFile(), PROCSIG_DIST: staged.index, PROCSIG_NATIVE: staged.addon },
      );
      const res = r.results;
      const hidden = (x: { ok: boolean; error?: { code?: string } }): string | undefined => (x.ok ? 'ok' : x.error?.code);
      expect(hidden(res.snapshot)).toBe('ERR_PROC_HIDDEN');
      expect(hidden(res.processTree)).toBe('ERR_PROC_HIDDEN');
      // descendants reads R's own child list, which names the hidden child: the walk fails on it —
      // or, on a loaded machine where the child had not yet exec'd the execute-only bash (still
      // visible), answers completely. Never a short list.
      if (res.descendants.ok) {
        expect(res.descendants.value).toEqual(expect.arrayContaining([r.child, r.grandchild]));
      } else {
        expect(res.descendants.error).toMatchObject({ code: 'ERR_PROC_HIDDEN', name: 'ProcUnavailableError' });
        // It names the member whose read failed (the hidden child, as far as seen).
        expect([r.root, r.child, r.grandchild].some((p) => res.descendants.error.message.endsWith(`pid ${p})`)), res.descendants.error.message).toBe(true);
      }
      // The child exists: probe asks a pidfd where /proc hides the state; without pidfds it
      // cannot tell alive from zombie and says why.
      if (process.env.PROCSIG_NO_PIDFD !== '1' && hasPidfd()) expect(res.probeChild).toEqual({ ok: true, value: 'alive' });
      else expect(res.probeChild.error?.code).toBe('ERR_PROC_HIDDEN');
      // killTree refuses before signalling anything: the setsid grandchild (child of the hidden
      // process) would otherwise be missed while the result said dead: true.
      expect(hidden(res.killTree)).toBe('ERR_PROC_HIDDEN');
      expect(r.aliveAfter).toEqual([r.root, r.child, r.grandchild]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('/proc not mounted: ERR_PROC_NOT_MOUNTED instead of [] or ESRCH; probe, waitForExit and a cgroup2 Job still work', async () => {
    const r = await runJson(
      ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount -t tmpfs tmpfs /proc && exec "$0" "$@"', process.execPath, fixture('proc-restricted.js'), 'empty'],
      { PROCSIG_TREE_FILE: newTreeFile() },
    );
    const res = r.results;
    for (const name of ['snapshot', 'descendants', 'killTree', 'jobTree']) {
      expect(res[name].ok, name).toBe(false);
      expect(res[name].error, name).toMatchObject({ name: 'ProcUnavailableError', code: 'ERR_PROC_NOT_MOUNTED' });
    }
    const pidfds = process.env.PROCSIG_NO_PIDFD !== '1' && hasPidfd();
    if (pidfds) {
      expect(res.probeZombie).toEqual({ ok: true, value: 'zombie' });
      expect(res.probeLive).toEqual({ ok: true, value: 'alive' });
      expect(res.waitForExit.ok).toBe(true);
      expect(res.waitForExit.value).toBeGreaterThanOrEqual(350);
    } else {
      // Without pidfds nothing can tell a zombie from a live process here: an error, not a guess.
      expect(res.probeZombie.error?.code, JSON.stringify(res)).toBe('ERR_PROC_NOT_MOUNTED');
    }
    // Job.create() finds its cgroup2 group without /proc, or says why; never a silent 'tree'.
    if (res.jobWait.ok) {
      expect(res.jobWait.value.backend).toBe('cgroup2');
      expect(res.jobWait.value.ms).toBeGreaterThanOrEqual(350);
    } else {
      expect(res.jobWait.error.code).toBe('ERR_PROC_NOT_MOUNTED');
    }
  });
});

function hasPidfd(): boolean {
  return (native.handleProbe() & HandleCap.Fd) !== 0;
}
