import * as os from 'node:os';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { listSignals, signalInfo, signalName, signals, toSignal } from '../lib';

describe('signals table', () => {
  it('agrees with os.constants.signals on every shared name', () => {
    const nodeSignals = os.constants.signals as Record<string, number>;
    let shared = 0;
    for (const [name, n] of Object.entries(nodeSignals)) {
      if (name in signals) {
        expect(signals[name], name).toBe(n);
        shared++;
      }
    }
    expect(shared).toBeGreaterThan(25);
    // and every name Node knows exists here too
    for (const name of Object.keys(nodeSignals)) expect(signals).toHaveProperty(name);
  });

  it('is frozen and has SIGRTMIN/SIGRTMAX on Linux', () => {
    expect(Object.isFrozen(signals)).toBe(true);
    if (process.platform === 'linux') {
      expect(signals.SIGRTMIN).toBe(34);
      expect(signals.SIGRTMAX).toBe(64);
    }
  });

  it('matches the numbers and names of `kill -l` (bash) on this machine', ({ skip }) => {
    skip(process.platform !== 'linux', 'Linux signal numbering');
    const out = execFileSync('bash', ['-c', 'kill -l'], { encoding: 'utf8' });
    const pairs = [...out.matchAll(/(\d+)\) (SIG[A-Z0-9+-]+)/g)].map((m) => [Number(m[1]), m[2]] as const);
    expect(pairs.length).toBeGreaterThan(60);
    for (const [n, name] of pairs) {
      expect(signalName(n), `${n}`).toBe(name);
      expect(toSignal(name)).toBe(n);
    }
  });
});

describe('toSignal', () => {
  it('accepts every spelling', () => {
    for (const s of ['SIGTERM', 'TERM', 'term', 'sigterm', 'SigTerm', ':term', ':TERM', ':sigterm', 15]) {
      expect(toSignal(s), String(s)).toBe(signals.SIGTERM);
    }
    expect(toSignal('KILL')).toBe(signals.SIGKILL);
    expect(toSignal(':kill')).toBe(signals.SIGKILL);
  });

  it('maps 0, ZERO and SIGZERO to the existence probe', () => {
    expect(toSignal(0)).toBe(0);
    expect(toSignal('ZERO')).toBe(0);
    expect(toSignal('SIGZERO')).toBe(0);
    expect(toSignal('zero')).toBe(0);
  });

  it('knows the aliases', () => {
    expect(toSignal('IOT')).toBe(signals.SIGABRT);
    if (process.platform === 'linux') {
      expect(toSignal('CLD')).toBe(signals.SIGCHLD);
      expect(toSignal('SIGPOLL')).toBe(signals.SIGIO);
    }
  });

  it('parses real-time offsets', ({ skip }) => {
    skip(process.platform !== 'linux', 'Linux real-time signal numbers');
    expect(toSignal('RTMIN')).toBe(34);
    expect(toSignal('RTMIN+3')).toBe(37);
    expect(toSignal('SIGRTMAX-1')).toBe(63);
    expect(toSignal('sigrtmax')).toBe(64);
    expect(() => toSignal('RTMIN+31')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => toSignal('RTMIN-1')).toThrow(RangeError);
  });

  it('rejects unknown names with TypeError ERR_UNKNOWN_SIGNAL and Perl\'s message', () => {
    for (const bad of ['FOO', '', 'SIG', 'SIGFOO', ' TERM', 'TERM ', '9', '-9', 'SIG TERM', '::term']) {
      let err: unknown;
      try {
        toSignal(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(TypeError);
      expect(err).toMatchObject({ code: 'ERR_UNKNOWN_SIGNAL', message: `Unrecognized signal name "${bad}"` });
    }
  });

  it('rejects out-of-range and non-integer numbers with RangeError', () => {
    for (const bad of [-1, 65, 1000, 1.5, NaN, Infinity, -Infinity, 2 ** 31]) {
      if (process.platform !== 'linux' && bad === 65) continue;
      expect(() => toSignal(bad), String(bad)).toThrow(RangeError);
      expect(() => toSignal(bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
  });

  it('rejects other types with TypeError ERR_INVALID_ARG_TYPE', () => {
    for (const bad of [null, undefined, {}, [], 15n, Symbol('x'), true, () => 15, { valueOf: () => 15 }]) {
      expect(() => toSignal(bad as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
  });
});

describe('signalName / signalInfo / listSignals', () => {
  it('round-trips every listed signal', () => {
    const all = listSignals();
    for (let i = 1; i < all.length; i++) expect(all[i].number).toBeGreaterThan(all[i - 1].number);
    for (const info of all) {
      expect(signalName(info.number)).toBe(info.name);
      expect(toSignal(info.name)).toBe(info.number);
      expect(toSignal(`:${info.keyword}`)).toBe(info.number);
      expect(info.description.length).toBeGreaterThan(0);
    }
  });

  it('describes signals like signal(7)', () => {
    expect(signalInfo('TERM')).toMatchObject({ name: 'SIGTERM', keyword: 'term', action: 'terminate', catchable: true });
    expect(signalInfo('KILL')).toMatchObject({ name: 'SIGKILL', action: 'terminate', catchable: false });
    expect(signalInfo('STOP')).toMatchObject({ action: 'stop', catchable: false });
    expect(signalInfo('CONT')).toMatchObject({ action: 'continue' });
    expect(signalInfo('CHLD')).toMatchObject({ action: 'ignore' });
    expect(signalInfo('SEGV')).toMatchObject({ action: 'core' });
    expect(signalInfo('ABRT').aliases).toContain('SIGIOT');
    if (process.platform === 'linux') {
      expect(signalInfo('TERM').description).toBe('Terminated');
      expect(signalInfo(37)).toMatchObject({ name: 'SIGRTMIN+3', keyword: 'rtmin+3', action: 'terminate' });
    }
  });

  it('has no name for 0 and unknown numbers', () => {
    expect(signalName(0)).toBeUndefined();
    expect(signalName(-1)).toBeUndefined();
    expect(signalName(1000)).toBeUndefined();
    expect(() => signalInfo(0)).toThrow(RangeError);
  });
});
