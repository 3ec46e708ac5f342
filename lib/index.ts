/**
 * procsig: signal, kill and wait for processes by calling the OS directly.
 *
 * @packageDocumentation
 */
export { signals, toSignal, signalName, signalInfo, listSignals } from './signals';
export type { SignalLike, SignalInfo, SignalAction } from './signals';
export {
  ProcessError,
  AlreadyExitedError,
  UnexpectedExitError,
  TimeoutError,
  errnoName,
  strerror,
} from './errors';
export type { ProcessErrorContext } from './errors';
export { kill, killEach, killpg, broadcast, probe, isAlive, lastKillError } from './kill';
export type { KillResult, ProbeResult } from './kill';
export { waitpid, waitpidAsync } from './wait';
export type { WaitStatus, WaitpidOptions } from './wait';
