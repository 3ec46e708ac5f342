/**
 * `procsig/tree-kill`: a drop-in replacement for the `tree-kill` package (1.2.2). A project
 * switching over changes only its import:
 *
 * ```js
 * const treeKill = require('procsig/tree-kill'); // was: require('tree-kill')
 * treeKill(child.pid, 'SIGKILL', (err) => { ... });
 * ```
 *
 * Same arguments, same error channel: `treeKill(pid, signal?, callback?)` or
 * `treeKill(pid, callback)`; `pid` goes through `parseInt` (so `'123'` works); a pid that is not
 * a number gives `Error('pid must be a number')` to the callback, or throws it when there is no
 * callback; a pid that does not exist is not an error. Differences, all deliberate:
 *
 * - The tree is read natively (no `ps` per process, no `taskkill` through a shell —
 *   CVE-2019-15599) and killed freeze-then-kill by {@link killTree}: orphaned grandchildren that
 *   kept the group, children forked during the kill and setsid'd grandchildren die too.
 * - The callback fires once the whole tree is dead (zombies count), not merely signalled. For a
 *   signal whose default action does not terminate (SIGCHLD, SIGWINCH, SIGCONT, SIGSTOP, ...,
 *   or 0) it fires once the signal is delivered. A member that catches a terminating signal and
 *   keeps running holds the callback until it exits.
 * - A pid <= 0 is refused (`RangeError`, code `ERR_OUT_OF_RANGE`, through the same channel):
 *   tree-kill would have passed it to `process.kill`, signalling whole process groups (0: the
 *   caller's own).
 * - An unknown signal is a `TypeError` (`ERR_UNKNOWN_SIGNAL`, as `process.kill` throws) given to
 *   the callback or thrown synchronously (tree-kill threw it asynchronously, uncatchably).
 * - Windows: every signal terminates the tree (tree-kill ran `taskkill /T /F` whatever the signal).
 *
 * @packageDocumentation
 */
import { killTree } from './tree';
import { signalInfo, toSignal, type SignalLike } from './signals';

/** The callback of {@link treeKill}: `error` is undefined on success. */
type TreeKillCallback = (error?: Error) => void;

/**
 * Kills `pid` and its whole process tree with `signal` (default `'SIGTERM'`), then calls
 * `callback` once every member is dead. Same call shapes and error handling as `tree-kill`.
 *
 * @param pid a pid, or anything `parseInt` turns into one (`'1234'`).
 * @param signal a signal name (`'SIGKILL'`, `'KILL'`, ...) or number; may be omitted. Any
 *   `string` type-checks, as with `tree-kill` (a drop-in replacement); an unknown name fails at
 *   run time (`ERR_UNKNOWN_SIGNAL`).
 * @param callback `(err?) => void`; gets `Error('pid must be a number')`, an argument error, or
 *   the first `ProcessError` (e.g. `EPERM`) a member gave; nothing on success.
 * @throws the same errors, synchronously, when there is no callback (an OS error during the kill
 *   with no callback is re-thrown asynchronously, as tree-kill does).
 */
function treeKill(pid: number | string, callback?: TreeKillCallback): void;
function treeKill(pid: number | string, signal?: SignalLike | string, callback?: TreeKillCallback): void;
function treeKill(pid: number | string, signal?: SignalLike | string | TreeKillCallback, callback?: TreeKillCallback): void {
  if (typeof signal === 'function' && callback === undefined) {
    callback = signal;
    signal = undefined;
  }
  const fail = (err: Error): void => {
    if (callback) {
      callback(err);
      return;
    }
    throw err;
  };
  const n = parseInt(pid as string);
  if (Number.isNaN(n)) return fail(new Error('pid must be a number'));
  let sig: number;
  let waitForDeath: boolean;
  try {
    if (n < 1 || n > 0x7fffffff) {
      const e = new RangeError(`The value of "pid" is out of range. It must be an integer from 1 to ${0x7fffffff}. Received ${n}`) as RangeError & { code: string };
      e.code = 'ERR_OUT_OF_RANGE';
      throw e;
    }
    sig = toSignal((signal as SignalLike | string | undefined) ?? 'SIGTERM');
    // tree-kill ran `taskkill /T /F` on Windows whatever the signal: terminate.
    if (process.platform === 'win32') sig = toSignal('SIGKILL');
    const action = sig === 0 ? 'ignore' : signalInfo(sig).action;
    waitForDeath = action === 'terminate' || action === 'core';
  } catch (err) {
    return fail(err as Error);
  }
  // The callback runs (or the error is thrown) from a fresh tick, outside the promise chain, so
  // an exception in it is an ordinary uncaught exception, as with tree-kill.
  const done = (err?: Error): void => {
    process.nextTick(() => {
      if (err) fail(err);
      else if (callback) callback();
    });
  };
  killTree(n, sig, { wait: waitForDeath }).then(
    (result) => done(result.failed[0]?.error),
    // tree-kill treats a pid that does not exist as nothing to do.
    (err: Error & { code?: string }) => done(err.code === 'ESRCH' ? undefined : err),
  );
}

export = treeKill;
