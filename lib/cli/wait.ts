/**
 * `procsig wait [--timeout DURATION] [--json] PID...`: `waitForExit()` for each pid (any process,
 * not only children), concurrently.
 *
 * @packageDocumentation
 */
import { probe } from '../kill';
import { waitForExit } from '../wait';
import { durationOpt, EXIT_FAILED, EXIT_OK, formatDuration, help, json, parseArgs, parsePids, type Io } from './core';
import { SPECS } from './usage';
import { describeError, errorInfo, statusText } from './report';

/** Runs `procsig wait ARGS`; resolves to the exit status (0 when every pid exited). */
export async function waitCommand(args: readonly string[], io: Io): Promise<number> {
  const p = parseArgs('wait', args, SPECS.wait);
  if (p.opts.has('help')) return help(io, 'wait');
  const timeout = durationOpt('wait', p, 'timeout', undefined);
  const pids = parsePids('wait', p.pos);
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
  return results.every((r) => r.exited) ? EXIT_OK : EXIT_FAILED;
}
