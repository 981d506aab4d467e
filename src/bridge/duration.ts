// Durations as operators write them in the routes file (`45s`, `15m`, `2h`, `1d`, `1h30m`) and as people read
// them on cards and in messages ("1h 5m").

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The units, largest first: written in this order, each at most once. */
const UNITS = [
  ['d', DAY],
  ['h', HOUR],
  ['m', MINUTE],
  ['s', SECOND],
] as const;

/** The longest duration accepted: a target further away than a month is a typo, not a target. */
export const MAX_DURATION_MS = 30 * DAY;

/** What the routes file's error line says about something that is not a duration. */
export const DURATION_HINT = 'not a duration: use 45s, 15m, 2h or 1d';

/**
 * Units are required (a bare `15` could mean seconds or minutes: the file says which); parts may be separated by
 * spaces, so what `formatDuration` writes reads back.
 */
const GRAMMAR = /^(?:(\d{1,6})d)? *(?:(\d{1,6})h)? *(?:(\d{1,6})m)? *(?:(\d{1,6})s)?$/;

/** A duration read from the routes file, or why it is not one (the line the operator sees). */
export type DurationReading = { ok: true; ms: number } | { ok: false; problem: string };

/** Reads `45s`, `15m`, `2h`, `1d` or a combination (`1h30m`, `1d 12h`); zero and more than 30 days are refused. */
export function readDuration(text: string): DurationReading {
  const parts = GRAMMAR.exec(text.trim())?.slice(1);
  if (!parts || parts.every((p) => p === undefined)) return { ok: false, problem: DURATION_HINT };
  const ms = parts.reduce((sum, part, i) => sum + Number(part ?? 0) * (UNITS[i]?.[1] ?? 0), 0);
  if (ms === 0) return { ok: false, problem: 'must be longer than 0s' };
  if (ms > MAX_DURATION_MS) return { ok: false, problem: 'must be at most 30d' };
  return { ok: true, ms };
}

/** Milliseconds for `45s`, `15m`, `2h`, `1d`, `1h30m`; undefined for anything else, zero, or more than 30 days. */
export function parseDuration(text: string): number | undefined {
  const reading = readDuration(text);
  return reading.ok ? reading.ms : undefined;
}

/**
 * A duration for people: its two largest units from the first that is not zero ("2d 3h", "1h 5m", "45s"),
 * rounded DOWN to the smaller of them, as a clock shows time gone by: 1h 5m 59s is "1h 5m", 2d 0h 40m is "2d",
 * 59.9s is "59s", and under a second is "0s". The sign is dropped (the caller says "overdue by" or "due in").
 */
export function formatDuration(ms: number): string {
  let rest = Number.isFinite(ms) ? Math.floor(Math.abs(ms) / SECOND) * SECOND : 0;
  const first = UNITS.findIndex(([, size]) => rest >= size);
  if (first === -1) return '0s';
  const shown: string[] = [];
  for (const [unit, size] of UNITS.slice(first, first + 2)) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) shown.push(`${count}${unit}`);
  }
  return shown.join(' ');
}
