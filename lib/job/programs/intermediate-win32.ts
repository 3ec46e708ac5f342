/**
 * The Windows intermediate, a program of its own: `process.execPath <this file>`. It joins the
 * named Job Object, then runs the command as its own child (Windows has no exec) and exits with
 * its exit code. Arguments from `PROCSIG_JOB_ARGS` (JSON: addon, name, file, args, opts), never
 * from argv (lib/job/env.ts). Exit 125: it could not join; 127: the command could not start.
 *
 * @internal
 * @packageDocumentation
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { commandEnv, programArgs } from '../env';

interface Args {
  addon: string;
  name: string;
  file: string;
  args: string[];
  opts: Pick<SpawnOptions, 'shell' | 'windowsHide' | 'windowsVerbatimArguments' | 'argv0'>;
}

const a = programArgs<Args>(
  (a) => typeof a.addon === 'string' && a.addon.endsWith('.node') && typeof a.name === 'string' && typeof a.file === 'string' && Array.isArray(a.args) && !!a.opts,
);
// The addon is loaded by its path (the one the supervisor loaded): this program is no module of
// procsig's and does not go through lib/native.ts.
// undefined, or a failure object (lib/native.ts, NativeFailure) with the Win32 code.
const addon = require(a.addon) as { jobObjectAssignSelf(name: string): { errno: number; win32?: number } | undefined };
const failure = addon.jobObjectAssignSelf(a.name);
if (failure !== undefined) {
  process.stderr.write(`procsig job: cannot join the job: win32 error ${failure.win32}\n`);
  process.exit(125);
}
const o = a.opts;
const c = spawn(a.file, a.args, {
  stdio: 'inherit',
  env: commandEnv(process.env),
  shell: o.shell,
  windowsHide: o.windowsHide,
  windowsVerbatimArguments: o.windowsVerbatimArguments,
  argv0: o.argv0,
});
c.on('error', (e: NodeJS.ErrnoException) => {
  process.stderr.write(`procsig job: ${a.file}: ${e.code}\n`);
  process.exit(127);
});
c.on('exit', (code) => process.exit(code === null ? 1 : code));
