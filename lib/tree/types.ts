/**
 * The types of the tree functions: {@link ProcessInfo} and {@link ProcessTreeNode} (the process
 * table's rows), and killTree's options and result.
 *
 * @packageDocumentation
 */
import type { ProcessError } from '../errors';

/** One process of a {@link snapshot}. */
export interface ProcessInfo {
  /** Process id. */
  readonly pid: number;
  /** Parent process id as the OS reports it (on Windows it may name a parent that has exited). */
  readonly ppid: number;
  /** Process group id (0 on Windows, which has none). */
  readonly pgid: number;
  /** Session id (0 on Windows). */
  readonly sid: number;
  /**
   * When the process started, in milliseconds since the Unix epoch; `NaN` when unknown (Windows
   * processes the caller may not open). Linux: boot time + `/proc/<pid>/stat` field 22, so the
   * resolution is one clock tick (10 ms) and boot-time drift applies. macOS: µs. Windows: 100 ns.
   */
  readonly startTime: number;
  /** The short command name (`comm` on Linux/macOS, the image name on Windows). */
  readonly name: string;
  /**
   * A one-letter state as `/proc` spells it: `'R'`, `'S'`, `'D'`, `'T'` (stopped), `'Z'`
   * (zombie), ... Windows reports `'R'` for every listed process.
   */
  readonly state: string;
}

/** A node of {@link processTree}: a process and the processes it started, oldest first. */
export interface ProcessTreeNode extends ProcessInfo {
  readonly children: ProcessTreeNode[];
}

/** One member the kill could not signal, and why. */
export interface KillTreeFailure {
  /** The pid, or the process group id for a failed `killpg` (then `group` is true). */
  readonly pid: number;
  /** True when this is the `killpg` of the root's group. */
  readonly group: boolean;
  /** The OS error (`EPERM`, ...). ESRCH never appears: a member that exits mid-walk is expected. */
  readonly error: ProcessError;
}

/** What {@link killTree} did. */
export interface KillTreeResult {
  /** The root pid asked for. */
  readonly pid: number;
  /** The signal delivered (its name, or its number when it has none). */
  readonly signal: string | number;
  /** Every member that received the signal, top-down (parents before their children). */
  readonly signalled: number[];
  /** The root's process group, when it was also signalled with killpg(2); otherwise null. */
  readonly group: number | null;
  /** Members (or the group) that could not be signalled for a reason other than being gone. */
  readonly failed: KillTreeFailure[];
  /**
   * How many times the walk read the process list: whole snapshots, and on Linux the re-reads
   * of only the processes that appeared since. Linux: 2 when nothing forked during the kill
   * (the scan, then the look after the freeze); elsewhere 1 when every member is in the root's
   * group (frozen before the scan), 2 when members outside it had to be stopped.
   */
  readonly scans: number;
  /**
   * Whether every member was seen dead (zombies count): `true` when the wait ended with all of
   * them gone, `false` when a numeric `wait` ran out first, `null` when not waiting.
   */
  readonly dead: boolean | null;
  /** The members still alive when a numeric `wait` ran out (empty otherwise). */
  readonly survivors: number[];
  /** Milliseconds from the call until it resolved. */
  readonly elapsedMs: number;
}

/** Options of {@link killTree}. */
export interface KillTreeOptions {
  /**
   * Resolve only once every member is dead (zombies count as dead): `true` waits without limit,
   * a number waits at most that many milliseconds and then resolves with `dead: false` and the
   * `survivors`. Default `false`: resolve as soon as the signal is delivered — a member that
   * catches or ignores the signal would otherwise keep the promise pending forever.
   */
  wait?: boolean | number;
  /** Signal the root itself too (default `true`). With `false` only its descendants are signalled. */
  includeRoot?: boolean;
  /**
   * Also take the root's process group when the root leads one (pgid == pid) and it is not the
   * caller's own group (default `true`; POSIX only).
   */
  group?: boolean;
  /** Aborts the wait (the promise rejects with the signal's reason); checked before anything is sent. */
  signal?: AbortSignal;
}
