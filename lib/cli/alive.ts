/**
 * `procsig alive [--json] PID...`: whether each pid is alive (a zombie is not), by `probe()`.
 *
 * @packageDocumentation
 */
import { probe, type ProbeResult } from '../kill';
import { EXIT_FAILED, EXIT_OK, help, json, parseArgs, parsePids, type Io } from './core';
import { SPECS } from './usage';

/** Runs `procsig alive ARGS`; resolves to the exit status (0 only if every pid is alive). */
export function aliveCommand(args: readonly string[], io: Io): number {
  const p = parseArgs('alive', args, SPECS.alive);
  if (p.opts.has('help')) return help(io, 'alive');
  const pids = parsePids('alive', p.pos);
  const res = pids.map((pid) => {
    const state: ProbeResult = probe(pid);
    return { pid, state, alive: state === 'alive' || state === 'forbidden' };
  });
  if (p.opts.has('json')) json(io, res);
  else for (const r of res) io.out(`${r.pid} ${r.state === 'forbidden' ? 'alive (not ours to signal)' : r.state}`);
  return res.every((r) => r.alive) ? EXIT_OK : EXIT_FAILED;
}
