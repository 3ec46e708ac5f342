// Exercises every native export of procsig.node with valid, edge and wrong-type arguments, many
// times, so that valgrind (.ci/valgrind.sh) can check the addon for leaks and memory errors.
//
//   PROCSIG_NATIVE=build-valgrind/Debug/procsig.node node test/memcheck/native-exports.js [rounds]
//
// It talks to the addon directly (not through lib/): the point is the C++ surface, including
// argument shapes lib/ never sends. Every process it signals is one it spawned itself (sleeper
// fixtures), or a pid above /proc/sys/kernel/pid_max, which names no process. It never signals
// pid 0, -1 or its own group, and never reaps a child that child_process owns (waits use
// WNOHANG|WNOWAIT, or block on a child it then lets child_process reap... see below).
// Exits 0 when every check passed; prints one line per export with its call count.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { spawn } = require('node:child_process');

const addonPath = process.env.PROCSIG_NATIVE;
if (!addonPath) {
  console.error('set PROCSIG_NATIVE to the procsig.node to check');
  process.exit(2);
}
const native = require(path.resolve(addonPath));
const rounds = Number(process.argv[2] || 40);
const fixture = path.join(__dirname, '..', 'fixtures', 'sleeper.js');
const pidMax = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
const NOPID = pidMax + 1; // a valid pid argument that can never exist
const SIGCONT = 18;
const WNOHANG = 1;
const WNOWAIT = 8;
const calls = new Map();
let failures = 0;

/** A failure object (native.h's convention): { errno, syscall, win32?, pid? }. */
const isFailure = (r) => typeof r === 'object' && r !== null && typeof r.syscall === 'string' && typeof r.errno === 'number' && r.errno !== 0;

function call(name, ...args) {
  calls.set(name, (calls.get(name) || 0) + 1);
  return native[name](...args);
}
/** A wrong-type call: the addon must throw a TypeError (or return undefined), never crash. */
function bad(name, ...args) {
  calls.set(name, (calls.get(name) || 0) + 1);
  try {
    native[name](...args);
  } catch (e) {
    if (!(e instanceof TypeError)) fail(`${name}: threw ${e && e.constructor && e.constructor.name}`);
  }
}
function fail(msg) {
  failures++;
  console.error('FAIL', msg);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}

const children = new Set();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function spawnSleeper() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.add(child);
    child.stdout.once('data', () => resolve(child));
    child.once('error', reject);
  });
}
const exited = (child) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r)));

// Wrong *types* only: the addon trusts lib/ for numeric ranges (NaN and huge numbers convert to
// 0 there, and pid 0 would mean this process's own group).
const WRONG = [undefined, null, 'x', {}, [], Symbol('s'), 1n, () => 1];

function tables() {
  const s = call('signalTable');
  check(Array.isArray(s.table) && s.table.length > 20, 'signalTable');
  for (const sig of [1, 15, 34, 64, 65, 1000, -1]) check(typeof call('signalDescription', sig) === 'string', 'signalDescription');
  for (const w of WRONG) bad('signalDescription', w);
  const e = call('errnoTable');
  check(Array.isArray(e) && e.length > 30, 'errnoTable');
  check(typeof call('handleProbe') === 'number', 'handleProbe');
  const c = call('watchCount');
  check(Array.isArray(c) && c.length === 2, 'watchCount');
}

function killing(pid) {
  check(call('kill', pid, 0) === undefined, 'kill 0');
  check(call('kill', pid, SIGCONT) === undefined, 'kill CONT');
  check(isFailure(call('kill', NOPID, 0)), 'kill NOPID');
  check(isFailure(call('kill', -NOPID, 0)), 'kill -NOPID');
  check(isFailure(call('kill', pid, 100000)), 'kill bad sig');
  for (const w of WRONG) bad('kill', w, 0);
  bad('kill', pid);
  for (const n of [0, 1, 3, 64]) {
    const pids = new Int32Array(n).fill(NOPID);
    if (n > 0) pids[0] = pid;
    const r = call('killMany', pids, 0);
    check(n <= 1 ? r === undefined : r.syscall === 'kill' && r.pid.length === n - 1 && r.errno.length === n - 1 && r.pid.every((p) => p === NOPID), `killMany ${n}`);
  }
  // A view with a byte offset.
  const buf = new Int32Array([NOPID, pid, NOPID, pid]).buffer;
  const v = call('killMany', new Int32Array(buf, 4, 2), 0);
  check(v !== undefined && v.pid.length === 1 && v.pid[0] === NOPID && v.errno[0] !== 0, 'killMany view');
  bad('killMany', new Uint32Array(1), 0);
  bad('killMany', [pid], 0);
  bad('killMany', new Int32Array(1));
  for (const w of WRONG) bad('killMany', w, 0);
  check(isFailure(call('killpg', NOPID, 0)), 'killpg NOPID');
  for (const w of WRONG) bad('killpg', w, 0);
}

function states(pid) {
  check(typeof call('processState', pid) === 'string', 'processState');
  check(call('processState', NOPID) === null, 'processState NOPID');
  check(typeof call('processStartTime', pid) === 'string', 'processStartTime');
  check(call('processStartTime', NOPID) === null, 'processStartTime NOPID');
  for (const w of WRONG) {
    bad('processState', w);
    bad('processStartTime', w);
  }
  const w1 = call('waitpid', pid, WNOHANG | WNOWAIT);
  check(Array.isArray(w1) && w1[0] === 0, 'waitpid peek running child');
  const w2 = call('waitpid', NOPID, WNOHANG);
  check(isFailure(w2), 'waitpid NOPID');
  for (const w of WRONG) bad('waitpid', w, WNOHANG);
}

function trees(pid) {
  const withNames = call('treeSnapshot', true);
  check(typeof withNames === 'object' && withNames.pid.length >= 2 && Array.isArray(withNames.name), 'treeSnapshot names');
  const cols = call('treeSnapshot', false);
  check(typeof cols === 'object' && cols.name === undefined, 'treeSnapshot');
  const kids = call('treeChildren', process.pid);
  check(kids === null || kids instanceof Int32Array, 'treeChildren');
  call('treeChildren', NOPID);
  for (const w of WRONG) bad('treeChildren', w);
  const pids = new Int32Array([pid, NOPID, process.pid]);
  const starts = new Float64Array([NaN, NaN, 12345]);
  const st = call('treeStates', pids, starts);
  check(st.alive === 1 && st.state[0] !== 0 && st.state[1] === 0 && st.state[2] === 0 && !Number.isNaN(st.start[0]), 'treeStates');
  // Empty arrays may have no backing store (a null data pointer): nothing is read from them.
  check(call('treeStates', new Int32Array(0), new Float64Array(0)).alive === 0, 'treeStates empty');
  bad('treeStates', pids, new Float64Array(1));
  bad('treeStates', pids);
  for (const w of WRONG) bad('treeStates', w, starts);
  // killTree's helpers: the list and reads by pid (Linux), getpgid / getsid batches.
  const group = cols.pgid[Array.from(cols.pid).indexOf(pid)];
  const listed = call('treeList');
  check(process.platform === 'linux' ? listed instanceof Int32Array && listed.includes(process.pid) : isFailure(listed), 'treeList');
  const read = call('treeRead', new Int32Array([pid, NOPID]));
  check(process.platform === 'linux' ? read.pid.length === 1 && read.pid[0] === pid : isFailure(read), 'treeRead');
  check(process.platform !== 'linux' || call('treeRead', new Int32Array(0)).pid.length === 0, 'treeRead empty');
  bad('treeRead', [1]);
  bad('treeRead', new Uint32Array(1));
  const pgids = call('treePgids', new Int32Array([pid, NOPID]));
  check(pgids[1] === -1 && (pgids[0] === group || process.platform === 'win32'), 'treePgids');
  check(call('treePgids', new Int32Array(0)).length === 0, 'treePgids empty');
  const sids = call('treeSids', new Int32Array([pid, NOPID]));
  // getsid(2) answers 0 where the session leader is outside this PID namespace (a CI runner's
  // container): compare with the snapshot's sid column instead of assuming a positive id.
  const session = cols.sid[Array.from(cols.pid).indexOf(pid)];
  check(sids[1] === -1 && (sids[0] === session || process.platform === 'win32'), 'treeSids');
  for (const w of WRONG) {
    bad('treePgids', w);
    bad('treeSids', w);
    bad('treeRead', w);
  }
}

// valgrind 3.19 (Debian 12) does not know pidfd_open(2): under it handleProbe() reports no
// pidfd support and handleOpen() fails with ENOSYS, so only the pid + start-time paths and the
// error paths of the pidfd exports run there (the ASan lane covers the pidfd paths).
const PIDFD = (native.handleProbe() & 1) !== 0;

function handlesWithoutPidfd(pid) {
  check(isFailure(call('handleOpen', pid)), 'handleOpen without pidfds fails');
  check(isFailure(call('handleSignal', -1, 0)), 'handleSignal -1');
  call('handleQuery', -1, true);
  check(call('handleClose', -1) === undefined, 'handleClose -1');
  check(isFailure(call('handleClose', 12345)), 'handleClose foreign fd');
  check(isFailure(call('watchExit', -1, pid, () => fail('watcher without an fd fired'))), 'watchExit -1');
  check(isFailure(call('watchCancel', 0xfffffff)), 'watchCancel unknown');
  bad('watchExit', -1, pid, 'not a function');
  bad('watchExit', -1);
  for (const w of WRONG) {
    bad('handleOpen', w);
    bad('handleSignal', w, 0);
    bad('handleQuery', w, true);
    bad('handleClose', w);
    bad('watchCancel', w);
  }
}

// Linux without pidfds: the /proc/<pid> directory handle (handleOpen(pid, true)), its checked
// kill(2), and the state read through it. Run with and without pidfd support.
function procDirHandles(pid) {
  if (process.platform !== 'linux') return;
  const h = call('handleOpen', pid, true);
  check(Array.isArray(h) && h[0] >= 0 && typeof h[1] === 'string' && h[1] !== '', 'handleOpen procDir');
  const fd = h[0];
  check(call('handleSignal', fd, 0, pid) === undefined, 'handleSignal procDir (checked kill)');
  check(call('handleSignal', fd, SIGCONT, pid) === undefined, 'handleSignal procDir CONT');
  call('handleSignal', fd, 0); // pidfd_send_signal on the directory: undefined where the kernel takes it
  check(call('handleQuery', fd, true, pid)[0] === 0, 'handleQuery procDir running');
  check(call('handleQuery', fd, false, pid)[0] === 0, 'handleQuery procDir running (no peek)');
  check(call('handleClose', fd) === undefined, 'handleClose procDir');
  check(isFailure(call('handleSignal', fd, 0, pid)), 'handleSignal procDir closed fd');
  check(isFailure(call('handleQuery', fd, true, pid)), 'handleQuery procDir closed fd');
  check(isFailure(call('handleOpen', NOPID, true)), 'handleOpen procDir NOPID');
  for (const w of WRONG) bad('handleOpen', w, true);
}

function handles(pid) {
  procDirHandles(pid);
  if (!PIDFD) return handlesWithoutPidfd(pid);
  const h = call('handleOpen', pid);
  check(Array.isArray(h) && h[0] >= 0 && typeof h[1] === 'string', 'handleOpen');
  const fd = h[0];
  check(call('handleSignal', fd, 0) === undefined, 'handleSignal 0');
  check(call('handleSignal', fd, SIGCONT) === undefined, 'handleSignal CONT');
  check(isFailure(call('handleSignal', fd, 100000)), 'handleSignal bad sig');
  check(call('handleQuery', fd, true)[0] === 0, 'handleQuery running');
  check(call('handleQuery', fd, false)[0] === 0, 'handleQuery running (no peek)');
  // A watcher armed and cancelled, twice; cancelling again reports ENOENT.
  for (let i = 0; i < 2; i++) {
    const id = call('watchExit', fd, pid, () => fail('cancelled watcher fired'));
    check(typeof id === 'number', 'watchExit');
    check(call('watchCancel', id) === undefined, 'watchCancel');
    check(isFailure(call('watchCancel', id)), 'watchCancel twice');
  }
  check(isFailure(call('watchCancel', 0xfffffff)), 'watchCancel unknown');
  bad('watchExit', fd, pid, 'not a function');
  bad('watchExit', fd);
  for (const w of WRONG) {
    bad('handleSignal', w, 0);
    bad('handleQuery', w, true);
    bad('handleClose', w);
    bad('watchCancel', w);
  }
  check(call('handleClose', fd) === undefined, 'handleClose');
  check(isFailure(call('handleClose', fd)), 'handleClose twice (EBADF: not ours any more)');
  check(call('handleClose', -1) === undefined, 'handleClose -1');
  check(isFailure(call('handleOpen', NOPID)), 'handleOpen NOPID');
  // Closed fd: signalling or querying through it is EBADF, not a crash.
  check(isFailure(call('handleSignal', fd, 0)), 'handleSignal closed fd');
  check(isFailure(call('handleQuery', fd, true)), 'handleQuery closed fd');
  for (const w of WRONG) bad('handleOpen', w);
}

function jobObjects() {
  // Windows only; every one is an ENOSYS failure elsewhere, whatever it is given.
  for (const [name, args] of [
    ['jobObjectCreate', [null]],
    ['jobObjectCreate', ['name']],
    ['jobObjectAssign', [{}, 1]],
    ['jobObjectAssignSelf', ['name']],
    ['jobObjectTerminate', [{}, 1]],
    ['jobObjectQuery', [{}]],
    ['jobObjectPids', [{}]],
    ['jobObjectClose', [{}]],
  ]) {
    const r = call(name, ...args);
    check(isFailure(r) && r.errno === 38, name);
  }
}

// waitid(2)'s syscall number, to tell when the pool thread is blocked in it (Linux).
const WAITID_NR = { x64: '247', arm64: '95' }[process.arch];
/** What thread `tid` of this process is doing: a syscall number it is blocked in, or 'running'. */
function syscallOf(tid) {
  try {
    return fs.readFileSync(`/proc/self/task/${tid}/syscall`, 'utf8').split(' ')[0].trim();
  } catch {
    return 'gone';
  }
}

/**
 * The async peek's waitid(WNOWAIT) and child_process both wait for the same child, and libuv
 * reaps it (on SIGCHLD, from this thread's event loop) as soon as it can. A peek that starts
 * after that reaping, or rescans the children after it, finds none: ECHILD. So the child is
 * killed only once the pool thread is blocked in waitid (this returns that thread's id), and
 * then this thread stays busy — libuv cannot reap — until that thread has left waitid and is
 * blocked in something else (waiting for more work). At most 10 s each; valgrind is slow.
 */
async function untilInWaitid() {
  if (WAITID_NR === undefined) return null;
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 5))) {
    const tid = fs.readdirSync('/proc/self/task').find((t) => syscallOf(t) === WAITID_NR);
    if (tid !== undefined) return tid;
  }
  return null;
}
function busyUntilOutOf(tid) {
  if (tid === null) return;
  for (const end = Date.now() + 10_000; Date.now() < end; ) {
    const s = syscallOf(tid);
    if (s !== WAITID_NR && s !== 'running') return;
  }
}

/** A child killed while a pidfd watcher, an async waitpid peek and a query are on it. */
async function exitPaths() {
  const child = await spawnSleeper();
  const pid = child.pid;
  if (!PIDFD) {
    const peek = call('waitpidAsync', pid, WNOWAIT);
    const gone = exited(child);
    check(call('kill', pid, 9) === undefined, 'kill KILL');
    const t = await peek;
    check((Array.isArray(t) && t[0] === pid) || isFailure(t), 'waitpidAsync peek');
    await gone;
    const w = await call('waitpidAsync', pid, WNOHANG);
    check(isFailure(w), 'waitpidAsync after reap (ECHILD)');
    return;
  }
  const h = call('handleOpen', pid);
  check(Array.isArray(h), 'handleOpen (exit path)');
  const fd = h[0];
  const fired = new Promise((resolve) => {
    check(typeof call('watchExit', fd, pid, (e) => resolve(e)) === 'number', 'watchExit (exit path)');
  });
  // Blocks on a pool thread until the child is a zombie; WNOWAIT leaves it for child_process.
  const peek = call('waitpidAsync', pid, WNOWAIT);
  const gone = exited(child);
  const waiter = await untilInWaitid();
  check(call('handleSignal', fd, 9) === undefined, 'handleSignal KILL');
  busyUntilOutOf(waiter);
  check((await fired) === 0, 'watcher fired with 0');
  const t = await peek;
  check(Array.isArray(t) && t[0] === pid, 'waitpidAsync peek');
  const q = call('handleQuery', fd, true);
  check(q[0] === 1 || q[0] === 2, 'handleQuery exited');
  await gone;
  // Reaped by child_process now: the pidfd still answers, the pid does not.
  check(isFailure(call('handleSignal', fd, 0)), 'handleSignal after reap (ESRCH)');
  call('handleQuery', fd, false);
  const w = await call('waitpidAsync', pid, WNOHANG);
  check(isFailure(w), 'waitpidAsync after reap (ECHILD)');
  check(call('handleClose', fd) === undefined, 'handleClose (exit path)');
  // A watcher on an fd that is closed while armed: cancelled by close, never fired.
  const again = await spawnSleeper();
  const h2 = call('handleOpen', again.pid);
  check(Array.isArray(h2), 'handleOpen 2');
  const fd2 = h2[0];
  const id2 = call('watchExit', fd2, again.pid, () => fail('watcher on a closed fd fired'));
  call('watchCancel', id2);
  call('handleClose', fd2);
  again.kill('SIGKILL');
  await exited(again);
  for (const w2 of WRONG) {
    try {
      const p = native.waitpidAsync(w2, 0);
      if (p && typeof p.then === 'function') await p.catch(() => {});
    } catch {
      // TypeError: fine
    }
  }
}

async function main() {
  const t0 = Date.now();
  const sleeper = await spawnSleeper();
  for (let i = 0; i < rounds; i++) {
    tables();
    killing(sleeper.pid);
    states(sleeper.pid);
    trees(sleeper.pid);
    handles(sleeper.pid);
    jobObjects();
    if (i % 10 === 0) await exitPaths();
  }
  sleeper.kill('SIGKILL');
  await exited(sleeper);
  const [watchers, fds] = call('watchCount');
  check(watchers === 0 && fds === 0, `watchCount at the end: ${watchers} watchers, ${fds} handles`);
  // Last: jobExecve resets every signal disposition of this process before exec'ing, so it runs
  // when nothing else is left to do. A command that does not exist: execvpe fails, returns ENOENT.
  for (let i = 0; i < rounds; i++) {
    check(isFailure(call('jobExecve', '/nonexistent/procsig-memcheck', ['x', 'y'], ['A=1'])), 'jobExecve ENOENT');
    bad('jobExecve', '/bin/true', [], []);
    bad('jobExecve', 1, ['x'], []);
    bad('jobExecve', '/bin/true', ['x', 2], []);
  }
  const exported = Object.keys(native).sort();
  const missed = exported.filter((k) => !calls.has(k));
  for (const k of exported) console.log(`${k.padEnd(22)} ${calls.get(k) || 0} calls`);
  if (missed.length) fail(`exports never called: ${missed.join(', ')}`);
  if (!PIDFD) console.log('note: no pidfd support here (valgrind?): pidfd paths ran as error paths only');
  console.log(`${failures === 0 ? 'ok' : 'FAILED'}: ${exported.length} exports, ${[...calls.values()].reduce((a, b) => a + b, 0)} calls, ${rounds} rounds, ${Date.now() - t0} ms`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
