/**
 * The `'cgroup2'` backend (Linux): a cgroup v2 child group. Processes are *started inside* the
 * group (the exec helper, or the Node intermediate, joins the group and then execs the command),
 * so nothing they fork, double-fork or `setsid` can ever be outside it. `kill` writes
 * `cgroup.kill` (SIGKILL, Linux ≥ 5.14), or freezes the group, signals every member and thaws it
 * (other signals, older kernels). `wait` watches `cgroup.events` (`populated 0`) through inotify.
 * `close` removes the group.
 *
 * @internal
 * @packageDocumentation
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import fs = require('node:fs');
import path = require('node:path');
import { argValueError, deathSignalArgs, findExecHelper, JobBackendUnavailableError, nativePath, programPath, requireHelper, sendSignal } from './shared';
import type { KillTreeFailure } from '../tree';
import { checkedSpawnOptions, Failures, fsError, setShownCommand, SIGKILL, spawnChild, uniqueName, type Backend } from './backend';
import { intermediateEnv } from './env';
import { ownCgroup2Dir } from './mountinfo';
import type { JobOptions } from './types';

/** @internal A valid `options.name`: a directory name, 1-200 letters, digits, `.`, `_` or `-`. */
export const GROUP_NAME_RE = /^[A-Za-z0-9._-]{1,200}$/;

/** `cgroup.events` as key → value. */
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

/** @internal The `'cgroup2'` backend. */
export class Cgroup2Backend implements Backend {
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
    const name = opts.name ?? uniqueName('procsig-job', 4);
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
    return new Cgroup2Class(dir);
  }

  /** An existing group (Job.open). */
  static open(dir: string): Cgroup2Backend {
    const abs = path.resolve(dir);
    if (!fs.existsSync(path.join(abs, 'cgroup.procs')) || !fs.existsSync(path.join(abs, 'cgroup.events'))) {
      throw argValueError('dir', 'must be a cgroup2 group directory (it has no cgroup.procs / cgroup.events)', dir);
    }
    return new Cgroup2Class(abs);
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
      const addon = nativePath;
      const program = programPath('intermediate-linux');
      if (program === null) throw new JobBackendUnavailableError('cgroup2', 'neither the exec helper nor the Node intermediate (dist/job/programs) was found');
      child = spawnChild(process.execPath, [program], {
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
      for (const pid of direct) failed.send(pid, sig);
      return failed.list;
    }
    // Freeze, signal every member, thaw: a frozen member cannot fork, so the list is complete.
    // (SIGKILL gets through the cgroup2 freezer; other signals are acted on at the thaw.)
    this.#write('cgroup.freeze', '1');
    try {
      await this.#until((ev) => ev.get('frozen') === '1' || ev.get('populated') === '0', 2000);
      const members = new Set(this.pids());
      for (const pid of members) failed.send(pid, sig);
      for (const pid of direct) if (!members.has(pid)) failed.send(pid, sig);
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
        for (const pid of readProcs(this.path)) sendSignal(pid, SIGKILL);
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

// The class's body refers to itself through this name: a body that names its own class makes
// esbuild bind it a second time as `_Cgroup2Backend`, which stack frames would show (scripts/build-ts.js).
const Cgroup2Class = Cgroup2Backend;
