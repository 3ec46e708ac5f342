/**
 * procsig: signal, kill and wait for processes by calling the OS directly.
 *
 * @packageDocumentation
 */
// Plain re-exports. dist/index.js is esbuild's bundle of this file and everything it imports, one
// file to load (scripts/build-ts.js; test/build-output.test.ts), and dist/index.mjs its ES module
// face. So every module here loads with the package, for `require` and `import` alike: the
// kill-and-wait paths must, since a process whose fd table is full could not read a module loaded
// later (docs/internals.md, "Under EMFILE"). Two parts are apart: Job's backends
// (lib/job/lazy.ts), read with the first Job, and the tree modules and terminate, read with the
// package but compiled on their first call (scripts/build-ts.js, deferredEntries).
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
