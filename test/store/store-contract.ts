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

    it('hands out a named queue one at a time whatever the conversations, apart from those conversations', async () => {
      const a = delivery({ createdAt: 100, conversationId: 'c1', queue: 'files' });
      const b = delivery({ createdAt: 110, conversationId: 'c2', queue: 'files' });
      const c1 = delivery({ createdAt: 120, conversationId: 'c1' });
      for (const d of [a, b, c1]) await store.enqueue(d);
      const first = await claim();
      expect(first.map((d) => d.id).sort()).toEqual([a.id, c1.id].sort());
      expect(first.find((d) => d.id === a.id)?.conversationId).toBe('c1');
      expect(await claim()).toEqual([]);
      await store.complete(a.id);
      expect((await claim()).map((d) => d.id)).toEqual([b.id]);
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

    it('a rate-limited retry gives back its attempt: only failures bring a delivery nearer to parking', async () => {
      const d = delivery();
      await store.enqueue(d);
      await claim();
      await store.retry(d.id, T0 + 1_000, 'Slack rate limit', { counted: false });
      const [again] = await claim(T0 + 1_000);
      expect(again).toMatchObject({ id: d.id, attempts: 1, lastError: 'Slack rate limit' });
      await store.retry(d.id, T0 + 2_000, 'Slack answered 500');
      expect(await claim(T0 + 2_000)).toMatchObject([{ id: d.id, attempts: 2 }]);
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

    it('renews only the leases its owner holds on deliveries still pending', async () => {
      const a = delivery({ conversationId: 'ra' });
      const b = delivery({ conversationId: 'rb' });
      await store.enqueue(a);
      await store.enqueue(b);
      const [first] = await store.claim({ owner: 'w1', now: T0, leaseMs: 1_000, limit: 1 });
      const [second] = await store.claim({ owner: 'w2', now: T0, leaseMs: 1_000, limit: 1 });
      const [mine, theirs] = [first?.id ?? '', second?.id ?? ''];
      expect([mine, theirs].sort()).toEqual([a.id, b.id].sort());
      expect(await store.renewLeases('w1', [mine, theirs, 'nope'], T0 + 60_000)).toBe(1);
      // long after the first lease would have run out, w1's is still held; w2's (not renewed) is free again
      const later = await store.claim({ owner: 'w3', now: T0 + 30_000, leaseMs: 1_000, limit: 10 });
      expect(later.map((d) => d.id)).toEqual([theirs]);
      await store.complete(mine);
      expect(await store.renewLeases('w1', [mine], T0 + 90_000)).toBe(0);
      expect(await store.renewLeases('w1', [], T0 + 90_000)).toBe(0);
    });

    it('keeps the route that carried a card, for getCard and cardAt', async () => {
      await store.saveCard({ conversationId: 'c6', channel: 'C1', ts: '1700000000.000400', route: 'vip' });
      expect((await store.getCard('c6'))?.route).toBe('vip');
      expect((await store.cardAt('C1', '1700000000.000400'))?.route).toBe('vip');
      await store.saveCard({ conversationId: 'c5', channel: 'C1', ts: '1700000000.000500' });
      expect(await store.getCard('c5')).not.toHaveProperty('route');
    });

    it('keeps what a card shows with it, for getCard, and replaces it on the next save', async () => {
      const shown = JSON.stringify({ subject: 'Ünïcode “quotes” \u0000-free', bodyHtml: '<p>a</p>'.repeat(2000) });
      await store.saveCard({ conversationId: 'c7', channel: 'C1', ts: '1700000000.000300', fingerprint: 'f', shown });
      expect((await store.getCard('c7'))?.shown).toBe(shown);
      expect(await store.cardAt('C1', '1700000000.000300')).not.toHaveProperty('shown');
      await store.saveCard({ conversationId: 'c7', channel: 'C1', ts: '1700000000.000300', fingerprint: 'g' });
      expect(await store.getCard('c7')).toEqual({
        conversationId: 'c7',
        channel: 'C1',
        ts: '1700000000.000300',
        fingerprint: 'g',
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

    it('tells the first sight of an interaction key from every later one, each key on its own', async () => {
      expect(await store.firstSeen('trigger.1', T0)).toBe(true);
      expect(await store.firstSeen('trigger.1', T0 + 1_000)).toBe(false);
      expect(await store.firstSeen('trigger.1', T0 + 2_000)).toBe(false);
      expect(await store.firstSeen('trigger.2', T0)).toBe(true);
      expect(await store.firstSeen('Trigger.1', T0)).toBe(true); // keys are compared exactly
      expect(await store.firstSeen('', T0)).toBe(true);
      expect(await store.firstSeen('', T0)).toBe(false);
      // a delivery id and an interaction key are kept apart
      expect(await store.enqueue(delivery({ id: 'Ev123' }))).toBe(true);
      expect(await store.firstSeen('Ev123', T0)).toBe(true);
      expect(await store.enqueue(delivery({ id: 'Ev124' }))).toBe(true);
    });

    it('lets exactly one of many simultaneous calls with the same key see it first', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => store.firstSeen('trigger.same', T0)));
      expect(results.filter((fresh) => fresh)).toHaveLength(1);
      // mixed with other keys and deliveries arriving at the same moment; which of two at once wins is not said
      const [a1, queued, b, a2, same] = await Promise.all([
        store.firstSeen('trigger.a', T0),
        store.enqueue(delivery({ id: 'notif_mixed' })),
        store.firstSeen('trigger.b', T0),
        store.firstSeen('trigger.a', T0),
        store.firstSeen('trigger.same', T0),
      ]);
      expect([a1, a2].filter((fresh) => fresh)).toHaveLength(1);
      expect({ queued, b, same }).toEqual({ queued: true, b: true, same: false });
    });

    it('takes any string as a key: NUL, unpaired surrogates, thousands of characters', async () => {
      const long = 'x'.repeat(10_000);
      const keys = ['a\u0000b', 'a\u0000c', 'a', '\u0000', long, `${long}y`, 'a\ud800', 'a\udc00', 'a\ufffd', 'é✓🙂'];
      for (const key of keys) expect(await store.firstSeen(key, T0), JSON.stringify(key.slice(0, 20))).toBe(true);
      for (const key of keys) expect(await store.firstSeen(key, T0)).toBe(false);
    });

    it('prunes interaction keys seen before the cut-off, keeps later ones, and counts only deliveries', async () => {
      await store.firstSeen('trigger.old', T0 - 10_000);
      await store.firstSeen('trigger.edge', T0 - 5_000);
      await store.firstSeen('trigger.new', T0);
      expect(await store.prune(T0 - 5_000)).toBe(0); // no finished delivery, however many keys went
      expect(await store.firstSeen('trigger.old', T0)).toBe(true); // forgotten: seen anew
      expect(await store.firstSeen('trigger.edge', T0)).toBe(false);
      expect(await store.firstSeen('trigger.new', T0)).toBe(false);
      const done = delivery({ receivedAt: T0 - 10_000 });
      await store.enqueue(done);
      await claim();
      await store.complete(done.id);
      expect(await store.prune(T0 + 1)).toBe(1);
      for (const key of ['trigger.old', 'trigger.edge', 'trigger.new']) {
        expect(await store.firstSeen(key, T0), key).toBe(true);
      }
    });

    it('keeps named values', async () => {
      expect(await store.getValue('catchup.since')).toBeUndefined();
      await store.setValue('catchup.since', '1700000000');
      await store.setValue('catchup.since', '1700000100');
      expect(await store.getValue('catchup.since')).toBe('1700000100');
    });

    it("keeps each person's notification settings, none until set, replaced whole on the next set", async () => {
      expect(await store.getNotificationPrefs('U1')).toBeUndefined();
      await store.setNotificationPrefs('U1', { assigned: true, replies: false, due: true });
      await store.setNotificationPrefs('U2', { assigned: false, replies: true, due: false });
      expect(await store.getNotificationPrefs('U1')).toEqual({ assigned: true, replies: false, due: true });
      await store.setNotificationPrefs('U1', { assigned: false, replies: true, due: false });
      expect(await store.getNotificationPrefs('U1')).toEqual({ assigned: false, replies: true, due: false });
      expect(await store.getNotificationPrefs('U2')).toEqual({ assigned: false, replies: true, due: false });
      await store.setNotificationPrefs('U2', { assigned: true, replies: true, due: true });
      expect(await store.getNotificationPrefs('U2')).toEqual({ assigned: true, replies: true, due: true });
      expect(await store.getNotificationPrefs('u1')).toBeUndefined(); // ids are compared exactly
    });

    it('keeps the last of simultaneous settings of one person whole, never a mix of two', async () => {
      const all = { assigned: true, replies: true, due: true };
      const none = { assigned: false, replies: false, due: false };
      await Promise.all([store.setNotificationPrefs('U3', all), store.setNotificationPrefs('U3', none)]);
      expect([all, none]).toContainEqual(await store.getNotificationPrefs('U3'));
    });
  });
}
