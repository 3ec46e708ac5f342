/**
 * What the `procsig` commands share that needs the library: signal arguments checked as
 * `toSignal` checks them, errors described like kill(1)'s, and exit statuses in words. Loaded by
 * the commands (and by the entry only once something failed), never by `--help`.
 *
 * @packageDocumentation
 */
import { strerror, type ProcessError } from '../errors';
import { toSignal, type SignalLike } from '../signals';
import type { WaitStatus } from '../wait';
import { UsageError } from './core';
import type { Command } from './usage';

/** Validates a signal spelling as procsig.toSignal() would; a usage error otherwise. */
export function checkSignal(cmd: Command, s: string): SignalLike {
  const sig: string | number = /^\d+$/.test(s) ? Number(s) : s;
  try {
    toSignal(sig);
  } catch (e) {
    throw new UsageError((e as Error).message, cmd);
  }
  // Checked by toSignal above: a name (any case) or a number the platform accepts.
  return sig as SignalLike;
}

/** `[exit code: 137]` for a known status (the shell's number: 128 + signal after a signal). */
export function statusText(status: WaitStatus | null | undefined): string {
  if (!status) return '[exit status unknown]';
  if (status.code === null) return `[${status.stopped ? 'stopped' : 'continued'}]`;
  return `[exit code: ${status.code}]`;
}

/** The `code` (when a string) and message of anything thrown. */
export function errorInfo(e: unknown): { code: string | undefined; message: string } {
  const err = e as { code?: unknown; message?: unknown };
  return { code: typeof err?.code === 'string' ? err.code : undefined, message: String(err?.message ?? e) };
}

/** `No such process [ESRCH]` — the strerror text and the code, like kill(1) plus the code. */
export function describeError(e: unknown): string {
  const pe = e as Partial<ProcessError>;
  if (typeof pe?.osErrno === 'number' && typeof pe.code === 'string') return `${strerror(pe.osErrno)} [${pe.code}]`;
  const { code, message } = errorInfo(e);
  return code ? `${message} [${code}]` : message;
}
