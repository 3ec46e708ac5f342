/**
 * `procsig signals [--json] [SIG...]` (also `procsig -l`, `procsig kill -l`): the platform's
 * signals as a table or JSON.
 *
 * @packageDocumentation
 */
import { listSignals, signalInfo, type SignalInfo } from '../signals';
import { EXIT_OK, help, json, parseArgs, table, UsageError, type Io } from './core';
import { SPECS } from './usage';
import { checkSignal } from './report';

/** Runs `procsig signals ARGS`; resolves to the exit status. */
export function signalsCommand(args: readonly string[], io: Io): number {
  const p = parseArgs('signals', args, SPECS.signals);
  if (p.opts.has('help')) return help(io, 'signals');
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
    return EXIT_OK;
  }
  const rows = list.map((s) => [s.name, String(s.number), s.keyword, s.action, s.description + (s.aliases.length ? ` (also ${s.aliases.join(', ')})` : '')]);
  table(io, ['NAME', 'NUMBER', 'KEYWORD', 'ACTION', 'DESCRIPTION'], rows, [false, true, false, false, false]);
  return EXIT_OK;
}
