/**
 * Type test, checked by `tsc -p tsconfig.json --noEmit` (the CI's typecheck lane), never run:
 * every documented spelling of a signal compiles, and a misspelt one does not (each
 * `@ts-expect-error` fails the check if the line below it compiles).
 */
import {
  Job,
  ProcessHandle,
  kill,
  killEach,
  killTree,
  killpg,
  signalInfo,
  terminate,
  toSignal,
  type GroupSignalName,
  type SignalLike,
  type SignalName,
} from '../../lib';
import treeKill from '../../lib/tree-kill';

declare const pid: number;
declare const handle: ProcessHandle;
declare const job: Job;
declare const userInput: string;

// Every form docs/api.md documents for toSignal and kill.
const accepted: SignalLike[] = [
  'SIGTERM', 'TERM', 'term', 'sigterm', ':term', ':kill',
  'IOT', 'CLD', 'POLL', 'SIGIOT', 'SIGUNUSED', 'STKFLT', 'PWR', 'SIGINFO', 'EMT', 'BREAK', 'SIGBREAK',
  'RTMIN', 'RTMAX', 'RTMIN+3', 'SIGRTMIN+3', 'SIGRTMAX-1', 'rtmin+1', 'sigrtmax-2', ':rtmin+3',
  0, 'ZERO', 'SIGZERO', 'zero', 9, 64,
];
void accepted;
kill('HUP', pid, pid);
kill(0, pid);
kill(-9, pid);
kill('-KILL', pid);
kill('-SIGTERM', pid);
kill('-term', pid);
killEach('-KILL', [pid]);
killEach('USR1', [pid]);
killpg(pid, 'SIGINT');
void killTree(pid, 'SIGKILL');
void killTree(pid, ':term');
void terminate(pid, { killSignal: 'SIGINT', escalate: 'KILL' });
void terminate(pid, { escalate: false });
handle.kill('SIGKILL');
void handle.kill('SIGKILL', { wait: true });
handle.killGroup('TERM');
void job.kill('SIGTERM');
treeKill(pid, 'SIGKILL');
// tree-kill's own signature takes any string (drop-in replacement).
treeKill(pid, userInput);
// User input goes through toSignal (any string), then anywhere a SignalLike goes.
kill(toSignal(userInput), pid);
signalInfo(userInput);
toSignal('SIGTREM'); // compiles: toSignal is the parser for strings of unknown content

const group: GroupSignalName = '-KILL';
const name: SignalName = 'SIGRTMAX-1';
void group;
void name;

// @ts-expect-error a typo is not a signal
kill('SIGTREM', pid);
// @ts-expect-error a typo is not a signal
killEach('KIL', [pid]);
// @ts-expect-error an arbitrary string is not a SignalLike
kill(userInput, pid);
// @ts-expect-error a numeric string is not accepted (pass the number)
kill('9', pid);
// @ts-expect-error the group form is kill()'s and killEach()'s only
killpg(pid, '-KILL');
// @ts-expect-error a typo is not a signal
void killTree(pid, 'SIGKIL');
// @ts-expect-error a typo is not a signal
void terminate(pid, { killSignal: 'SIGTREM' });
// @ts-expect-error a typo is not a signal
handle.kill('SIGTREM');
// @ts-expect-error a typo is not a signal
void job.kill('TREM');
