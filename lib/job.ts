/**
 * Job: kill everything a supervisor started, atomically, with nothing escaping — the Zircon job
 * (`zx_task_kill` on a job kills every process in it and their children, recursively, and the job
 * can no longer create processes).
 *
 * Three backends, one API:
 *
 * - `'cgroup2'` (Linux): a cgroup v2 child group. Processes are *started inside* the group (an
 *   exec helper joins the group and then execs the command), so nothing they fork, double-fork or
 *   `setsid` can ever be outside it. `kill` writes `cgroup.kill` (SIGKILL, Linux ≥ 5.14), or
 *   freezes the group, signals every member and thaws it (other signals, older kernels). `wait`
 *   watches `cgroup.events` (`populated 0`) through inotify. `close` removes the group.
 * - `'tree'` (any POSIX system, the fallback where no writable cgroup2 exists): every spawned
 *   process leads its own process group and session (`detached: true`); `kill` stops the groups,
 *   runs freeze-then-kill ({@link killTree}) on every tracked tree and signals the groups.
 *   It **cannot** catch a process that left both: a double-forked daemon that called `setsid`
 *   after its intermediate parent exited (see docs/api/job.md).
 * - `'jobobject'` (Windows): a Job Object with `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`; processes
 *   start inside it; `kill` is `TerminateJobObject`; `wait` follows the active-process count.
 *
 * Kill-on-close on Linux (the job dies with its creator, even on SIGKILL) is lib/job-watchdog.ts.
 *
 * @packageDocumentation
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { argTypeError, argValueError, errnoNumber, processError, ProcessError, TimeoutError } from './errors';
import { ProcessHandle } from './handle';
import { isFailure, native, packageRoot, type JobObjectRef, type NativeFailure } from './native';
import { assertProcListsAll } from './procfs';
import { displaySignal, toSignal, type SignalLike } from './signals';
import { refuseThreadId } from './kill';
import { killTree, pgidsOf, snapshot, type KillTreeFailure } from './tree';
import { unwatchJob, watchJob, watchRoot } from './job-watchdog';
import { commandLine, deathSignalArgs, requireHelper, spawnArgs } from './death-signal';
import { checkAbortSignal, checkGroup, checkOptions, checkPid, checkTimeout } from './validate';

// child_process and crypto are loaded on first use: together they cost ~4 ms of every
// `require('procsig')`, and most users never create a Job.
function spawnChild(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return (require('node:child_process') as typeof import('node:child_process')).spawn(file, args, options);
}
function randomHex(bytes: number): string {
  return (require('node:crypto') as typeof import('node:crypto')).randomBytes(bytes).toString('hex');
}

/**
 * What {@link Job.kill} did. `failed` lists every member (or owned process group, `group: true`)
 * the signal could not reach for a reason other than being gone — `EPERM` for a process that
 * changed its uid, for instance. Such a member may still be alive: the job is not empty.
 */
export interface JobKillResult {
  /** Members or groups that could not be signalled, with the OS error; empty when all were. ESRCH never appears. */
  readonly failed: KillTreeFailure[];
}

/** Collects kill(2) failures other than ESRCH (a member that is gone is what a kill wants). */
class Failures {
  readonly list: KillTreeFailure[] = [];
  readonly #seen = new Set<string>();
  add(pid: number, group: boolean, failure: NativeFailure | undefined, sig: number): void {
    if (failure === undefined || failure.errno === (errnoNumber('ESRCH') ?? 3)) return;
    this.push({ pid, group, error: processError(failure, { pid, signal: displaySignal(sig) }) });
  }
  push(f: KillTreeFailure): void {
    const key = `${f.group ? 'g' : 'p'}${f.pid}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.list.push(f);
  }
}

/** Which mechanism holds a {@link Job}'s processes. */
export type JobBackend = 'cgroup2' | 'tree' | 'jobobject';

/** Options of {@link Job.create}. */
export interface JobOptions {
  /**
   * The mechanism. Default: `'jobobject'` on Windows; on Linux `'cgroup2'` when a writable cgroup
   * v2 group can be created, else `'tree'`; `'tree'` elsewhere. Naming a backend that is not
   * available throws instead of falling back.
   */
  backend?: JobBackend;
  /**
   * cgroup2: the directory (on a cgroup2 mount) to create the job's group in, e.g. a group
   * systemd delegated to this service. Default: the caller's own cgroup2 group (from
   * `/proc/self/cgroup`).
   */
  parent?: string;
  /**
   * cgroup2: the group's directory name (letters, digits, `.`, `_`, `-`; not `cgroup.*`).
   * Default: `procsig-job-<pid>-<n>-<random>`. An existing directory of that name is an error
   * (`EEXIST`): a Job owns its group.
   */
  name?: string;
  /**
   * Kill the job's processes when the process that created the job dies, however it dies
   * (SIGKILL, the OOM killer, a crash, `process.abort()`), and (cgroup2) remove the group — the
   * Windows Job Object's `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`. Default `true`. Linux: a watchdog
   * process per supervisor does it (see docs/api/job.md). `false` makes a job meant to outlive
   * its creator: nothing kills it at exit either, and a cgroup2 job can be taken up later with
   * {@link Job.open}. The `'jobobject'` backend always kills on close (`false` is refused).
   */
  killOnClose?: boolean;
}

/** Options of {@link Job.wait}. */
export interface JobWaitOptions {
  /** Give up after this many milliseconds: rejects with a {@link TimeoutError}. */
  timeout?: number;
  /** Abort the wait: rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What {@link Job.spawn} returns: the `ChildProcess` and a {@link ProcessHandle} beside it. */
export interface JobChild {
  /** The real `ChildProcess` (its `'exit'`, stdio and `pid` work as usual). */
  child: ChildProcess;
  /**
   * A race-free handle on the same process, opened at spawn (`null` when spawning failed
   * synchronously and the child has no pid). The job closes it in {@link Job.close}.
   */
  handle: ProcessHandle | null;
}

/** Options of {@link Job.spawn}: `child_process.spawn`'s, and `deathSignal`. */
export interface JobSpawnOptions extends SpawnOptions {
  /**
   * Linux (`'cgroup2'`, `'tree'`): the signal the spawned process gets the moment this process —
   * precisely, the thread that spawned it (the main thread, or a `worker_threads` Worker's) —
   * exits: `PR_SET_PDEATHSIG`, set by the exec helper before the exec, with `getppid()` checked
   * after it. Covers the spawned process itself (kill-on-close covers the rest of the job).
   * Needs the helper; ProcessError `ENOSYS` without it and on other platforms.
   */
  deathSignal?: SignalLike;
}

/**
 * Thrown by {@link Job.spawn} and {@link Job.add} on a job that was killed: like a Zircon job,
 * a killed job can no longer create processes. `code` is `'ERR_JOB_KILLED'`.
 */
export class JobKilledError extends Error {
  readonly code = 'ERR_JOB_KILLED';
  constructor(message = 'the job was killed and can no longer take processes') {
    super(message);
    this.name = 'JobKilledError';
  }
}

/** Thrown by {@link Job.spawn}, {@link Job.add} and {@link Job.kill} after {@link Job.close}. `code` is `'ERR_JOB_CLOSED'`. */
export class JobClosedError extends Error {
  readonly code = 'ERR_JOB_CLOSED';
  constructor(message = 'the job is closed') {
    super(message);
    this.name = 'JobClosedError';
  }
}

/**
 * Thrown by {@link Job.create} when the named backend cannot work here (no cgroup2 mount, not
 * Windows, ...). `code` is `'ERR_JOB_BACKEND_UNAVAILABLE'`. A failing syscall is reported as a
 * {@link ProcessError} instead (e.g. `mkdir` `EACCES`).
 */
export class JobBackendUnavailableError extends Error {
  readonly code = 'ERR_JOB_BACKEND_UNAVAILABLE';
  readonly backend: JobBackend;
  constructor(backend: JobBackend, reason: string) {
    super(`job backend '${backend}' is unavailable: ${reason}`);
    this.name = 'JobBackendUnavailableError';
    this.backend = backend;
  }
}

const SIGKILL = toSignal('SIGKILL');
const SIGSTOP_ = process.platform === 'win32' ? 0 : toSignal('SIGSTOP');

/** A ProcessError from a failed node:fs call on cgroupfs. */
function fsError(e: unknown, syscall: string, where: string, pid?: number): Error {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string') return e as Error;
  const osErrno = errnoNumber(err.code) ?? (typeof err.errno === 'number' ? Math.abs(err.errno) : 0);
  const pe = new ProcessError(osErrno, syscall, pid !== undefined ? { pid } : {});
  Object.defineProperty(pe, 'path', { value: where, enumerable: true });
  return pe;
}

// ---------------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------------

/** @internal What Job needs from a backend. */
interface Backend {
  readonly kind: JobBackend;
  /** cgroup2: the group's directory. */
  readonly path?: string;
  /** Starts `file` inside the job (with a parent-death signal when `deathSig` is set). */
  spawn(file: string, argv0: string, args: string[], options: SpawnOptions, deathSig?: number): ChildProcess;
  add(pid: number): void;
  pids(): number[];
  /** Signals every member; `direct` are job-spawned children that may not have joined yet. Returns what could not be signalled. */
  kill(sig: number, direct: number[]): Promise<KillTreeFailure[]>;
  isEmpty(): boolean;
  /** Calls `onChange` whenever emptiness may have changed; returns the unsubscribe function. */
  subscribe(onChange: () => void): () => void;
  /** Releases the job (rmdir, CloseHandle). Only called once the job is empty. */
  destroy(): Promise<void>;
  /** Synchronous best effort at process exit: kill everything, release what can be released. */
  exitHook(): void;
}

/** Calls `fn` with a backoff (1 ms doubling to 50 ms) until unsubscribed: for backends without events. */
function pollSubscribe(onChange: () => void): () => void {
  let delay = 1;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    onChange();
    // onChange may have unsubscribed (the usual way a wait ends): then no new timer, or it would
    // poll forever and keep the event loop alive.
    if (stopped) return;
    delay = Math.min(delay * 2, 50);
    timer = setTimeout(tick, delay);
  };
  timer = setTimeout(tick, delay);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// ---- where the addon (and the exec helper beside it) lives ----

/** @internal The loaded addon file (PROCSIG_NATIVE or what node-gyp-build picks). */
export function addonPath(): string | undefined {
  const explicit = process.env.PROCSIG_NATIVE;
  if (explicit) return path.resolve(explicit);
  try {
    const ngb = require('node-gyp-build') as { resolve(dir: string): string };
    return ngb.resolve(packageRoot);
  } catch {
    return undefined;
  }
}

const HELPER_NAME = 'procsig-job-exec';
let helperCache: { path: string | null } | undefined;

/**
 * Electron apps packed with asar: a file inside `app.asar` cannot be executed, but the same file
 * unpacked (`asarUnpack`) lives at the same path under `app.asar.unpacked`. Try that one first.
 * @internal Exported for the tests.
 */
export function withAsarUnpacked(p: string): string[] {
  const marker = `${path.sep}app.asar${path.sep}`;
  const i = p.indexOf(marker);
  if (i < 0) return [p];
  return [`${p.slice(0, i)}${path.sep}app.asar.unpacked${path.sep}${p.slice(i + marker.length)}`, p];
}

/**
 * @internal The exec helper: `$PROCSIG_JOB_EXEC` (a path; `'node'` forces the Node
 * intermediate), else `procsig-job-exec` beside the loaded addon (a node-gyp build), else in
 * `helpers/` beside it or in `prebuilds/linux-<arch>/helpers/` (the prebuilt package: a static
 * executable per architecture), else in `build/Release/`. Paths inside an Electron `app.asar`
 * are tried under `app.asar.unpacked` first. `null` means: use the Node intermediate.
 */
export function findExecHelper(): string | null {
  if (helperCache && !process.env.PROCSIG_JOB_EXEC) return helperCache.path;
  const candidates: string[] = [];
  const env = process.env.PROCSIG_JOB_EXEC;
  if (env === 'node') return null;
  if (env) candidates.push(path.resolve(env));
  const addon = addonPath();
  if (addon) {
    candidates.push(path.join(path.dirname(addon), HELPER_NAME));
    candidates.push(path.join(path.dirname(addon), 'helpers', HELPER_NAME));
  }
  candidates.push(path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'helpers', HELPER_NAME));
  candidates.push(path.join(packageRoot, 'build', 'Release', HELPER_NAME));
  let found: string | null = null;
  search: for (const c of candidates) {
    for (const p of withAsarUnpacked(c)) {
      try {
        if (fs.statSync(p).isFile()) {
          fs.accessSync(p, fs.constants.X_OK);
          found = p;
          break search;
        }
      } catch {
        // not there: try the next place
      }
    }
  }
  helperCache = { path: found };
  return found;
}

/**
 * Environment variables the Node intermediate must not act on itself; saved under
 * `PROCSIG_JOB_SAVED_<name>` and restored (or left unset) for the command.
 * `ELECTRON_RUN_AS_NODE` is among them because the intermediate needs it set (below).
 */
const SHELTERED_ENV = ['NODE_OPTIONS', 'NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE', 'NODE_UNIQUE_ID', 'ELECTRON_RUN_AS_NODE'];
const SHELTER_PREFIX = 'PROCSIG_JOB_SAVED_';
/** The intermediate's arguments, as JSON: never argv, whose layout differs between runtimes. */
const ARGS_ENV = 'PROCSIG_JOB_ARGS';

/**
 * The environment of a Node intermediate: the command's environment with {@link SHELTERED_ENV}
 * saved away, the intermediate's arguments in `PROCSIG_JOB_ARGS` (Deno's `-e` adds an argv entry
 * and Bun's may differ: positions in argv cannot be trusted, an environment variable can), and
 * `ELECTRON_RUN_AS_NODE=1`, without which Electron's executable would start the app again
 * instead of evaluating the script. The intermediate removes both before the command runs.
 */
/** @internal Exported for the tests. */
export function intermediateEnv(env: NodeJS.ProcessEnv | undefined, args: Record<string, unknown>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...(env ?? process.env) };
  for (const k of SHELTERED_ENV) {
    if (out[k] !== undefined) {
      out[SHELTER_PREFIX + k] = out[k];
      delete out[k];
    }
  }
  out[ARGS_ENV] = JSON.stringify(args);
  out.ELECTRON_RUN_AS_NODE = '1';
  return out;
}

/**
 * The Node intermediate (Linux), used when the exec helper cannot be found: a fresh Node (or
 * Deno, Bun, Electron-as-Node) process joins the group, then replaces itself with the command
 * through the addon's execvpe. Its arguments come from `PROCSIG_JOB_ARGS` (JSON: addon, procs,
 * file, argv). It writes exactly one file, and only when that file is a `cgroup.procs` given by
 * an absolute path; it loads only a `*.node` file.
 */
/** @internal Exported for the tests. */
export const LINUX_INTERMEDIATE = `
let a;
try { a = JSON.parse(process.env.${ARGS_ENV} || ''); } catch { a = null; }
if (!a || typeof a.procs !== 'string' || !a.procs.startsWith('/') || !a.procs.endsWith('/cgroup.procs') ||
    typeof a.addon !== 'string' || !a.addon.endsWith('.node') || typeof a.file !== 'string' || !Array.isArray(a.argv)) {
  process.stderr.write('procsig job: the intermediate was started without valid ${ARGS_ENV}\\n');
  process.exit(125);
}
try { require('fs').writeFileSync(a.procs, '0\\n'); }
catch (e) { process.stderr.write('procsig job: cannot join ' + a.procs + ': ' + e.code + '\\n'); process.exit(125); }
const env = [];
for (const [k, v] of Object.entries(process.env)) {
  if (k === '${ARGS_ENV}' || k === 'ELECTRON_RUN_AS_NODE') continue;
  if (k.startsWith('${SHELTER_PREFIX}')) env.push(k.slice(${SHELTER_PREFIX.length}) + '=' + v);
  else env.push(k + '=' + v);
}
const f = require(a.addon).jobExecve(a.file, a.argv, env);
process.stderr.write('procsig job: ' + a.file + ': ' + require('util').getSystemErrorName(-f.errno) + '\\n');
process.exit(127);
`;

/**
 * The Windows intermediate: joins the named Job Object, then runs the command as its own child
 * (Windows has no exec) and exits with its exit code. Arguments from `PROCSIG_JOB_ARGS` (JSON:
 * addon, name, file, args, opts).
 */
const WIN32_INTERMEDIATE = `
let a;
try { a = JSON.parse(process.env.${ARGS_ENV} || ''); } catch { a = null; }
if (!a || typeof a.addon !== 'string' || !a.addon.endsWith('.node') || typeof a.name !== 'string' || typeof a.file !== 'string' || !Array.isArray(a.args) || !a.opts) {
  process.stderr.write('procsig job: the intermediate was started without valid ${ARGS_ENV}\\n');
  process.exit(125);
}
const f = require(a.addon).jobObjectAssignSelf(a.name);
if (f !== undefined) { process.stderr.write('procsig job: cannot join the job: win32 error ' + f.win32 + '\\n'); process.exit(125); }
delete process.env.${ARGS_ENV};
delete process.env.ELECTRON_RUN_AS_NODE;
for (const k of Object.keys(process.env)) {
  if (k.startsWith('${SHELTER_PREFIX}')) { process.env[k.slice(${SHELTER_PREFIX.length})] = process.env[k]; delete process.env[k]; }
}
const o = a.opts;
const c = require('child_process').spawn(a.file, a.args, { stdio: 'inherit', shell: o.shell, windowsHide: o.windowsHide, windowsVerbatimArguments: o.windowsVerbatimArguments, argv0: o.argv0 });
c.on('error', (e) => { process.stderr.write('procsig job: ' + a.file + ': ' + e.code + '\\n'); process.exit(127); });
c.on('exit', (code) => process.exit(code === null ? 1 : code));
`;

function checkedSpawnOptions(options: SpawnOptions): SpawnOptions {
  // argv0 and shell were applied to the command already; everything else is Node's business.
  const o: SpawnOptions = { ...options };
  delete o.argv0;
  delete o.shell;
  return o;
}

function setShownCommand(child: ChildProcess, file: string, argv0: string, args: string[]): void {
  // Show what the caller asked for, not the helper that ran it.
  const c = child as { spawnfile: string; spawnargs: string[] };
  c.spawnfile = file;
  c.spawnargs = [argv0, ...args];
}

// ---- cgroup2 ----

interface MountEntry {
  root: string;
  mountPoint: string;
}

/** Undoes mountinfo's octal escapes (`\040` for a space, ...). */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** @internal Every cgroup2 mount in /proc/self/mountinfo (root within the hierarchy + mount point). */
export function cgroup2Mounts(mountinfo: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype !== 'cgroup2') continue;
    const f = line.slice(0, sep).split(' ');
    if (f.length < 5) continue;
    out.push({ root: unescapeMountinfo(f[3]), mountPoint: unescapeMountinfo(f[4]) });
  }
  return out;
}

/** @internal The cgroup2 path of this process (`0::/path` in /proc/self/cgroup), or undefined. */
export function ownCgroup2Path(procSelfCgroup: string): string | undefined {
  for (const line of procSelfCgroup.split('\n')) {
    if (line.startsWith('0::')) return line.slice(3).replace(/ \(deleted\)$/, '');
  }
  return undefined;
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * @internal This process's cgroup2 group found without /proc (not mounted, covered): the group
 * under the usual cgroup2 mount points whose `cgroup.procs` lists our pid (cgroup.procs shows
 * pids as the reader's pid namespace numbers them). Breadth-first, at most 5,000 groups.
 */
export function ownCgroup2DirBySearch(): string | undefined {
  const me = String(process.pid);
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    try {
      if (fs.statfsSync(root).type !== CGROUP2_SUPER_MAGIC) continue;
    } catch {
      continue;
    }
    const queue = [root];
    for (let i = 0; i < queue.length && i < 5000; i++) {
      const dir = queue[i];
      try {
        if (fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').includes(me)) return dir;
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) queue.push(path.join(dir, e.name));
      } catch {
        // a group removed meanwhile, or one we may not read
      }
    }
  }
  return undefined;
}

/** @internal The directory of this process's own cgroup2 group, or a reason why there is none. */
export function ownCgroup2Dir(): { dir: string } | { reason: string } {
  let mountinfo: string;
  let cgroup: string;
  try {
    mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    cgroup = fs.readFileSync('/proc/self/cgroup', 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // No fd left: an error, not a reason to fall back to another backend.
    if (code === 'EMFILE' || code === 'ENFILE') throw fsError(e, 'open', '/proc/self/mountinfo');
    // No /proc (a minimal sandbox): look for our group in the cgroup2 hierarchy itself.
    const found = ownCgroup2DirBySearch();
    if (found !== undefined) return { dir: found };
    return { reason: `cannot read /proc/self: ${code}` };
  }
  const own = ownCgroup2Path(cgroup);
  if (own === undefined) return { reason: 'this process is in no cgroup2 hierarchy (/proc/self/cgroup has no 0:: line)' };
  for (const m of cgroup2Mounts(mountinfo)) {
    const root = m.root === '/' ? '' : m.root;
    if (own !== root && !own.startsWith(root + '/') && root !== '') continue;
    const rel = own.slice(root.length);
    return { dir: path.join(m.mountPoint, rel) };
  }
  return { reason: 'no cgroup2 mount in /proc/self/mountinfo shows this process\'s group' };
}

const NAME_RE = /^[A-Za-z0-9._-]{1,200}$/;
let jobCounter = 0;

function readEvents(dir: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of fs.readFileSync(path.join(dir, 'cgroup.events'), 'utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) m.set(line.slice(0, sp), line.slice(sp + 1));
  }
  return m;
}

/** The pids in `dir`'s cgroup.procs and in those of every sub-group its members created. */
function readProcs(dir: string, out: number[] = []): number[] {
  const text = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8');
  for (const l of text.split('\n')) if (l) out.push(Number(l));
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      try {
        readProcs(path.join(dir, e.name), out);
      } catch (err) {
        // A sub-group removed while we read it has nothing left to list.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
  return out;
}

/** rmdir the group and any sub-groups its members created, depth first. */
function removeGroup(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) removeGroup(path.join(dir, e.name));
  }
  fs.rmdirSync(dir);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

class Cgroup2Backend implements Backend {
  readonly kind = 'cgroup2' as const;
  readonly path: string;
  readonly #procs: string;
  readonly #hasKill: boolean;

  private constructor(dir: string) {
    this.path = dir;
    this.#procs = path.join(dir, 'cgroup.procs');
    // PROCSIG_JOB_NO_CGROUP_KILL=1 takes the path of kernels older than 5.14 (tests use it).
    this.#hasKill = process.env.PROCSIG_JOB_NO_CGROUP_KILL !== '1' && fs.existsSync(path.join(dir, 'cgroup.kill'));
  }

  /** Creates the group; returns a reason string when cgroup2 is unusable (for the fallback). */
  static create(opts: JobOptions, explicit: boolean): Cgroup2Backend | string {
    if (process.platform !== 'linux') return 'cgroup2 exists only on Linux';
    let parent: string;
    if (opts.parent !== undefined) {
      parent = path.resolve(opts.parent);
      if (!fs.existsSync(path.join(parent, 'cgroup.procs'))) {
        throw argValueError('options.parent', 'must be a cgroup2 group directory (it has no cgroup.procs)', opts.parent);
      }
    } else {
      const own = ownCgroup2Dir();
      if ('reason' in own) return own.reason;
      parent = own.dir;
    }
    const name = opts.name ?? `procsig-job-${process.pid}-${++jobCounter}-${randomHex(4)}`;
    const dir = path.join(parent, name);
    try {
      fs.mkdirSync(dir, 0o755);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Not writable here (no delegation, read-only mount): the caller may fall back.
      if (!explicit && opts.parent === undefined && (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOENT')) {
        return `cannot create a group in ${parent}: ${code}`;
      }
      throw fsError(e, 'mkdir', dir);
    }
    return new Cgroup2Backend(dir);
  }

  /** An existing group (Job.open). */
  static open(dir: string): Cgroup2Backend {
    const abs = path.resolve(dir);
    if (!fs.existsSync(path.join(abs, 'cgroup.procs')) || !fs.existsSync(path.join(abs, 'cgroup.events'))) {
      throw argValueError('dir', 'must be a cgroup2 group directory (it has no cgroup.procs / cgroup.events)', dir);
    }
    return new Cgroup2Backend(abs);
  }

  spawn(file: string, argv0: string, args: string[], options: SpawnOptions, deathSig?: number): ChildProcess {
    const o = checkedSpawnOptions(options);
    const helper = findExecHelper();
    let child: ChildProcess;
    if (deathSig !== undefined) {
      child = spawnChild(requireHelper(helper), [...deathSignalArgs(deathSig, this.#procs), file, argv0, ...args], o);
    } else if (helper !== null) {
      child = spawnChild(helper, [this.#procs, file, argv0, ...args], o);
    } else {
      const addon = addonPath();
      if (addon === undefined) throw new JobBackendUnavailableError('cgroup2', 'neither the exec helper nor the addon file was found');
      child = spawnChild(process.execPath, ['-e', LINUX_INTERMEDIATE], {
        ...o,
        env: intermediateEnv(o.env, { addon, procs: this.#procs, file, argv: [argv0, ...args] }),
      });
    }
    setShownCommand(child, file, argv0, args);
    return child;
  }

  add(pid: number): void {
    try {
      fs.writeFileSync(this.#procs, `${pid}\n`);
    } catch (e) {
      throw fsError(e, 'write', this.#procs, pid);
    }
  }

  pids(): number[] {
    try {
      return readProcs(this.path);
    } catch (e) {
      throw fsError(e, 'read', this.#procs);
    }
  }

  isEmpty(): boolean {
    try {
      return readEvents(this.path).get('populated') === '0';
    } catch (e) {
      throw fsError(e, 'read', path.join(this.path, 'cgroup.events'));
    }
  }

  #write(file: string, value: string): void {
    const where = path.join(this.path, file);
    try {
      fs.writeFileSync(where, value);
    } catch (e) {
      throw fsError(e, 'write', where);
    }
  }

  async kill(sig: number, direct: number[]): Promise<KillTreeFailure[]> {
    const failed = new Failures();
    if (sig === SIGKILL && this.#hasKill) {
      // cgroup.kill (Linux >= 5.14): the kernel SIGKILLs every task of the group and of its
      // sub-groups, and also any task a member forks while the kill is in progress.
      this.#write('cgroup.kill', '1');
      for (const pid of direct) failed.add(pid, false, native.kill(pid, sig), sig);
      return failed.list;
    }
    // Freeze, signal every member, thaw: a frozen member cannot fork, so the list is complete.
    // (SIGKILL gets through the cgroup2 freezer; other signals are acted on at the thaw.)
    this.#write('cgroup.freeze', '1');
    try {
      await this.#until((ev) => ev.get('frozen') === '1' || ev.get('populated') === '0', 2000);
      const members = new Set(this.pids());
      for (const pid of members) failed.add(pid, false, native.kill(pid, sig), sig);
      for (const pid of direct) if (!members.has(pid)) failed.add(pid, false, native.kill(pid, sig), sig);
    } finally {
      this.#write('cgroup.freeze', '0');
    }
    return failed.list;
  }

  /** Resolves once `pred(cgroup.events)` holds (or after `ms`, to never hang a kill). */
  #until(pred: (ev: Map<string, string>) => boolean, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      let unsubscribe = (): void => {};
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(finish, ms);
      const check = (): void => {
        let ok = true;
        try {
          ok = pred(readEvents(this.path));
        } catch {
          // the group vanished: nothing left to wait for
        }
        if (ok) finish();
      };
      unsubscribe = this.subscribe(check);
      check();
    });
  }

  subscribe(onChange: () => void): () => void {
    // kernfs notifies a modify event on cgroup.events whenever `populated` or `frozen` changes;
    // fs.watch is inotify underneath. A slow timer re-checks as a safety net in case a watch
    // could not be set up or an event was coalesced away.
    let watcher: fs.FSWatcher | undefined;
    try {
      watcher = fs.watch(path.join(this.path, 'cgroup.events'), { persistent: true }, () => onChange());
      watcher.on('error', () => {});
    } catch {
      watcher = undefined;
    }
    const safety = setInterval(onChange, watcher ? 1000 : 20);
    return () => {
      clearInterval(safety);
      watcher?.close();
    };
  }

  async destroy(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        removeGroup(this.path);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        // EBUSY: the last member is still on its way out of the group (exit is not atomic
        // with `populated 0` for sub-groups); retry briefly.
        if ((code === 'EBUSY' || code === 'ENOTEMPTY') && attempt < 50) {
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        throw fsError(e, 'rmdir', this.path);
      }
    }
  }

  exitHook(): void {
    try {
      if (this.isEmpty()) {
        removeGroup(this.path);
        return;
      }
      if (this.#hasKill) {
        fs.writeFileSync(path.join(this.path, 'cgroup.kill'), '1');
      } else {
        // Freeze first so nothing forks between the read and the kill; SIGKILL passes the freezer.
        fs.writeFileSync(path.join(this.path, 'cgroup.freeze'), '1');
        for (let i = 0; i < 40 && readEvents(this.path).get('frozen') !== '1'; i++) sleepSync(5);
        for (const pid of readProcs(this.path)) native.kill(pid, SIGKILL);
        fs.writeFileSync(path.join(this.path, 'cgroup.freeze'), '0');
      }
      for (let i = 0; i < 40; i++) {
        if (this.isEmpty()) break;
        sleepSync(5);
      }
      removeGroup(this.path);
    } catch {
      // best effort: the process is exiting
    }
  }
}

// ---- tree ----

interface TreeRoot {
  pid: number;
  /** Still our unreaped child (or an added process whose handle saw no exit): its pid is safe. */
  alive: () => boolean;
  /** It leads its own process group, which the job owns. */
  group: boolean;
}

/** The pids among `pids` that name a process now, zombies included (getpgid(2) in one call; no /proc read). */
function presentAmong(pids: readonly number[]): Set<number> {
  const pgids = pgidsOf(pids);
  return new Set(pids.filter((_, k) => pgids[k] !== -1));
}

class TreeBackend implements Backend {
  readonly kind = 'tree' as const;
  readonly #roots = new Map<number, TreeRoot>();
  readonly #handles: ProcessHandle[] = [];

  spawn(file: string, argv0: string, args: string[], options: SpawnOptions, deathSig?: number): ChildProcess {
    // detached: setsid() in the child, so it leads a new session and process group.
    let child: ChildProcess;
    if (deathSig !== undefined) {
      child = spawnChild(requireHelper(findExecHelper()), [...deathSignalArgs(deathSig, null), file, argv0, ...args], { ...checkedSpawnOptions(options), detached: true });
      setShownCommand(child, file, argv0, args);
    } else {
      child = spawnChild(file, args, { ...options, argv0, detached: true });
    }
    const pid = child.pid;
    if (pid !== undefined) {
      this.#roots.set(pid, { pid, alive: () => child.exitCode === null && child.signalCode === null, group: true });
    }
    return child;
  }

  add(pid: number): void {
    const leads = pgidsOf([pid])[0] === pid;
    // Its group would be signalled with killpg(2): group 1 is every process (checkGroup).
    if (leads) checkGroup(pid, 'target');
    // A handle (pidfd, or pid + start time) tells a live root from a recycled pid later on.
    const handle = ProcessHandle.open(pid);
    this.#handles.push(handle);
    const alive = (): boolean => {
      try {
        return handle.tryWait() === null;
      } catch {
        return false;
      }
    };
    this.#roots.set(pid, { pid, alive, group: leads });
  }

  /** The groups the job owns: led by a live root, or whose leader is gone (the id cannot be reused while members remain). */
  #groups(present: ReadonlySet<number>): number[] {
    const out: number[] = [];
    for (const r of this.#roots.values()) {
      if (!r.group) continue;
      if (r.alive() || !present.has(r.pid)) out.push(r.pid);
    }
    return out;
  }

  pids(): number[] {
    const procs = snapshot();
    // Forget roots that are dead and whose group is empty: nothing of them can come back.
    const pgids = new Set(procs.map((p) => p.pgid));
    for (const [pid, r] of this.#roots) if (!r.alive() && !(r.group && pgids.has(pid))) this.#roots.delete(pid);
    const groups = new Set(this.#groups(new Set(procs.map((p) => p.pid))));
    const children = new Map<number, number[]>();
    const started = new Map(procs.map((p) => [p.pid, p.startTime]));
    for (const p of procs) {
      // A parent links to a child only when the child started after it (pid reuse).
      const ps = started.get(p.ppid);
      if (ps !== undefined && p.startTime < ps) continue;
      let list = children.get(p.ppid);
      if (!list) children.set(p.ppid, (list = []));
      list.push(p.pid);
    }
    const out = new Set<number>();
    for (const p of procs) if (groups.has(p.pgid)) out.add(p.pid);
    // Descendants of every live root and of every group member (a member's children that left
    // the group with setpgid/setsid are still in its tree while their parent lives).
    const stack: number[] = [...out];
    for (const r of this.#roots.values()) if (r.alive() && !out.has(r.pid)) stack.push(r.pid);
    const seen = new Set<number>();
    while (stack.length) {
      const pid = stack.pop()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      out.add(pid);
      for (const c of children.get(pid) ?? []) stack.push(c);
    }
    // Zombies are dead: they only wait for their parent (or PID 1) to reap them.
    const state = new Map(procs.map((p) => [p.pid, p.state]));
    return [...out].filter((pid) => {
      const s = state.get(pid);
      return s !== undefined && s !== 'Z' && s !== 'X';
    });
  }

  isEmpty(): boolean {
    return this.pids().length === 0;
  }

  async kill(sig: number, direct: number[]): Promise<KillTreeFailure[]> {
    const failed = new Failures();
    // Only whether each root's pid names a process is needed here: killTree reads the rest.
    const present = presentAmong([...this.#roots.keys()]);
    // 1. Stop every owned group at once: members that left their tree (an exited middle parent)
    //    are still in the group, and killpg is atomic against fork (a forking member's fork is
    //    restarted after the signal, so its child is stopped too).
    if (sig !== 0) for (const g of this.#groups(present)) native.killpg(g, SIGSTOP_);
    // 2. Freeze-then-kill every tree, with its group (killTree re-scans until no new member
    //    appears, signals, and resumes unless the signal was SIGKILL). A root that was reaped
    //    is walked only through its group, and only when its pid names no process: a present pid
    //    would be a recycled one.
    for (const r of [...this.#roots.values()]) {
      const live = r.alive();
      if (!live && (!r.group || present.has(r.pid))) continue;
      try {
        for (const f of (await killTree(r.pid, sig)).failed) failed.push(f);
      } catch (e) {
        // ESRCH: the root and its whole group are gone already — which is what a kill wants.
        if ((e as { code?: string }).code !== 'ESRCH') throw e;
      }
    }
    for (const pid of direct) failed.add(pid, false, native.kill(pid, sig), sig);
    return failed.list;
  }

  subscribe(onChange: () => void): () => void {
    return pollSubscribe(onChange);
  }

  async destroy(): Promise<void> {
    this.#roots.clear();
    for (const h of this.#handles.splice(0)) h.close();
  }

  exitHook(): void {
    try {
      for (const g of this.#groups(presentAmong([...this.#roots.keys()]))) native.killpg(g, SIGKILL);
    } catch {
      // best effort: the process is exiting
    }
  }
}

// ---- Job Object (Windows) ----

class JobObjectBackend implements Backend {
  readonly kind = 'jobobject' as const;
  readonly #name: string;
  #job: JobObjectRef | null;

  private constructor(name: string, job: JobObjectRef) {
    this.#name = name;
    this.#job = job;
  }

  static create(): JobObjectBackend | string {
    if (process.platform !== 'win32') return 'Job Objects exist only on Windows';
    const name = `Local\\procsig-job-${process.pid}-${++jobCounter}-${randomHex(6)}`;
    const job = native.jobObjectCreate(name);
    if (isFailure(job)) throw processError(job);
    return new JobObjectBackend(name, job);
  }

  #ref(): JobObjectRef {
    if (this.#job === null) throw new JobClosedError();
    return this.#job;
  }

  spawn(file: string, argv0: string, args: string[], options: SpawnOptions): ChildProcess {
    const addon = addonPath();
    if (addon === undefined) throw new JobBackendUnavailableError('jobobject', 'the addon file was not found');
    const opts = {
      shell: options.shell,
      windowsHide: options.windowsHide,
      windowsVerbatimArguments: options.windowsVerbatimArguments,
      argv0,
    };
    const o = checkedSpawnOptions(options);
    delete o.windowsVerbatimArguments;
    const child = spawnChild(process.execPath, ['-e', WIN32_INTERMEDIATE], {
      ...o,
      env: intermediateEnv(o.env, { addon, name: this.#name, file, args, opts }),
    });
    setShownCommand(child, file, argv0, args);
    return child;
  }

  add(pid: number): void {
    const failure = native.jobObjectAssign(this.#ref(), pid);
    if (failure !== undefined) throw processError(failure, { pid });
  }

  pids(): number[] {
    const pids = native.jobObjectPids(this.#ref());
    if (isFailure(pids)) throw processError(pids);
    return pids;
  }

  isEmpty(): boolean {
    if (this.#job === null) return true;
    const acct = native.jobObjectQuery(this.#job);
    if (isFailure(acct)) throw processError(acct);
    return acct[0] === 0;
  }

  async kill(sig: number): Promise<KillTreeFailure[]> {
    // TerminateJobObject ends every process with exit code 1, libuv's code for a killed process.
    const failure = native.jobObjectTerminate(this.#ref(), 1);
    if (failure !== undefined) throw processError(failure, { signal: displaySignal(sig) });
    return [];
  }

  subscribe(onChange: () => void): () => void {
    return pollSubscribe(onChange);
  }

  async destroy(): Promise<void> {
    if (this.#job === null) return;
    const job = this.#job;
    this.#job = null;
    const failure = native.jobObjectClose(job);
    if (failure !== undefined) throw processError(failure);
  }

  exitHook(): void {
    // JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: Windows kills the job when this process's handle goes.
  }
}

// ---------------------------------------------------------------------------------------------
// Job
// ---------------------------------------------------------------------------------------------

const openJobs = new Set<Job>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const job of openJobs) job[kExitHook]();
  });
}

const kExitHook = Symbol('procsig.job.exitHook');

function checkBackend(value: unknown): JobBackend | undefined {
  if (value === undefined) return undefined;
  if (value !== 'cgroup2' && value !== 'tree' && value !== 'jobobject') {
    throw argValueError('options.backend', "must be 'cgroup2', 'tree' or 'jobobject'", value, TypeError);
  }
  return value;
}

/**
 * A job: a set of processes (and everything they start) that is killed as one — the Zircon job
 * (`zx_task_kill`), a systemd scope (`cgroup.kill`), a Windows Job Object.
 *
 * ```ts
 * await using job = Job.create();
 * const { child } = job.spawn('make', ['-j8']);
 * // ...
 * await job.kill();   // every process the job holds, including daemons that called setsid()
 * await job.wait();   // resolves when the job is empty
 * ```
 *
 * A killed job refuses new processes ({@link JobKilledError}, `ERR_JOB_KILLED`). Closing a job
 * kills whatever is still in it (like `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`), waits for it to be
 * empty and releases it (the cgroup directory is removed). Kill-on-close (the default,
 * {@link JobOptions.killOnClose}): when the process that created the job dies — SIGKILL, a crash,
 * `process.abort()`, an uncaught exception, a normal exit — the job's processes die too: a Job
 * Object's `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE` on Windows, a watchdog process on Linux
 * (lib/job-watchdog.ts; cgroup2: `cgroup.kill` and the group removed), and on other systems the
 * synchronous `'exit'` hook only.
 */
export class Job implements AsyncDisposable {
  /** The mechanism holding the processes. */
  readonly backend: JobBackend;
  /** Whether the job's processes are killed when its creator dies ({@link JobOptions.killOnClose}). */
  readonly killOnClose: boolean;
  readonly #b: Backend;
  /** Its id with the kill-on-close watchdog (lib/job-watchdog.ts); 0 = not watched. */
  #watch = 0;
  #state: 'open' | 'killed' | 'closed' = 'open';
  #closing: Promise<void> | undefined;
  /** Job-spawned children whose exit Node has not reported yet (they may not have joined the group yet). */
  readonly #running = new Set<ChildProcess>();
  readonly #handles = new Set<ProcessHandle>();
  readonly #exitWaiters = new Set<() => void>();

  private constructor(b: Backend, killOnClose: boolean) {
    this.#b = b;
    this.backend = b.kind;
    this.killOnClose = killOnClose;
  }

  /** Registers the job (kill-on-close, the 'exit' hook) once its backend exists. */
  static #register(b: Backend, killOnClose: boolean): Job {
    const job = new Job(b, killOnClose);
    // Windows Job Objects kill on close by themselves; elsewhere the watchdog does it.
    if (killOnClose && b.kind !== 'jobobject') job.#watch = watchJob(findExecHelper(), b.path);
    openJobs.add(job);
    installExitHook();
    return job;
  }

  /**
   * Creates a job.
   *
   * Linux: finds the cgroup2 mount in `/proc/self/mountinfo` and the caller's group in
   * `/proc/self/cgroup` (`0::/path`), and creates a child group there (or in `options.parent`).
   * Where that is impossible (no cgroup2, not writable) and no backend was named, the job uses
   * the `'tree'` backend. Windows: `CreateJobObjectW` + `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`.
   * macOS and other POSIX systems: `'tree'`.
   *
   * @throws TypeError `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE` (bad options);
   *   {@link JobBackendUnavailableError} `ERR_JOB_BACKEND_UNAVAILABLE` (a named backend that does
   *   not exist here); ProcessError `mkdir` (`EACCES`, `EEXIST`, ...) or `CreateJobObject`.
   */
  static create(options?: JobOptions): Job {
    const o = checkOptions<JobOptions>(options);
    const backend = checkBackend(o.backend);
    if (o.parent !== undefined && typeof o.parent !== 'string') throw argTypeError('options.parent', 'of type string', o.parent);
    if (o.killOnClose !== undefined && typeof o.killOnClose !== 'boolean') throw argTypeError('options.killOnClose', 'of type boolean', o.killOnClose);
    const killOnClose = o.killOnClose ?? true;
    if (!killOnClose && (backend ?? (process.platform === 'win32' ? 'jobobject' : undefined)) === 'jobobject') {
      throw argValueError('options.killOnClose', "cannot be false with the 'jobobject' backend (a Job Object dies with its last handle)", o.killOnClose);
    }
    if (o.name !== undefined) {
      if (typeof o.name !== 'string') throw argTypeError('options.name', 'of type string', o.name);
      if (!NAME_RE.test(o.name) || o.name === '.' || o.name === '..' || o.name.startsWith('cgroup.')) {
        throw argValueError('options.name', "must be 1-200 letters, digits, '.', '_' or '-', not '.', '..' or 'cgroup.*'", o.name);
      }
    }
    let b: Backend;
    const want = backend ?? (process.platform === 'win32' ? 'jobobject' : process.platform === 'linux' ? 'cgroup2' : 'tree');
    if (want === 'cgroup2') {
      const r = Cgroup2Backend.create(o, backend === 'cgroup2');
      if (typeof r === 'string') {
        if (backend === 'cgroup2') throw new JobBackendUnavailableError('cgroup2', r);
        // The fallback sees processes only through /proc: refuse it (ProcUnavailableError) where
        // /proc hides processes or is not mounted, rather than create a job that cannot see.
        assertProcListsAll();
        b = new TreeBackend();
      } else {
        b = r;
      }
    } else if (want === 'jobobject') {
      const r = JobObjectBackend.create();
      if (typeof r === 'string') throw new JobBackendUnavailableError('jobobject', r);
      b = r;
    } else {
      if (process.platform === 'win32') throw new JobBackendUnavailableError('tree', 'process groups do not exist on Windows');
      assertProcListsAll();
      b = new TreeBackend();
    }
    return Job.#register(b, killOnClose);
  }

  /**
   * Takes up an existing cgroup2 group as a job — typically one made by
   * `Job.create({ killOnClose: false })` in a process that has exited since: `kill`, `wait`,
   * `pids`, `spawn`, `add` and `close` (which removes the directory) work on it as on a job this
   * process created. Linux only.
   *
   * @param dir The group's directory (its {@link Job.path}).
   * @param options `killOnClose` (default `false`: opening a job does not tie it to this process).
   * @throws TypeError `ERR_INVALID_ARG_TYPE`/`ERR_INVALID_ARG_VALUE` (not a string, not a cgroup2
   *   group directory); {@link JobBackendUnavailableError} off Linux.
   */
  static open(dir: string, options?: Pick<JobOptions, 'killOnClose'>): Job {
    if (typeof dir !== 'string' || dir.length === 0 || dir.includes('\0')) throw argTypeError('dir', 'a non-empty string', dir);
    const o = checkOptions<JobOptions>(options);
    if (o.killOnClose !== undefined && typeof o.killOnClose !== 'boolean') throw argTypeError('options.killOnClose', 'of type boolean', o.killOnClose);
    if (process.platform !== 'linux') throw new JobBackendUnavailableError('cgroup2', 'cgroup2 exists only on Linux');
    const b = Cgroup2Backend.open(dir);
    return Job.#register(b, o.killOnClose ?? false);
  }

  /** cgroup2: the group's directory (e.g. `/sys/fs/cgroup/unified/procsig-job-…`); otherwise `undefined`. */
  get path(): string | undefined {
    return this.#b.path;
  }

  /** `true` once {@link kill} was called: the job refuses new processes. */
  get killed(): boolean {
    return this.#state !== 'open';
  }

  /** `true` once {@link close} was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) throw new JobClosedError();
    if (this.#state !== 'open') throw new JobKilledError();
  }

  /**
   * Starts a process inside the job, like `child_process.spawn(command, args, options)`.
   *
   * - cgroup2: the process is born inside the group — the `procsig-job-exec` helper (built beside
   *   the addon) moves itself into the group and then execs the command, so `child.pid` is the
   *   command's pid and nothing it runs can fork outside the group. Without the helper, a Node
   *   intermediate does the same through the addon (slower start). If joining fails the command
   *   never runs and the child exits with code 125; if exec fails, 127 (the child's `'exit'`, not
   *   an `'error'` event).
   * - tree: `detached: true` is forced (the process leads its own session and process group).
   * - jobobject: a Node intermediate joins the Job Object before it creates the command, and
   *   exits with its exit code; `child.pid` is the intermediate's.
   *
   * `child.spawnfile`/`child.spawnargs` show the command that was asked for.
   *
   * @returns `{ child, handle }`: the ChildProcess and a {@link ProcessHandle} on it.
   * @throws {@link JobKilledError} `ERR_JOB_KILLED`, {@link JobClosedError} `ERR_JOB_CLOSED`,
   *   TypeError `ERR_INVALID_ARG_TYPE` — before anything is started.
   */
  spawn(command: string, args?: readonly string[], options?: JobSpawnOptions): JobChild;
  spawn(command: string, options?: JobSpawnOptions): JobChild;
  spawn(command: string, argsOrOptions?: readonly string[] | JobSpawnOptions, maybeOptions?: JobSpawnOptions): JobChild {
    const { args: given, options: o, deathSig } = spawnArgs<JobSpawnOptions>(command, argsOrOptions, maybeOptions);
    this.#checkOpen();
    // Node's own shell handling is done here where the helper stands between Node and the
    // command; a Job Object's process is spawned by Node itself, which handles `shell`.
    const { file, argv0, args } = commandLine(command, given, this.backend === 'jobobject' ? { argv0: o.argv0 } : o);
    const child = this.#b.spawn(file, argv0, args, o, deathSig);
    let handle: ProcessHandle | null = null;
    if (child.pid !== undefined) {
      this.#running.add(child);
      child.once('exit', () => {
        this.#running.delete(child);
        for (const w of this.#exitWaiters) w();
      });
      handle = ProcessHandle.fromChild(child);
      this.#handles.add(handle);
      // 'tree': the watchdog learns the root (with its start time) while it is our unreaped child.
      if (this.#watch !== 0 && this.backend === 'tree') watchRoot(this.#watch, child.pid, true);
    }
    return { child, handle };
  }

  /**
   * Puts an existing process into the job: cgroup2 writes it to `cgroup.procs` (its children
   * started later are in the job; children it already has are not moved); tree tracks its tree
   * (and its process group when it leads one); jobobject `AssignProcessToJobObject`.
   *
   * A {@link ProcessHandle} is checked first (signal 0 through the handle): a closed handle, or
   * one whose process has exited — its pid may belong to a newcomer by now — is refused.
   *
   * A Linux thread id is refused (ProcessError `EINVAL`), and so is, with the `'tree'` backend, a
   * process that leads process group 1 (RangeError `ERR_INVALID_ARG_VALUE`: its group would be
   * signalled with killpg(2), and killpg(1) is kill(-1), every process).
   *
   * @throws {@link JobKilledError}, {@link JobClosedError}, RangeError for a bad pid, ProcessError
   *   (`ESRCH`, `EPERM`, `EINVAL`, ...) from the OS; for a handle, `ERR_PROCESS_HANDLE_CLOSED`,
   *   `UnexpectedExitError` or `AlreadyExitedError` (as `handle.kill` throws them).
   */
  add(target: number | ProcessHandle): void {
    const pid = target instanceof ProcessHandle ? target.pid : checkPid(target, 'target');
    this.#checkOpen();
    if (target instanceof ProcessHandle) target.kill(0);
    // A thread id would bring its whole process (cgroup.procs moves the thread group).
    else refuseThreadId(pid);
    this.#b.add(pid);
    if (this.#watch !== 0 && this.backend === 'tree') watchRoot(this.#watch, pid, pgidsOf([pid])[0] === pid);
  }

  /**
   * The pids currently in the job: cgroup2 reads `cgroup.procs`; tree walks the tracked trees and
   * groups (live processes only); jobobject `JobObjectBasicProcessIdList`.
   */
  pids(): number[] {
    if (this.#state === 'closed') return [];
    return this.#b.pids();
  }

  /**
   * Kills every process in the job and marks the job killed: from now on it refuses
   * {@link spawn} and {@link add}. Resolves once the signals were sent (use {@link wait} for the
   * processes to be gone). Killing a killed job signals what is left again.
   *
   * - cgroup2: SIGKILL writes `cgroup.kill` (Linux ≥ 5.14). Another signal, or a kernel without
   *   `cgroup.kill`: freeze the group (`cgroup.freeze`), signal every member, thaw.
   * - tree: SIGSTOP every owned group, freeze-then-kill every tracked tree ({@link killTree}),
   *   signal the groups, SIGCONT them (not after SIGKILL).
   * - jobobject: `TerminateJobObject` (exit code 1) whatever the signal.
   *
   * Resolves with `{ failed }` ({@link JobKillResult}): every member (or owned group) the signal
   * could not reach for a reason other than being gone (`EPERM`, ...), with its error. Such a
   * member may still be alive, and {@link wait} does not resolve while it is: check `failed`.
   *
   * @throws TypeError `ERR_UNKNOWN_SIGNAL` / RangeError (bad signal), {@link JobClosedError},
   *   ProcessError from the OS (a cgroup file that cannot be written, `TerminateJobObject`).
   */
  async kill(signal: SignalLike = 'SIGKILL'): Promise<JobKillResult> {
    const sig = toSignal(signal);
    if (this.#state === 'closed') throw new JobClosedError();
    if (this.#state === 'open') this.#state = 'killed';
    const direct: number[] = [];
    for (const c of this.#running) {
      // Not yet reaped by libuv, so the pid is still this child's (maybe a zombie): safe to signal.
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) direct.push(c.pid);
    }
    return { failed: await this.#b.kill(sig, direct) };
  }

  #done(): boolean {
    if (!this.#b.isEmpty()) return false;
    // A spawned child outside the group is one that has not joined yet (or a 'tree' root):
    // the job is not empty while it lives. A zombie is dead; libuv reaps it on its own time.
    for (const c of this.#running) {
      if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
      const state = native.processState(c.pid);
      // A failure: it exists but /proc cannot show it now (no fd, hidden): not done.
      if (state !== null && state !== 'Z' && state !== 'X') return false;
    }
    return true;
  }

  /**
   * Resolves when the job is empty: no process left in it (zombies count as gone) and every
   * process {@link spawn} started has exited. Event-driven on cgroup2 (inotify on
   * `cgroup.events`); tree and jobobject poll with a backoff (1 ms doubling to 50 ms).
   *
   * @throws (rejects) {@link TimeoutError} after `timeout`; the AbortSignal's reason on abort;
   *   TypeError/RangeError for bad options (before waiting).
   */
  wait(options?: JobWaitOptions): Promise<void> {
    let timeout: number | undefined;
    let signal: AbortSignal | undefined;
    try {
      const o = checkOptions<JobWaitOptions>(options);
      timeout = checkTimeout(o.timeout, 'options.timeout');
      signal = checkAbortSignal(o.signal, 'options.signal');
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#state === 'closed') return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let unsubscribe = (): void => {};
      let timer: NodeJS.Timeout | undefined;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        unsubscribe();
        this.#exitWaiters.delete(check);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err !== undefined) reject(err);
        else resolve();
      };
      const check = (): void => {
        try {
          if (this.#state === 'closed' || this.#done()) finish();
        } catch (e) {
          finish(e);
        }
      };
      const onAbort = (): void => finish(signal!.reason);
      if (timeout !== undefined) timer = setTimeout(() => finish(new TimeoutError(timeout!, undefined, `Timed out after ${timeout} ms waiting for the job to be empty`)), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#exitWaiters.add(check);
      unsubscribe = this.#b.subscribe(check);
      check();
    });
  }

  /**
   * Kills whatever is still in the job (SIGKILL), waits until it is empty, then releases it:
   * cgroup2 removes the group directory (and any sub-groups), jobobject closes the handle, and
   * the job's {@link ProcessHandle}s are closed. Idempotent: later calls return the same promise.
   *
   * @throws (rejects) ProcessError `rmdir` when the group cannot be removed.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = (async () => {
        try {
          if (!this.#done()) {
            await this.kill('SIGKILL');
            await this.wait();
          }
          await this.#b.destroy();
        } finally {
          this.#state = 'closed';
          openJobs.delete(this);
          unwatchJob(this.#watch);
          this.#watch = 0;
          for (const h of this.#handles) {
            try {
              h.close();
            } catch {
              // already closed by its user
            }
          }
          this.#handles.clear();
        }
      })();
    }
    return this.#closing;
  }

  /** `await using job = Job.create()`: {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** @internal process 'exit': synchronous best-effort kill + release. */
  [kExitHook](): void {
    // A job meant to outlive its creator is left alone.
    if (this.killOnClose) this.#b.exitHook();
  }
}
