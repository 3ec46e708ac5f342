/**
 * The `'tree'` backend (any POSIX system; the fallback where no writable cgroup2 exists): every
 * spawned process leads its own process group and session (`detached: true`); `kill` stops the
 * groups, runs freeze-then-kill ({@link killTree}) on every tracked tree and signals the groups.
 * It **cannot** catch a process that left both: a double-forked daemon that called `setsid`
 * after its intermediate parent exited (see docs/api/job.md).
 *
 * @internal
 * @packageDocumentation
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { checkGroup, deathSignalArgs, findExecHelper, groupRows, isExited, killTree, pgidsOf, ProcessHandle, readTable, requireHelper, sendSignal, SIG, subtreeRows } from './shared';
import type { KillTreeFailure } from '../tree';
import { checkedSpawnOptions, Failures, pollSubscribe, setShownCommand, SIGKILL, spawnChild, type Backend } from './backend';

const SIGSTOP_ = process.platform === 'win32' ? 0 : SIG.STOP;

/** A process the job tracks the tree (and maybe the group) of. */
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

/** @internal The `'tree'` backend. */
export class TreeBackend implements Backend {
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
    // One snapshot; the links and the walk are the process table's (its start-time rule).
    const t = readTable(false);
    const { pid: pidCol, pgid } = t.cols;
    // Forget roots that are dead and whose group is empty: nothing of them can come back.
    const pgids = new Set(pgid);
    for (const [pid, r] of this.#roots) if (!r.alive() && !(r.group && pgids.has(pid))) this.#roots.delete(pid);
    const groups = this.#groups(new Set(t.index.keys()));
    // Every member of an owned group, and every live root; then the descendants of all of them
    // (a member's children that left the group with setpgid/setsid are still in its tree while
    // their parent lives).
    const seeds: number[] = [];
    for (const g of groups) seeds.push(...groupRows(t, g));
    for (const r of this.#roots.values()) if (r.alive()) seeds.push(t.row(r.pid));
    // Zombies are dead: they only wait for their parent (or PID 1) to reap them.
    return subtreeRows(t, seeds)
      .filter((r) => !isExited(t, r))
      .map((r) => pidCol[r]);
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
    if (sig !== 0) for (const g of this.#groups(present)) sendSignal(g, SIGSTOP_, true);
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
    for (const pid of direct) failed.send(pid, sig);
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
      for (const g of this.#groups(presentAmong([...this.#roots.keys()]))) sendSignal(g, SIGKILL, true);
    } catch {
      // best effort: the process is exiting
    }
  }
}
