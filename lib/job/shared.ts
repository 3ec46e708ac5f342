/**
 * Everything Job's backends (the modules behind lib/job/backends.ts) use of the rest of procsig,
 * and the only way they reach it: in dist/ the backends are a bundle of their own,
 * dist/job-backends.js, loaded with the first Job (lib/job/lazy.ts), and this module is what
 * dist/index.js hands it — its own instances, so there is one `ProcessError` class, one addon,
 * one handle registry (scripts/build-ts.js; test/layers.test.ts keeps the backends to it).
 *
 * @internal
 * @packageDocumentation
 */
export { argTypeError, argValueError, errnoNumber, processError, ProcessError } from '../errors';
export { ProcessHandle } from '../handle';
export { sendSignal } from '../kill';
export { isFailure, native, nativePath } from '../native';
export { assertProcListsAll } from '../procfs';
export { displaySignal, SIG } from '../signals';
export { groupRows, isExited, killTree, pgidsOf, readTable, subtreeRows } from '../tree';
export { checkGroup, checkOptions } from '../validate';
export { deathSignalArgs, requireHelper } from './death-signal';
export { findExecHelper, programPath } from './helper';
export { JobBackendUnavailableError, JobClosedError } from './types';
