/**
 * The Node intermediate (Linux), a program of its own: `process.execPath <this file>`, used when
 * the exec helper cannot be found. A fresh Node (or Deno, Bun, Electron-as-Node) process joins
 * the job's cgroup, then replaces itself with the command through the addon's execvpe.
 *
 * Its arguments come from `PROCSIG_JOB_ARGS` (JSON: addon, procs, file, argv), never from argv,
 * whose layout differs between runtimes (lib/job/env.ts). It writes exactly one file, and only
 * when that file is a `cgroup.procs` given by an absolute path; it loads only a `*.node` file.
 * Exit 125: it could not join (the command never ran); 127: the exec failed.
 *
 * @internal
 * @packageDocumentation
 */
import fs = require('node:fs');
import { getSystemErrorName } from 'node:util';
import { commandEnv, programArgs } from '../env';

interface Args {
  addon: string;
  procs: string;
  file: string;
  argv: string[];
}

const a = programArgs<Args>(
  (a) =>
    typeof a.procs === 'string' &&
    a.procs.startsWith('/') &&
    a.procs.endsWith('/cgroup.procs') &&
    typeof a.addon === 'string' &&
    a.addon.endsWith('.node') &&
    typeof a.file === 'string' &&
    Array.isArray(a.argv),
);
try {
  fs.writeFileSync(a.procs, '0\n');
} catch (e) {
  process.stderr.write(`procsig job: cannot join ${a.procs}: ${(e as NodeJS.ErrnoException).code}\n`);
  process.exit(125);
}
const env = Object.entries(commandEnv(process.env)).map(([k, v]) => `${k}=${v}`);
// The addon is loaded by its path (the one the supervisor loaded): this program is no module of
// procsig's and does not go through lib/native.ts.
// jobExecve returns only when execve failed: a failure object (lib/native.ts, NativeFailure).
const addon = require(a.addon) as { jobExecve(file: string, argv: string[], env: string[]): { errno: number } };
const failure = addon.jobExecve(a.file, a.argv, env);
process.stderr.write(`procsig job: ${a.file}: ${getSystemErrorName(-failure.errno)}\n`);
process.exit(127);
