/**
 * The split point of the package's code: Job's backends ({@link loadBackends}).
 *
 * Here, in lib/ (what the unit tests run), they are an ordinary import. In dist/, scripts/build-ts.js
 * bundles them apart, as dist/job-backends.js, and bundles this module as a `require` of that file
 * on the first call, handing it dist/index.js's own modules (lib/job/shared.ts) — so loading the
 * package compiles none of it. A Job needs free fds to work at all (a cgroup's files, the
 * watchdog's pipe), so reading one more file with the first Job costs nothing the kill-and-wait
 * paths rely on under EMFILE (docs/internals.md). test/build-output.test.ts checks the split.
 *
 * @internal
 * @packageDocumentation
 */
import * as backends from './backends';

/** Job's backends and watchdog (lib/job/backends.ts), loaded on the first call in dist/. */
export function loadBackends(): typeof backends {
  return backends;
}
