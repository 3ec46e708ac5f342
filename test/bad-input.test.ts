/**
 * Bad input gets a typed error with a code, and nothing is signalled: a canary process records
 * every signal it receives and must have received none after the whole matrix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, kill, killEach, killpg, probe, toSignal, waitpid, waitpidAsync } from '../lib';
import { canaryReport, cleanup, spawnFixture, type Spawned } from './helpers';

let canary: Spawned;
beforeAll(async () => {
  canary = await spawnFixture('canary.js');
});
afterAll(cleanup);

const badPids: [string, unknown, string, string][] = [
  // [label, value, error class, code]
  ['1.5', 1.5, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['NaN', NaN, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['Infinity', Infinity, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['-Infinity', -Infinity, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['-0', -0, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['2^31', 2 ** 31, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['-2^31', -(2 ** 31), 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['2^53', 2 ** 53, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['-1e20', -1e20, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['-1', -1, 'RangeError', 'ERR_INVALID_ARG_VALUE'],
  ['"123"', '123', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['"abc"', 'abc', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['""', '', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['123n', 123n, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['null', null, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['undefined', undefined, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['{}', {}, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['[pid]', [1], 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['valueOf object', { valueOf: () => 1 }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['Symbol', Symbol('pid'), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['true', true, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['Number object', Object(5), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
];

const badSignals: [string, unknown, string, string][] = [
  ['"FOO"', 'FOO', 'TypeError', 'ERR_UNKNOWN_SIGNAL'],
  ['""', '', 'TypeError', 'ERR_UNKNOWN_SIGNAL'],
  ['"-"', '-', 'TypeError', 'ERR_UNKNOWN_SIGNAL'],
  ['"--TERM"', '--TERM', 'TypeError', 'ERR_UNKNOWN_SIGNAL'],
  ['"9"', '9', 'TypeError', 'ERR_UNKNOWN_SIGNAL'],
  ['1000', 1000, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['-1000', -1000, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['1.5', 1.5, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['NaN', NaN, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['Infinity', Infinity, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['"RTMIN+99"', 'RTMIN+99', 'RangeError', 'ERR_OUT_OF_RANGE'],
  ['null', null, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['undefined', undefined, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['15n', 15n, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['{}', {}, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
  ['Symbol', Symbol('sig'), 'TypeError', 'ERR_INVALID_ARG_TYPE'],
];

function expectThrow(fn: () => unknown, cls: string, code: string) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a throw').toBeInstanceOf(Error);
  expect((err as Error).constructor.name).toBe(cls);
  expect((err as { code?: string }).code).toBe(code);
}

describe('bad pids', () => {
  it.each(badPids)('kill() with pid %s throws and signals nothing', (_l, bad, cls, code) => {
    // the canary comes first: validation must reject the whole call before any signal
    expectThrow(() => kill('TERM', canary.pid, bad as number), cls, code);
    expectThrow(() => kill('TERM', bad as number), cls, code);
    expectThrow(() => killEach('TERM', [canary.pid, bad as number]), cls, code);
  });

  it.each(badPids.filter(([l]) => l !== '-1'))('killpg/probe/isAlive/waitpid with %s throw', (_l, bad, cls) => {
    expect(() => killpg(bad as number, 'TERM')).toThrow();
    expect(() => probe(bad as number)).toThrow();
    expect(() => isAlive(bad as number)).toThrow();
    expect(() => waitpid(bad as number)).toThrow();
    expect(() => probe(bad as number)).toThrow(cls === 'TypeError' ? TypeError : RangeError);
  });

  it('negative signal with negative pid is refused', () => {
    expectThrow(() => kill(-15, canary.pid, -canary.pid), 'RangeError', 'ERR_INVALID_ARG_VALUE');
    expectThrow(() => kill('-TERM', -canary.pid), 'RangeError', 'ERR_INVALID_ARG_VALUE');
  });

  it('killpg refuses negative groups and probe refuses 0 and negatives', () => {
    expectThrow(() => killpg(-canary.pid, 'TERM'), 'RangeError', 'ERR_INVALID_ARG_VALUE');
    expectThrow(() => probe(0), 'RangeError', 'ERR_OUT_OF_RANGE');
    expectThrow(() => probe(-canary.pid), 'RangeError', 'ERR_OUT_OF_RANGE');
  });

  it('killEach needs an array', () => {
    expectThrow(() => killEach('TERM', canary.pid as never), 'TypeError', 'ERR_INVALID_ARG_TYPE');
  });
});

describe('bad signals', () => {
  it.each(badSignals)('kill() with signal %s throws and signals nothing', (_l, bad, cls, code) => {
    expectThrow(() => kill(bad as never, canary.pid), cls, code);
    expectThrow(() => kill(bad as never, canary.pid, canary.pid), cls, code);
    expectThrow(() => killEach(bad as never, [canary.pid]), cls, code);
    // killpg's signal defaults to SIGTERM when undefined, like every optional parameter.
    if (!(typeof bad === 'number' && bad < 0) && bad !== undefined) {
      expectThrow(() => killpg(canary.pid, bad as never), cls, code);
      expectThrow(() => toSignal(bad as string), cls, code);
    }
  });
});

describe('bad options', () => {
  it('waitpid refuses noHang: false and bad option types', async () => {
    expectThrow(() => waitpid(canary.pid, { noHang: false }), 'TypeError', 'ERR_INVALID_ARG_VALUE');
    expectThrow(() => waitpid(canary.pid, { untraced: 1 as never }), 'TypeError', 'ERR_INVALID_ARG_TYPE');
    expectThrow(() => waitpid(canary.pid, 5 as never), 'TypeError', 'ERR_INVALID_ARG_TYPE');
    await expect(waitpidAsync(1.5)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });
});

describe('the canary', () => {
  it('received no signal at all and is alive', async () => {
    expect(await canaryReport(canary.child)).toEqual([]);
    expect(isAlive(canary.pid)).toBe(true);
  });
});
