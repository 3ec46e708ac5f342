#!/usr/bin/env node
/**
 * The `procsig` command: `kill -l`, `kill`, `pstree -p`, a graceful `terminate`, `wait`, `alive`
 * and a `demo`, on every platform procsig supports (Windows has no `kill` of its own).
 *
 * Conventions (kill(1), pstree(1)): exit status 0 = success, 1 = an operation failed (a pid
 * could not be signalled, a wait timed out, a pid is not alive), 2 = bad arguments — then a
 * one-line error and the command's usage go to stderr and nothing is signalled. `--json` prints
 * one JSON document on stdout instead of text; `--help` prints the usage on stdout.
 *
 * Startup is kept light: nothing but this file is loaded until a command needs it (`--help`
 * never loads the addon; `kill` never loads the tree code).
 *
 * @packageDocumentation
 */
import type { ProcessError } from './errors';
import type { KillResult, ProbeResult } from './kill';
import type { SignalInfo, SignalLike } from './signals';
import type { ProcessInfo, ProcessTreeNode } from './tree';
import type { WaitStatus } from './wait';

// ---------------------------------------------------------------------------------------------
// Lazily loaded library modules.

const lib = {
  signals: () => require('./signals') as typeof import('./signals'),
  kill: () => require('./kill') as typeof import('./kill'),
  tree: () => require('./tree') as typeof import('./tree'),
};

/** An API another part of procsig provides but this build lacks: reported, exit status 1. */
class MissingApiError extends Error {}

/** Loads an optional module of the library, or explains which API is missing. */
function optional<T>(file: string, name: string, what: string): T {
  let mod: Record<string, unknown>;
  try {
    mod = require(file) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: string }).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(file.slice(2))) {
      throw new MissingApiError(`${what} needs ${name}() from procsig's ${file.slice(2)} module, which this build does not include`);
    }
    throw e;
  }
  if (typeof mod[name] !== 'function') throw new MissingApiError(`${what} needs ${name}() from procsig's ${file.slice(2)} module, which this build does not export`);
  return mod as T;
}

// ---------------------------------------------------------------------------------------------
// Usage.

const COMMANDS = ['signals', 'kill', 'tree', 'terminate', 'wait', 'alive', 'demo'] as const;
type Command = (typeof COMMANDS)[number];

const MAIN_USAGE = `Usage: procsig <command> [options]

Signal, kill and wait for processes by calling the OS directly.

Commands:
  signals [SIG...]        list the platform's signals (also: procsig -l)
  kill [-s SIG | -SIG] PID...
                          send a signal (default SIGTERM) to each pid, like kill(1)
  tree [PID]              draw the process tree (pid, name), like pstree -p
  terminate [--signal SIG] [--timeout 5s] [--tree | --group] PID...
                          stop gracefully: signal, wait, escalate to SIGKILL
  wait [--timeout 5s] PID...
                          wait until each pid has exited (any process, not only children)
  alive PID...            exit 0 if every pid is alive, 1 otherwise
  demo                    spawn a sample process tree, draw it, kill it with killTree

Options: --json (machine-readable output), --help (a command's usage), --version.
Durations: 500ms, 5s, 1.5s, 1m, or a plain number of milliseconds.
Exit status: 0 success, 1 an operation failed, 2 bad arguments (nothing was signalled).`;

const USAGE: Record<Command, string> = {
  signals: `Usage: procsig signals [--json] [SIG...]
       procsig -l [SIG...]

List the platform's signals: name, number, keyword, default action and description.
With SIG arguments (names or numbers), list only those.`,
  kill: `Usage: procsig kill [-s SIG | -SIG | --signal SIG] [--json] [--] PID...

Send SIG (default SIGTERM) to every PID, like kill(1). SIG is a name (TERM, SIGTERM, term, :term),
a number, or 0 to test that the pid may be signalled. A negative PID (after --) is a process group.
Prints "Killed process N" or the error per pid; exit status 0 only if every pid was signalled.`,
  tree: `Usage: procsig tree [--json] [--ascii] [PID]

Draw the process tree rooted at PID (default: every process on the machine), like pstree -p:
name(pid) per process, children below their parent. Processes that lead their own process
group or session are marked.`,
  terminate: `Usage: procsig terminate [--signal SIG] [--timeout DURATION] [--no-escalate]
                         [--tree | --group] [--json] PID...

Stop each PID gracefully: send SIG (default SIGTERM), wait up to DURATION (default 5s) for it to
exit, then send SIGKILL (unless --no-escalate). --tree stops its whole process tree, --group its
process group. Prints how each ended, e.g. "Killed process 1234 [exit code: 143]".
Exit status 0 only if every pid is gone.`,
  wait: `Usage: procsig wait [--timeout DURATION] [--json] PID...

Wait until every PID has exited (any process, not only children; event-driven, no polling where
the platform allows). Exit status 0 when all exited, 1 when a wait failed or timed out.`,
  alive: `Usage: procsig alive [--json] PID...

Tell whether each PID is alive (a zombie is not). Exit status 0 if every pid is alive, else 1.`,
  demo: `Usage: procsig demo [--json]

Spawn a small sample tree (a parent, two children, and a grandchild that left the process group
with setsid), draw it, kill it with killTree(), show that nothing is left and how long each step
took. Everything it spawned is killed even when a step fails.`,
};

class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: Command,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Argument parsing.

interface ParseSpec {
  /** Flags without a value (`--json`). */
  bool?: readonly string[];
  /** Options taking a value (`--timeout 5s`, `--timeout=5s`). */
  value?: readonly string[];
  /** Single-letter aliases: `{ s: 'signal' }`. */
  short?: Readonly<Record<string, string>>;
}

interface Parsed {
  opts: Map<string, string | true>;
  pos: string[];
}

function parseArgs(cmd: Command, args: readonly string[], spec: ParseSpec): Parsed {
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

/** A process id argument: a decimal integer from 1 to 2^31-1 (or < -1, a group, when allowed). */
function parsePid(cmd: Command, s: string, allowGroup = false): number {
  if (!/^-?\d+$/.test(s)) throw new UsageError(`invalid pid "${s}" (expected a positive integer)`, cmd);
  const n = Number(s);
  if (n === -1) throw new UsageError('pid -1 (every process) is refused', cmd);
  if (n === 0) throw new UsageError('pid 0 (the caller\'s own process group) is refused', cmd);
  if (Math.abs(n) > INT32_MAX) throw new UsageError(`invalid pid "${s}" (out of range)`, cmd);
  if (n < 0 && !allowGroup) throw new UsageError(`invalid pid "${s}" (expected a positive integer)`, cmd);
  return n;
}

function parsePids(cmd: Command, pos: readonly string[], allowGroup = false): number[] {
  if (pos.length === 0) throw new UsageError('no pid given', cmd);
  return pos.map((s) => parsePid(cmd, s, allowGroup));
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration: `500ms`, `5s`, `1.5s`, `1m`, `1h`, or a plain number of milliseconds.
 * @returns milliseconds.
 */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new RangeError(`invalid duration "${s}" (expected e.g. 500ms, 5s, 1m)`);
  const ms = Number(m[1]) * UNITS[m[2] ?? 'ms'];
  if (!Number.isFinite(ms)) throw new RangeError(`invalid duration "${s}"`);
  return ms;
}

function durationOpt(cmd: Command, p: Parsed, name: string, dflt: number | undefined): number | undefined {
  const v = p.opts.get(name);
  if (v === undefined || v === true) return dflt;
  try {
    return parseDuration(v);
  } catch (e) {
    throw new UsageError(`--${name}: ${(e as Error).message}`, cmd);
  }
}

/** Validates a signal spelling as procsig.toSignal() would; a usage error otherwise. */
function checkSignal(cmd: Command, s: string): SignalLike {
  const sig: string | number = /^\d+$/.test(s) ? Number(s) : s;
  try {
    lib.signals().toSignal(sig);
  } catch (e) {
    throw new UsageError((e as Error).message, cmd);
  }
  // Checked by toSignal above: a name (any case) or a number the platform accepts.
  return sig as SignalLike;
}

// ---------------------------------------------------------------------------------------------
// Output helpers.

interface Io {
  out(line?: string): void;
  err(line?: string): void;
}

const stdio: Io = {
  out: (line = '') => process.stdout.write(line + '\n'),
  err: (line = '') => process.stderr.write(line + '\n'),
};

/** `0.42ms`, `12ms`, `5.0s`, `2m03s`. */
export function formatDuration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** `[exit code: 137]` for a known status (the shell's number: 128 + signal after a signal). */
function statusText(status: WaitStatus | null | undefined): string {
  if (!status) return '[exit status unknown]';
  if (status.code === null) return `[${status.stopped ? 'stopped' : 'continued'}]`;
  return `[exit code: ${status.code}]`;
}

function errorInfo(e: unknown): { code: string | undefined; message: string } {
  const err = e as { code?: unknown; message?: unknown };
  return { code: typeof err?.code === 'string' ? err.code : undefined, message: String(err?.message ?? e) };
}

/** `No such process [ESRCH]` — the strerror text and the code, like kill(1) plus the code. */
function describeError(e: unknown): string {
  const pe = e as Partial<ProcessError>;
  if (typeof pe?.osErrno === 'number' && typeof pe.code === 'string') {
    const { strerror } = require('./errors') as typeof import('./errors');
    return `${strerror(pe.osErrno)} [${pe.code}]`;
  }
  const { code, message } = errorInfo(e);
  return code ? `${message} [${code}]` : message;
}

/** The ProcessError kill(2) would give for a pid that does not exist. */
function noSuchProcess(pid: number): ProcessError {
  const { ProcessError: PE, errnoNumber } = require('./errors') as typeof import('./errors');
  return new PE(errnoNumber('ESRCH') ?? 3, 'kill', { pid, signal: 0 });
}

function json(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

// ---------------------------------------------------------------------------------------------
// signals

function cmdSignals(args: readonly string[], io: Io): number {
  const p = parseArgs('signals', args, {});
  if (p.opts.has('help')) return help(io, 'signals');
  const { listSignals, signalInfo } = lib.signals();
  let list: SignalInfo[];
  if (p.pos.length > 0) {
    list = p.pos.map((s) => {
      const sig = checkSignal('signals', s);
      try {
        return signalInfo(sig);
      } catch (e) {
        throw new UsageError((e as Error).message, 'signals');
      }
    });
  } else {
    list = listSignals();
  }
  if (p.opts.has('json')) {
    json(io, list);
    return 0;
  }
  const rows = list.map((s) => [s.name, String(s.number), s.keyword, s.action, s.description + (s.aliases.length ? ` (also ${s.aliases.join(', ')})` : '')]);
  table(io, ['NAME', 'NUMBER', 'KEYWORD', 'ACTION', 'DESCRIPTION'], rows, [false, true, false, false, false]);
  return 0;
}

function table(io: Io, head: string[], rows: string[][], right: boolean[]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  io.out(line(head));
  for (const r of rows) io.out(line(r));
}

// ---------------------------------------------------------------------------------------------
// kill

function cmdKill(args: readonly string[], io: Io): number {
  // kill(1) syntax: -s SIG, -SIG, -NUMBER, --signal SIG, then pids; `--` ends the options and
  // lets negative pids (process groups) through.
  let signal: string | number | undefined;
  let jsonOut = false;
  const pos: string[] = [];
  const setSignal = (s: string | undefined) => {
    if (s === undefined || s === '') throw new UsageError('option -s needs a signal', 'kill');
    if (signal !== undefined) throw new UsageError('signal given twice', 'kill');
    signal = checkSignal('kill', s);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (pos.length > 0 && a !== '--json') {
      pos.push(a);
      continue;
    }
    if (a === '--') {
      pos.push(...args.slice(i + 1));
      break;
    } else if (a === '--help' || a === '-h') {
      return help(io, 'kill');
    } else if (a === '--json') {
      jsonOut = true;
    } else if (a === '-s' || a === '--signal' || a === '-n') {
      setSignal(args[++i]);
    } else if (a.startsWith('--signal=')) {
      setSignal(a.slice(9));
    } else if (a === '-l' || a === '-L' || a === '--list') {
      return cmdSignals(args.slice(i + 1), io);
    } else if (a.startsWith('--')) {
      throw new UsageError(`unknown option ${a}`, 'kill');
    } else if (a.startsWith('-') && a.length > 1) {
      setSignal(a.slice(1));
    } else {
      pos.push(a);
    }
  }
  const pids = parsePids('kill', pos, true);
  const sig = signal ?? 'SIGTERM';
  const k = lib.kill();
  const { toSignal, displaySignal } = lib.signals();
  const sigNumber = toSignal(sig);
  const sigName = sigNumber === 0 ? 0 : displaySignal(sigNumber);
  // Every argument is valid: now signal. killEach sends them all in one native call and reports
  // each pid's outcome; a negative pid is a process group (kill(2) semantics).
  let results: KillResult[];
  try {
    results = k.killEach(sig as SignalLike, pids);
  } catch (e) {
    throw new UsageError((e as Error).message, 'kill');
  }
  const ok = results.filter((r) => r.ok).length;
  if (jsonOut) {
    json(io, {
      signal: sigName,
      signalled: ok,
      results: results.map((r) =>
        r.ok ? { pid: r.pid, ok: true } : { pid: r.pid, ok: false, code: r.error.code, errno: r.error.errno, syscall: r.error.syscall, message: r.error.message },
      ),
    });
  } else {
    for (const r of results) {
      const what = r.pid < 0 ? `process group ${-r.pid}` : `process ${r.pid}`;
      if (r.ok) io.out(sigNumber === 0 ? `${what[0].toUpperCase()}${what.slice(1)} exists and may be signalled` : `Killed ${what}`);
      else io.err(`procsig kill: (${r.pid}) - ${describeError(r.error)}`);
    }
  }
  return ok === results.length ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// alive

function cmdAlive(args: readonly string[], io: Io): number {
  const p = parseArgs('alive', args, {});
  if (p.opts.has('help')) return help(io, 'alive');
  const pids = parsePids('alive', p.pos);
  const { probe } = lib.kill();
  const res = pids.map((pid) => {
    const state: ProbeResult = probe(pid);
    return { pid, state, alive: state === 'alive' || state === 'forbidden' };
  });
  if (p.opts.has('json')) json(io, res);
  else for (const r of res) io.out(`${r.pid} ${r.state === 'forbidden' ? 'alive (not ours to signal)' : r.state}`);
  return res.every((r) => r.alive) ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// tree

interface DrawNode {
  pid: number;
  name: string;
  pgid: number;
  sid: number;
  children: DrawNode[];
}

/** Lines of a pstree-like drawing: `name(pid)`, children indented below with box lines. */
export function drawTree(roots: readonly DrawNode[], options: { ascii?: boolean; note?: (n: DrawNode) => string } = {}): string[] {
  const [tee, elbow, pipe, blank] = options.ascii ? ['|-- ', '`-- ', '|   ', '    '] : ['├─ ', '└─ ', '│  ', '   '];
  const lines: string[] = [];
  const label = (n: DrawNode) => `${n.name}(${n.pid})${options.note ? options.note(n) : ''}`;
  const walk = (n: DrawNode, prefix: string, last: boolean, top: boolean) => {
    lines.push(top ? label(n) : prefix + (last ? elbow : tee) + label(n));
    const next = top ? '' : prefix + (last ? blank : pipe);
    n.children.forEach((c, i) => walk(c, next, i === n.children.length - 1, false));
  };
  for (const r of roots) walk(r, '', true, true);
  return lines;
}

/** Marks group and session leaders the way `ps -j` readers look for them. */
function leaderNote(n: DrawNode): string {
  if (n.pgid === 0) return '';
  if (n.sid === n.pid) return ' [session leader]';
  if (n.pgid === n.pid) return ' [group leader]';
  return '';
}

/** The whole machine as a forest, from one snapshot, with processTree()'s start-time rule. */
function forest(list: readonly ProcessInfo[]): ProcessTreeNode[] {
  const byPid = new Map<number, ProcessTreeNode>();
  for (const p of list) byPid.set(p.pid, { ...p, children: [] });
  const roots: ProcessTreeNode[] = [];
  for (const n of byPid.values()) {
    const parent = n.ppid !== n.pid ? byPid.get(n.ppid) : undefined;
    // A parent is linked only if the child started no earlier than it (pid reuse).
    if (parent && !(parent.startTime > n.startTime)) parent.children.push(n);
    else roots.push(n);
  }
  const order = (a: ProcessTreeNode, b: ProcessTreeNode) => a.startTime - b.startTime || a.pid - b.pid;
  for (const n of byPid.values()) n.children.sort(order);
  return roots.sort((a, b) => a.pid - b.pid);
}

function toJsonTree(n: ProcessTreeNode): unknown {
  return { pid: n.pid, ppid: n.ppid, pgid: n.pgid, sid: n.sid, name: n.name, state: n.state, startTime: n.startTime, children: n.children.map(toJsonTree) };
}

function cmdTree(args: readonly string[], io: Io): number {
  const p = parseArgs('tree', args, { bool: ['ascii'], short: { A: 'ascii' } });
  if (p.opts.has('help')) return help(io, 'tree');
  if (p.pos.length > 1) throw new UsageError('at most one pid', 'tree');
  const pid = p.pos.length === 1 ? parsePid('tree', p.pos[0]) : undefined;
  const t = lib.tree();
  let roots: ProcessTreeNode[];
  if (pid === undefined) {
    roots = forest(t.snapshot());
  } else {
    const node = t.processTree(pid);
    if (!node) {
      io.err(`procsig tree: no process ${pid} [ESRCH]`);
      return 1;
    }
    roots = [node];
  }
  if (p.opts.has('json')) {
    json(io, pid === undefined ? roots.map(toJsonTree) : toJsonTree(roots[0]));
    return 0;
  }
  for (const line of drawTree(roots, { ascii: p.opts.has('ascii'), note: leaderNote })) io.out(line);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// terminate

async function cmdTerminate(args: readonly string[], io: Io): Promise<number> {
  const p = parseArgs('terminate', args, { bool: ['tree', 'group', 'no-escalate'], value: ['signal', 'timeout', 'escalate'], short: { s: 'signal', t: 'timeout' } });
  if (p.opts.has('help')) return help(io, 'terminate');
  if (p.opts.has('tree') && p.opts.has('group')) throw new UsageError('--tree and --group exclude each other', 'terminate');
  const killSignal = p.opts.has('signal') ? checkSignal('terminate', p.opts.get('signal') as string) : 'SIGTERM';
  let escalate: SignalLike | false = 'SIGKILL';
  if (p.opts.has('no-escalate')) {
    if (p.opts.has('escalate')) throw new UsageError('--escalate and --no-escalate exclude each other', 'terminate');
    escalate = false;
  } else if (p.opts.has('escalate')) {
    escalate = checkSignal('terminate', p.opts.get('escalate') as string);
  }
  const timeout = durationOpt('terminate', p, 'timeout', 5000)!;
  const pids = parsePids('terminate', p.pos);
  const { terminate } = optional<typeof import('./terminate')>('./terminate', 'terminate', 'procsig terminate');
  const k = lib.kill();
  const { toSignal, displaySignal } = lib.signals();
  const escName = escalate === false ? null : displaySignal(toSignal(escalate));
  const opts: import('./terminate').TerminateOptions = { killSignal, timeout, escalate, tree: p.opts.has('tree'), group: p.opts.has('group') };
  // terminate() resolves at once for a pid that is already gone; a user who names a pid that
  // does not exist (a typo, a stale pid file) is told so, like kill(1) would.
  const gone = (pid: number) => k.probe(pid) === 'gone' && !((opts.group || opts.tree) && k.kill(0, -pid) === 1);
  const settled = await Promise.allSettled(
    pids.map(async (pid) => {
      if (gone(pid)) throw noSuchProcess(pid);
      return terminate(pid, opts);
    }),
  );
  const results = settled.map((s, i) =>
    s.status === 'fulfilled'
      ? { pid: pids[i], ok: true as const, status: s.value.status ?? null, escalated: Boolean(s.value.escalated), elapsedMs: s.value.elapsedMs }
      : { pid: pids[i], ok: false as const, code: errorInfo(s.reason).code, message: errorInfo(s.reason).message, error: s.reason as unknown },
  );
  if (p.opts.has('json')) {
    json(
      io,
      results.map((r) =>
        r.ok
          ? { pid: r.pid, ok: true, code: r.status?.code ?? null, status: r.status, escalated: r.escalated ? escName : null, elapsedMs: r.elapsedMs }
          : { pid: r.pid, ok: false, code: r.code ?? null, message: r.message },
      ),
    );
  } else {
    for (const r of results) {
      if (!r.ok) {
        io.err(`procsig terminate: (${r.pid}) - ${describeError(r.error)}`);
        continue;
      }
      const how = r.escalated ? `escalated to ${escName} after ${formatDuration(timeout)}` : `after ${formatDuration(r.elapsedMs)}`;
      io.out(`Killed process ${r.pid} ${statusText(r.status)}, ${how}`);
    }
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// wait

async function cmdWait(args: readonly string[], io: Io): Promise<number> {
  const p = parseArgs('wait', args, { value: ['timeout'], short: { t: 'timeout' } });
  if (p.opts.has('help')) return help(io, 'wait');
  const timeout = durationOpt('wait', p, 'timeout', undefined);
  const pids = parsePids('wait', p.pos);
  const { waitForExit } = optional<typeof import('./wait')>('./wait', 'waitForExit', 'procsig wait');
  const { probe } = lib.kill();
  const t0 = performance.now();
  const settled = await Promise.allSettled(
    pids.map(async (pid) => {
      // A pid that is not running at all "has exited" (waitForExit resolves at once); say so.
      const running = probe(pid) !== 'gone';
      const r = await waitForExit(pid, timeout === undefined ? {} : { timeout });
      return { running, status: r.status ?? null, elapsedMs: performance.now() - t0 };
    }),
  );
  const results = settled.map((s, i) =>
    s.status === 'fulfilled'
      ? { pid: pids[i], exited: true as const, ...s.value }
      : { pid: pids[i], exited: false as const, code: errorInfo(s.reason).code ?? null, message: errorInfo(s.reason).message, error: s.reason as unknown },
  );
  if (p.opts.has('json')) {
    json(
      io,
      results.map((r) =>
        r.exited
          ? { pid: r.pid, exited: true, wasRunning: r.running, code: r.status?.code ?? null, status: r.status, elapsedMs: r.elapsedMs }
          : { pid: r.pid, exited: false, code: r.code, message: r.message },
      ),
    );
  } else {
    for (const r of results) {
      if (r.exited && !r.running) io.out(`Process ${r.pid} is not running ${statusText(r.status)}`);
      else if (r.exited) io.out(`Process ${r.pid} exited ${statusText(r.status)} after ${formatDuration(r.elapsedMs)}`);
      else if (r.code === 'ETIMEDOUT') io.err(`procsig wait: (${r.pid}) - still running after ${formatDuration(timeout ?? 0)} [ETIMEDOUT]`);
      else io.err(`procsig wait: (${r.pid}) - ${describeError(r.error)}`);
    }
  }
  return results.every((r) => r.exited) ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// demo

const DEMO_ROLES = ['parent', 'child-1', 'child-2', 'grandchild'] as const;
type DemoRole = (typeof DEMO_ROLES)[number];

/**
 * A member of the demo's sample tree (the hidden `__demo-member ROLE` command). It names itself
 * `demo-ROLE` (visible in /proc/PID/comm), starts its children, prints `ready PID...` once its
 * whole subtree is up, and then sleeps. It exits on its own after 30 s whatever happens, so even
 * a demo killed with SIGKILL leaves nothing behind for long.
 */
function demoMember(role: DemoRole): void {
  process.title = `demo-${role}`;
  setTimeout(() => process.exit(0), 30_000);
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const start = (r: DemoRole, detached: boolean): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [__filename, '__demo-member', r], { stdio: ['ignore', 'pipe', 'inherit'], detached });
      let buf = '';
      c.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const i = buf.indexOf('\n');
        if (i >= 0) {
          c.stdout!.removeAllListeners('data');
          c.stdout!.destroy();
          resolve(buf.slice(0, i).split(' ').slice(1));
        }
      });
      c.once('error', reject);
    });
  const subtree: Promise<string[]>[] =
    role === 'parent' ? [start('child-1', false), start('child-2', false)] : role === 'child-2' ? [start('grandchild', true)] : [];
  Promise.all(subtree).then(
    (lists) => process.stdout.write(`ready ${[String(process.pid), ...lists.flat()].join(' ')}\n`),
    (e: Error) => {
      process.stderr.write(`demo-${role}: ${e.message}\n`);
      process.exit(1);
    },
  );
}

interface DemoStep {
  step: string;
  ms: number;
}

async function cmdDemo(args: readonly string[], io: Io): Promise<number> {
  const p = parseArgs('demo', args, {});
  if (p.opts.has('help')) return help(io, 'demo');
  if (p.pos.length > 0) throw new UsageError('demo takes no arguments', 'demo');
  const asJson = p.opts.has('json');
  const say = asJson ? () => {} : (line = '') => io.out(line);
  const t = optional<typeof import('./tree')>('./tree', 'killTree', 'procsig demo');
  const k = lib.kill();
  const { spawn } = require('node:child_process') as typeof import('node:child_process');

  const steps: DemoStep[] = [];
  const timed = async <T>(step: string, f: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const v = await f();
    steps.push({ step, ms: performance.now() - t0 });
    return v;
  };
  const stepLine = (text: string) => say(`${text.padEnd(62)} ${formatDuration(steps[steps.length - 1].ms).padStart(7)}`);

  let pids: number[] = [];
  let child: import('node:child_process').ChildProcess | undefined;
  const cleanup = () => {
    // Only pids this demo spawned, and only while they are still alive.
    for (const pid of pids) {
      try {
        if (k.isAlive(pid)) k.kill('SIGKILL', pid);
      } catch {
        // already gone
      }
    }
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.exit(128 + (lib.signals().signals[sig] ?? 15));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  const total0 = performance.now();
  try {
    say('procsig demo: a sample process tree, killed with killTree()');
    say('');
    // 1. Spawn. The parent leads its own group (detached) so it is never in ours.
    pids = await timed('spawn', () => {
      const c = spawn(process.execPath, [__filename, '__demo-member', 'parent'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
      child = c;
      return new Promise<number[]>((resolve, reject) => {
        let buf = '';
        const timer = setTimeout(() => reject(new Error('the sample tree did not start within 10s')), 10_000);
        c.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          const i = buf.indexOf('\n');
          if (i < 0) return;
          clearTimeout(timer);
          c.stdout!.destroy();
          const list = buf.slice(0, i).split(' ').slice(1).map(Number);
          if (list.length !== 4 || list.some((n) => !(n > 0))) reject(new Error(`unexpected answer from the sample tree: ${buf.slice(0, i)}`));
          else resolve(list);
        });
        c.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        c.once('exit', (code, sig) => {
          clearTimeout(timer);
          reject(new Error(`the sample tree's parent exited early (${code ?? sig})`));
        });
      });
    });
    const [parent, child1, child2, grandchild] = pids;
    child!.removeAllListeners('exit');
    stepLine(`1. spawned a parent, 2 children and a grandchild (setsid)`);

    // 2. Read and draw the tree.
    const tree = await timed('processTree', () => t.processTree(parent));
    if (!tree) throw new Error(`process ${parent} vanished before its tree could be read`);
    stepLine(`2. read the tree with processTree(${parent})`);
    // Windows has no process groups (pgid 0): nothing to show there.
    const note = (n: DrawNode) =>
      n.pgid === 0 ? '' : n.pid === grandchild && n.pgid !== parent ? `  pgid ${n.pgid}, sid ${n.sid}: left the group, killpg(${parent}) would miss it` : `  pgid ${n.pgid}`;
    for (const line of drawTree([tree], { note })) say(`     ${line}`);

    // 3. Kill it.
    const result = await timed('killTree', () => t.killTree(parent, 'SIGTERM'));
    stepLine(`3. killTree(${parent}, 'SIGTERM'): ${result.signalled.length} signalled, ${result.scans} scans`);
    if (result.failed.length > 0) throw new Error(`killTree could not signal: ${result.failed.map((f) => `${f.pid} ${f.error.code}`).join(', ')}`);

    // 4. Check that nothing is left (a zombie waiting for its reaper counts as dead).
    const states = await timed('verify', async () => {
      const end = Date.now() + 5000;
      for (;;) {
        const s = pids.map((pid) => ({ pid, state: k.probe(pid) }));
        if (s.every((x) => x.state === 'gone' || x.state === 'zombie') || Date.now() > end) return s;
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    const left = states.filter((s) => s.state !== 'gone' && s.state !== 'zombie');
    stepLine(left.length === 0 ? `4. probe(): nothing is left of the ${pids.length} processes` : `4. probe(): still alive: ${left.map((s) => s.pid).join(' ')}`);
    const totalMs = performance.now() - total0;
    say('');
    say(`total ${formatDuration(totalMs)}  (pids: parent ${parent}, children ${child1} ${child2}, grandchild ${grandchild})`);
    if (asJson) {
      json(io, {
        ok: left.length === 0,
        pids: { parent, children: [child1, child2], grandchild },
        tree: toJsonTree(tree),
        killTree: { signal: result.signal, signalled: result.signalled, group: result.group, scans: result.scans, elapsedMs: result.elapsedMs },
        after: states,
        left: left.map((s) => s.pid),
        steps,
        totalMs,
      });
    }
    if (left.length > 0) {
      io.err(`procsig demo: processes survived killTree: ${left.map((s) => s.pid).join(' ')}`);
      return 1;
    }
    return 0;
  } finally {
    cleanup();
    child?.stdout?.destroy();
    child?.unref();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}

// ---------------------------------------------------------------------------------------------
// main

function help(io: Io, cmd?: Command): number {
  io.out(cmd ? USAGE[cmd] : MAIN_USAGE);
  return 0;
}

function version(io: Io): number {
  const pkg = require('../package.json') as { version: string };
  io.out(pkg.version);
  return 0;
}

/**
 * Runs the command line `argv` (without `node` and the script) and resolves to the exit status.
 * Bad arguments give status 2 after a one-line error and the usage on stderr.
 */
export async function main(argv: readonly string[], io: Io = stdio): Promise<number> {
  const [first, ...rest] = argv;
  let cmd: Command | undefined;
  try {
    switch (first) {
      case undefined:
        io.err('procsig: no command given');
        io.err(MAIN_USAGE);
        return 2;
      case '-h':
      case '--help':
        return help(io);
      case 'help':
        if (rest.length > 0 && !COMMANDS.includes(rest[0] as Command)) throw new UsageError(`unknown command "${rest[0]}"`);
        return help(io, rest[0] as Command | undefined);
      case '-V':
      case '--version':
        return version(io);
      case '-l':
      case '-L':
      case '--list':
        cmd = 'signals';
        return cmdSignals(rest, io);
      case '__demo-member':
        if (!DEMO_ROLES.includes(rest[0] as DemoRole)) throw new UsageError('internal command');
        demoMember(rest[0] as DemoRole);
        return -1;
      default:
        break;
    }
    if (!COMMANDS.includes(first as Command)) throw new UsageError(`unknown command "${first}"`);
    cmd = first as Command;
    switch (cmd) {
      case 'signals':
        return cmdSignals(rest, io);
      case 'kill':
        return cmdKill(rest, io);
      case 'alive':
        return cmdAlive(rest, io);
      case 'tree':
        return cmdTree(rest, io);
      case 'terminate':
        return await cmdTerminate(rest, io);
      case 'wait':
        return await cmdWait(rest, io);
      case 'demo':
        return await cmdDemo(rest, io);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      const c = e.command ?? cmd;
      io.err(`procsig${c ? ' ' + c : ''}: ${e.message}`);
      io.err(c ? USAGE[c] : MAIN_USAGE);
      return 2;
    }
    if (e instanceof MissingApiError) {
      io.err(`procsig: ${e.message}`);
      return 1;
    }
    io.err(`procsig${cmd ? ' ' + cmd : ''}: ${describeError(e)}`);
    return 1;
  }
}

if (require.main === module) {
  // `procsig tree | head`: a closed pipe ends the output quietly, like other Unix tools.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  main(process.argv.slice(2)).then(
    (status) => {
      if (status >= 0) process.exitCode = status;
    },
    (e: unknown) => {
      process.stderr.write(`procsig: ${String((e as Error)?.stack ?? e)}\n`);
      process.exitCode = 1;
    },
  );
}
