/** Wall-clock reading of an instant in some time zone; month is 1-12, weekday 0 = Sunday … 6 = Saturday. */
export interface LocalDateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

/** The snooze presets offered on a card, as UNIX seconds, and the zone they were computed in. */
export interface SnoozeChoices {
  inAnHour: number;
  tomorrowMorning: number;
  nextMonday: number;
  timeZone: string;
}

const MORNING_HOUR = 9;
const DAY_MS = 86_400_000;
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

// Building a DateTimeFormat costs far more than formatting with one, and the bridge asks about a handful of zones.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    // Throws RangeError for an unknown zone, before anything is cached.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

interface WallClock extends LocalDateParts {
  second: number;
}

function readWallClock(epochMs: number, timeZone: string): WallClock {
  const wall: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, weekday: 0 };
  for (const part of formatterFor(timeZone).formatToParts(epochMs)) {
    switch (part.type) {
      case 'year':
      case 'month':
      case 'day':
      case 'hour':
      case 'minute':
      case 'second':
        wall[part.type] = Number(part.value);
        break;
      case 'weekday':
        wall.weekday = WEEKDAYS[part.value] ?? 0;
        break;
    }
  }
  return wall;
}

/** Milliseconds of a wall-clock reading as if it were UTC; fields overflow like Date.UTC. */
function wallClockMs(year: number, month: number, day: number, hour: number, minute: number, second = 0): number {
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/** How far the zone's wall clock is ahead of UTC at an instant, in ms (historical offsets can carry seconds). */
function offsetMs(epochMs: number, timeZone: string): number {
  const wholeSecond = epochMs - (((epochMs % 1000) + 1000) % 1000);
  const w = readWallClock(wholeSecond, timeZone);
  return wallClockMs(w.year, w.month, w.day, w.hour, w.minute, w.second) - wholeSecond;
}

/**
 * The wall clock in `timeZone` at `epochMs`. Month is 1-12; weekday 0 = Sunday … 6 = Saturday.
 * Throws RangeError for a time zone Intl does not know.
 */
export function localDateParts(epochMs: number, timeZone: string): LocalDateParts {
  const { year, month, day, hour, minute, weekday } = readWallClock(epochMs, timeZone);
  return { year, month, day, hour, minute, weekday };
}

/**
 * The instant (epoch ms) at which the wall clock in `timeZone` reads the given local time. Month is 1-12 and
 * out-of-range fields roll over like Date.UTC. A time skipped by a spring-forward gap is moved forward by the
 * gap's length; a time repeated by a fall-back is taken at its earlier occurrence. Throws RangeError for an
 * unknown zone.
 */
export function zonedTimeToEpochMs(
  parts: { year: number; month: number; day: number; hour: number; minute: number },
  timeZone: string,
): number {
  const wall = wallClockMs(parts.year, parts.month, parts.day, parts.hour, parts.minute);
  // Real zones change offset at most once in any two days, so the offsets a day either side are the only
  // candidates (the approach Temporal takes).
  const before = offsetMs(wall - DAY_MS, timeZone);
  const after = offsetMs(wall + DAY_MS, timeZone);
  if (before === after) return wall - before;
  const candidates = [wall - before, wall - after].filter((instant) => offsetMs(instant, timeZone) === wall - instant);
  if (candidates.length > 0) return Math.min(...candidates);
  // In a gap: reading the time with the pre-transition offset lands the gap's length past the requested time.
  return wall - before;
}

function resolveTimeZone(timeZone: string | undefined): string {
  if (!timeZone) return 'UTC';
  try {
    formatterFor(timeZone);
    // Echo the caller's name: resolvedOptions() would turn Asia/Kolkata into ICU's Asia/Calcutta.
    return timeZone;
  } catch (error) {
    if (error instanceof RangeError) return 'UTC';
    throw error;
  }
}

/**
 * Snooze presets for a user in `timeZone` at `nowMs`, as UNIX seconds: an hour from now, 09:00 tomorrow and
 * 09:00 on the next Monday strictly after today (a week away when today is Monday). A missing, empty or unknown
 * zone falls back to UTC; `timeZone` in the result names the zone used.
 */
export function snoozeChoices(nowMs: number, timeZone: string | undefined): SnoozeChoices {
  const zone = resolveTimeZone(timeZone);
  const today = localDateParts(nowMs, zone);
  const morningIn = (days: number): number =>
    Math.floor(
      zonedTimeToEpochMs(
        { year: today.year, month: today.month, day: today.day + days, hour: MORNING_HOUR, minute: 0 },
        zone,
      ) / 1000,
    );
  const daysToMonday = (8 - today.weekday) % 7 || 7;
  return {
    inAnHour: Math.floor(nowMs / 1000) + 3600,
    tomorrowMorning: morningIn(1),
    nextMonday: morningIn(daysToMonday),
    timeZone: zone,
  };
}

/** A snooze time picked in the modal must be more than this far ahead, so it is not past when Intercom gets it. */
export const MIN_SNOOZE_AHEAD_S = 60;
/** …and at most this far (365 days): Intercom takes any time, but one further ahead is a slip of the picker. */
export const MAX_SNOOZE_AHEAD_S = 365 * 86_400;

/**
 * A snooze time picked in the modal (UNIX seconds, as Slack's datetimepicker sends it) checked at `nowMs`: the
 * time to snooze until, or a sentence for the field saying why not (no time, not more than a minute ahead, or more
 * than 365 days ahead).
 */
export function checkSnoozeTime(at: unknown, nowMs: number): { until: number } | { problem: string } {
  if (typeof at !== 'number' || !Number.isFinite(at)) return { problem: 'Pick the date and time to snooze until.' };
  const aheadMs = at * 1000 - nowMs;
  if (aheadMs <= MIN_SNOOZE_AHEAD_S * 1000) return { problem: 'Pick a time in the future.' };
  if (aheadMs > MAX_SNOOZE_AHEAD_S * 1000) return { problem: 'Pick a time within a year from now.' };
  return { until: Math.floor(at) };
}
