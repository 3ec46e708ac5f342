/**
 * Whether `/proc` shows this process every process (Linux): the check the readers that list
 * processes (snapshots, process trees, killTree, the Job 'tree' backend) make before trusting a
 * list, since a process `/proc` does not list is indistinguishable from one that is gone.
 *
 * @internal
 * @packageDocumentation
 */
import fs = require('node:fs');
import { errnoNumber, ProcessError, ProcUnavailableError } from './errors';

const PROC_SUPER_MAGIC = 0x9fa0;
const CAP_SYS_PTRACE = 19;

/** The answer for one mount of /proc, keyed by its device number. */
let cache: { dev: number; hidden: string | null } | undefined;

/** @internal The `hidepid=` and `gid=` options of the procfs mounted on /proc (the topmost one). */
export function procMountOptions(mountinfo: string): { hidepid: string | null; gid: number | null } | null {
  let found: { hidepid: string | null; gid: number | null } | null = null;
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const f = line.slice(0, sep).split(' ');
    const after = line.slice(sep + 3).split(' ');
    if (f[4] !== '/proc' || after[0] !== 'proc') continue;
    const opts = `${f[5] ?? ''},${after[2] ?? ''}`.split(',');
    let hidepid: string | null = null;
    let gid: number | null = null;
    for (const o of opts) {
      if (o.startsWith('hidepid=')) hidepid = o.slice(8);
      else if (o.startsWith('gid=')) gid = Number(o.slice(4));
    }
    found = { hidepid, gid }; // a later line is mounted over the earlier ones
  }
  return found;
}

/** Whether the effective capabilities include CAP_SYS_PTRACE (hidepid lets such a caller see all). */
function hasPtraceCap(): boolean {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return m !== null && ((BigInt(`0x${m[1]}`) >> BigInt(CAP_SYS_PTRACE)) & BigInt(1)) === BigInt(1);
}

/** Why /proc hides processes from this caller, or null when it shows them all. */
function hiddenReason(): string | null {
  const opts = procMountOptions(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  if (opts === null || opts.hidepid === null || opts.hidepid === '0' || opts.hidepid === 'off') return null;
  if (hasPtraceCap()) return null;
  const ptraceable = opts.hidepid === '4' || opts.hidepid === 'ptraceable';
  if (!ptraceable && opts.gid !== null && typeof process.getegid === 'function') {
    if (process.getegid() === opts.gid || (process.getgroups?.() ?? []).includes(opts.gid)) return null;
  }
  return `/proc is mounted hidepid=${opts.hidepid}: processes of other users (or that this one may not ptrace) are invisible to it`;
}

/**
 * @internal Throws {@link ProcUnavailableError} when /proc cannot list every process for this
 * caller: `ERR_PROC_NOT_MOUNTED` when it is no procfs, `ERR_PROC_HIDDEN` under hidepid (unless
 * the caller has CAP_SYS_PTRACE or is in the mount's `gid=`). One stat(2) per call; the mount
 * options are read again only when /proc's device changes. No-op off Linux.
 */
export function assertProcListsAll(): void {
  if (process.platform !== 'linux') return;
  let dev: number;
  try {
    dev = fs.statSync('/proc').dev;
  } catch {
    throw new ProcUnavailableError('ERR_PROC_NOT_MOUNTED', 'stat', '/proc does not exist, so processes cannot be listed');
  }
  if (cache === undefined || cache.dev !== dev) {
    if (fs.statfsSync('/proc').type !== PROC_SUPER_MAGIC) {
      throw new ProcUnavailableError('ERR_PROC_NOT_MOUNTED', 'statfs', '/proc is not mounted (no procfs there), so processes cannot be listed');
    }
    let hidden: string | null;
    try {
      hidden = hiddenReason();
    } catch (e) {
      // EMFILE/ENFILE reading the mount table: the call fails with that errno, like every reader.
      const code = (e as NodeJS.ErrnoException).code;
      const n = typeof code === 'string' ? errnoNumber(code) : undefined;
      if (n === undefined) throw e;
      throw new ProcessError(n, 'open', {});
    }
    cache = { dev, hidden };
  }
  if (cache.hidden !== null) throw new ProcUnavailableError('ERR_PROC_HIDDEN', 'mountinfo', cache.hidden);
}

/** @internal Whether {@link assertProcListsAll} passes (tests and the Job backend choice). */
export function procListsAll(): boolean {
  try {
    assertProcListsAll();
    return true;
  } catch (e) {
    if (e instanceof ProcUnavailableError) return false;
    throw e;
  }
}

/** @internal Whether /proc is a procfs (statfs f_type PROC_SUPER_MAGIC); true off Linux. */
export function procIsProcfs(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    return fs.statfsSync('/proc').type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}
