import { setTimeout as sleep } from 'node:timers/promises';

export interface PacerOptions {
  /** Start spacing calls when this many (or `lowWaterShare` of the limit, if more) are left in the window. */
  lowWater?: number;
  lowWaterShare?: number;
  /** Length of Intercom's rate-limit window: the per-minute budget is enforced per 10 seconds. */
  windowMs?: number;
  now?: () => number;
  /** How a queued caller waits; tests pass one that moves their clock instead of sleeping. */
  wait?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
}

const sleepFor = (ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal });

/**
 * Slows requests down before Intercom answers 429. Intercom reports each window in X-RateLimit-Limit,
 * -Remaining and -Reset; while plenty is left calls pass straight through. When few are left, callers queue and
 * the rest of the window is spread evenly; when none are left they wait for the reset, and the next window is
 * assumed to hold the full limit until its own headers say otherwise.
 */
export class RateLimitPacer {
  readonly #lowWater: number;
  readonly #lowWaterShare: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #wait: (ms: number, signal?: AbortSignal) => Promise<unknown>;
  #limit: number | undefined;
  #remaining: number | undefined;
  #resetAtMs: number | undefined;
  /** Calls let through since the last reading, not yet reflected in `remaining`. */
  #started = 0;
  #lastStartMs = 0;
  #waiting = 0;
  #line: Promise<void> = Promise.resolve();

  constructor(options: PacerOptions = {}) {
    this.#lowWater = options.lowWater ?? 10;
    this.#lowWaterShare = options.lowWaterShare ?? 0.1;
    this.#windowMs = options.windowMs ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#wait = options.wait ?? sleepFor;
  }

  /** Records the rate-limit headers of a response. */
  observe(headers: { limit?: string | undefined; remaining?: string | undefined; reset?: string | undefined }) {
    const remaining = toInt(headers.remaining);
    const resetSeconds = toInt(headers.reset);
    if (remaining === undefined || resetSeconds === undefined) return;
    const resetAtMs = resetSeconds * 1000;
    const limit = toInt(headers.limit);
    if (limit !== undefined) this.#limit = limit;
    if (this.#resetAtMs === undefined || resetAtMs > this.#resetAtMs) {
      this.#resetAtMs = resetAtMs;
      this.#remaining = remaining;
      this.#started = 0;
    } else if (resetAtMs === this.#resetAtMs && this.#remaining !== undefined && remaining < this.#remaining) {
      // answers arrive out of order: within one window the lowest count is the latest
      this.#started = Math.max(0, this.#started - (this.#remaining - remaining));
      this.#remaining = remaining;
    }
  }

  /** Marks the window as spent until `resetAtMs`, e.g. after a 429. */
  exhausted(resetAtMs: number) {
    this.#resetAtMs = Math.max(this.#resetAtMs ?? 0, resetAtMs);
    this.#remaining = 0;
    this.#started = 0;
  }

  /**
   * Resolves when the next call may be sent. Returns undefined (no promise, no wait) on the fast path, which is
   * every call while the budget is comfortable.
   */
  acquire(signal?: AbortSignal): Promise<void> | undefined {
    if (this.#waiting === 0 && this.#delayMs() === 0) {
      this.#start();
      return undefined;
    }
    this.#waiting += 1;
    const turn = this.#line.then(async () => {
      for (let delay = this.#delayMs(); delay > 0; delay = this.#delayMs()) {
        await this.#wait(delay, signal);
      }
      this.#start();
    });
    const done = turn.finally(() => {
      this.#waiting -= 1;
    });
    // an aborted waiter must not hold up the ones behind it
    this.#line = done.catch(() => undefined);
    return done;
  }

  #start() {
    this.#started += 1;
    this.#lastStartMs = this.#now();
  }

  #delayMs(): number {
    const now = this.#now();
    if (this.#remaining === undefined || this.#resetAtMs === undefined) return 0;
    if (now >= this.#resetAtMs) {
      if (this.#limit === undefined) return 0;
      // a new window began: assume the full limit until its headers arrive
      while (this.#resetAtMs <= now) this.#resetAtMs += this.#windowMs;
      this.#remaining = this.#limit;
      this.#started = 0;
    }
    const left = this.#remaining - this.#started;
    const untilReset = this.#resetAtMs - now;
    if (left <= 0) return untilReset;
    const lowWater = Math.max(this.#lowWater, Math.floor((this.#limit ?? 0) * this.#lowWaterShare));
    if (left > lowWater) return 0;
    return Math.max(0, Math.ceil(this.#lastStartMs + untilReset / left - now));
  }
}

function toInt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? n : undefined;
}
