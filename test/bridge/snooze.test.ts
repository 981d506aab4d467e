import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkSnoozeTime,
  localDateParts,
  MAX_SNOOZE_AHEAD_S,
  snoozeChoices,
  zonedTimeToEpochMs,
} from '../../src/bridge/snooze.ts';

const ms = (iso: string): number => Date.parse(iso);
const sec = (iso: string): number => Date.parse(iso) / 1000;

const ZONES = [
  'UTC',
  'Europe/London',
  'America/New_York',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'Australia/Lord_Howe',
  'America/St_Johns',
  'Asia/Kathmandu',
  'America/Santiago',
  'Pacific/Kiritimati',
];

describe('snoozeChoices', () => {
  it.each([
    // [zone, now, tomorrow 09:00 local, next Monday 09:00 local]
    ['Europe/London', '2026-11-25T15:00:00Z', '2026-11-26T09:00:00Z', '2026-11-30T09:00:00Z'], // Wed, GMT
    ['Europe/London', '2026-07-15T12:00:00Z', '2026-07-16T08:00:00Z', '2026-07-20T08:00:00Z'], // Wed, BST
    ['America/New_York', '2026-07-15T12:00:00Z', '2026-07-16T13:00:00Z', '2026-07-20T13:00:00Z'], // Wed 08:00 EDT
    // Mon 22:00 EST while UTC is already Tuesday: the local date decides
    ['America/New_York', '2026-01-06T03:00:00Z', '2026-01-06T14:00:00Z', '2026-01-12T14:00:00Z'],
    // Sun 01:30 IST while UTC is still Saturday
    ['Asia/Kolkata', '2026-01-10T20:00:00Z', '2026-01-12T03:30:00Z', '2026-01-12T03:30:00Z'],
    ['Asia/Kolkata', '2026-11-25T03:00:00Z', '2026-11-26T03:30:00Z', '2026-11-30T03:30:00Z'], // Wed 08:30 IST
    ['Pacific/Chatham', '2026-06-10T00:00:00Z', '2026-06-10T20:15:00Z', '2026-06-14T20:15:00Z'], // Wed, +12:45
    ['Pacific/Chatham', '2026-01-20T12:00:00Z', '2026-01-21T19:15:00Z', '2026-01-25T19:15:00Z'], // Wed, +13:45
    ['Australia/Lord_Howe', '2026-07-01T00:00:00Z', '2026-07-01T22:30:00Z', '2026-07-05T22:30:00Z'], // Wed, +10:30
    ['Australia/Lord_Howe', '2026-12-01T00:00:00Z', '2026-12-01T22:00:00Z', '2026-12-06T22:00:00Z'], // Tue, +11
    // Sat 19:30 +10:30; the clocks go forward half an hour that night
    ['Australia/Lord_Howe', '2026-10-03T09:00:00Z', '2026-10-03T22:00:00Z', '2026-10-04T22:00:00Z'],
    ['Europe/London', '2026-12-31T12:00:00Z', '2027-01-01T09:00:00Z', '2027-01-04T09:00:00Z'], // over New Year
  ])('%s at %s', (zone, now, tomorrow, monday) => {
    expect(snoozeChoices(ms(now), zone)).toEqual({
      inAnHour: sec(now) + 3600,
      tomorrowMorning: sec(tomorrow),
      nextMonday: sec(monday),
      timeZone: zone,
    });
  });

  it('floors an hour from now to whole seconds', () => {
    const { inAnHour } = snoozeChoices(ms('2026-11-25T15:20:30.999Z'), 'Europe/London');
    expect(inAnHour).toBe(sec('2026-11-25T16:20:30Z'));
    expect(Number.isInteger(inAnHour)).toBe(true);
  });

  describe('across a DST change', () => {
    it.each([
      // [zone, clocks go, now (a Saturday evening), tomorrow 09:00, Monday 09:00, tomorrow's local month and day]
      ['Europe/London', 'forward', '2026-03-28T20:00:00Z', '2026-03-29T08:00:00Z', '2026-03-30T08:00:00Z', 3, 29],
      ['Europe/London', 'back', '2026-10-24T20:00:00Z', '2026-10-25T09:00:00Z', '2026-10-26T09:00:00Z', 10, 25],
      ['America/New_York', 'forward', '2026-03-07T23:00:00Z', '2026-03-08T13:00:00Z', '2026-03-09T13:00:00Z', 3, 8],
      ['America/New_York', 'back', '2026-10-31T22:00:00Z', '2026-11-01T14:00:00Z', '2026-11-02T14:00:00Z', 11, 1],
    ])('%s, clocks going %s: tomorrow is still 09:00 local', (zone, _change, now, tomorrow, monday, month, day) => {
      const choices = snoozeChoices(ms(now), zone);
      expect(choices.tomorrowMorning).toBe(sec(tomorrow));
      expect(choices.nextMonday).toBe(sec(monday));
      expect(localDateParts(choices.tomorrowMorning * 1000, zone)).toEqual({
        year: 2026,
        month,
        day,
        hour: 9,
        minute: 0,
        weekday: 0,
      });
      expect(localDateParts(choices.nextMonday * 1000, zone)).toMatchObject({ hour: 9, minute: 0, weekday: 1 });
    });
  });

  describe('next Monday', () => {
    it('is tomorrow on a Sunday', () => {
      const choices = snoozeChoices(ms('2026-11-29T12:00:00Z'), 'Europe/London');
      expect(choices.nextMonday).toBe(sec('2026-11-30T09:00:00Z'));
      expect(choices.nextMonday).toBe(choices.tomorrowMorning);
    });

    it.each([
      ['before 09:00', '2026-11-30T00:00:00Z'],
      ['after 09:00', '2026-11-30T12:00:00Z'],
    ])('is a week away on a Monday, %s', (_when, now) => {
      const choices = snoozeChoices(ms(now), 'Europe/London');
      expect(choices.tomorrowMorning).toBe(sec('2026-12-01T09:00:00Z'));
      expect(choices.nextMonday).toBe(sec('2026-12-07T09:00:00Z'));
    });

    it.each([
      // Saturday 23:30 local in each: UTC is already Sunday in New York, still Saturday in Kolkata
      ['America/New_York', '2026-11-29T04:30:00Z', '2026-11-29T14:00:00Z', '2026-11-30T14:00:00Z'],
      ['Asia/Kolkata', '2026-11-28T18:00:00Z', '2026-11-29T03:30:00Z', '2026-11-30T03:30:00Z'],
    ])('Saturday 23:30 in %s: tomorrow is Sunday 09:00', (zone, now, tomorrow, monday) => {
      expect(localDateParts(ms(now), zone)).toMatchObject({ hour: 23, minute: 30, weekday: 6 });
      const choices = snoozeChoices(ms(now), zone);
      expect(choices.tomorrowMorning).toBe(sec(tomorrow));
      expect(localDateParts(choices.tomorrowMorning * 1000, zone)).toMatchObject({ hour: 9, minute: 0, weekday: 0 });
      expect(choices.nextMonday).toBe(sec(monday));
    });
  });

  it.each([['Mars/Olympus'], [''], [undefined], ['not a zone']])('falls back to UTC for %j', (zone) => {
    expect(snoozeChoices(ms('2026-11-25T23:30:00Z'), zone)).toEqual({
      inAnHour: sec('2026-11-26T00:30:00Z'),
      tomorrowMorning: sec('2026-11-26T09:00:00Z'),
      nextMonday: sec('2026-11-30T09:00:00Z'),
      timeZone: 'UTC',
    });
  });

  it('gives 09:00 local, a Monday, and times after now, wherever and whenever', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.constantFrom(...ZONES),
        (nowMs, zone) => {
          const choices = snoozeChoices(nowMs, zone);
          expect(choices.timeZone).toBe(zone);
          expect(choices.inAnHour).toBe(Math.floor(nowMs / 1000) + 3600);
          for (const at of [choices.tomorrowMorning, choices.nextMonday]) {
            expect(Number.isInteger(at)).toBe(true);
            expect(at * 1000).toBeGreaterThan(nowMs);
            expect(localDateParts(at * 1000, zone)).toMatchObject({ hour: 9, minute: 0 });
          }
          const monday = localDateParts(choices.nextMonday * 1000, zone);
          expect(monday.weekday).toBe(1);
          // within the coming week, never today
          expect(choices.nextMonday - choices.tomorrowMorning).toBeGreaterThanOrEqual(0);
          expect(choices.nextMonday * 1000 - nowMs).toBeLessThanOrEqual(8 * 86_400_000);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('zonedTimeToEpochMs', () => {
  it.each([
    ['Asia/Kolkata', { year: 2026, month: 1, day: 12, hour: 9, minute: 0 }, '2026-01-12T03:30:00Z'],
    ['Pacific/Chatham', { year: 2026, month: 6, day: 11, hour: 9, minute: 0 }, '2026-06-10T20:15:00Z'],
    ['UTC', { year: 2026, month: 2, day: 28, hour: 23, minute: 59 }, '2026-02-28T23:59:00Z'],
  ])('reads a plain local time in %s', (zone, parts, expected) => {
    expect(zonedTimeToEpochMs(parts, zone)).toBe(ms(expected));
  });

  it.each([
    // the skipped time moves forward by the gap's length
    ['America/New_York', { year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, '2026-03-08T07:30:00Z'], // 03:30 EDT
    ['Europe/London', { year: 2026, month: 3, day: 29, hour: 1, minute: 30 }, '2026-03-29T01:30:00Z'], // 02:30 BST
    ['Australia/Lord_Howe', { year: 2026, month: 10, day: 4, hour: 2, minute: 15 }, '2026-10-03T15:45:00Z'], // 02:45
    ['Pacific/Chatham', { year: 2026, month: 9, day: 27, hour: 3, minute: 0 }, '2026-09-26T14:15:00Z'], // 04:00
  ])('moves a time in the spring-forward gap in %s forward', (zone, parts, expected) => {
    expect(zonedTimeToEpochMs(parts, zone)).toBe(ms(expected));
  });

  it.each([
    ['America/New_York', { year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, '2026-11-01T05:30:00Z'], // EDT
    ['Europe/London', { year: 2026, month: 10, day: 25, hour: 1, minute: 30 }, '2026-10-25T00:30:00Z'], // BST
    ['Australia/Lord_Howe', { year: 2026, month: 4, day: 5, hour: 1, minute: 45 }, '2026-04-04T14:45:00Z'], // +11
  ])('takes the earlier of a repeated fall-back time in %s', (zone, parts, expected) => {
    expect(zonedTimeToEpochMs(parts, zone)).toBe(ms(expected));
  });

  it.each([
    [{ year: 2026, month: 1, day: 32, hour: 9, minute: 0 }, '2026-02-01T09:00:00Z'],
    [{ year: 2026, month: 13, day: 1, hour: 9, minute: 0 }, '2027-01-01T09:00:00Z'],
    [{ year: 2026, month: 2, day: 29, hour: 9, minute: 0 }, '2026-03-01T09:00:00Z'],
    [{ year: 2026, month: 12, day: 31, hour: 24, minute: 0 }, '2027-01-01T00:00:00Z'],
  ])('rolls %j over like Date.UTC', (parts, expected) => {
    expect(zonedTimeToEpochMs(parts, 'Europe/London')).toBe(ms(expected));
  });

  it('throws RangeError for an unknown zone', () => {
    expect(() => zonedTimeToEpochMs({ year: 2026, month: 1, day: 1, hour: 0, minute: 0 }, 'Mars/Olympus')).toThrow(
      RangeError,
    );
  });

  it('inverts localDateParts, taking the earlier instant when a reading repeats', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1) / 60_000, max: Date.UTC(2100, 0, 1) / 60_000 }),
        fc.constantFrom(...ZONES),
        (minutes, zone) => {
          const instant = minutes * 60_000;
          const { weekday: _weekday, ...parts } = localDateParts(instant, zone);
          const found = zonedTimeToEpochMs(parts, zone);
          expect(localDateParts(found, zone)).toMatchObject(parts);
          expect(instant - found).toBeGreaterThanOrEqual(0);
          expect(instant - found).toBeLessThanOrEqual(3_600_000);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('localDateParts', () => {
  it('reads the wall clock, with a 0-23 hour and Sunday as 0', () => {
    expect(localDateParts(ms('2026-11-28T18:30:00Z'), 'Asia/Kolkata')).toEqual({
      year: 2026,
      month: 11,
      day: 29,
      hour: 0,
      minute: 0,
      weekday: 0,
    });
    expect(localDateParts(ms('2026-03-08T07:30:00Z'), 'America/New_York')).toEqual({
      year: 2026,
      month: 3,
      day: 8,
      hour: 3,
      minute: 30,
      weekday: 0,
    });
  });

  it('throws RangeError for an unknown zone', () => {
    expect(() => localDateParts(0, 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('checkSnoozeTime', () => {
  const now = ms('2026-11-25T15:00:00.500Z');
  const at = (aheadS: number) => sec('2026-11-25T15:00:00Z') + aheadS;
  const DAY = 86_400;

  it('takes a time more than a minute and at most 365 days ahead', () => {
    expect(checkSnoozeTime(at(61), now)).toEqual({ until: at(61) });
    expect(checkSnoozeTime(at(3 * DAY), now)).toEqual({ until: at(3 * DAY) });
    expect(checkSnoozeTime(at(365 * DAY), now)).toEqual({ until: at(365 * DAY) });
    expect(checkSnoozeTime(at(DAY) + 0.75, now)).toEqual({ until: at(DAY) }); // whole seconds for Intercom
  });

  it.each([
    ['a minute ahead', at(60)],
    ['now', at(0)],
    ['yesterday', at(-DAY)],
    ['the epoch', 0],
    ['negative', -1e9],
  ])('refuses %s as not in the future', (_, time) => {
    expect(checkSnoozeTime(time, now)).toEqual({ problem: 'Pick a time in the future.' });
  });

  it.each([
    ['365 days and a second ahead', at(365 * DAY + 1)],
    ['two years ahead', at(2 * 365 * DAY)],
    ['year 2100', 4_102_444_800],
    ['1e300', 1e300],
    ['the largest safe integer', Number.MAX_SAFE_INTEGER],
  ])('refuses %s as too far ahead', (_, time) => {
    expect(checkSnoozeTime(time, now)).toEqual({ problem: 'Pick a time within a year from now.' });
  });

  it.each([[null], [undefined], [String(at(DAY))], [Number.NaN], [Number.POSITIVE_INFINITY], [{}], [[at(DAY)]]])(
    'refuses %j as no time picked',
    (time) => {
      expect(checkSnoozeTime(time, now)).toEqual({ problem: 'Pick the date and time to snooze until.' });
    },
  );

  it('takes exactly the numbers whose instant lies in (now + 60 s, now + 365 days], as whole seconds', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double(),
          fc.integer({ min: -2 * 365 * DAY, max: 2 * 365 * DAY }).map((d) => now / 1000 + d),
        ),
        (time) => {
          const result = checkSnoozeTime(time, now);
          const ahead = time * 1000 - now;
          const inRange = ahead > 60_000 && ahead <= MAX_SNOOZE_AHEAD_S * 1000;
          expect('until' in result).toBe(inRange);
          if ('until' in result) {
            expect(result.until).toBe(Math.floor(time));
            expect(Number.isSafeInteger(result.until)).toBe(true);
          }
        },
      ),
    );
  });
});
