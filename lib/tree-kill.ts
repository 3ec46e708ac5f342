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
 * a number gives `Error('pid must be a number')` to the callback (synchronously), or throws it
 * when there is no callback; a pid that does not exist is not an error. The signal is read as
 * `process.kill` reads it (tree-kill hands it to `process.kill`): an integer is a signal number
 * (one the OS refuses, such as -1 or 1000, gives an `EINVAL` error, `syscall: 'kill'`); any other
 * falsy value (`''`, `null`, `false`, `NaN`) means SIGTERM; anything else is a signal name, and
 * one that names no signal gives TypeError `ERR_UNKNOWN_SIGNAL`. Argument errors reach the
 * callback asynchronously, as tree-kill's did.
 *
 * **The kill is done when the call returns.** The tree is scanned, frozen, signalled and resumed
 * synchronously inside the call (see `killTree`), so `treeKill(pid); process.exit()` — or a kill
 * from a signal or `'exit'` handler — leaves nothing stopped and nothing unsignalled.
 *
 * **When the callback fires**: once every member is dead (zombies count), or
 * {@link TREE_KILL_WAIT_MS} (500 ms) after the signal was delivered, whichever comes first —
 * never later. tree-kill called back as soon as the signals were sent; waiting a little longer
 * keeps the common case stronger (the tree is gone when the callback runs, so its ports and files
 * are free), while the bound keeps a member that ignores or catches the signal (every background
 * job of `sh -c` ignores SIGINT) from turning a program that finished with tree-kill into one that
 * hangs. A member still alive at the bound is not an error: tree-kill never reported one either.
 *
 * Every remaining difference from tree-kill 1.2.2, all deliberate:
 *
 * | case | tree-kill 1.2.2 | procsig/tree-kill | why |
 * |---|---|---|---|
 * | how the tree is found and killed | one `ps --ppid` (Linux) / `pgrep -P` (macOS) per process, then `process.kill` of each; Windows: `taskkill /T /F` through a shell | read natively, killed freeze-then-kill: orphans that kept the group, children forked during the kill and setsid'd grandchildren die too | nothing escapes; no shell (CVE-2019-15599) |
 * | when the callback fires | as soon as every signal is sent (after one `ps` per member: 1–2 s for 200 processes) | when every member is dead, or 500 ms after delivery, whichever is first | the tree is gone when it can be; never a hang |
 * | a caller that exits right after the call | the members not yet signalled are left running | the whole tree is signalled (and resumed) before the call returns | — |
 * | pid <= 0 (`0`, `-1`, `'-5'`) | passed to `process.kill`: the caller's group (0), every process (-1), a whole group | `RangeError` `ERR_OUT_OF_RANGE`, nothing signalled | never a group, never every process |
 * | pid > 2^31-1 | `TypeError` `ERR_INVALID_ARG_TYPE` (from `process.kill`) | `RangeError` `ERR_OUT_OF_RANGE` | procsig's one pid check |
 * | an argument error with no callback | thrown later, from a `ps` callback: an uncaught exception | thrown by the call, where it can be caught | catchable |
 * | more signal names: `'TERM'`, `'sigterm'`, `'SIGRTMIN+1'`, `':term'` | `ERR_UNKNOWN_SIGNAL` | accepted, as `toSignal` reads them | they name a signal |
 * | `EPERM` on one member | stops there: the members after it are not signalled | every member is signalled; the first failure goes to the callback | the rest still die |
 * | Windows | `taskkill /T /F` whatever the signal | every signal terminates the tree (`TerminateProcess`) | the same effect, without a shell |
 *
 * Orphans whose middle parent exited are found through the root's process group, so only when
 * the root leads one: spawn it with `detached: true` (or start it with `Job.spawn` and kill the
 * `Job`, which also catches what left the group) to have them killed.
 *
 * @packageDocumentation
 */
import { constants } from 'node:os';
import { format } from 'node:util';
// The package's public API only: dist/tree-kill.js requires dist/index.js for it, so the two
// entries share one copy of every module (scripts/build-ts.js).
import { killTree, ProcessError, signalInfo, signals, toSignal } from './index';
// (a type from its own module: tree-kill.d.ts then needs signals.d.ts only, which compiles without
// @types/node, as tree-kill's own typings do)
import type { SignalLike } from './signals';

/** The callback of {@link treeKill}: `error` is undefined on success. */
type TreeKillCallback = (error?: Error) => void;

/**
 * How long the callback waits, at most, for the tree to die after the signal was delivered: 500 ms
 * (the target is a callback within 1 s of delivery when a member ignores the signal).
 */
const TREE_KILL_WAIT_MS = 500;

// (Node's errno constants are the C library's, as procsig's are.)
const EINVAL = constants.errno.EINVAL;
const PID_MAX = 0x7fffffff;

/** An argument error a caller made, reported like tree-kill would: to the callback, later. */
class ArgumentProblem {
  constructor(readonly error: Error) {}
}

/**
 * The signal as `process.kill` reads it (tree-kill passes it straight there), or an
 * {@link ArgumentProblem}: an integer is a number for kill(2), which refuses what it does not
 * know with EINVAL; any other falsy value is SIGTERM; anything else a name.
 */
function readSignal(signal: unknown, pid: number): number | ArgumentProblem {
  if (typeof signal === 'number' && signal === (signal | 0)) {
    try {
      return toSignal(signal);
    } catch {
      return new ArgumentProblem(new ProcessError(EINVAL, 'kill', { pid, signal }));
    }
  }
  if (!signal) return signals.SIGTERM;
  if (typeof signal === 'string') {
    if (Object.hasOwn(constants.signals, signal)) return constants.signals[signal as keyof typeof constants.signals];
    try {
      return toSignal(signal);
    } catch {
      // Fall through: named nothing procsig knows either.
    }
  }
  // process.kill's own message: `Unknown signal: %s`.
  const e = new TypeError(format('Unknown signal: %s', signal)) as TypeError & { code: string };
  e.code = 'ERR_UNKNOWN_SIGNAL';
  return new ArgumentProblem(e);
}

/**
 * Kills `pid` and its whole process tree with `signal` (default `'SIGTERM'`), then calls
 * `callback` once every member is dead, or 500 ms after delivery, whichever is first. Same call
 * shapes and error handling as `tree-kill`. The kill itself (scan, freeze, signal, resume) is
 * complete when the call returns.
 *
 * @param pid a pid, or anything `parseInt` turns into one (`'1234'`).
 * @param signal a signal name (`'SIGKILL'`, `'KILL'`, ...) or number; may be omitted; `''`,
 *   `null` and other falsy non-integers mean SIGTERM, as for `process.kill`. Any `string`
 *   type-checks, as with `tree-kill`; an unknown name fails at run time (`ERR_UNKNOWN_SIGNAL`).
 * @param callback `(err?) => void`; gets `Error('pid must be a number')` (synchronously), an
 *   argument error (`ERR_OUT_OF_RANGE` for a pid <= 0, `ERR_UNKNOWN_SIGNAL`, `EINVAL` for a
 *   signal number the OS refuses), or the first `ProcessError` (e.g. `EPERM`) a member gave;
 *   nothing on success. Never called more than once, never later than 500 ms after delivery.
 * @throws the argument errors, synchronously, when there is no callback (an OS error during the
 *   kill with no callback is re-thrown asynchronously, as tree-kill does).
 */
function treeKill(pid: number | string, callback?: TreeKillCallback): void;
function treeKill(pid: number | string, signal?: SignalLike | string, callback?: TreeKillCallback): void;
function treeKill(pid: number | string, signal?: SignalLike | string | TreeKillCallback, callback?: TreeKillCallback): void {
  if (typeof signal === 'function' && callback === undefined) {
    callback = signal;
    signal = undefined;
  }
  const n = parseInt(pid as string);
  if (Number.isNaN(n)) {
    // Synchronously, to the callback or thrown: exactly as tree-kill.
    const e = new Error('pid must be a number');
    if (callback) return callback(e);
    throw e;
  }
  // The callback runs (or the error is thrown) from a fresh tick, outside any promise chain, so
  // an exception in it is an ordinary uncaught exception, as with tree-kill.
  const done = (err?: Error): void => {
    process.nextTick(() => {
      if (err && !callback) throw err;
      callback?.(err);
    });
  };
  const argError = (err: Error): void => {
    if (!callback) throw err;
    done(err);
  };
  // Never a group, never every process: tree-kill handed 0 and negative pids to process.kill.
  // (killTree's own check, made here because its errors arrive through a promise)
  if (n < 1 || n > PID_MAX) {
    const e = new RangeError(`The value of "pid" is out of range. It must be an integer from 1 to ${PID_MAX}. Received ${n}`) as RangeError & { code: string };
    e.code = 'ERR_OUT_OF_RANGE';
    return argError(e);
  }
  let sig = readSignal(signal, n);
  if (sig instanceof ArgumentProblem) return argError(sig.error);
  // tree-kill ran `taskkill /T /F` on Windows whatever the signal: terminate.
  if (process.platform === 'win32') sig = signals.SIGKILL;
  const action = sig === 0 ? 'ignore' : signalInfo(sig).action;
  // Synchronous: killTree scans, freezes, signals and resumes the tree before it returns its
  // promise. A signal that does not end processes has nothing to wait for.
  killTree(n, sig, { wait: action === 'terminate' || action === 'core' ? TREE_KILL_WAIT_MS : false }).then(
    (r) => done(r.failed[0]?.error),
    // tree-kill treats a pid that does not exist as nothing to do.
    (err: Error & { code?: string }) => done(err.code === 'ESRCH' ? undefined : err),
  );
}

// An empty namespace merged with the function, as tree-kill's own typings have: it lets
// `import * as treeKill from 'procsig/tree-kill'` compile under CommonJS without esModuleInterop
// (without it TypeScript reports TS2497: the module resolves to a non-module entity).
// eslint-disable-next-line @typescript-eslint/no-namespace
namespace treeKill {}

export = treeKill;
