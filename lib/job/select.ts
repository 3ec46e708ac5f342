/**
 * Which backend a new {@link Job} gets: `Job.create`'s options checked, the named backend or the
 * platform's default (`'jobobject'` on Windows, `'cgroup2'` on Linux falling back to `'tree'`
 * where no writable cgroup2 group can be made, `'tree'` elsewhere).
 *
 * @internal
 * @packageDocumentation
 */
import { argTypeError, argValueError, assertProcListsAll, checkOptions, JobBackendUnavailableError } from './shared';
import type { Backend } from './backend';
import { Cgroup2Backend, GROUP_NAME_RE } from './cgroup';
import { TreeBackend } from './pgroup';
import type { JobBackend, JobOptions } from './types';
import { JobObjectBackend } from './win32';
// For the {@link} tags only.
import type { Job } from './index';

function checkBackend(value: unknown): JobBackend | undefined {
  if (value === undefined) return undefined;
  if (value !== 'cgroup2' && value !== 'tree' && value !== 'jobobject') {
    throw argValueError('options.backend', "must be 'cgroup2', 'tree' or 'jobobject'", value, TypeError);
  }
  return value;
}

/** @internal `Job.create`'s options, checked. */
export function checkCreateOptions(options: JobOptions | undefined): { o: JobOptions; backend: JobBackend | undefined; killOnClose: boolean } {
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
    if (!GROUP_NAME_RE.test(o.name) || o.name === '.' || o.name === '..' || o.name.startsWith('cgroup.')) {
      throw argValueError('options.name', "must be 1-200 letters, digits, '.', '_' or '-', not '.', '..' or 'cgroup.*'", o.name);
    }
  }
  return { o, backend, killOnClose };
}

/** @internal The backend `Job.create` asked for (`backend`), or the platform's default with its fallback. */
export function createBackend(o: JobOptions, backend: JobBackend | undefined): Backend {
  const want = backend ?? (process.platform === 'win32' ? 'jobobject' : process.platform === 'linux' ? 'cgroup2' : 'tree');
  if (want === 'cgroup2') {
    const r = Cgroup2Backend.create(o, backend === 'cgroup2');
    if (typeof r !== 'string') return r;
    if (backend === 'cgroup2') throw new JobBackendUnavailableError('cgroup2', r);
    // The fallback sees processes only through /proc: refuse it (ProcUnavailableError) where
    // /proc hides processes or is not mounted, rather than create a job that cannot see.
    assertProcListsAll();
    return new TreeBackend();
  }
  if (want === 'jobobject') {
    const r = JobObjectBackend.create();
    if (typeof r === 'string') throw new JobBackendUnavailableError('jobobject', r);
    return r;
  }
  if (process.platform === 'win32') throw new JobBackendUnavailableError('tree', 'process groups do not exist on Windows');
  assertProcListsAll();
  return new TreeBackend();
}
