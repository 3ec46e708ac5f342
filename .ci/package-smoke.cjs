'use strict';
// Smoke of an *installed* procsig (run from a consumer directory by .ci/package.sh):
//   node package-smoke.cjs <expected addon path suffix> [--no-job]
// Proves which binary node-gyp-build picked, then exercises the addon's main paths: counted kill,
// signal forms, waitpid of a real child, handle kill-and-wait, waitForExit, killTree, a Job (its
// exec helper from prebuilds/…/helpers/ on Linux) and the CLI. Every process it starts is its own
// child and is reaped before it exits.
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');

const expected = process.argv[2];
const noJob = process.argv.includes('--no-job');
const pkgDir = path.dirname(require.resolve('procsig/package.json'));
const p = require('procsig');

(async () => {
  const addon = require(require.resolve('node-gyp-build', { paths: [pkgDir] })).resolve(pkgDir);
  const rel = path.relative(pkgDir, addon);
  console.log(`smoke: ${process.version} ${process.platform}-${process.arch}: addon ${rel}`);
  if (expected) assert.equal(rel, expected);

  // counted kill, signal forms
  assert.equal(p.kill(0, process.pid), 1);
  assert.equal(p.signals.SIGTERM, 15);
  assert.equal(p.toSignal('TERM'), 15);
  assert.equal(p.toSignal(9), 9);

  // a child: handle kill with wait -> SIGKILL (137 in shell terms)
  const c1 = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const h = p.ProcessHandle.fromChild(c1);
  const st = await h.kill('SIGKILL', { wait: true });
  assert.equal(st && st.signal, 'SIGKILL');
  h.close();

  // waitForExit of a process by pid
  const c2 = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 100)'], { stdio: 'ignore' });
  const r = await p.waitForExit(c2.pid, { timeout: 10_000 });
  assert.ok(r);

  // killTree: a child with a grandchild (the child prints the grandchild's pid once it exists)
  const c3 = spawn(process.execPath, ['-e', `const g = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); g.on('spawn', () => console.log(g.pid)); setInterval(() => {}, 1000)`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const grandchild = await new Promise((res, rej) => {
    let buf = '';
    c3.stdout.on('data', (d) => { buf += d; if (buf.includes('\n')) res(Number(buf.trim())); });
    c3.once('exit', () => rej(new Error('killTree fixture exited early')));
  });
  const kt = await p.killTree(c3.pid, 'SIGKILL', { timeout: 10_000 });
  assert.ok(kt.signalled.includes(c3.pid) && kt.signalled.includes(grandchild), `killTree signalled ${JSON.stringify(kt)}`);
  await new Promise((res) => (c3.exitCode !== null || c3.signalCode !== null ? res() : c3.once('exit', res)));

  if (!noJob && process.platform === 'linux') {
    const helper = p.Job._diagnostics().execHelper;
    console.log(`smoke: job exec helper ${helper && path.relative(pkgDir, helper)}`);
    if (rel.startsWith('prebuilds')) assert.equal(helper, path.join(path.dirname(addon), 'helpers', 'procsig-job-exec'));
    const job = p.Job.create();
    const { child } = job.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((res) => setTimeout(res, 200));
    assert.deepEqual(job.pids().includes(child.pid), true);
    await job.kill('SIGKILL');
    await job.wait({ timeout: 10_000 });
    await job.close();
    console.log(`smoke: job backend ${job.backend}`);
    // The Node programs (the intermediate, the watchdog) are found in the installed dist/.
    const { programs } = p.Job._diagnostics();
    for (const name of ['intermediate-linux', 'intermediate-win32', 'watchdog']) {
      assert.equal(programs[name], path.join(pkgDir, 'dist', 'job', 'programs', `${name}.js`), `program ${name}`);
    }
    if (job.backend === 'cgroup2') {
      // An install without the exec helper: the Node intermediate joins the group.
      process.env.PROCSIG_JOB_EXEC = 'node';
      try {
        const j2 = p.Job.create();
        const c2 = j2.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }).child;
        const end = Date.now() + 10_000;
        while (!j2.pids().includes(c2.pid) && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
        assert.deepEqual(j2.pids().includes(c2.pid), true, 'the Node intermediate joined the group');
        await j2.close();
        console.log('smoke: job through the Node intermediate');
      } finally {
        delete process.env.PROCSIG_JOB_EXEC;
      }
    }
  }

  // the CLI
  const bin = path.join(pkgDir, 'dist', 'cli.js');
  const out = execFileSync(process.execPath, [bin, 'signals'], { encoding: 'utf8' });
  assert.match(out, /SIGTERM/);
  console.log('smoke: ok');
})().catch((e) => {
  console.error('smoke: FAILED', e);
  process.exit(1);
});
