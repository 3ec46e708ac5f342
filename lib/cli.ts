#!/usr/bin/env node
/**
 * The `procsig` command (the package's `bin`): `kill -l`, `kill`, `pstree -p`, a graceful
 * `terminate`, `wait`, `alive` and a `demo`, on every platform procsig supports (Windows has no
 * `kill` of its own). This file only dispatches: each command is one file in `cli/`, over
 * `cli/core.ts` (exit statuses, argument parsing, output) and `cli/report.ts` (signal arguments,
 * error texts).
 *
 * Conventions (kill(1), pstree(1)): exit status 0 = success, 1 = an operation failed (a pid
 * could not be signalled, a wait timed out, a pid is not alive), 2 = bad arguments — then a
 * one-line error and the command's usage go to stderr and nothing is signalled. `--json` prints
 * one JSON document on stdout instead of text; `--help` prints the usage on stdout.
 *
 * Startup is kept light: a command's file (and with it the library modules it imports) is
 * loaded only when that command runs, so `--help` never loads the addon and `kill` never loads
 * the tree code.
 *
 * @packageDocumentation
 */
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, help, parseArgs, stdio, UsageError, type Io } from './cli/core';
import { parseKillArgs } from './cli/kill-args';
import { COMMANDS, MAIN_USAGE, SPECS, USAGE, type Command } from './cli/usage';

/** Runs one command with its arguments; resolves to the exit status. */
type Runner = (args: readonly string[], io: Io) => number | Promise<number>;

/** Each command's file, loaded on first use (see the file comment). */
const RUNNERS: Record<Command, () => Promise<Runner>> = {
  signals: async () => (await import('./cli/signals')).signalsCommand,
  kill: async () => (await import('./cli/kill')).killCommand,
  tree: async () => (await import('./cli/tree')).treeCommand,
  terminate: async () => (await import('./cli/terminate')).terminateCommand,
  wait: async () => (await import('./cli/wait')).waitCommand,
  alive: async () => (await import('./cli/alive')).aliveCommand,
  demo: async () => (await import('./cli/demo')).demoCommand,
};

/**
 * The command whose usage `procsig CMD ARGS` asks for, if that is all it asks: decided the way the
 * command itself decides (same parser, same order) but without loading it, so `kill --help`
 * loads no addon. `kill -l ARGS` is `signals ARGS`. When the answer needs the library (a signal
 * to check before `--help`) or the arguments are bad, undefined: the command, once loaded,
 * reports what it finds.
 */
function helpOnly(cmd: Command, args: readonly string[]): Command | undefined {
  try {
    if (cmd !== 'kill') return parseArgs(cmd, args, SPECS[cmd]).opts.has('help') ? cmd : undefined;
    const a = parseKillArgs(args, () => {
      throw new Error('a signal to check');
    });
    return 'help' in a ? 'kill' : 'list' in a ? helpOnly('signals', a.list) : undefined;
  } catch {
    return undefined;
  }
}

function version(io: Io): number {
  const pkg = require('../package.json') as { version: string };
  io.out(pkg.version);
  return EXIT_OK;
}

/** What the first argument asks for: a command and its arguments, or a status already decided. */
async function dispatch(first: string | undefined, rest: readonly string[], io: Io): Promise<{ cmd: Command; args: readonly string[] } | number> {
  switch (first) {
    case undefined:
      io.err('procsig: no command given');
      io.err(MAIN_USAGE);
      return EXIT_USAGE;
    case '-h':
    case '--help':
      io.out(MAIN_USAGE);
      return EXIT_OK;
    case 'help':
      if (rest.length === 0) return dispatch('--help', [], io);
      if (!COMMANDS.includes(rest[0] as Command)) throw new UsageError(`unknown command "${rest[0]}"`);
      return help(io, rest[0] as Command);
    case '-V':
    case '--version':
      return version(io);
    case '-l':
    case '-L':
    case '--list':
      return { cmd: 'signals', args: rest };
    case '__demo-member':
      return (await import('./cli/demo')).member(rest);
  }
  if (!COMMANDS.includes(first as Command)) throw new UsageError(`unknown command "${first}"`);
  return { cmd: first as Command, args: rest };
}

/**
 * Runs the command line `argv` (without `node` and the script) and resolves to the exit status
 * (-1: the process goes on, the demo's members). Bad arguments give status 2 after a one-line
 * error and the usage on stderr.
 */
export async function main(argv: readonly string[], io: Io = stdio): Promise<number> {
  const [first, ...rest] = argv;
  let cmd: Command | undefined;
  try {
    const d = await dispatch(first, rest, io);
    if (typeof d === 'number') return d;
    cmd = d.cmd;
    const usage = helpOnly(d.cmd, d.args);
    if (usage) return help(io, usage);
    const run = await RUNNERS[cmd]();
    return await run(d.args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      const c = e.command ?? cmd;
      io.err(`procsig${c ? ' ' + c : ''}: ${e.message}`);
      io.err(c ? USAGE[c] : MAIN_USAGE);
      return EXIT_USAGE;
    }
    // Something failed after the arguments were accepted: by now a command loaded the library.
    const { describeError } = await import('./cli/report');
    io.err(`procsig${cmd ? ' ' + cmd : ''}: ${describeError(e)}`);
    return EXIT_FAILED;
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
