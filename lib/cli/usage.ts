/**
 * The `procsig` command's usage texts: the main one and one per command. Plain data, so that
 * `--help` loads nothing else. Also each command's options, which the entry reads to tell a
 * `CMD --help` apart without loading the command.
 *
 * @packageDocumentation
 */
import type { ParseSpec } from './core';

/** The commands, in the order the main usage lists them. */
export const COMMANDS = ['signals', 'kill', 'tree', 'terminate', 'wait', 'alive', 'demo'] as const;
/** A command's name. */
export type Command = (typeof COMMANDS)[number];

/** `procsig --help`. */
export const MAIN_USAGE = `Usage: procsig <command> [options]

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

/** Each command's usage (`procsig CMD --help`, and after a usage error). */
export const USAGE: Record<Command, string> = {
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

/** The options of each command parsed by `parseArgs` (all but `kill`, which parses kill(1)'s way). */
export const SPECS: Record<Exclude<Command, 'kill'>, ParseSpec> = {
  signals: {},
  tree: { bool: ['ascii'], short: { A: 'ascii' } },
  terminate: { bool: ['tree', 'group', 'no-escalate'], value: ['signal', 'timeout', 'escalate'], short: { s: 'signal', t: 'timeout' } },
  wait: { value: ['timeout'], short: { t: 'timeout' } },
  alive: {},
  demo: {},
};
