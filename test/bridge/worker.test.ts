import { afterEach, describe, expect, it } from 'vitest';
import { PermanentFailure, RetryLater } from '../../src/bridge/failures.ts';
import { InboxWorker, type WorkerOptions } from '../../src/bridge/worker.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Delivery } from '../../src/store/store.ts';
import { logSink } from '../support/log-sink.ts';

let store: SqliteStore;
let worker: InboxWorker | undefined;
afterEach(async () => {
  await worker?.stop();
  await store?.close();
});

function setup(handle: (d: Delivery) => Promise<void>, options: Partial<WorkerOptions> = {}) {
  store = new SqliteStore(':memory:');
  const sink = logSink({ level: 'debug' });
  worker = new InboxWorker({ store, handle, logger: sink.logger, pollMs: 10, random: () => 0.5, ...options });
  return sink;
}

let n = 0;
async function enqueue(conversationId: string | null = 'c1') {
  n += 1;
  const id = `notif_${n}`;
  await store.enqueue({
    id,
    topic: 'conversation.user.replied',
    conversationId,
    createdAt: n,
    payload: '{}',
    receivedAt: Date.now(),
  });
  return id;
}

const until = async (check: () => boolean | Promise<boolean>, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${check.toString().slice(0, 80)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('InboxWorker', () => {
  it('processes deliveries, one conversation at a time and in order, others in parallel', async () => {
    const seen: string[] = [];
    let running = 0;
    let maxRunning = 0;
    setup(async (d) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 20));
      seen.push(`${d.conversationId}:${d.id}`);
      running -= 1;
    });
    const a1 = await enqueue('a');
    const a2 = await enqueue('a');
    const b1 = await enqueue('b');
    worker?.start();
    await until(async () => (await store.inboxStats(Date.now())).pending === 0);
    expect(seen.filter((s) => s.startsWith('a:'))).toEqual([`a:${a1}`, `a:${a2}`]);
    expect(seen).toContain(`b:${b1}`);
    expect(maxRunning).toBe(2);
  });

  it('retries after the time RetryLater names, and after a backoff for other errors', async () => {
    const attempts = new Map<string, number>();
    let clock = 0;
    const sink = setup(
      async (d) => {
        const count = (attempts.get(d.conversationId ?? '') ?? 0) + 1;
        attempts.set(d.conversationId ?? '', count);
        if (count === 1) throw d.conversationId === 'x' ? new RetryLater('busy', { afterMs: 50 }) : new Error('boom');
      },
      { now: () => clock },
    );
    let claims = 0;
    const claim = store.claim.bind(store);
    store.claim = (options) => {
      claims += 1;
      return claim(options);
    };
    await enqueue('x');
    await enqueue('y');
    clock = Date.now(); // both are due now, and the clock stands still from here on
    worker?.start();
    await until(() => attempts.get('x') === 1 && attempts.get('y') === 1);
    // with the clock standing still, neither is due again however many times the worker looks
    const looked = claims;
    await until(() => claims >= looked + 5);
    expect(Object.fromEntries(attempts)).toEqual({ x: 1, y: 1 });
    clock += 75; // what RetryLater named, and half as much again (random 0.5): x is due, y (backoff 750 ms) is not
    await until(() => attempts.get('x') === 2);
    const lookedAgain = claims;
    await until(() => claims >= lookedAgain + 5);
    expect(attempts.get('y')).toBe(1);
    clock += 675;
    await until(async () => (await store.inboxStats(clock)).pending === 0);
    expect(Object.fromEntries(attempts)).toEqual({ x: 2, y: 2 });
    const retries = sink.lines().filter((l) => String(l.msg).endsWith(', will retry'));
    expect(retries.map((l) => [l.level, l.msg]).sort()).toEqual([
      [30, 'delivery rate-limited, will retry'],
      [40, 'delivery failed, will retry'],
    ]);
    // a rate limit's 50 ms, spread by random 0.5 to 75; 1 s base, half fixed + half of random 0.5
    expect(retries.map((l) => l.retryInMs).sort()).toEqual([75, 750]);
  });

  it('backs off 1 s, 2 s, 4 s … up to 10 minutes, half of it random', async () => {
    let clock = Date.now();
    const sink = setup(
      async () => {
        throw new Error('boom');
      },
      // every reading of the clock is an hour on: each retry is due at the next look
      { maxAttempts: 12, now: () => (clock += 3_600_000) },
    );
    await enqueue('b');
    worker?.start();
    await until(async () => (await store.inboxStats(clock)).parked === 1);
    const retries = sink.lines().filter((l) => l.msg === 'delivery failed, will retry');
    // with random() = 0.5: three quarters of 1 s · 2^(attempt - 1), which stops doubling at 10 minutes
    const base = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600].map((s) => s * 1_000);
    expect(retries.map((l) => l.retryInMs)).toEqual(base.map((ms) => ms * 0.75));
    expect(retries.map((l) => l.attempts)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('parks a permanent failure at once, and anything after too many attempts', async () => {
    const parked: string[] = [];
    setup(
      async (d) => {
        if (d.conversationId === 'p') throw new PermanentFailure('channel_not_found');
        throw new Error('still failing');
      },
      {
        maxAttempts: 2,
        onOutcome: (d, outcome, _ms, reason) => {
          if (outcome === 'parked') parked.push(`${d.id}:${d.attempts}:${reason}`);
        },
      },
    );
    const p = await enqueue('p');
    const r = await enqueue('r');
    worker?.start();
    await until(async () => (await store.inboxStats(Date.now())).parked === 2);
    expect(parked.sort()).toEqual([`${p}:1:channel_not_found`, `${r}:2:still failing`].sort());
  });

  it('never parks a delivery for rate limits: they give back their attempt, and only failures count', async () => {
    let calls = 0;
    const outcomes: string[] = [];
    const sink = setup(
      async () => {
        calls += 1;
        if (calls <= 5) throw new RetryLater('Slack rate limit: retry after 1 s', { afterMs: 1 });
        if (calls === 6) throw new Error('boom');
      },
      { maxAttempts: 2, onOutcome: (_d, outcome) => outcomes.push(outcome) },
    );
    await enqueue('limited');
    worker?.start();
    await until(async () => outcomes.at(-1) === 'done');
    expect(outcomes).toEqual(['retry', 'retry', 'retry', 'retry', 'retry', 'retry', 'done']);
    const retries = sink.lines().filter((l) => String(l.msg).endsWith(', will retry'));
    expect(retries.map((l) => l.attempts)).toEqual([1, 1, 1, 1, 1, 1]); // the failure was the first counted attempt
    expect(await store.inboxStats(Date.now())).toMatchObject({ parked: 0 });
  });

  it('enqueue() stores a job and wakes the worker at once; a duplicate is stored once and processed once', async () => {
    const seen: string[] = [];
    setup(
      async (d) => {
        seen.push(d.id);
      },
      { pollMs: 3_600_000 }, // only a wake makes it look again within the test
    );
    worker?.start();
    await until(async () => (await store.inboxStats(Date.now())).pending === 0);
    const job = { id: 'job-1', topic: 'bridge.sync', conversationId: 'c', createdAt: 1, payload: '{}' };
    expect(await worker?.enqueue({ ...job, receivedAt: Date.now() })).toBe(true);
    await until(() => seen.length === 1);
    expect(await worker?.enqueue({ ...job, receivedAt: Date.now() })).toBe(false);
    expect(await worker?.enqueue({ ...job, id: 'job-2', receivedAt: Date.now() })).toBe(true);
    await until(() => seen.length === 2);
    expect(seen).toEqual(['job-1', 'job-2']);
  });

  it('keeps the lease of slow work alive, so no other replica takes it; takes over what a dead one left', async () => {
    let release = () => {};
    const slow = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: string[] = [];
    const takenOver: string[] = [];
    setup(
      async (d) => {
        handled.push(d.id);
        if (handled.length === 1) await slow;
      },
      { leaseMs: 200, onTakeover: (d) => takenOver.push(d.id) },
    );
    const first = await enqueue('a');
    worker?.start();
    await until(() => handled.length === 1);
    // five leases long later, another replica looks: the slow delivery is still leased, by its live worker
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await store.claim({ owner: 'other-replica', now: Date.now(), leaseMs: 200, limit: 10 })).toEqual([]);
    release();
    await until(async () => (await store.inboxStats(Date.now())).pending === 0);
    expect(handled).toEqual([first]);

    // a replica that claimed a delivery and died (no heartbeat): its lease runs out and this worker takes over
    const orphan = await enqueue('b');
    const [claimed] = await store.claim({ owner: 'dead-replica', now: Date.now(), leaseMs: 200, limit: 10 });
    expect(claimed?.id).toBe(orphan);
    await until(() => handled.includes(orphan), 2_000);
    expect(handled).toEqual([first, orphan]);
    expect(takenOver).toEqual([orphan]); // counted as a takeover; the slow one, kept alive, was not
  });

  it('stop() lets deliveries in flight finish and claims nothing new', async () => {
    let finished = 0;
    setup(
      async () => {
        await new Promise((r) => setTimeout(r, 50));
        finished += 1;
      },
      { concurrency: 1 },
    );
    await enqueue('a');
    await enqueue('b');
    worker?.start();
    await until(() => finished === 0 && true);
    await new Promise((r) => setTimeout(r, 10));
    await worker?.stop();
    expect(finished).toBe(1);
    expect((await store.inboxStats(Date.now())).pending).toBe(1);
    worker = undefined;
  });

  /** A worker with a clock the test moves, whose deliveries take 15 ms each; `peak()` is the most run at once. */
  function burstSetup() {
    const clock = { now: Date.now() + 60_000 }; // ahead of the deliveries, so they are due
    let running = 0;
    let peak = 0;
    setup(
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 15));
        running -= 1;
      },
      { concurrency: 4, now: () => clock.now, burst: { arrivals: 5, windowMs: 100, maxMs: 1_000 } },
    );
    const drained = () => until(async () => (await store.inboxStats(Date.now())).pending === 0);
    return { clock, drained, peak: () => peak, reset: () => (peak = 0) };
  }

  it('runs one delivery at a time while webhooks arrive in a burst, then all it may once the burst is over', async () => {
    const t = burstSetup();
    for (const c of ['a', 'b', 'c', 'd']) await enqueue(c);
    for (let i = 0; i < 5; i++) worker?.arrived(); // five arrivals within one window: a burst
    worker?.start();
    await t.drained();
    expect(t.peak()).toBe(1);

    t.reset();
    t.clock.now += 1_000; // the burst is over
    for (const c of ['e', 'f', 'g', 'h']) await enqueue(c);
    worker?.arrived();
    await t.drained();
    expect(t.peak()).toBe(4);
  });

  const job = (id: string) => ({
    id,
    topic: 'conversation.user.replied',
    conversationId: id,
    createdAt: 1,
    payload: '{}',
    receivedAt: Date.now(),
  });

  it('counts jobs enqueued as arrivals (webhooks) toward a burst', async () => {
    const t = burstSetup();
    for (const c of ['a', 'b', 'c', 'd', 'e']) await worker?.enqueue(job(c), { arrival: true });
    worker?.start();
    await t.drained();
    expect(t.peak()).toBe(1);
  });

  it('does not count other jobs enqueued toward a burst', async () => {
    const t = burstSetup();
    for (const c of ['a', 'b', 'c', 'd', 'e']) await worker?.enqueue(job(c));
    worker?.start();
    await t.drained();
    expect(t.peak()).toBe(4);
  });

  it('does not call a few arrivals spread over time a burst', async () => {
    const t = burstSetup();
    for (const c of ['a', 'b', 'c', 'd']) await enqueue(c);
    for (let i = 0; i < 5; i++) {
      t.clock.now += 60; // never five within one 100 ms window
      worker?.arrived();
    }
    worker?.start();
    await t.drained();
    expect(t.peak()).toBe(4);
  });

  it('goes back to full concurrency once a burst has lasted burst.maxMs, though arrivals go on', async () => {
    const t = burstSetup();
    // one burst kept going past maxMs: five arrivals in every 100 ms window for 1.1 s
    for (let ms = 0; ms <= 1_100; ms += 50) {
      for (let i = 0; i < 5; i++) worker?.arrived();
      t.clock.now += 50;
    }
    t.clock.now -= 50; // still inside the last window: the arrivals alone would call this a burst
    for (const c of ['a', 'b', 'c', 'd']) await enqueue(c);
    worker?.start();
    await t.drained();
    expect(t.peak()).toBe(4);
  });
});
