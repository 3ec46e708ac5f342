/**
 * Where this process's cgroup2 group is: `/proc/self/mountinfo` (the cgroup2 mounts) and
 * `/proc/self/cgroup` (`0::/path`), or, without /proc, a search of the usual mount points.
 *
 * @internal
 * @packageDocumentation
 */
import fs = require('node:fs');
import path = require('node:path');
import { fsError } from './backend';

/** @internal A cgroup2 mount: its root within the hierarchy and where it is mounted. */
export interface MountEntry {
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
