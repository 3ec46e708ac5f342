/**
 * Moved to lib/job/death-signal.ts. This re-export keeps lib/index.ts and lib/handle.ts (owned
 * elsewhere during issue 15) compiling unchanged; once they import `./job/death-signal`, delete
 * this file.
 *
 * @internal
 * @packageDocumentation
 */
export { spawnWithHandle, type HandleSpawnOptions } from './job/death-signal';
