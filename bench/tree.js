'use strict';
// bench/tree.js — process trees: killing and walking them.
//
//   npx tsc -p tsconfig.build.json && node bench/tree.js [--runs N] [--sizes 10,50,200,206] [--background 400]
//
// Kill: trees of about 10, 50 and 200 processes (a node root, bash subshells, sleeping leaves;
// test/fixtures/tree-spawn.js) and the 206 (all bash: a root, 5 children, 200 leaves),
// each killed with SIGKILL by procsig killTree, by the tree-kill package, and by killpg(2) of the
// root's group. Time runs from the call until no member is alive (zombies count as dead). An
// observer process compiled here with `cc` holds a pidfd for every member and sleeps in
// epoll_wait until the last one exits, so measuring takes no CPU from the teardown (a poller in
// this process would take one of the two cores); without cc, /proc is polled instead. Each
// trial waits until the previous tree has been reaped (this machine's init reaps adopted zombies
// only every ~1.6 s, and hundreds of leftover zombies would make every scan of the process list,
// procsig's and tree-kill's ps, pay for them), then --settle ms more, and only then builds its
// tree.
// Walk: descendants() on the ~200-process tree against pidtree and ps-tree (both spawn ps), and
// against a C walk of /proc this script compiles with `cc` into os.tmpdir() (skipped if no cc).
// Linux only. Prints figures (medians) and ratios, and the issue-3 targets.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const procsig = require('../dist');
const treeKillPkg = require('tree-kill');
const pidtreeModule = require('pidtree');
const pidtree = pidtreeModule.pidtree ?? pidtreeModule.default ?? pidtreeModule;
const psTree = require('ps-tree');

if (process.platform !== 'linux') {
  console.log('bench/tree.js: Linux only (it builds trees with bash and checks /proc); skipped.');
  process.exit(0);
}

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? dflt : argv[i + 1];
};
const RUNS = Number(opt('runs', 11));
const SIZES = String(opt('sizes', '10,50,200,206')).split(',').map(Number);
// Idle processes added for a second run of the ~200-process tree (0: skip it).
const BACKGROUND = Number(opt('background', 400));
// Quiet time between one trial's reaping and the next tree (ms).
const SETTLE_MS = Number(opt('settle', 300));
// Tree shapes by size. Most are a node root (test/fixtures/tree-spawn.js) over a bash tree of
// `depth` levels of `breadth` subshells (+1 bash top, +1 node root). 206 is the count, as
// a root with 5 children of 40 each, all bash: no node process in the tree, whose multithreaded
// teardown is often the last to finish in the ~200 tree.
const SHAPES = {
  10: { depth: 1, breadth: 9 },
  50: { depth: 2, breadth: 6 },
  200: { depth: 2, breadth: 14 },
  206: { fan: [5, 40] },
};
const shapeOf = (size) => SHAPES[size] ?? { depth: 1, breadth: size };
const describe = (shape) => (shape.fan ? `, bash root: ${shape.fan[0]} x ${shape.fan[1]}` : '');
const FIXTURE = path.join(__dirname, '..', 'test', 'fixtures', 'tree-spawn.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'procsig-bench-tree-'));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

function treeSize({ depth, breadth, fan }) {
  if (fan) return 1 + fan[0] + fan[0] * fan[1];
  let n = 1;
  let level = 1;
  for (let i = 0; i < depth; i++) n += level *= breadth;
  return n + 1;
}

let seq = 0;
// The bash-rooted fan: every process appends its pid to $PROCSIG_TREE_FILE; leaves exec sleep.
const FAN = `echo $BASHPID >> "$PROCSIG_TREE_FILE"
i=0
while [ $i -lt $1 ]; do
  ( echo $BASHPID >> "$PROCSIG_TREE_FILE"
    j=0
    while [ $j -lt $2 ]; do ( echo $BASHPID >> "$PROCSIG_TREE_FILE"; exec sleep 600 ) & j=$((j + 1)); done
    wait ) &
  i=$((i + 1))
done
wait`;

async function startTree(shape) {
  const file = path.join(tmp, `t${++seq}.pids`);
  fs.writeFileSync(file, '');
  const [cmd, args] = shape.fan
    ? ['/bin/bash', ['-c', FAN, 'fan', String(shape.fan[0]), String(shape.fan[1])]]
    : [process.execPath, [FIXTURE, 'tree', String(shape.depth), String(shape.breadth)]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true, env: { ...process.env, PROCSIG_TREE_FILE: file } });
  const n = treeSize(shape);
  const end = Date.now() + 60_000;
  let pids = [];
  while ((pids = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number)).length < n) {
    if (Date.now() > end) throw new Error('tree did not start');
    await sleep(5);
  }
  // Let the last leaves finish their exec.
  await sleep(50);
  fs.rmSync(file);
  return { root: child.pid, pids, child };
}

function aliveState(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const st = s.charCodeAt(s.lastIndexOf(')') + 2);
    return st !== 0x5a && st !== 0x58; // 'Z', 'X'
  } catch {
    return false;
  }
}

const C_OBSERVER = String.raw`
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
/* Reads pids, one a line, until "go"; holds a pidfd for each; prints "ready"; then sleeps in
   epoll_wait until every one has exited (a pidfd turns readable when its process is a zombie
   or gone) and prints the CLOCK_MONOTONIC ns of the last exit and how many never exited. */
int main(void) {
  int ep = epoll_create1(0), n = 0; char line[64];
  while (fgets(line, sizeof line, stdin) && strncmp(line, "go", 2)) {
    int fd = (int)syscall(SYS_pidfd_open, atoi(line), 0);
    if (fd < 0) continue; /* already gone */
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev); n++;
  }
  printf("ready\n"); fflush(stdout);
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
  struct epoll_event evs[256];
  while (n > 0) {
    int k = epoll_wait(ep, evs, 256, 15000);
    if (k <= 0) break;
    clock_gettime(CLOCK_MONOTONIC, &t);
    for (int i = 0; i < k; i++) { epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, NULL); close(evs[i].data.fd); n--; }
  }
  printf("%lld %d\n", (long long)t.tv_sec * 1000000000LL + t.tv_nsec, n); fflush(stdout);
  return 0;
}
`;

let observerBin;
/** Compiles C source `src` into os.tmpdir() with `cc -O2`; the binary's path, or null without cc. */
function compileC(name, src) {
  const file = path.join(tmp, `${name}.c`);
  const bin = path.join(tmp, name);
  fs.writeFileSync(file, src);
  try {
    execFileSync('cc', ['-O2', '-o', bin, file], { stdio: 'pipe' });
    return bin;
  } catch {
    return null;
  }
}

/** Starts the observer on `pids`; resolves once it holds them, with a wait for their exit. */
async function observe(pids) {
  const o = spawn(observerBin, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  let buf = '';
  let wake = null;
  o.stdout.setEncoding('utf8');
  o.stdout.on('data', (d) => {
    buf += d;
    for (let i; (i = buf.indexOf('\n')) !== -1; buf = buf.slice(i + 1)) lines.push(buf.slice(0, i));
    wake?.();
  });
  const next = async () => {
    while (lines.length === 0) await new Promise((r) => (wake = r));
    return lines.shift();
  };
  o.stdin.end(`${pids.join('\n')}\ngo\n`);
  await next();
  return async (t0ns) => {
    const [end, left] = (await next()).split(' ').map(BigInt);
    return left === 0n ? Number(end - t0ns) / 1e6 : Infinity;
  };
}

/** Waits until the previous trial's processes have been reaped (at most 5 s). */
async function reaped(pids) {
  const end = Date.now() + 5000;
  while (Date.now() < end && pids.some((p) => fs.existsSync(`/proc/${p}`))) await sleep(20);
}

/** Polls until every pid is gone or a zombie; returns ms since t0 (or Infinity + survivors). */
async function untilDead(pids, t0, limitMs = 15_000) {
  let live = pids;
  for (;;) {
    live = live.filter(aliveState);
    if (live.length === 0) return { ms: now() - t0, survivors: [] };
    if (now() - t0 > limitMs) return { ms: Infinity, survivors: live };
    await new Promise((r) => setImmediate(r));
  }
}

function cleanup(pids) {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {}
  }
}

const killers = {
  'procsig killTree': async (root) => {
    await procsig.killTree(root, 'SIGKILL');
  },
  'tree-kill': (root) =>
    new Promise((resolve, reject) => treeKillPkg(root, 'SIGKILL', (err) => (err ? reject(err) : resolve()))),
  killpg: async (root) => {
    procsig.killpg(root, 'SIGKILL');
  },
};

let previous = [];
/** One trial: a fresh tree, killed by `kill`; { ms, survivors, count }. */
async function trial(shape, kill) {
  // The previous tree reaped, then a pause for the kernel work its reaping defers (freeing ~200
  // tasks and their memory), before the next tree is even built: that work would otherwise run
  // during the measurement and charge whichever killer came next.
  await reaped(previous);
  await sleep(SETTLE_MS);
  const t = await startTree(shape);
  previous = t.pids;
  const done = observerBin ? await observe(t.pids) : null;
  await sleep(20);
  const t0ns = process.hrtime.bigint();
  const t0 = now();
  await kill(t.root);
  let r;
  if (done) {
    // Nothing polls meanwhile: this process sleeps until the observer reports.
    const ms = await done(t0ns);
    r = { ms, survivors: t.pids.filter(aliveState) };
  } else {
    r = await untilDead(t.pids, t0);
  }
  // Only members just seen alive: the others' pids may already belong to someone else.
  cleanup(r.survivors);
  await sleep(30);
  return { ...r, count: t.pids.length };
}

async function killRow(size, label) {
  const shape = shapeOf(size);
  const times = Object.fromEntries(Object.keys(killers).map((k) => [k, []]));
  const survivors = Object.fromEntries(Object.keys(killers).map((k) => [k, 0]));
  let count = 0;
  for (let run = 0; run < RUNS; run++) {
    for (const [name, kill] of Object.entries(killers)) {
      const r = await trial(shape, kill);
      count = r.count;
      times[name].push(r.ms);
      survivors[name] += r.survivors.length;
    }
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  console.log(
    `${String(count).padStart(4)} processes${describe(shape)}${label}: ` +
      Object.entries(m).map(([k, v]) => `${k} ${fmt(v)} ms`).join(' | ') +
      ` | tree-kill/procsig ${(m['tree-kill'] / m['procsig killTree']).toFixed(1)}x` +
      ` | procsig/killpg ${(m['procsig killTree'] / m.killpg).toFixed(2)}x` +
      (Object.values(survivors).some(Boolean) ? ` | survivors ${JSON.stringify(survivors)}` : ''),
  );
  return { size, count, m, survivors, label };
}

/** Starts `n` idle processes (one bash and its sleeping children, in a group of their own). */
async function startBackground(n) {
  const bg = spawn('/bin/bash', ['-c', `for ((i = 0; i < ${n}; i++)); do sleep 3600 & done; echo up; wait`], {
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
  await new Promise((r) => bg.stdout.once('data', r));
  return bg;
}

async function benchKill() {
  observerBin = compileC('observer', C_OBSERVER);
  console.log(`\n## killing a tree: from the call until no member is alive (SIGKILL, median of ${RUNS})\n`);
  console.log(observerBin ? 'measured by pidfds held in an observer process (epoll)\n' : 'no cc: measured by polling /proc\n');
  const rows = [];
  for (const size of SIZES) rows.push(await killRow(size, ''));
  if (BACKGROUND > 0 && SIZES.includes(200)) {
    // tree-kill runs ps(1) once per member, and ps reads every process on the host: its time
    // grows with the host, killpg's does not, procsig's a little (one scan). This sandbox idles
    // at ~70 processes; a typical server or desktop has several hundred.
    const before = procsig.snapshot().length;
    const bg = await startBackground(BACKGROUND);
    try {
      rows.push(await killRow(200, ` (+${BACKGROUND} idle on the host, ${procsig.snapshot().length} in all before the tree)`));
    } finally {
      process.kill(-bg.pid, 'SIGKILL');
    }
    // Let init reap them before the next part measures anything.
    const end = Date.now() + 5000;
    while (Date.now() < end && procsig.snapshot().length > before + 10) await sleep(50);
  }
  return rows;
}

const C_WALK = String.raw`
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
/* Full /proc scan: read every /proc/<pid>/stat, take ppid and starttime, then walk down from the
   root, linking a child only when it started no earlier than its parent. */
static int pid_[65536], ppid_[65536], seen[65536], queue[65536];
static long long start_[65536];
static int scan(int root) {
  int n = 0; char path[300], buf[1024];
  DIR *d = opendir("/proc"); struct dirent *e;
  while ((e = readdir(d)) && n < 65536) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "%s/stat", e->d_name);
    int fd = openat(dirfd(d), path, O_RDONLY); if (fd < 0) continue;
    ssize_t k = read(fd, buf, sizeof buf - 1); close(fd); if (k <= 0) continue; buf[k] = 0;
    char *p = strrchr(buf, ')'); if (!p) continue; p += 4;
    pid_[n] = atoi(buf); ppid_[n] = (int)strtol(p, &p, 10);
    for (int f = 5; f <= 22; f++) { long long v = strtoll(p, &p, 10); if (f == 22) start_[n] = v; }
    n++;
  }
  closedir(d);
  memset(seen, 0, sizeof(int) * n);
  int r = -1; for (int i = 0; i < n; i++) if (pid_[i] == root) r = i;
  if (r < 0) return 0;
  int head = 0, tail = 0, found = 0; queue[tail++] = r; seen[r] = 1;
  while (head < tail) {
    int q = queue[head++];
    for (int i = 0; i < n; i++)
      if (!seen[i] && ppid_[i] == pid_[q] && start_[i] >= start_[q]) { seen[i] = 1; queue[tail++] = i; found++; }
  }
  return found;
}
int main(int argc, char **argv) {
  int root = atoi(argv[1]), iters = atoi(argv[2]), found = 0;
  struct timespec a, b; double best = 1e9, sum = 0;
  for (int i = 0; i < iters; i++) {
    clock_gettime(CLOCK_MONOTONIC, &a); found = scan(root); clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6; sum += ms; if (ms < best) best = ms;
  }
  printf("%d %f %f\n", found, sum / iters, best);
  return 0;
}
`;

async function timeIt(fn, iters) {
  const xs = [];
  for (let i = 0; i < iters; i++) {
    const t0 = now();
    await fn();
    xs.push(now() - t0);
  }
  return { median: median(xs), best: Math.min(...xs) };
}

async function benchWalk() {
  const size = SIZES.includes(200) ? 200 : SIZES[SIZES.length - 1];
  const t = await startTree(shapeOf(size));
  await reaped(previous);
  const all = procsig.snapshot().length;
  console.log(`\n## descendants() of a ${t.pids.length}-process tree (${all} processes on the system; median ms; best in brackets)\n`);
  const expect = t.pids.length - 1;
  const check = (name, n) => {
    if (n !== expect) console.log(`  (warning: ${name} found ${n}, expected ${expect})`);
  };
  check('descendants', procsig.descendants(t.root).length);
  const scanned = (n) => n.children.reduce((k, c) => k + 1 + scanned(c), 0);
  check('processTree', scanned(procsig.processTree(t.root)));
  const ITER = 10;
  const ROUNDS = 7;
  const bin = compileC('walk', C_WALK);
  // Interleaved rounds, so the C walk and procsig see the same machine load.
  const samples = { 'procsig descendants()': [], 'procsig processTree() (full scan)': [], 'procsig snapshot()': [], 'C walk of /proc (cc -O2)': [] };
  for (let round = 0; round < ROUNDS; round++) {
    samples['procsig descendants()'].push((await timeIt(() => procsig.descendants(t.root), ITER)).median);
    // (the full /proc scan that descendants() falls back to where the kernel keeps no child lists,
    // through the public API: a snapshot of every process, linked)
    samples['procsig processTree() (full scan)'].push((await timeIt(() => procsig.processTree(t.root), ITER)).median);
    samples['procsig snapshot()'].push((await timeIt(() => procsig.snapshot(), ITER)).median);
    if (bin) {
      const [found, avg] = execFileSync(bin, [String(t.root), String(ITER)], { encoding: 'utf8' }).trim().split(' ').map(Number);
      if (round === 0) check('C walk', found);
      samples['C walk of /proc (cc -O2)'].push(avg);
    }
  }
  const res = {};
  for (const [k, v] of Object.entries(samples)) if (v.length) res[k] = { median: median(v), best: Math.min(...v) };
  check('pidtree', (await pidtree(t.root)).length);
  res.pidtree = await timeIt(() => pidtree(t.root), 10);
  res['ps-tree'] = await timeIt(() => new Promise((r, j) => psTree(t.root, (e, c) => (e ? j(e) : r(c)))), 10);
  for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(28)} ${fmt(v.median).padStart(8)} ms  (best ${fmt(v.best)})`);
  const ours = res['procsig descendants()'].median;
  console.log(`\npidtree / descendants(): ${(res.pidtree.median / ours).toFixed(1)}x; ps-tree / descendants(): ${(res['ps-tree'].median / ours).toFixed(1)}x`);
  if (res['C walk of /proc (cc -O2)']) {
    const c = res['C walk of /proc (cc -O2)'].median;
    console.log(`descendants() / C walk: ${(ours / c).toFixed(2)}x; processTree() / C walk: ${(res['procsig processTree() (full scan)'].median / c).toFixed(2)}x`);
  }
  cleanup(t.pids);
  return { res, ours };
}

(async () => {
  const kills = await benchKill();
  const walk = await benchWalk();
  console.log('\n## issue 3 targets');
  for (const big of kills.filter((r) => r.size >= 200)) {
    const p = big.m['procsig killTree'];
    console.log(`killTree on ${big.count} processes${describe(shapeOf(big.size))}${big.label}: ${fmt(p)} ms (target <= 20 ms) ${p <= 20 ? 'OK' : 'MISSED'}`);
    const tk = big.m['tree-kill'] / p;
    console.log(`  vs tree-kill: ${tk.toFixed(1)}x faster (target >= 90x) ${tk >= 90 ? 'OK' : 'MISSED'}`);
    const pg = p / big.m.killpg;
    console.log(`  vs killpg: ${pg.toFixed(2)}x (target <= 1.5x) ${pg <= 1.5 ? 'OK' : 'MISSED'}`);
  }
  const pt = walk.res.pidtree.median / walk.ours;
  console.log(`descendants() vs pidtree: ${pt.toFixed(1)}x faster (target >= 6x) ${pt >= 6 ? 'OK' : 'MISSED'}`);
  const c = walk.res['C walk of /proc (cc -O2)'];
  if (c) {
    const r = walk.ours / c.median;
    console.log(`descendants() vs C walk: ${r.toFixed(2)}x (target <= 1.5x) ${r <= 1.5 ? 'OK' : 'MISSED'}`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
})().catch((e) => {
  console.error(e);
  fs.rmSync(tmp, { recursive: true, force: true });
  process.exitCode = 1;
});
