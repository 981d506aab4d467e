import { describe, expect, it } from 'vitest';
import { RateLimitPacer } from '../../src/intercom/pacer.ts';

function clock(start: number) {
  const c = { t: start, now: () => c.t };
  return c;
}

const resetIn = (c: { t: number }, ms: number) => String(Math.floor((c.t + ms) / 1000));

const T0 = 1_700_000_000_000; // a whole second, so resets in headers fall on exact milliseconds

/** A pacer on a fake clock whose waits move the clock: each call's wait is read exactly, without sleeping. */
function paced(options: { lowWater?: number; windowMs?: number } = {}) {
  const c = clock(T0);
  const pacer = new RateLimitPacer({
    ...options,
    now: c.now,
    wait: async (ms) => {
      c.t += ms;
    },
  });
  /** Acquires once and says how long the call waited and whether it queued at all. */
  const take = async () => {
    const before = c.t;
    const turn = pacer.acquire();
    await turn;
    return { waited: c.t - before, queued: turn !== undefined };
  };
  const takeMany = async (n: number) => {
    const waits: number[] = [];
    for (let i = 0; i < n; i += 1) waits.push((await take()).waited);
    return waits;
  };
  return { c, pacer, take, takeMany };
}

describe('RateLimitPacer', () => {
  it('lets calls straight through (no promise) without headers or with plenty left', () => {
    const c = clock(1_700_000_000_000);
    const pacer = new RateLimitPacer({ now: c.now });
    expect(pacer.acquire()).toBeUndefined();
    pacer.observe({ limit: '1000', remaining: '900', reset: resetIn(c, 10_000) });
    expect(pacer.acquire()).toBeUndefined();
  });

  it('queues a call when the window is spent and releases it after the reset', async () => {
    const c = clock(1_700_000_000_900);
    const pacer = new RateLimitPacer({ now: c.now, windowMs: 50 });
    pacer.observe({ limit: '100', remaining: '0', reset: resetIn(c, 100) });
    let released = false;
    const waiting = pacer.acquire();
    expect(waiting).toBeInstanceOf(Promise);
    void waiting?.then(() => {
      released = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(released).toBe(false);
    c.t += 100; // the window resets: the next check lets it go
    await waiting;
    expect(released).toBe(true);
  });

  it('spaces calls out when few are left', () => {
    const c = clock(1_700_000_000_000);
    const pacer = new RateLimitPacer({ now: c.now, lowWater: 10 });
    pacer.observe({ limit: '100', remaining: '5', reset: String(Math.floor(c.t / 1000) + 10) });
    expect(pacer.acquire()).toBeUndefined(); // the first of the spaced calls goes at once
    expect(pacer.acquire()).toBeInstanceOf(Promise);
  });

  it('keeps the lowest remaining count of a window, and takes a new window whole', () => {
    const c = clock(1_700_000_000_000);
    const pacer = new RateLimitPacer({ now: c.now, lowWater: 10 });
    const reset = String(Math.floor(c.t / 1000) + 10);
    pacer.observe({ limit: '100', remaining: '50', reset });
    pacer.observe({ limit: '100', remaining: '5', reset });
    pacer.observe({ limit: '100', remaining: '60', reset }); // a late answer from earlier in the window
    pacer.acquire();
    expect(pacer.acquire()).toBeInstanceOf(Promise);

    const fresh = new RateLimitPacer({ now: c.now, lowWater: 10 });
    fresh.observe({ limit: '100', remaining: '5', reset });
    fresh.observe({ limit: '100', remaining: '99', reset: String(Number(reset) + 10) });
    expect(fresh.acquire()).toBeUndefined();
  });

  it('after a 429 waits for the reset it was given, then takes the next window whole', () => {
    const c = clock(1_700_000_000_000);
    const pacer = new RateLimitPacer({ now: c.now });
    pacer.observe({ limit: '1000', remaining: '900', reset: String(Math.floor(c.t / 1000) + 10) });
    expect(pacer.acquire()).toBeUndefined();
    pacer.exhausted(c.t + 500);
    expect(pacer.acquire()).toBeInstanceOf(Promise);
    c.t += 60_000; // long past that reset: a new window, assumed to hold the full limit
    const fresh = new RateLimitPacer({ now: c.now });
    fresh.observe({ limit: '1000', remaining: '0', reset: String(Math.floor((c.t - 1_000) / 1000)) });
    expect(fresh.acquire()).toBeUndefined();
  });

  it('starts spacing calls at a tenth of the limit when that is more than lowWater', () => {
    const c = clock(1_700_000_000_000);
    const reset = String(Math.floor(c.t / 1000) + 10);
    const pacer = new RateLimitPacer({ now: c.now }); // lowWater 10, share 0.1: 100 of a 1,000 limit
    pacer.observe({ limit: '1000', remaining: '90', reset });
    expect(pacer.acquire()).toBeUndefined();
    expect(pacer.acquire()).toBeInstanceOf(Promise);
    const roomy = new RateLimitPacer({ now: c.now });
    roomy.observe({ limit: '1000', remaining: '150', reset });
    expect(roomy.acquire()).toBeUndefined();
    expect(roomy.acquire()).toBeUndefined();
  });

  it('ignores unreadable headers', () => {
    const c = clock(1_700_000_000_000);
    const pacer = new RateLimitPacer({ now: c.now });
    pacer.observe({ remaining: 'lots', reset: undefined });
    expect(pacer.acquire()).toBeUndefined();
  });

  it('an aborted waiter does not hold up the ones behind it', async () => {
    const c = clock(1_700_000_000_900);
    const pacer = new RateLimitPacer({ now: c.now, windowMs: 10 });
    pacer.observe({ limit: '100', remaining: '0', reset: resetIn(c, 100) });
    const controller = new AbortController();
    const first = pacer.acquire(controller.signal);
    const second = pacer.acquire();
    controller.abort();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    c.t += 100;
    await expect(second).resolves.toBeUndefined();
  });

  it('spreads the rest of the window evenly when few are left, then takes the next window whole', async () => {
    const { pacer, takeMany } = paced({ lowWater: 10 });
    pacer.observe({ limit: '100', remaining: '5', reset: String(T0 / 1000 + 10) });
    // 5 left for 10 s: one at once, then one every 2.5 s; at the reset the full 100 again
    expect(await takeMany(7)).toEqual([0, 2500, 2500, 2500, 2500, 0, 0]);
  });

  it('after a 429 waits exactly until its reset, but never less than a later reset already known', async () => {
    const short = paced();
    short.pacer.observe({ limit: '1000', remaining: '900', reset: String(T0 / 1000) });
    short.pacer.exhausted(T0 + 500);
    expect(await short.take()).toEqual({ waited: 500, queued: true });
    expect(await short.takeMany(3)).toEqual([0, 0, 0]); // the next window is assumed whole

    const known = paced();
    known.pacer.observe({ limit: '1000', remaining: '0', reset: String(T0 / 1000 + 10) });
    known.pacer.exhausted(T0 + 500);
    expect((await known.take()).waited).toBe(10_000);
  });

  it('after a long gap places the new window on the old one’s cadence', async () => {
    const { c, pacer, takeMany } = paced({ lowWater: 10 }); // Intercom's 10 s window, the default
    pacer.observe({ limit: '20', remaining: '0', reset: String(T0 / 1000 + 1) });
    c.t += 25_000; // resets at +1 s, +11 s, +21 s passed: this window ends at +31 s, 6 s from now
    // 20 assumed: ten pass, then the last ten share the 6 s left
    expect(await takeMany(12)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 600, 600]);
  });

  it('without a limit header, a spent window simply opens at its reset', async () => {
    const { pacer, take } = paced();
    pacer.observe({ remaining: '0', reset: String(T0 / 1000 + 1) });
    expect(await take()).toEqual({ waited: 1000, queued: true });
    expect(await take()).toEqual({ waited: 0, queued: false });
    expect(await take()).toEqual({ waited: 0, queued: false });
  });

  it('counts the calls let through until their answers report them', async () => {
    const reset = String(T0 / 1000 + 10);
    const caughtUp = paced({ lowWater: 10 });
    caughtUp.pacer.observe({ limit: '100', remaining: '20', reset });
    expect(await caughtUp.takeMany(5)).toEqual([0, 0, 0, 0, 0]); // 15 left by our count
    caughtUp.pacer.observe({ limit: '100', remaining: '15', reset }); // the same five, now counted by Intercom
    const after = await caughtUp.takeMany(6);
    expect(after.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(after[5]).toBeGreaterThan(0); // 10 left: spacing begins

    const others = paced({ lowWater: 10 });
    others.pacer.observe({ limit: '100', remaining: '20', reset });
    await others.takeMany(5);
    others.pacer.observe({ limit: '100', remaining: '12', reset }); // 8 gone: ours and another process's
    const left = await others.takeMany(3);
    expect(left.slice(0, 2)).toEqual([0, 0]);
    expect(left[2]).toBeGreaterThan(0);
  });

  it('ignores a reading without both the remaining count and the reset', () => {
    const c = clock(T0);
    const pacer = new RateLimitPacer({ now: c.now });
    pacer.observe({ limit: '100', remaining: '0' });
    expect(pacer.acquire()).toBeUndefined();
    pacer.observe({ limit: '100', reset: String(T0 / 1000 + 10) });
    expect(pacer.acquire()).toBeUndefined();
  });

  it('a caller behind a waiter waits its turn even once the window has opened', async () => {
    const c = clock(T0);
    const wakes: Array<() => void> = [];
    const pacer = new RateLimitPacer({
      now: c.now,
      wait: () => new Promise<void>((resolve) => wakes.push(resolve)),
    });
    pacer.observe({ limit: '100', remaining: '0', reset: String(T0 / 1000 + 1) });
    const order: string[] = [];
    const first = pacer.acquire()?.then(() => order.push('first'));
    await Promise.resolve();
    c.t += 1000;
    const second = pacer.acquire();
    expect(second).toBeInstanceOf(Promise);
    void second?.then(() => order.push('second'));
    for (let i = 0; i < 5 && wakes.length === 0; i += 1) await Promise.resolve();
    expect(wakes).toHaveLength(1);
    wakes[0]?.();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect(pacer.acquire()).toBeUndefined(); // nobody waits any more: the fast path again
  });

  it('opens the next window at the very instant of the reset, once: no burst beyond the limit then', async () => {
    const { c, pacer, takeMany } = paced({ lowWater: 10 });
    pacer.observe({ limit: '20', remaining: '0', reset: String(T0 / 1000 + 1) });
    c.t += 1000; // exactly the reset
    expect(await takeMany(12)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000, 1000]);
  });

  it('keeps what it knows when a reading lacks a header: the limit, and a spent window', async () => {
    const noLimit = paced({ lowWater: 10 });
    noLimit.pacer.observe({ limit: '20', remaining: '0', reset: String(T0 / 1000 + 1) });
    noLimit.pacer.observe({ remaining: '0', reset: String(T0 / 1000 + 1) }); // no X-RateLimit-Limit this time
    noLimit.c.t += 1000;
    expect((await noLimit.takeMany(11)).at(-1)).toBeGreaterThan(0); // still 20 assumed: spacing after ten

    const noRemaining = paced();
    noRemaining.pacer.observe({ limit: '100', remaining: '0', reset: String(T0 / 1000 + 1) });
    noRemaining.pacer.observe({ limit: '100', reset: String(T0 / 1000 + 10) });
    expect((await noRemaining.take()).waited).toBe(1000);
  });

  it('takes a later window’s reading whole and ignores a late answer from an earlier window', async () => {
    const later = paced({ lowWater: 10 });
    later.pacer.observe({ limit: '100', remaining: '5', reset: String(T0 / 1000 + 10) });
    later.pacer.observe({ limit: '100', remaining: '99', reset: String(T0 / 1000 + 20) });
    expect(await later.takeMany(3)).toEqual([0, 0, 0]);

    const late = paced({ lowWater: 10 });
    late.pacer.observe({ limit: '100', remaining: '50', reset: String(T0 / 1000 + 20) });
    late.pacer.observe({ limit: '100', remaining: '5', reset: String(T0 / 1000 + 10) }); // from the window before
    expect(await late.takeMany(3)).toEqual([0, 0, 0]);
  });

  it('an answer that reports only some of the calls let through leaves the others counted', async () => {
    const { pacer, takeMany } = paced({ lowWater: 10 });
    const reset = String(T0 / 1000 + 10);
    pacer.observe({ limit: '100', remaining: '20', reset });
    await takeMany(5);
    pacer.observe({ limit: '100', remaining: '18', reset }); // two of our five answered: three still out
    const after = await takeMany(6);
    expect(after.slice(0, 5)).toEqual([0, 0, 0, 0, 0]); // 15 left by our count, spacing from 10
    expect(after[5]).toBeGreaterThan(0);
  });
});
