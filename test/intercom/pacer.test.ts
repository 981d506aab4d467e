import { describe, expect, it } from 'vitest';
import { RateLimitPacer } from '../../src/intercom/pacer.ts';

function clock(start: number) {
  const c = { t: start, now: () => c.t };
  return c;
}

const resetIn = (c: { t: number }, ms: number) => String(Math.floor((c.t + ms) / 1000));

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
});
