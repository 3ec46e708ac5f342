/**
 * What a Job needs once one is made: backend choice and the backends (cgroup2, process group,
 * Job Object) and the kill-on-close watchdog. In dist/ this is a bundle of its own,
 * dist/job-backends.js, loaded with the first Job rather than with the package: a third of the
 * library's code that `require('procsig')` then need not compile (lib/job/lazy.ts). Its modules
 * reach the rest of procsig through lib/job/shared.ts only.
 *
 * @internal
 * @packageDocumentation
 */
export { Cgroup2Backend } from './cgroup';
export { checkCreateOptions, createBackend } from './select';
export { unwatchJob, watchdogInfo, watchJob, watchRoot } from './watchdog';
