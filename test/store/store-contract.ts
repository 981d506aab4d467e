import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewDelivery, Store } from '../../src/store/store.ts';

/** The behaviour every Store must have; each implementation's test file runs it against a fresh store. */
export function describeStoreContract(name: string, open: () => Promise<Store> | Store) {
  describe(`${name}: the Store contract`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    const T0 = 1_800_000_000_000;
    let n = 0;
    const delivery = (fields: Partial<NewDelivery> = {}): NewDelivery => {
      n += 1;
      return {
        id: `notif_${n}`,
        topic: 'conversation.user.replied',
        conversationId: 'c1',
        createdAt: 1_800_000_000 + n,
        payload: `{"n":${n}}`,
        receivedAt: T0,
        ...fields,
      };
    };
    const claim = (now = T0, limit = 10, owner = 'w1') => store.claim({ owner, now, leaseMs: 30_000, limit });

    it('accepts a delivery once and recognises its duplicate', async () => {
      const d = delivery();
      expect(await store.enqueue(d)).toBe(true);
      expect(await store.enqueue({ ...d, payload: '{"other":true}' })).toBe(false);
      const [claimed] = await claim();
      expect(claimed).toMatchObject({ ...d, attempts: 1, lastError: null });
    });

    it("hands out one conversation's events one at a time, oldest created first", async () => {
      const later = delivery({ createdAt: 200, conversationId: 'c1' });
      const earlier = delivery({ createdAt: 100, conversationId: 'c1' });
      const other = delivery({ createdAt: 150, conversationId: 'c2' });
      for (const d of [later, earlier, other]) await store.enqueue(d);
      const first = await claim();
      expect(first.map((d) => d.id).sort()).toEqual([earlier.id, other.id].sort());
      expect(await claim()).toEqual([]); // c1 is busy, c2 is busy
      await store.complete(earlier.id);
      expect((await claim()).map((d) => d.id)).toEqual([later.id]);
    });

    it('keeps a conversation busy while one of its events is leased, even when an older event arrives late', async () => {
      const first = delivery({ createdAt: 200 });
      await store.enqueue(first);
      expect((await claim()).map((d) => d.id)).toEqual([first.id]);
      await store.enqueue(delivery({ createdAt: 100 }));
      expect(await claim()).toEqual([]);
    });

    it('treats events of no conversation as independent', async () => {
      await store.enqueue(delivery({ conversationId: null, topic: 'ping' }));
      await store.enqueue(delivery({ conversationId: null, topic: 'ping' }));
      expect(await claim()).toHaveLength(2);
    });

    it('respects the limit', async () => {
      for (let i = 0; i < 5; i++) await store.enqueue(delivery({ conversationId: `c${i}` }));
      expect(await claim(T0, 3)).toHaveLength(3);
      expect(await claim(T0, 10)).toHaveLength(2);
    });

    it('makes an expired lease claimable again, counting the attempt', async () => {
      const d = delivery();
      await store.enqueue(d);
      await claim(T0, 10, 'crashed-worker');
      expect(await claim(T0 + 29_999)).toEqual([]);
      const [again] = await claim(T0 + 30_000, 10, 'w2');
      expect(again).toMatchObject({ id: d.id, attempts: 2 });
    });

    it('retries at the time given, keeping order behind it', async () => {
      const head = delivery({ createdAt: 1 });
      const next = delivery({ createdAt: 2 });
      await store.enqueue(head);
      await store.enqueue(next);
      await claim();
      await store.retry(head.id, T0 + 5_000, 'Slack answered 500');
      expect(await claim(T0 + 1_000)).toEqual([]); // the head waits, and so does what follows it
      const [retried] = await claim(T0 + 5_000);
      expect(retried).toMatchObject({ id: head.id, attempts: 2, lastError: 'Slack answered 500' });
    });

    it('parks a delivery for good and lets the conversation move on', async () => {
      const bad = delivery({ createdAt: 1 });
      const good = delivery({ createdAt: 2 });
      await store.enqueue(bad);
      await store.enqueue(good);
      await claim();
      await store.park(bad.id, 'channel_not_found');
      expect((await claim()).map((d) => d.id)).toEqual([good.id]);
      expect(await store.inboxStats(T0 + 1_000)).toEqual({ pending: 1, parked: 1, oldestPendingMs: 1_000 });
    });

    it('reports inbox depth and age, and prunes finished deliveries', async () => {
      expect(await store.inboxStats(T0)).toEqual({ pending: 0, parked: 0, oldestPendingMs: null });
      const old = delivery({ receivedAt: T0 - 10_000, conversationId: 'a' });
      await store.enqueue(old);
      await store.enqueue(delivery({ conversationId: 'b' }));
      expect(await store.inboxStats(T0)).toEqual({ pending: 2, parked: 0, oldestPendingMs: 10_000 });
      await claim();
      await store.complete(old.id);
      expect((await store.inboxStats(T0)).pending).toBe(1);
      expect(await store.prune(T0 - 5_000)).toBe(1);
      expect(await store.enqueue(old)).toBe(true); // forgotten: accepted as new
    });

    it('keeps the card of a conversation and moves it when asked', async () => {
      expect(await store.getCard('c9')).toBeUndefined();
      await store.saveCard({ conversationId: 'c9', channel: 'C1', ts: '1700000000.000100' });
      expect(await store.getCard('c9')).toEqual({ conversationId: 'c9', channel: 'C1', ts: '1700000000.000100' });
      await store.saveCard({ conversationId: 'c9', channel: 'C2', ts: '1700000001.000200', fingerprint: 'abc' });
      expect(await store.getCard('c9')).toEqual({
        conversationId: 'c9',
        channel: 'C2',
        ts: '1700000001.000200',
        fingerprint: 'abc',
      });
    });

    it('finds a card by its Slack message, and only where it is now', async () => {
      await store.saveCard({ conversationId: 'c9', channel: 'C1', ts: '1700000000.000100' });
      await store.saveCard({ conversationId: 'c8', channel: 'C1', ts: '1700000000.000200', fingerprint: 'f' });
      expect(await store.cardAt('C1', '1700000000.000200')).toEqual({
        conversationId: 'c8',
        channel: 'C1',
        ts: '1700000000.000200',
        fingerprint: 'f',
      });
      await store.saveCard({ conversationId: 'c9', channel: 'C2', ts: '1700000009.000100' });
      expect(await store.cardAt('C1', '1700000000.000100')).toBeUndefined();
      expect((await store.cardAt('C2', '1700000009.000100'))?.conversationId).toBe('c9');
      expect(await store.cardAt('C2', '1700000000.000200')).toBeUndefined();
    });

    it('remembers which parts a thread has shown', async () => {
      expect((await store.shownParts('c1')).has('p1')).toBe(false);
      expect(await store.markPartShown('c1', 'p1')).toBe(true);
      expect(await store.markPartShown('c1', 'p1')).toBe(false);
      expect((await store.shownParts('c1')).has('p1')).toBe(true);
      expect((await store.shownParts('c2')).has('p1')).toBe(false);
    });

    it('keeps named values', async () => {
      expect(await store.getValue('catchup.since')).toBeUndefined();
      await store.setValue('catchup.since', '1700000000');
      await store.setValue('catchup.since', '1700000100');
      expect(await store.getValue('catchup.since')).toBe('1700000100');
    });
  });
}
