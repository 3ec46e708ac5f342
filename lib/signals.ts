/**
 * Signal tables and parsing. One table, built once from the numbers in the C headers the addon
 * was compiled with, drives both directions (name → number and number → name).
 *
 * @packageDocumentation
 */
import { argTypeError, outOfRangeError } from './errors';
import { native } from './native';

/**
 * The upper-case signal names without `SIG`, every platform's: Linux, macOS and Windows, their
 * aliases (`IOT`, `CLD`, `POLL`, `UNUSED`), `ZERO` (the existence probe) and the real-time
 * `RTMIN`/`RTMAX` with an offset (`RTMIN+3`, `RTMAX-1`). Whether a name exists *here* is known
 * only at run time ({@link signals}); `toSignal` throws `ERR_UNKNOWN_SIGNAL` for the others.
 */
export type SignalBaseName =
  | 'HUP' | 'INT' | 'QUIT' | 'ILL' | 'TRAP' | 'ABRT' | 'IOT' | 'BUS' | 'EMT' | 'FPE' | 'KILL'
  | 'USR1' | 'SEGV' | 'USR2' | 'PIPE' | 'ALRM' | 'TERM' | 'STKFLT' | 'CHLD' | 'CLD' | 'CONT'
  | 'STOP' | 'TSTP' | 'TTIN' | 'TTOU' | 'URG' | 'XCPU' | 'XFSZ' | 'VTALRM' | 'PROF' | 'WINCH'
  | 'IO' | 'POLL' | 'PWR' | 'INFO' | 'LOST' | 'SYS' | 'UNUSED' | 'BREAK' | 'ZERO'
  | 'RTMIN' | 'RTMAX' | `RTMIN+${number}` | `RTMAX-${number}`;

/**
 * A signal name in the spellings procsig's types accept: canonical (`'SIGTERM'`), short
 * (`'TERM'`), lower case (`'term'`, `'sigterm'`) and Janet keywords (`':term'`), for every
 * {@link SignalBaseName} (so `'SIGRTMIN+3'`, `'rtmax-1'`, `':zero'`). At run time names are
 * case-insensitive; mixed-case spellings (`'SigTerm'`) work but do not type-check.
 */
export type SignalName =
  | `SIG${SignalBaseName}`
  | SignalBaseName
  | Lowercase<SignalBaseName>
  | `sig${Lowercase<SignalBaseName>}`
  | `:${Lowercase<SignalBaseName>}`;

/**
 * A signal given by name ({@link SignalName}: `'SIGTERM'`, `'TERM'`, `'term'`, `':term'`,
 * `'RTMIN+3'`) or number. A typo such as `'SIGTREM'` does not compile. A name from user input
 * (a `string`) goes through {@link toSignal}, which accepts any string and throws
 * `ERR_UNKNOWN_SIGNAL` for an unknown one: `kill(toSignal(input), pid)`.
 */
export type SignalLike = SignalName | number;

/**
 * `kill()`'s and `killEach()`'s extra form: a {@link SignalName} after a `-` (`'-KILL'`,
 * `'-SIGTERM'`) signals the process *groups* the pids name, like a negative number does.
 */
export type GroupSignalName = `-${SignalName}`;

/** What a signal does to a process that has not caught it (signal(7)'s "Action" column). */
export type SignalAction = 'terminate' | 'core' | 'ignore' | 'stop' | 'continue';

/** Everything procsig knows of one signal. */
export interface SignalInfo {
  /** Canonical name, e.g. `'SIGTERM'`, `'SIGRTMIN+3'`. */
  readonly name: string;
  /** The platform's number for it. */
  readonly number: number;
  /** Janet-style keyword: the name lowercased without `SIG`, e.g. `'term'`. */
  readonly keyword: string;
  /** The platform's `strsignal(3)` text, e.g. `'Terminated'`. */
  readonly description: string;
  /** Other names for the same number, e.g. `['SIGIOT']` for `SIGABRT`. */
  readonly aliases: readonly string[];
  /** The default action. */
  readonly action: SignalAction;
  /** False for SIGKILL and SIGSTOP, which cannot be caught, blocked or ignored. */
  readonly catchable: boolean;
}

const CORE = new Set(['SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGXCPU', 'SIGXFSZ', 'SIGSYS', 'SIGEMT']);
const IGNORE = new Set(['SIGCHLD', 'SIGURG', 'SIGWINCH', 'SIGINFO']);
const STOP = new Set(['SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU']);

function actionOf(name: string): SignalAction {
  if (CORE.has(name)) return 'core';
  if (IGNORE.has(name)) return 'ignore';
  if (STOP.has(name)) return 'stop';
  if (name === 'SIGCONT') return 'continue';
  return 'terminate';
}

const data = native.signalTable();
const rtmin = data.rtmin;
const rtmax = data.rtmax;
/** The largest signal number the platform accepts. */
const maxSignal = rtmax ?? data.nsig - 1;

const signalObject: Record<string, number> = {};
for (const [name, value] of data.table) signalObject[name] = value;
if (rtmin !== null && rtmax !== null) {
  signalObject.SIGRTMIN = rtmin;
  signalObject.SIGRTMAX = rtmax;
}

function rtName(n: number): string {
  if (rtmin === null || rtmax === null) return `SIG${n}`;
  if (n === rtmin) return 'SIGRTMIN';
  if (n === rtmax) return 'SIGRTMAX';
  return n - rtmin <= (rtmax - rtmin) / 2 ? `SIGRTMIN+${n - rtmin}` : `SIGRTMAX-${rtmax - n}`;
}

interface NameTables {
  /** Number → every name for it, canonical first ([SIGABRT, SIGIOT]). */
  namesByNumber: Map<number, string[]>;
  /** Upper-case names without the SIG prefix → number ('TERM' → 15, 'IOT' → 6, 'ZERO' → 0). */
  numberByBase: Map<string, number>;
}
let nameTables: NameTables | undefined;
/** The lookup tables, built on the first lookup rather than at load (a start needs `signals` only). */
function names(): NameTables {
  if (nameTables) return nameTables;
  const namesByNumber = new Map<number, string[]>();
  const numberByBase = new Map<string, number>();
  for (const [name, value] of data.table) {
    numberByBase.set(name.slice(3), value);
    const list = namesByNumber.get(value);
    if (list) list.push(name);
    else namesByNumber.set(value, [name]);
  }
  if (rtmin !== null && rtmax !== null) {
    for (let n = rtmin; n <= rtmax; n++) if (!namesByNumber.has(n)) namesByNumber.set(n, [rtName(n)]);
  }
  numberByBase.set('ZERO', 0);
  return (nameTables = { namesByNumber, numberByBase });
}

/** The SignalInfo objects, built on first use (not at `require` time), ordered by number. */
let infoByNumber: Map<number, SignalInfo> | undefined;
function infos(): Map<number, SignalInfo> {
  if (infoByNumber) return infoByNumber;
  infoByNumber = new Map();
  const { namesByNumber } = names();
  for (const n of [...namesByNumber.keys()].sort((a, b) => a - b)) {
    const [name, ...aliases] = namesByNumber.get(n)!;
    infoByNumber.set(
      n,
      Object.freeze({
        name,
        number: n,
        keyword: name.slice(3).toLowerCase(),
        description: native.signalDescription(n),
        aliases: Object.freeze(aliases),
        action: actionOf(name),
        catchable: name !== 'SIGKILL' && name !== 'SIGSTOP',
      }),
    );
  }
  return infoByNumber;
}

/**
 * The platform's signals, `{ SIGHUP: 1, SIGINT: 2, … }`, frozen. Numbers come from the C headers
 * the addon was built with (so Linux and macOS differ correctly). Aliases (`SIGIOT`, `SIGCLD`,
 * `SIGPOLL`) are keys too, and `SIGRTMIN`/`SIGRTMAX` where the platform has real-time signals.
 * Agrees with `os.constants.signals` on every name both have.
 */
export const signals: Readonly<Record<string, number>> = Object.freeze(signalObject);

const cache = new Map<string, number>();
const RT_PATTERN = /^RT(MIN|MAX)(?:([+-])(\d{1,3}))?$/;

function unknownSignal(value: string): TypeError & { code: string } {
  const e = new TypeError(`Unrecognized signal name "${value}"`) as TypeError & { code: string };
  e.code = 'ERR_UNKNOWN_SIGNAL';
  return e;
}

function parseName(value: string): number {
  let s = value.startsWith(':') ? value.slice(1) : value;
  s = s.toUpperCase();
  if (s.startsWith('SIG') && s.length > 3) s = s.slice(3);
  const known = names().numberByBase.get(s);
  if (known !== undefined) return known;
  const m = RT_PATTERN.exec(s);
  if (m && rtmin !== null && rtmax !== null) {
    const base = m[1] === 'MIN' ? rtmin : rtmax;
    const offset = m[3] === undefined ? 0 : Number(m[3]) * (m[2] === '-' ? -1 : 1);
    const n = base + offset;
    if (n < rtmin || n > rtmax) {
      throw outOfRangeError('signal', `a real-time signal from SIGRTMIN (${rtmin}) to SIGRTMAX (${rtmax})`, value);
    }
    return n;
  }
  throw unknownSignal(value);
}

/**
 * Converts any signal spelling to the platform's number.
 *
 * Accepts names in any case with or without `SIG` (`'SIGTERM'`, `'TERM'`, `'term'`), Janet
 * keywords (`':term'`), aliases (`'IOT'`, `'CLD'`, `'POLL'`), real-time offsets (`'RTMIN+3'`,
 * `'SIGRTMAX-1'`), `0`/`'ZERO'`/`'SIGZERO'` (the existence probe), and integers from 0 to the
 * platform's largest signal.
 *
 * @throws TypeError `ERR_UNKNOWN_SIGNAL` — `Unrecognized signal name "FOO"`.
 * @throws TypeError `ERR_INVALID_ARG_TYPE` — neither a string nor a number.
 * @throws RangeError `ERR_OUT_OF_RANGE` — a number that is not an integer in range, or a
 *   real-time offset past SIGRTMIN..SIGRTMAX.
 */
export function toSignal(sig: SignalLike | string): number {
  if (typeof sig === 'number') {
    // `sig | 0` turns -0 into 0.
    if (Number.isInteger(sig) && sig >= 0 && sig <= maxSignal) return sig | 0;
    throw outOfRangeError('signal', `an integer from 0 to ${maxSignal}`, sig);
  }
  if (typeof sig === 'string') {
    const hit = cache.get(sig);
    if (hit !== undefined) return hit;
    const n = parseName(sig);
    if (cache.size < 1024) cache.set(sig, n);
    return n;
  }
  throw argTypeError('signal', 'a signal name (string) or number', sig);
}

/**
 * The canonical name of a signal number (`signalName(15) === 'SIGTERM'`,
 * `signalName(37) === 'SIGRTMIN+3'` on Linux), or `undefined` for 0 and numbers with no name.
 */
export function signalName(n: number): string | undefined {
  return names().namesByNumber.get(n)?.[0];
}

/**
 * Everything known of one signal: name, number, keyword, `strsignal` description, aliases,
 * default action and whether it can be caught.
 *
 * @throws like {@link toSignal}; also RangeError `ERR_OUT_OF_RANGE` for 0 (not a signal) or a
 *   number the platform accepts but has no name for.
 */
export function signalInfo(sig: SignalLike | string): SignalInfo {
  const n = toSignal(sig);
  const info = infos().get(n);
  if (!info) throw outOfRangeError('signal', 'a named signal (0 is the existence probe, not a signal)', sig);
  return info;
}

/** Every named signal of the platform, ordered by number, real-time ones included. */
export function listSignals(): SignalInfo[] {
  return [...infos().values()];
}

/** @internal The display form of a signal number: its name, or the number itself. */
export function displaySignal(n: number): string | number {
  return names().namesByNumber.get(n)?.[0] ?? n;
}

/** @internal The platform's SIGKILL/SIGTERM/SIGSTOP/SIGCONT numbers (every platform has them). */
export const SIG = {
  KILL: signalObject.SIGKILL,
  TERM: signalObject.SIGTERM,
  INT: signalObject.SIGINT,
  STOP: signalObject.SIGSTOP,
  CONT: signalObject.SIGCONT,
} as const;
