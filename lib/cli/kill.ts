/**
 * `procsig kill [-s SIG | -SIG | --signal SIG] [--json] [--] PID...`: kill(1) on every platform,
 * through `killEach()` (one native call, each pid's outcome).
 *
 * @packageDocumentation
 */
import { killEach, type KillResult } from '../kill';
import { displaySignal, toSignal } from '../signals';
import { EXIT_FAILED, EXIT_OK, help, json, UsageError, type Io } from './core';
import { parseKillArgs } from './kill-args';
import { checkSignal, describeError } from './report';
import { signalsCommand } from './signals';

/** Runs `procsig kill ARGS`; resolves to the exit status (0 only if every pid was signalled). */
export function killCommand(args: readonly string[], io: Io): number {
  const a = parseKillArgs(args, (s) => checkSignal('kill', s));
  if ('help' in a) return help(io, 'kill');
  if ('list' in a) return signalsCommand(a.list, io);
  const sig = a.signal ?? 'SIGTERM';
  const sigNumber = toSignal(sig);
  const sigName = sigNumber === 0 ? 0 : displaySignal(sigNumber);
  // Every argument is valid: now signal. killEach sends them all in one native call and reports
  // each pid's outcome; a negative pid is a process group (kill(2) semantics).
  let results: KillResult[];
  try {
    results = killEach(sig, a.pids);
  } catch (e) {
    throw new UsageError((e as Error).message, 'kill');
  }
  const ok = results.filter((r) => r.ok).length;
  if (a.json) {
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
  return ok === results.length ? EXIT_OK : EXIT_FAILED;
}
