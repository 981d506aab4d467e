import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DURATION_HINT,
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
  readDuration,
} from '../../src/bridge/duration.ts';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('parseDuration', () => {
  it.each([
    ['45s', 45 * s],
    ['15m', 15 * m],
    ['2h', 2 * h],
    ['1d', d],
    ['1h30m', h + 30 * m],
    ['1h 30m', h + 30 * m],
    ['1d12h', d + 12 * h],
    ['2m30s', 2 * m + 30 * s],
    ['0h5m', 5 * m],
    ['90m', 90 * m],
    [' 15m ', 15 * m],
    ['30d', 30 * d],
    ['720h', 30 * d],
  ])('%s → %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '15', // a bare number: seconds or minutes? the unit is required
    '0',
    'soon',
    '15 m',
    '15M',
    '1.5h',
    '-5m',
    '30m1h', // largest unit first
    '1h1h',
    '1w',
    'm',
    '1234567s',
  ])('refuses %j as not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
    expect(readDuration(text)).toEqual({ ok: false, problem: DURATION_HINT });
  });

  it('refuses zero and more than 30 days, saying so', () => {
    expect(readDuration('0m')).toEqual({ ok: false, problem: 'must be longer than 0s' });
    expect(readDuration('0h0m')).toEqual({ ok: false, problem: 'must be longer than 0s' });
    expect(readDuration('30d1s')).toEqual({ ok: false, problem: 'must be at most 30d' });
    expect(readDuration('31d')).toEqual({ ok: false, problem: 'must be at most 30d' });
    expect(parseDuration('0s')).toBeUndefined();
    expect(parseDuration('31d')).toBeUndefined();
    expect(MAX_DURATION_MS).toBe(30 * d);
  });
});

describe('formatDuration', () => {
  it.each([
    [45 * s, '45s'],
    [h + 5 * m, '1h 5m'],
    [2 * d + 3 * h, '2d 3h'],
    [15 * m, '15m'],
    [90 * m, '1h 30m'],
    [m + 30 * s, '1m 30s'],
    [h + 5 * m + 59 * s, '1h 5m'], // rounded down to the smaller unit shown
    [2 * d + 40 * m, '2d'], // two units from the first that is not zero: the hours are 0
    [h + 30 * s, '1h'],
    [59_999, '59s'],
    [999, '0s'],
    [0, '0s'],
    [-(h + 5 * m), '1h 5m'], // the sign is the caller's to say
    [Number.NaN, '0s'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('reads back as at most the duration it was made from, less than one smaller unit off', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: MAX_DURATION_MS }), (ms) => {
        const back = parseDuration(formatDuration(ms)) as number;
        expect(back).toBeLessThanOrEqual(ms);
        const smaller = [d, h, m, s].find((unit) => back >= unit) ?? s;
        const precision = { [d]: h, [h]: m, [m]: s, [s]: s }[smaller] ?? s;
        expect(ms - back).toBeLessThan(precision);
      }),
    );
  });
});
