import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatchUp } from '../../src/bridge/catch-up.ts';
import { CATCH_UP_TOPIC } from '../../src/bridge/jobs.ts';
import { IntercomClient } from '../../src/intercom/client.ts';
import { noRetryPolicy } from '../../src/intercom/retry.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';
import { logSink } from '../support/log-sink.ts';

let fake: FakeIntercom;
let intercom: IntercomClient;
let store: SqliteStore;
let queuedCalls = 0;
const NOW = 1_800_000_000_000;

beforeEach(async () => {
  fake = await FakeIntercom.start();
  intercom = new IntercomClient({ token: fake.token, baseUrl: fake.url, idempotentRetry: noRetryPolicy });
  store = new SqliteStore(':memory:');
  queuedCalls = 0;
});
afterEach(async () => {
  await intercom.close();
  await fake.close();
  await store.close();
});

const catchUp = (sink = logSink()) =>
  new CatchUp({
    intercom,
    store,
    logger: sink.logger,
    intervalMs: 60_000,
    firstLookbackMs: 10 * 60_000,
    // what the worker's enqueue does, counting the jobs that were new
    enqueue: async (job) => {
      const fresh = await store.enqueue(job);
      if (fresh) queuedCalls += 1;
      return fresh;
    },
    now: () => NOW,
  });

describe('CatchUp', () => {
  it('first looks back a while, then continues from the newest update it saw', async () => {
    const seconds = NOW / 1000;
    fake.addConversation({ id: 'old', createdAt: seconds - 3600 });
    fake.addConversation({ id: 'recent', createdAt: seconds - 60 });
    const c = catchUp();
    expect(await c.run()).toBe(1);
    const [search] = fake.calls('POST', '/conversations/search');
    expect(search?.body).toMatchObject({ query: { field: 'updated_at', operator: '>', value: seconds - 600 } });
    const [claimed] = await store.claim({ owner: 't', now: NOW, leaseMs: 1000, limit: 10 });
    expect(claimed).toMatchObject({ topic: CATCH_UP_TOPIC, conversationId: 'recent', createdAt: seconds - 60 });
    // the id earlier versions gave it too: one queued before an upgrade is still a duplicate after it
    expect(claimed?.id).toBe(`catch-up:recent:${seconds - 60}`);
    expect(queuedCalls).toBe(1);

    fake.addConversation({ id: 'newer', createdAt: seconds - 30 });
    expect(await c.run()).toBe(1); // 'recent' again is a duplicate; 'newer' is new
    const second = fake.calls('POST', '/conversations/search')[1];
    expect(second?.body).toMatchObject({ query: { value: seconds - 62 } });
  });

  it('reads the overlap once: a pass that finds nothing new in it moves the cursor past it', async () => {
    const seconds = NOW / 1000;
    // a bulk update: many conversations share the newest second
    for (let i = 0; i < 5; i++) fake.addConversation({ id: `bulk${i}`, createdAt: seconds - 60 });
    const c = catchUp();
    expect(await c.run()).toBe(5);
    expect(await c.run()).toBe(0); // the overlap (2 s before the newest) read again: all duplicates
    expect(await c.run()).toBe(0);
    const searches = fake
      .calls('POST', '/conversations/search')
      .map((r) => (r.body as { query: { value: number } }).query.value);
    expect(searches).toEqual([seconds - 600, seconds - 62, seconds - 60]);
    const third = fake.calls('POST', '/conversations/search').length;
    fake.addConversation({ id: 'later', createdAt: seconds - 60 + 1 });
    expect(await c.run()).toBe(1); // still found: it is newer than the cursor
    expect(fake.calls('POST', '/conversations/search')).toHaveLength(third + 1);
  });

  it('logs a failed pass and tries again next time', async () => {
    const sink = logSink();
    fake.fail({ method: 'POST', path: '/conversations/search', status: 500 });
    const c = catchUp(sink);
    expect(await c.run()).toBe(0);
    expect(sink.lines().some((l) => l.msg === 'catch-up failed, will try again at the next interval')).toBe(true);
    expect(await store.getValue('catch_up.updated_since')).toBeUndefined();
  });

  it('overlapping calls share one pass; start and stop', async () => {
    const c = catchUp();
    const [a, b] = [c.run(), c.run()];
    expect(a).toBe(b);
    await a;
    c.start();
    await c.stop();
    expect(fake.calls('POST', '/conversations/search').length).toBeGreaterThanOrEqual(2);
  });
});
