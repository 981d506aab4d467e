import { IANAZone } from 'luxon';

// Working time under a team's business hours (issue #15): response-time targets count only the time inside
// the team's windows. Pure functions of their arguments; the only state is two caches of values derived from
// them (a compiled form per BusinessHours object, a zone's UTC-offset changes per year), so calls stay cheap
// when a sweep asks about 10,000 conversations.
//
// Everything is iterated by window (one per local day), never by minute. Wall times are turned into instants
// here, not with luxon's DateTime.fromObject: luxon resolves an ambiguous wall time (the repeated hour when
// clocks go back) by the offset in force *now*, so the same call would answer differently in January and July.
// luxon supplies the zone's offsets (IANAZone.offset); the resolution rule is ours and fixed:
// - a wall time that does not exist (02:30 on a spring-forward day) moves forward by the length of the gap
//   (02:30 → 03:30), which is what luxon (and Temporal's 'compatible') does;
// - an ambiguous wall time (01:30 on a fall-back day) is its first occurrence, the earlier instant
//   (Temporal's 'compatible' too).
// A window is therefore its real length on a day the clocks change: 09:00–17:30 is still 8.5 h when the change
// is at 02:00, and a night shift 22:00–06:00 across the change is 7 h (spring) or 9 h (autumn).

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** When a team works: windows that start on `days` at `start` and end at `end` (local time in `timezone`). */
export interface BusinessHours {
  /** IANA zone, e.g. Europe/Berlin. */
  timezone: string;
  days: readonly Weekday[];
  /** "HH:MM" (24 h). */
  start: string;
  /** "HH:MM"; at or before `start`: the window ends the next day (a night shift, 22:00-06:00). */
  end: string;
  /** "YYYY-MM-DD" dates (in the zone) on which no window starts. */
  holidays: readonly string[];
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Days without a single window after which addWorkingMs gives up: longer than any year of holidays. */
const MAX_IDLE_DAYS = 400;
/**
 * Windows that start this many local days before an instant's day may still hold it: yesterday's night shift,
 * and one day more in case a DST gap pushes a window's end past midnight.
 */
const LOOK_BACK_DAYS = 2;

/** Working milliseconds in [from, to) (epoch ms); without hours, to - from (never negative). */
export function workingMs(hours: BusinessHours | undefined, from: number, to: number): number {
  if (hours === undefined) return to > from ? to - from : 0;
  if (!(to > from)) return 0; // also NaN
  const plan = compile(hours);
  if (plan.noDays) return 0;
  if (to === Number.POSITIVE_INFINITY || from === Number.NEGATIVE_INFINITY) return Number.POSITIVE_INFINITY;
  let total = 0;
  let cursor = from; // counted up to here: windows made to overlap by a DST gap are not counted twice
  const last = localDay(plan.zone, to);
  for (let day = localDay(plan.zone, from) - LOOK_BACK_DAYS; day <= last; day++) {
    const w = windowOn(plan, day);
    if (w === undefined) continue;
    const lo = Math.max(w.start, cursor);
    const hi = Math.min(w.end, to);
    if (hi > lo) total += hi - lo;
    cursor = Math.max(cursor, w.end);
  }
  return total;
}

/**
 * The first instant at which `ms` working milliseconds have passed since `from` (ms ≥ 0); without hours,
 * from + ms. With ms = 0 that is `from` itself when `from` is working, else the start of the next window: the
 * clock of a target "starts" there. Infinity when no window will ever come (no working day), or none comes for
 * MAX_IDLE_DAYS days (everything a holiday), so a sweep never loops forever.
 */
export function addWorkingMs(hours: BusinessHours | undefined, from: number, ms: number): number {
  if (hours === undefined) return from + ms;
  const plan = compile(hours);
  if (plan.noDays || !Number.isFinite(from) || !Number.isFinite(ms)) return Number.POSITIVE_INFINITY;
  let left = Math.max(0, ms);
  let cursor = from;
  let idle = 0;
  for (let day = localDay(plan.zone, from) - LOOK_BACK_DAYS; idle <= MAX_IDLE_DAYS; day++) {
    const w = windowOn(plan, day);
    if (w === undefined) {
      idle++;
      continue;
    }
    idle = 0;
    const lo = Math.max(w.start, cursor);
    if (w.end <= lo) continue; // already behind us (or a window squeezed to nothing by a DST gap)
    if (w.end - lo >= left) return lo + left;
    left -= w.end - lo;
    cursor = w.end;
  }
  return Number.POSITIVE_INFINITY;
}

/** Whether `at` is inside a window. */
export function isWorking(hours: BusinessHours | undefined, at: number): boolean {
  if (hours === undefined) return true;
  const plan = compile(hours);
  if (plan.noDays || !Number.isFinite(at)) return false;
  const today = localDay(plan.zone, at);
  for (let day = today - LOOK_BACK_DAYS; day <= today; day++) {
    const w = windowOn(plan, day);
    if (w !== undefined && w.start <= at && at < w.end) return true;
  }
  return false;
}

// --- compiled hours -------------------------------------------------------------------------------------

interface Plan {
  zone: ZoneOffsets;
  /** Index = weekday, Monday = 0. */
  working: readonly boolean[];
  noDays: boolean;
  /** Minutes after local midnight of the start day. */
  startMin: number;
  /** Minutes after local midnight of the start day: past 1440 for a window that ends the next day. */
  endMin: number;
  /** Local day numbers (days since 1970-01-01) on which no window starts. */
  holidays: ReadonlySet<number>;
}

// Hours are configuration values, read-only in practice: compile each object once, not once per conversation.
const plans = new WeakMap<BusinessHours, Plan>();

function compile(hours: BusinessHours): Plan {
  const known = plans.get(hours);
  if (known !== undefined) return known;
  const startMin = parseClock(hours.start, 'start');
  const end = parseClock(hours.end, 'end');
  const working = WEEKDAYS.map((d) => hours.days.includes(d));
  const plan: Plan = {
    zone: zoneOffsets(hours.timezone),
    working,
    noDays: !working.includes(true),
    startMin,
    // end at or before start: the window ends the next day (22:00-06:00; 09:00-09:00 is a full 24 h)
    endMin: end > startMin ? end : end + 24 * 60,
    holidays: new Set(hours.holidays.map(parseDate)),
  };
  plans.set(hours, plan);
  return plan;
}

function parseClock(text: string, what: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (m === null)
    throw new RangeError(`business hours: ${what} must be "HH:MM" (00:00-23:59), not ${JSON.stringify(text)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** "YYYY-MM-DD" → days since 1970-01-01; a date that does not exist (2026-02-30) is refused, not rolled over. */
function parseDate(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const ms = m === null ? Number.NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) {
    throw new RangeError(`business hours: holiday must be "YYYY-MM-DD", not ${JSON.stringify(text)}`);
  }
  return ms / DAY;
}

interface Window {
  start: number;
  end: number;
}

/** The window that starts on local day `day`, if one does: the day (weekday, holiday) is the day it starts. */
function windowOn(plan: Plan, day: number): Window | undefined {
  // 1970-01-01 was a Thursday (index 3 with Monday = 0)
  if (!plan.working[(((day + 3) % 7) + 7) % 7] || plan.holidays.has(day)) return undefined;
  const midnight = day * DAY;
  return {
    start: wallToEpoch(plan.zone, midnight + plan.startMin * MINUTE),
    end: wallToEpoch(plan.zone, midnight + plan.endMin * MINUTE),
  };
}

/** Local day number (days since 1970-01-01 in the zone's wall time) of instant `at`. */
function localDay(zone: ZoneOffsets, at: number): number {
  return Math.floor((at + zone.offsetAt(at)) / DAY);
}

/**
 * The instant of a wall time, given as epoch ms of that wall time read as UTC. Offsets a day either side are
 * the ones around any change that could touch this wall time (zones change at most once in two days).
 */
function wallToEpoch(zone: ZoneOffsets, wall: number): number {
  const before = zone.offsetAt(wall - DAY);
  const after = zone.offsetAt(wall + DAY);
  const early = wall - before;
  if (before === after) return early;
  const late = wall - after;
  const earlyOk = zone.offsetAt(early) === before;
  const lateOk = zone.offsetAt(late) === after;
  if (earlyOk && lateOk) return Math.min(early, late); // ambiguous: the first occurrence
  if (earlyOk) return early;
  if (lateOk) return late;
  // in the gap: read with the offset before the change, i.e. moved forward by the gap's length (02:30 → 03:30)
  return early;
}

// --- zone offsets ---------------------------------------------------------------------------------------

interface YearTable {
  /** UTC instants [from, to) this table covers: one UTC calendar year. */
  from: number;
  to: number;
  /** Offset (ms) at `from`. */
  first: number;
  /** Instants at which the offset changes, ascending, and the offset from each on. */
  changes: readonly { at: number; offset: number }[];
}

/**
 * A zone's UTC offsets as plain numbers. luxon's IANAZone.offset costs microseconds (Intl under the hood), and a
 * year's span needs a few per working day; so each UTC year's changes are found once (a probe a day, then
 * bisection to the millisecond) and then looked up in nanoseconds. Assumes a zone changes its offset at most
 * once within a day, true of every zone in the tz database.
 */
class ZoneOffsets {
  private readonly years = new Map<number, YearTable>();
  private last: YearTable | undefined;
  private readonly zone: IANAZone;

  constructor(zone: IANAZone) {
    this.zone = zone;
  }

  /** Offset (ms, local − UTC) in force at instant `at`. */
  offsetAt(at: number): number {
    let table = this.last;
    if (table === undefined || at < table.from || at >= table.to) {
      table = this.year(new Date(at).getUTCFullYear());
      this.last = table;
    }
    let offset = table.first;
    for (const change of table.changes) {
      if (at < change.at) break;
      offset = change.offset;
    }
    return offset;
  }

  private year(year: number): YearTable {
    const known = this.years.get(year);
    if (known !== undefined) return known;
    const from = Date.UTC(year, 0, 1);
    const to = Date.UTC(year + 1, 0, 1);
    const changes: { at: number; offset: number }[] = [];
    const first = this.probe(from);
    let prev = first;
    for (let t = from; t < to; t += DAY) {
      const next = Math.min(t + DAY, to);
      const offset = this.probe(next);
      if (offset === prev) continue;
      const at = this.bisect(t, next, prev);
      if (at < to) changes.push({ at, offset });
      prev = offset;
    }
    const table: YearTable = { from, to, first, changes };
    this.years.set(year, table);
    return table;
  }

  /** The first instant in (lo, hi] whose offset is not `offsetAtLo`. */
  private bisect(lo: number, hi: number, offsetAtLo: number): number {
    let a = lo;
    let b = hi;
    while (b - a > 1) {
      const mid = Math.floor((a + b) / 2);
      if (this.probe(mid) === offsetAtLo) a = mid;
      else b = mid;
    }
    return b;
  }

  private probe(at: number): number {
    return this.zone.offset(at) * MINUTE;
  }
}

const zones = new Map<string, ZoneOffsets>();

function zoneOffsets(name: string): ZoneOffsets {
  const known = zones.get(name);
  if (known !== undefined) return known;
  const zone = IANAZone.create(name);
  if (!zone.isValid) throw new RangeError(`business hours: unknown time zone ${JSON.stringify(name)}`);
  const offsets = new ZoneOffsets(zone);
  zones.set(name, offsets);
  return offsets;
}
