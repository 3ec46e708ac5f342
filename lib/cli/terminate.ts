/**
 * `procsig terminate [--signal SIG] [--timeout DURATION] [--no-escalate] [--tree | --group]
 * [--json] PID...`: `terminate()` for each pid, concurrently, and how each ended.
 *
 * @packageDocumentation
 */
import { killEach, probe } from '../kill';
import { displaySignal, toSignal, type SignalLike } from '../signals';
import { terminate, type TerminateOptions } from '../terminate';
import { durationOpt, EXIT_FAILED, EXIT_OK, formatDuration, help, json, parseArgs, parsePids, UsageError, type Io, type Parsed } from './core';
import { SPECS } from './usage';
import { checkSignal, describeError, errorInfo, statusText } from './report';

/** terminate()'s options from the command line (usage errors for contradictions). */
function options(p: Parsed): TerminateOptions & { timeout: number; escalate: SignalLike | false } {
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
  return { killSignal, timeout, escalate, tree: p.opts.has('tree'), group: p.opts.has('group') };
}

/**
 * terminate() resolves at once for a pid that is already gone; a user who names a pid that does
 * not exist (a typo, a stale pid file) is told so, like kill(1) would: with the error kill(2)
 * itself gives (signal 0), not one built here.
 */
function refuseMissing(pid: number, opts: TerminateOptions): void {
  if (probe(pid) !== 'gone') return;
  // A gone leader's group (or tree, which starts from the group) may still have members.
  if ((opts.group || opts.tree) && killEach(0, [-pid])[0].ok) return;
  const [r] = killEach(0, [pid]);
  if (!r.ok) throw r.error;
}

/** Runs `procsig terminate ARGS`; resolves to the exit status (0 only if every pid is gone). */
export async function terminateCommand(args: readonly string[], io: Io): Promise<number> {
  const p = parseArgs('terminate', args, SPECS.terminate);
  if (p.opts.has('help')) return help(io, 'terminate');
  const opts = options(p);
  const pids = parsePids('terminate', p.pos);
  const escName = opts.escalate === false ? null : displaySignal(toSignal(opts.escalate));
  const settled = await Promise.allSettled(
    pids.map(async (pid) => {
      refuseMissing(pid, opts);
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
      const how = r.escalated ? `escalated to ${escName} after ${formatDuration(opts.timeout)}` : `after ${formatDuration(r.elapsedMs)}`;
      io.out(`Killed process ${r.pid} ${statusText(r.status)}, ${how}`);
    }
  }
  return results.every((r) => r.ok) ? EXIT_OK : EXIT_FAILED;
}
