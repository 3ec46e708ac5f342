// Helpers for the Windows tests (run by `npm run test:win32` with Windows Node under wine, or
// with `node --test test/win32/` on a real Windows machine). Plain JS: node:test + node:assert,
// against the built package in dist/.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const procsig = require('../../dist');

const fixture = (name) => path.join(__dirname, '..', 'fixtures', name);

/** Wine runs Windows binaries on Linux; a few Win32 corner cases behave differently there. */
const underWine =
  process.env.PROCSIG_UNDER_WINE === '1' ||
  // wine installs its own tools as fake system32 binaries; real Windows has no winecfg.exe.
  fs.existsSync(path.join(process.env.SystemRoot || 'C:\\windows', 'system32', 'winecfg.exe'));

const started = new Set();

/** Spawns a fixture with process.execPath; resolves once it printed "ready ...". */
function spawnFixture(name, args = []) {
  const child = spawn(process.execPath, [fixture(name), ...args], { stdio: ['pipe', 'pipe', 'inherit'], windowsHide: true });
  if (child.pid) started.add(child.pid);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i < 0) return;
      child.stdout.off('data', onData);
      const words = buf.slice(0, i).trim().split(/\s+/);
      if (words[0] !== 'ready') return reject(new Error(`fixture ${name} said: ${buf}`));
      const ready = words.slice(1).map(Number);
      for (const p of ready) started.add(p);
      resolve({ child, pid: child.pid, ready, exited });
    };
    child.stdout.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code, sig) => reject(new Error(`fixture ${name} exited early (${code ?? sig})`)));
  });
}

/**
 * Is a pid alive, according to libuv (process.kill(pid, 0): OpenProcess + GetExitCodeProcess),
 * which is independent of procsig's own code.
 */
function osAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if (e.code === 'ESRCH') return false;
    if (e.code === 'EPERM') return true;
    throw e;
  }
}

/** Polls until `pid` is dead by libuv's account, or throws after `ms`. */
async function waitDead(pid, ms = 10000) {
  const end = Date.now() + ms;
  while (osAlive(pid)) {
    if (Date.now() > end) throw new Error(`pid ${pid} still alive after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A pid that names no process right now (by libuv's account). Windows pids are multiples of 4. */
function unusedPid() {
  for (let pid = 0x3ffff0; pid > 0x100000; pid -= 4) {
    if (!osAlive(pid)) return pid;
  }
  throw new Error('no unused pid found');
}

/** Kills (TerminateProcess via libuv) everything the current test started. */
function cleanup() {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  started.clear();
}

/** Records pids a test learnt about some other way (a tree's members), for cleanup. */
function track(...pids) {
  for (const p of pids) if (p > 0) started.add(p);
}

const has = (name) => typeof procsig[name] === 'function';

module.exports = { procsig, fixture, spawnFixture, osAlive, waitDead, unusedPid, cleanup, track, underWine, has };
