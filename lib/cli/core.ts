/**
 * The `procsig` command's shared core: exit statuses, usage errors, argument parsing (options,
 * pids, durations) and output. It imports nothing of the library, so `procsig --help` loads no
 * addon; what needs the library (signal names, error texts) is in `report.ts`.
 *
 * @packageDocumentation
 */
import { USAGE, type Command } from './usage';

/** Success. */
export const EXIT_OK = 0;
/** An operation failed: a pid could not be signalled, a wait timed out, a pid is not alive. */
export const EXIT_FAILED = 1;
/** Bad arguments: a one-line error and the usage went to stderr, nothing was signalled. */
export const EXIT_USAGE = 2;
/** The process keeps running after `main` resolves (the demo's hidden member command). */
export const EXIT_RUNNING = -1;

/** Bad arguments: reported with the command's usage, exit status {@link EXIT_USAGE}. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: Command,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

/** Where a command writes: one line at a time, a newline added. */
export interface Io {
  out(line?: string): void;
  err(line?: string): void;
}

/** The process's stdout and stderr. */
export const stdio: Io = {
  out: (line = '') => process.stdout.write(line + '\n'),
  err: (line = '') => process.stderr.write(line + '\n'),
};

/** Prints `value` as one indented JSON document on stdout. */
export function json(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** Prints a table with a header row: columns two spaces apart, `right[i]` right-aligned. */
export function table(io: Io, head: string[], rows: string[][], right: boolean[]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  io.out(line(head));
  for (const r of rows) io.out(line(r));
}

/** Prints a command's usage on stdout (`--help`). */
export function help(io: Io, cmd: Command): number {
  io.out(USAGE[cmd]);
  return EXIT_OK;
}

/** `0.42ms`, `12ms`, `5.0s`, `2m03s`. */
export function formatDuration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

// ---------------------------------------------------------------------------------------------
// Argument parsing.

/** The options a command accepts (`--json` and `--help`/`-h` always). */
export interface ParseSpec {
  /** Flags without a value (`--json`). */
  bool?: readonly string[];
  /** Options taking a value (`--timeout 5s`, `--timeout=5s`). */
  value?: readonly string[];
  /** Single-letter aliases: `{ s: 'signal' }`. */
  short?: Readonly<Record<string, string>>;
}

/** Parsed arguments: options by long name (`true` for a flag) and the positional arguments. */
export interface Parsed {
  opts: Map<string, string | true>;
  pos: string[];
}

/**
 * Parses `args` against `spec`: `--name`, `--name=value`, `--name value`, `-x` aliases, and `--`
 * ending the options. A negative number is positional. Anything else is a {@link UsageError}.
 */
export function parseArgs(cmd: Command, args: readonly string[], spec: ParseSpec): Parsed {
  const bool = new Set(['json', 'help', ...(spec.bool ?? [])]);
  const value = new Set(spec.value ?? []);
  const short: Record<string, string> = { h: 'help', ...spec.short };
  const opts = new Map<string, string | true>();
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      pos.push(...args.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
    } else if (/^-[A-Za-z]$/.test(a)) {
      name = short[a[1]];
      if (name === undefined) throw new UsageError(`unknown option ${a}`, cmd);
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d+$/.test(a)) {
      throw new UsageError(`unknown option ${a}`, cmd);
    } else {
      pos.push(a);
      continue;
    }
    if (bool.has(name)) {
      if (inline !== undefined) throw new UsageError(`option --${name} takes no value`, cmd);
      opts.set(name, true);
    } else if (value.has(name)) {
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`option --${name} needs a value`, cmd);
      if (opts.has(name)) throw new UsageError(`option --${name} given twice`, cmd);
      opts.set(name, v);
    } else {
      throw new UsageError(`unknown option ${a}`, cmd);
    }
  }
  return { opts, pos };
}

const INT32_MAX = 0x7fffffff;

/**
 * A process id argument: a decimal integer from 1 to 2^31-1 (or < -1, a group, when allowed).
 * The CLI's own check, before any library call, so that a bad argument is a usage error (exit
 * status 2) with a kill(1)-style message and nothing is signalled.
 */
export function parsePid(cmd: Command, s: string, allowGroup = false): number {
  if (!/^-?\d+$/.test(s)) throw new UsageError(`invalid pid "${s}" (expected a positive integer)`, cmd);
  const n = Number(s);
  if (n === -1) throw new UsageError('pid -1 (every process) is refused', cmd);
  if (n === 0) throw new UsageError("pid 0 (the caller's own process group) is refused", cmd);
  if (Math.abs(n) > INT32_MAX) throw new UsageError(`invalid pid "${s}" (out of range)`, cmd);
  if (n < 0 && !allowGroup) throw new UsageError(`invalid pid "${s}" (expected a positive integer)`, cmd);
  return n;
}

/** At least one pid argument, each checked by {@link parsePid}. */
export function parsePids(cmd: Command, pos: readonly string[], allowGroup = false): number[] {
  if (pos.length === 0) throw new UsageError('no pid given', cmd);
  return pos.map((s) => parsePid(cmd, s, allowGroup));
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration: `500ms`, `5s`, `1.5s`, `1m`, `1h`, or a plain number of milliseconds.
 * @returns milliseconds.
 * @throws RangeError for anything else.
 */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new RangeError(`invalid duration "${s}" (expected e.g. 500ms, 5s, 1m)`);
  const ms = Number(m[1]) * UNITS[m[2] ?? 'ms'];
  if (!Number.isFinite(ms)) throw new RangeError(`invalid duration "${s}"`);
  return ms;
}

/** The duration option `--name` in milliseconds, `dflt` when absent; a usage error when invalid. */
export function durationOpt(cmd: Command, p: Parsed, name: string, dflt: number | undefined): number | undefined {
  const v = p.opts.get(name);
  if (v === undefined || v === true) return dflt;
  try {
    return parseDuration(v);
  } catch (e) {
    throw new UsageError(`--${name}: ${(e as Error).message}`, cmd);
  }
}
