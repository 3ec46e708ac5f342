/**
 * procsig: signal, kill and wait for processes by calling the OS directly.
 *
 * @packageDocumentation
 */
// Plain re-exports: dist/index.js is tsc's emit, unprocessed (test/build-output.test.ts). Every
// module named here loads with the package, for `require` and `import` alike. The kill-and-wait
// paths must (a module loaded on first use needs a free fd to be read: docs/internals.md, "Under
// EMFILE"). A module with heavy parts loads those on first use itself, behind exports that are
// cheap to create: Node's ESM loader reads every export of a CommonJS module when it is imported,
// so laziness behind getters here would help `require` only.
export { signals, toSignal, signalName, signalInfo, listSignals } from './signals';
export type { SignalLike, SignalName, SignalBaseName, GroupSignalName, SignalInfo, SignalAction } from './signals';
export {
  ProcessError,
  AlreadyExitedError,
  UnexpectedExitError,
  TimeoutError,
  ProcUnavailableError,
  errnoName,
  strerror,
} from './errors';
export type { ProcessErrorContext } from './errors';
export { kill, killEach, killpg, broadcast, probe, isAlive, lastKillError } from './kill';
export type { KillResult, ProbeResult } from './kill';
export { waitpid, waitpidAsync } from './wait';
export type { WaitStatus, WaitpidOptions } from './wait';
export { snapshot, descendants, processTree, killTree, killTreeSync } from './tree';
export type { ProcessInfo, ProcessTreeNode, KillTreeOptions, KillTreeResult, KillTreeFailure } from './tree';
export { Job, JobKilledError, JobClosedError, JobBackendUnavailableError } from './job';
export type { JobBackend, JobOptions, JobWaitOptions, JobChild, JobSpawnOptions, JobKillResult } from './job';
export { waitForExit } from './wait';
export { ProcessHandle } from './handle';
export type { ExitResult, WaitForExitOptions, HandleKillOptions } from './handle';
export type { HandleSpawnOptions } from './job/death-signal';
export { terminate } from './terminate';
export type { TerminateOptions, TerminateResult } from './terminate';
