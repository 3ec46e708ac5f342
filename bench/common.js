'use strict';
// Shared bench helpers: spawning sleepers, timing, a compiled C helper, formatting.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const fixture = (name) => path.join(__dirname, '..', 'test', 'fixtures', name);

/** Spawns n sleeper processes and resolves with their ChildProcess objects once all are ready. */
async function sleepers(n, args = []) {
  const kids = [];
  await Promise.all(
    Array.from({ length: n }, () => {
      const c = spawn(process.execPath, [fixture('sleeper.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      kids.push(c);
      return new Promise((r) => c.stdout.once('data', r));
    }),
  );
  return kids;
}

/** A pid that is certainly gone (a child that exited and was reaped). */
async function deadPid() {
  const c = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => c.once('exit', r));
  return c.pid;
}

/** Best-of-`rounds` nanoseconds per call of fn(), run `iters` times a round. */
function nsPerCall(fn, iters = 200_000, rounds = 7) {
  for (let i = 0; i < Math.min(iters, 20_000); i++) fn(); // warm up
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) fn();
    const dt = Number(process.hrtime.bigint() - t0) / iters;
    if (dt < best) best = dt;
  }
  return best;
}

/** Compiles bench/c/<name>.c with cc into a temp dir (once) and returns the binary's path. */
function compileC(name) {
  const out = path.join(os.tmpdir(), `procsig-bench-${name}-${process.getuid?.() ?? 0}`);
  const src = path.join(__dirname, 'c', `${name}.c`);
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(src).mtimeMs) {
    execFileSync('cc', ['-O2', '-o', out, src]);
  }
  return out;
}

const fmt = (ns) => (Math.abs(ns) >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : Math.abs(ns) >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log('  ' + r.map((c, i) => String(c).padEnd(widths[i])).join('  '));
}

module.exports = { fixture, sleepers, deadPid, nsPerCall, compileC, fmt, ratio, table };
