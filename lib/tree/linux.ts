/**
 * killTree's Linux strategy: read before freezing, reading only what can matter
 * ({@link groupTable}); freeze the group and the members outside it; then read only what `/proc`
 * lists that no earlier read did ({@link readDelta}) until nothing new appears. See
 * docs/internals.md, "killTree, and why in that order (Linux)".
 *
 * @internal
 * @packageDocumentation
 */
import { failureError } from '../errors';
import { isFailure, native, type TreeColumns } from '../native';
import { assertProcListsAll } from '../procfs';
import { addFresh, departed, freezeGroup, loose, stopEach, type KillStrategy, type TreeKill } from './common';
import { ProcessTable, tableOf } from './table';

/** One of killTree's reads: the table, and every pid /proc listed, for {@link readDelta}. */
interface Scan {
  table: ProcessTable;
  listed: Int32Array;
}

/**
 * killTree's first scan. With a `group` (> 0) taken whole: only what can matter is read
 * ({@link groupTable}); otherwise every process.
 */
function readScan(group: number): Scan {
  assertProcListsAll();
  const listed = listProc();
  return { table: group > 0 ? groupTable(listed, group) : tableOf(native.treeRead(listed)), listed };
}

/** The processes /proc lists now but `before` did not (Linux), as a table of only those. */
function readDelta(before: Int32Array): Scan {
  const listed = listProc();
  const added: number[] = [];
  // Both ascending: one merge pass.
  for (let i = 0, j = 0; i < listed.length; i++) {
    while (j < before.length && before[j] < listed[i]) j++;
    if (j === before.length || before[j] !== listed[i]) added.push(listed[i]);
  }
  return { table: tableOf(native.treeRead(Int32Array.from(added))), listed };
}

function listProc(): Int32Array {
  const l = native.treeList();
  if (isFailure(l)) throw failureError(l);
  return l;
}

/**
 * The table of killTree's first Linux scan when the root leads `group`, reading only what can
 * matter (the policy that decides it lives here; native only lists, asks getpgid/getsid and reads
 * the rows it is given):
 * - A member of the group is listed, not read: getpgid(2) (well under a microsecond, no /proc
 *   entry built) says it is one, and killTree signals the group as a whole. Its row is
 *   `{ pid, pgid: group }` with ppid 0, sid 0, start NaN and state 0 ("listed unread", which
 *   {@link ProcessTable} links children to).
 * - Any other process can matter only as a descendant of a member. A descendant is in its
 *   parent's session unless it called setsid(2), so it is in the group's session, or leads a
 *   session, or is in a session led by such a descendant. getsid(2) sorts the rest out unread:
 *   on a busy host most processes sit in sessions that are none of these.
 */
function groupTable(listed: Int32Array, group: number): ProcessTable {
  const pg = native.treePgids(listed);
  const members: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < listed.length; i++) (pg[i] === group ? members : others).push(listed[i]);
  const other = Int32Array.from(others);
  const sids = native.treeSids(other);
  // The group's session: the leader's, or (the leader gone) any member's.
  let groupSid = native.treeSids(Int32Array.of(group))[0];
  if (groupSid < 0 && members.length > 0) groupSid = native.treeSids(Int32Array.of(members[0]))[0];
  let toRead: number[] = [];
  let unread: number[] = []; // indices into `other` of processes set aside
  for (let i = 0; i < other.length; i++) {
    if (sids[i] < 0) continue; // gone
    if (sids[i] === other[i]) toRead.push(other[i]);
    else unread.push(i);
  }
  const linked = new Set(members); // the group, then rows whose parent is linked
  const sessions = new Set<number>(); // sessions whose every process is read
  const parts: TreeColumns[] = [];
  for (;;) {
    // Read the set-aside processes of the newly relevant sessions (the group's, at first).
    if (sessions.size === 0 && groupSid >= 0) sessions.add(groupSid);
    const rest: number[] = [];
    for (const i of unread) {
      if (sessions.has(sids[i])) toRead.push(other[i]);
      else rest.push(i);
    }
    unread = rest;
    toRead.sort((x, y) => x - y);
    const cols = native.treeRead(Int32Array.from(toRead));
    if (isFailure(cols)) throw failureError(cols);
    parts.push(cols);
    toRead = [];
    // Which rows descend from the group (by parent pid alone: a superset, which is safe — it only
    // means reading more), and which of those lead a session not yet read.
    for (let grew = true; grew; ) {
      grew = false;
      for (const c of parts) {
        for (let r = 0; r < c.pid.length; r++) {
          if (!linked.has(c.pid[r]) && linked.has(c.ppid[r])) {
            linked.add(c.pid[r]);
            grew = true;
          }
        }
      }
    }
    let more = false;
    for (const c of parts) {
      for (let r = 0; r < c.pid.length; r++) {
        const p = c.pid[r];
        if (c.sid[r] === p && linked.has(p) && !sessions.has(p)) {
          sessions.add(p);
          more = true;
        }
      }
    }
    if (!more || unread.length === 0) break;
  }
  return new ProcessTable(withUnreadMembers(members, group, parts));
}

/** The columns of `members` (listed unread: see {@link groupTable}) followed by `parts`' rows. */
function withUnreadMembers(members: number[], group: number, parts: TreeColumns[]): TreeColumns {
  const n = members.length + parts.reduce((sum, c) => sum + c.pid.length, 0);
  const out: TreeColumns = {
    pid: new Int32Array(n),
    ppid: new Int32Array(n),
    pgid: new Int32Array(n),
    sid: new Int32Array(n),
    start: new Float64Array(n),
    state: new Uint8Array(n),
    startUnitMs: parts[0].startUnitMs,
    startBaseMs: parts[0].startBaseMs,
  };
  out.pid.set(members);
  out.pgid.fill(group, 0, members.length);
  out.start.fill(NaN, 0, members.length);
  let at = members.length;
  for (const c of parts) {
    out.pid.set(c.pid, at);
    out.ppid.set(c.ppid, at);
    out.pgid.set(c.pgid, at);
    out.sid.set(c.sid, at);
    out.start.set(c.start, at);
    out.state.set(c.state, at);
    at += c.pid.length;
  }
  return out;
}

/** @internal The Linux strategy (a real signal: signal 0 freezes nothing and takes `other.ts`). */
export const linuxStrategy: KillStrategy = {
  firstScan(k: TreeKill): ProcessTable {
    // The group's members are only listed (getpgid, no /proc read): the signal reaches them
    // through the group.
    k.group = k.candidate;
    const { table, listed } = readScan(k.group);
    k.listed = listed;
    return table;
  },

  /**
   * The group now, after the scan, and then every member outside it, top-down, get SIGSTOP; then
   * every process /proc lists that no earlier read did is read (children forked before their
   * parent froze, including during the first scan), until nothing new appears.
   */
  freeze(k: TreeKill): void {
    k.pgrp = freezeGroup(k);
    if (k.pgrp === 0) {
      k.group = 0;
      k.grouped.clear();
    }
    // Members that left the group between the scan and the freeze are running: stop them too.
    let pending = loose(k, k.added).concat(departed(k));
    for (;;) {
      stopEach(k, pending);
      const scan = readDelta(k.listed!);
      k.listed = scan.listed;
      const fresh = addFresh(k, scan.table);
      if (fresh.length === 0) return;
      pending = loose(k, fresh);
    }
  },
};
