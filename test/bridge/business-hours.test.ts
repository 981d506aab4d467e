import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  addWorkingMs,
  type BusinessHours,
  isWorking,
  WEEKDAYS,
  type Weekday,
  workingMs,
} from '../../src/bridge/business-hours.ts';

const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad instant ${iso}`);
  return ms;
};
/** The instant of a wall time in a zone, via luxon (only used away from gaps and repeated hours). */
const wall = (zone: string, iso: string): number => DateTime.fromISO(iso, { zone }).toMillis();

const WEEK: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const EVERY_DAY = WEEKDAYS;

function hours(overrides: Partial<BusinessHours> = {}): BusinessHours {
  return { timezone: 'Europe/Berlin', days: WEEK, start: '09:00', end: '17:00', holidays: [], ...overrides };
}

describe('WEEKDAYS', () => {
  it('lists the week from Monday', () => {
    expect(WEEKDAYS).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
  });
});

describe('without business hours', () => {
  it('counts wall-clock time', () => {
    expect(workingMs(undefined, 1000, 5000)).toBe(4000);
    expect(workingMs(undefined, 5000, 1000)).toBe(0);
    expect(addWorkingMs(undefined, 1000, 500)).toBe(1500);
    expect(addWorkingMs(undefined, 1000, 0)).toBe(1000);
    expect(isWorking(undefined, 0)).toBe(true);
  });
});

describe('workingMs, Mon–Fri 09:00–17:00 in Europe/Berlin', () => {
  const h = hours();
  const b = (iso: string) => wall('Europe/Berlin', iso);

  it.each([
    ['inside one window', '2026-06-10T10:00', '2026-06-10T12:30', 2.5 * H],
    ['before a window to inside it', '2026-06-10T06:00', '2026-06-10T10:00', 1 * H],
    ['inside a window to after it', '2026-06-10T16:00', '2026-06-10T20:00', 1 * H],
    ['after a window to the next morning', '2026-06-10T18:00', '2026-06-11T09:15', 15 * MIN],
    ['across a whole window', '2026-06-10T00:00', '2026-06-11T00:00', 8 * H],
    ['outside any window', '2026-06-10T17:00', '2026-06-11T09:00', 0],
    ['across a weekend', '2026-06-12T16:00', '2026-06-15T10:00', 2 * H],
    ['within a weekend', '2026-06-13T10:00', '2026-06-14T16:00', 0],
    ['three weeks', '2026-06-01T00:00', '2026-06-22T00:00', 15 * 8 * H],
    ['from equals to', '2026-06-10T10:00', '2026-06-10T10:00', 0],
    ['from after to', '2026-06-10T12:00', '2026-06-10T10:00', 0],
  ])('%s', (_name, from, to, expected) => {
    expect(workingMs(h, b(from), b(to))).toBe(expected);
  });

  it('counts a year of working days', () => {
    // 2026 has 261 weekdays; the 2 DST changes fall on Sundays, so every window is 8 h
    expect(workingMs(h, b('2026-01-01T00:00'), b('2027-01-01T00:00'))).toBe(261 * 8 * H);
  });

  it('leaves out holidays', () => {
    const xmas = hours({ holidays: ['2026-12-24', '2026-12-25'] });
    // Mon 21 – Sun 27 Dec 2026: three working days left
    expect(workingMs(xmas, b('2026-12-21T00:00'), b('2026-12-28T00:00'))).toBe(3 * 8 * H);
    expect(isWorking(xmas, b('2026-12-24T12:00'))).toBe(false);
    expect(isWorking(xmas, b('2026-12-23T12:00'))).toBe(true);
  });
});

describe('addWorkingMs, Mon–Fri 09:00–17:00 in Europe/Berlin', () => {
  const h = hours();
  const b = (iso: string) => wall('Europe/Berlin', iso);

  it.each([
    ['inside a window', '2026-06-10T10:00', 2 * H, '2026-06-10T12:00'],
    ['before a window', '2026-06-10T07:00', 2 * H, '2026-06-10T11:00'],
    ['into the next day', '2026-06-10T16:00', 2 * H, '2026-06-11T10:00'],
    ['over a weekend', '2026-06-12T16:00', 2 * H, '2026-06-15T10:00'],
    ['exactly to the end of a window: its end, not the next start', '2026-06-10T15:00', 2 * H, '2026-06-10T17:00'],
    ['a week of work', '2026-06-08T09:00', 40 * H, '2026-06-12T17:00'],
    ['zero while working: from itself', '2026-06-10T10:00', 0, '2026-06-10T10:00'],
    ['zero at a window start: from itself', '2026-06-10T09:00', 0, '2026-06-10T09:00'],
    ['zero at a window end: the next start', '2026-06-10T17:00', 0, '2026-06-11T09:00'],
    ['zero on a Saturday: Monday morning', '2026-06-13T12:00', 0, '2026-06-15T09:00'],
  ])('%s', (_name, from, ms, expected) => {
    expect(addWorkingMs(h, b(from), ms)).toBe(b(expected));
  });

  it('skips holidays', () => {
    const h2 = hours({ holidays: ['2026-06-11', '2026-06-12'] });
    expect(addWorkingMs(h2, b('2026-06-10T16:00'), 2 * H)).toBe(b('2026-06-15T10:00'));
  });
});

describe('no working time at all', () => {
  const none = hours({ days: [] });

  it('addWorkingMs gives Infinity, workingMs 0, isWorking false', () => {
    expect(addWorkingMs(none, at('2026-06-10T10:00:00Z'), H)).toBe(Number.POSITIVE_INFINITY);
    expect(addWorkingMs(none, at('2026-06-10T10:00:00Z'), 0)).toBe(Number.POSITIVE_INFINITY);
    expect(workingMs(none, at('2026-06-10T10:00:00Z'), at('2030-06-10T10:00:00Z'))).toBe(0);
    expect(isWorking(none, at('2026-06-10T10:00:00Z'))).toBe(false);
  });

  it('gives up after a long stretch of holidays, but not after a short one', () => {
    const days = (n: number): string[] =>
      Array.from({ length: n }, (_, i) => new Date(at('2026-01-01T00:00:00Z') + i * DAY).toISOString().slice(0, 10));
    const from = wall('Europe/Berlin', '2026-01-01T00:00');
    expect(addWorkingMs(hours({ holidays: days(500) }), from, H)).toBe(Number.POSITIVE_INFINITY);
    // 2026-01-31 is a Saturday: the first window after 30 holidays is Monday 2 Feb
    expect(addWorkingMs(hours({ holidays: days(30) }), from, H)).toBe(wall('Europe/Berlin', '2026-02-02T10:00'));
  });

  it('is Infinity for an unbounded span or target', () => {
    expect(workingMs(hours(), 0, Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(addWorkingMs(hours(), 0, Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('night shifts (end at or before start)', () => {
  const night = hours({ timezone: 'UTC', start: '22:00', end: '06:00' });

  it('runs into the next day, counted by the day it starts', () => {
    // Fri 22:00 – Sat 06:00 counts; Sat and Sun nights do not start; Mon night does
    expect(workingMs(night, at('2026-06-12T00:00:00Z'), at('2026-06-16T00:00:00Z'))).toBe(8 * H + 2 * H + 6 * H);
    expect(isWorking(night, at('2026-06-13T05:59:00Z'))).toBe(true); // Saturday morning, Friday's shift
    expect(isWorking(night, at('2026-06-14T05:59:00Z'))).toBe(false); // Sunday morning, no Saturday shift
    expect(isWorking(night, at('2026-06-15T23:00:00Z'))).toBe(true);
    expect(addWorkingMs(night, at('2026-06-13T05:00:00Z'), 2 * H)).toBe(at('2026-06-15T23:00:00Z'));
  });

  it('a holiday is the night that starts on it', () => {
    const h = { ...night, holidays: ['2026-06-10'] };
    expect(isWorking(h, at('2026-06-10T03:00:00Z'))).toBe(true); // Tuesday's shift, into the holiday
    expect(isWorking(h, at('2026-06-10T23:00:00Z'))).toBe(false); // the holiday's own shift does not start
    expect(isWorking(h, at('2026-06-11T03:00:00Z'))).toBe(false); // …nor run into Thursday
  });

  it('start = end is a full 24 h window', () => {
    const round = hours({ timezone: 'UTC', days: EVERY_DAY, start: '09:00', end: '09:00' });
    expect(workingMs(round, at('2026-06-10T00:00:00Z'), at('2026-06-13T00:00:00Z'))).toBe(3 * DAY);
    const weekdays = { ...round, days: WEEK };
    // Thursday's window runs to Fri 09:00 (9 h), Friday's to Sat 09:00 (24 h), none starts on the weekend,
    // Monday's from 09:00 (3 h to noon)
    expect(workingMs(weekdays, at('2026-06-12T00:00:00Z'), at('2026-06-15T12:00:00Z'))).toBe(9 * H + 24 * H + 3 * H);
  });
});

describe('DST', () => {
  it.each([
    ['Europe/Berlin', '2026-03-29', 60, 120],
    ['Europe/Berlin', '2026-10-25', 120, 60],
    ['America/New_York', '2026-03-08', -300, -240],
    ['America/New_York', '2026-11-01', -240, -300],
  ])('%s changes its clocks on %s (luxon agrees)', (zone, date, before, after) => {
    const day = DateTime.fromISO(date, { zone });
    expect(day.offset).toBe(before);
    expect(day.plus({ days: 1 }).offset).toBe(after);
    expect(day.minus({ days: 1 }).offset).toBe(before);
  });

  it.each([
    ['Europe/Berlin', '2026-03-29'],
    ['Europe/Berlin', '2026-10-25'],
    ['America/New_York', '2026-03-08'],
    ['America/New_York', '2026-11-01'],
  ])('a day window on the change day in %s (%s) keeps its length', (zone, date) => {
    const h = hours({ timezone: zone, days: EVERY_DAY, start: '09:00', end: '17:30' });
    const from = wall(zone, `${date}T00:00`);
    expect(workingMs(h, from, from + 2 * DAY)).toBe(2 * 8.5 * H);
    expect(addWorkingMs(h, from, 0)).toBe(wall(zone, `${date}T09:00`));
    expect(addWorkingMs(h, from, 8.5 * H)).toBe(wall(zone, `${date}T17:30`));
  });

  it.each([
    ['Europe/Berlin', '2026-03-28', 7 * H],
    ['Europe/Berlin', '2026-10-24', 9 * H],
    ['America/New_York', '2026-03-07', 7 * H],
    ['America/New_York', '2026-10-31', 9 * H],
  ])('a night shift 22:00–06:00 across the change in %s (night of %s) is its real length', (zone, date, length) => {
    const h = hours({ timezone: zone, days: EVERY_DAY, start: '22:00', end: '06:00' });
    const start = wall(zone, `${date}T22:00`);
    expect(workingMs(h, start - H, start + 12 * H)).toBe(length);
    const nextDay = DateTime.fromISO(date, { zone }).plus({ days: 1 }).toISODate();
    expect(addWorkingMs(h, start, length)).toBe(wall(zone, `${nextDay}T06:00`));
  });

  it('moves a start that does not exist forward by the gap (02:30 → 03:30)', () => {
    const ny = hours({ timezone: 'America/New_York', days: EVERY_DAY, start: '02:30', end: '05:00' });
    // 8 Mar 2026: 02:00 EST jumps to 03:00 EDT; 02:30 is read as EST = 07:30Z = 03:30 EDT
    expect(addWorkingMs(ny, at('2026-03-08T05:00:00Z'), 0)).toBe(at('2026-03-08T07:30:00Z'));
    expect(isWorking(ny, at('2026-03-08T07:29:59Z'))).toBe(false);
    expect(workingMs(ny, at('2026-03-08T05:00:00Z'), at('2026-03-08T12:00:00Z'))).toBe(1.5 * H);
    const berlin = hours({ timezone: 'Europe/Berlin', days: EVERY_DAY, start: '02:30', end: '04:00' });
    // 29 Mar 2026: 02:00 CET jumps to 03:00 CEST; 02:30 CET = 01:30Z = 03:30 CEST
    expect(addWorkingMs(berlin, at('2026-03-29T00:00:00Z'), 0)).toBe(at('2026-03-29T01:30:00Z'));
  });

  it('reads a repeated wall time as its first occurrence', () => {
    const ny = hours({ timezone: 'America/New_York', days: EVERY_DAY, start: '01:30', end: '03:00' });
    // 1 Nov 2026: 01:00–02:00 happens twice; 01:30 EDT = 05:30Z comes first; 03:00 EST = 08:00Z
    expect(addWorkingMs(ny, at('2026-11-01T04:00:00Z'), 0)).toBe(at('2026-11-01T05:30:00Z'));
    expect(workingMs(ny, at('2026-11-01T00:00:00Z'), at('2026-11-01T12:00:00Z'))).toBe(2.5 * H);
    const berlin = hours({ timezone: 'Europe/Berlin', days: EVERY_DAY, start: '02:30', end: '04:00' });
    // 25 Oct 2026: 02:00–03:00 happens twice; 02:30 CEST = 00:30Z; 04:00 CET = 03:00Z
    expect(addWorkingMs(berlin, at('2026-10-24T23:00:00Z'), 0)).toBe(at('2026-10-25T00:30:00Z'));
    expect(workingMs(berlin, at('2026-10-24T23:00:00Z'), at('2026-10-25T12:00:00Z'))).toBe(2.5 * H);
  });

  it('counts once the stretch where a gap makes two windows overlap', () => {
    // 03:15 → next day 02:30: on 8 Mar the end 02:30 becomes 03:30 EDT, after that day's 03:15 EDT start
    const h = hours({ timezone: 'America/New_York', days: EVERY_DAY, start: '03:15', end: '02:30' });
    const from = at('2026-03-07T08:15:00Z'); // Sat 03:15 EST
    const to = at('2026-03-09T06:30:00Z'); // Mon 02:30 EDT, end of Sunday's window
    expect(workingMs(h, from, to)).toBe(to - from);
    expect(addWorkingMs(h, from, to - from)).toBe(to);
    expect(isWorking(h, at('2026-03-08T07:20:00Z'))).toBe(true);
  });
});

describe('invalid hours', () => {
  it.each([
    ['an unknown zone', { timezone: 'Mars/Olympus' }],
    ['a start without minutes', { start: '9' }],
    ['an end past 23:59', { end: '24:00' }],
    ['a holiday that is no date', { holidays: ['2026-02-30'] }],
    ['a holiday in another format', { holidays: ['25.12.2026'] }],
  ])('refuses %s', (_name, overrides) => {
    expect(() => workingMs(hours(overrides), 0, DAY)).toThrow(RangeError);
  });
});

// --- properties -----------------------------------------------------------------------------------------

const DST_ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago'];
const FIXED_ZONES = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'Asia/Tokyo'];
const T0 = at('2025-10-01T00:00:00Z');
const T1 = at('2027-04-01T00:00:00Z');

const clock = (min: number): string =>
  `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

/** Any hours: any zone, any days, any minutes (gaps and repeated hours included), a few holidays. */
const anyHours: fc.Arbitrary<BusinessHours> = fc.record({
  timezone: fc.constantFrom(...DST_ZONES, ...FIXED_ZONES),
  days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
  start: fc.integer({ min: 0, max: 1439 }).map(clock),
  end: fc.integer({ min: 0, max: 1439 }).map(clock),
  holidays: fc.array(
    fc.integer({ min: 0, max: 540 }).map((d) => new Date(T0 + d * DAY).toISOString().slice(0, 10)),
    { maxLength: 20 },
  ),
});
const instant = fc.integer({ min: T0, max: T1 });
const workingSpan = fc.integer({ min: 0, max: 30 * DAY });

describe('properties', () => {
  it('workingMs(h, a, addWorkingMs(h, a, m)) === m', () => {
    fc.assert(
      fc.property(anyHours, instant, workingSpan, (h, a, m) => {
        const b = addWorkingMs(h, a, m);
        expect(b).toBeGreaterThanOrEqual(a);
        if (Number.isFinite(b)) expect(workingMs(h, a, b)).toBe(m);
      }),
    );
  });

  it('addWorkingMs with m = 0 lands on a working instant, and nothing works between from and there', () => {
    fc.assert(
      fc.property(anyHours, instant, (h, a) => {
        const b = addWorkingMs(h, a, 0);
        expect(isWorking(h, b)).toBe(true);
        expect(workingMs(h, a, b)).toBe(0);
        if (b > a) expect(isWorking(h, a)).toBe(false);
      }),
    );
  });

  it('workingMs is additive over a split point', () => {
    fc.assert(
      fc.property(anyHours, fc.array(instant, { minLength: 3, maxLength: 3 }), (h, points) => {
        const [a = 0, b = 0, c = 0] = points.sort((x, y) => x - y);
        expect(workingMs(h, a, b) + workingMs(h, b, c)).toBe(workingMs(h, a, c));
      }),
    );
  });

  it('0 ≤ workingMs(h, a, b) ≤ b − a', () => {
    fc.assert(
      fc.property(anyHours, instant, instant, (h, a, b) => {
        const w = workingMs(h, a, b);
        expect(w).toBeGreaterThanOrEqual(0);
        expect(w).toBeLessThanOrEqual(Math.max(0, b - a));
      }),
    );
  });

  it('addWorkingMs is monotonic in m', () => {
    fc.assert(
      fc.property(anyHours, instant, workingSpan, workingSpan, (h, a, m1, m2) => {
        const [lo, hi] = m1 <= m2 ? [m1, m2] : [m2, m1];
        expect(addWorkingMs(h, a, lo)).toBeLessThanOrEqual(addWorkingMs(h, a, hi));
      }),
    );
  });

  it('isWorking(h, t) is whether the millisecond from t is working time', () => {
    fc.assert(
      fc.property(anyHours, instant, (h, t) => {
        expect(isWorking(h, t)).toBe(workingMs(h, t, t + 1) === 1);
      }),
    );
  });

  it('agrees with a wall-clock reading of the hours away from gaps and repeated hours', () => {
    // Oracle: an instant works if its local wall time lies in today's window or in yesterday's night shift.
    // Starts and ends from 04:00 on keep every window edge off the DST changes of these zones (02:00/03:00,
    // Lord Howe 01:30–02:30), where the two readings may differ by design. (Santiago changes at midnight.)
    const quarter = (lo: number, hi: number) => fc.integer({ min: lo / 15, max: hi / 15 }).map((q) => q * 15);
    const edgeSafe = fc.record({
      timezone: fc.constantFrom('Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', ...FIXED_ZONES),
      days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
      start: quarter(240, 1425).map(clock),
      end: quarter(240, 1425).map(clock),
      holidays: fc.array(
        fc.integer({ min: 0, max: 540 }).map((d) => new Date(T0 + d * DAY).toISOString().slice(0, 10)),
        { maxLength: 20 },
      ),
    });
    const q = 15 * MIN;
    fc.assert(
      fc.property(edgeSafe, instant, fc.integer({ min: 0, max: 3 * 96 }), (h, a0, quarters) => {
        const a = Math.floor(a0 / q) * q;
        const b = a + quarters * q;
        let expected = 0;
        for (let t = a; t < b; t += q) if (wallClockWorking(h, t)) expected += q;
        expect(workingMs(h, a, b)).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });
});

function wallClockWorking(h: BusinessHours, t: number): boolean {
  const local = DateTime.fromMillis(t, { zone: h.timezone });
  const minute = local.hour * 60 + local.minute;
  const [sh = 0, sm = 0] = h.start.split(':').map(Number);
  const [eh = 0, em = 0] = h.end.split(':').map(Number);
  const start = sh * 60 + sm;
  const end = eh * 60 + em;
  const starts = (d: DateTime) =>
    h.days.includes(WEEKDAYS[d.weekday - 1] as Weekday) && !h.holidays.includes(d.toISODate() ?? '');
  const today = local.startOf('day');
  if (end > start) return starts(today) && minute >= start && minute < end;
  return (starts(today) && minute >= start) || (starts(today.minus({ days: 1 })) && minute < end);
}
