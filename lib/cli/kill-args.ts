/**
 * `procsig kill`'s kill(1)-style arguments, parsed without the library (see parseKillArgs).
 *
 * @packageDocumentation
 */
import type { SignalLike } from '../signals';
import { parsePids, UsageError } from './core';

/** What the kill(1)-style arguments ask for; `list` forwards to `procsig signals`. */
export type KillArgs = { list: readonly string[] } | { help: true } | { signal: SignalLike | undefined; json: boolean; pids: number[] };

/**
 * kill(1) syntax: -s SIG, -SIG, -NUMBER, --signal SIG, then pids; `--` ends the options and lets
 * negative pids (process groups) through. `--json` is accepted anywhere. `checkSignal` validates
 * a signal spelling (a UsageError otherwise): the library's part, passed in so that this file
 * loads none of the library and the entry can tell `kill --help` apart without loading it.
 */
export function parseKillArgs(args: readonly string[], checkSignal: (s: string) => SignalLike): KillArgs {
  let signal: SignalLike | undefined;
  let jsonOut = false;
  const pos: string[] = [];
  const setSignal = (s: string | undefined) => {
    if (s === undefined || s === '') throw new UsageError('option -s needs a signal', 'kill');
    if (signal !== undefined) throw new UsageError('signal given twice', 'kill');
    signal = checkSignal(s);
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
      return { help: true };
    } else if (a === '--json') {
      jsonOut = true;
    } else if (a === '-s' || a === '--signal' || a === '-n') {
      setSignal(args[++i]);
    } else if (a.startsWith('--signal=')) {
      setSignal(a.slice(9));
    } else if (a === '-l' || a === '-L' || a === '--list') {
      return { list: args.slice(i + 1) };
    } else if (a.startsWith('--')) {
      throw new UsageError(`unknown option ${a}`, 'kill');
    } else if (a.startsWith('-') && a.length > 1) {
      setSignal(a.slice(1));
    } else {
      pos.push(a);
    }
  }
  return { signal, json: jsonOut, pids: parsePids('kill', pos, true) };
}
