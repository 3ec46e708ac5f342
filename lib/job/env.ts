/**
 * The environment of the Node programs a Job starts (lib/job/programs/): what they must not act
 * on themselves, and how their arguments reach them. No imports: the programs load this module
 * too, so both sides read the same names.
 *
 * @internal
 * @packageDocumentation
 */

/**
 * Environment variables the Node intermediate must not act on itself; saved under
 * `PROCSIG_JOB_SAVED_<name>` and restored (or left unset) for the command.
 * `ELECTRON_RUN_AS_NODE` is among them because the intermediate needs it set (below).
 */
export const SHELTERED_ENV = ['NODE_OPTIONS', 'NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE', 'NODE_UNIQUE_ID', 'ELECTRON_RUN_AS_NODE'];
/** @internal The prefix a sheltered variable is saved under. */
export const SHELTER_PREFIX = 'PROCSIG_JOB_SAVED_';
/** @internal The intermediate's arguments, as JSON: never argv, whose layout differs between runtimes. */
export const ARGS_ENV = 'PROCSIG_JOB_ARGS';
/** @internal The Node watchdog's supervisor pid. */
export const WATCHDOG_PID_ENV = 'PROCSIG_WATCHDOG_PID';

/**
 * @internal The environment of a Node intermediate: the command's environment with
 * {@link SHELTERED_ENV} saved away, the intermediate's arguments in `PROCSIG_JOB_ARGS` (Deno's
 * `-e` adds an argv entry and Bun's may differ: positions in argv cannot be trusted, an
 * environment variable can), and `ELECTRON_RUN_AS_NODE=1`, without which Electron's executable
 * would start the app again instead of running the program. The intermediate removes both
 * before the command runs. Exported for the tests.
 */
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
 * @internal What the command gets from an intermediate's own environment: the sheltered
 * variables back under their names, the intermediate's own two removed.
 */
export function commandEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k !== ARGS_ENV && k !== 'ELECTRON_RUN_AS_NODE' && !k.startsWith(SHELTER_PREFIX)) out[k] = v;
  }
  // A saved value is the command's own: it wins over one a runtime set for the intermediate.
  for (const [k, v] of Object.entries(env)) if (k.startsWith(SHELTER_PREFIX)) out[k.slice(SHELTER_PREFIX.length)] = v;
  return out;
}

/** @internal The Node watchdog's environment: nothing Node would act on, `ELECTRON_RUN_AS_NODE`, the supervisor's pid. */
export function nodeWatchdogEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['NODE_OPTIONS', 'NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE', 'NODE_UNIQUE_ID']) delete env[k];
  env.ELECTRON_RUN_AS_NODE = '1';
  env[WATCHDOG_PID_ENV] = String(process.pid);
  return env;
}

/**
 * @internal The arguments an intermediate program was started with (`PROCSIG_JOB_ARGS`, JSON),
 * when `valid` accepts them; otherwise the program says so and exits 125 (it never ran the
 * command). Shared by the programs in programs/, which import nothing but this file.
 */
export function programArgs<T>(valid: (a: Partial<T>) => boolean): T {
  let a: Partial<T> | null;
  try {
    a = JSON.parse(process.env[ARGS_ENV] || '') as Partial<T> | null;
  } catch {
    a = null;
  }
  if (!a || typeof a !== 'object' || !valid(a)) {
    process.stderr.write(`procsig job: the intermediate was started without valid ${ARGS_ENV}\n`);
    process.exit(125);
  }
  return a as T;
}
