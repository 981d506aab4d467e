import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DigestData,
  DigestScheduler,
  Digests,
  dueDigest,
  firstResponseMs,
  median,
} from '../../src/bridge/digests.ts';
import { Directory } from '../../src/bridge/directory.ts';
import { Queue } from '../../src/bridge/queue.ts';
import type { RouteRule } from '../../src/bridge/routing.ts';
import type { Digest, RoutesFileConfig } from '../../src/bridge/targets.ts';
import { IntercomClient } from '../../src/intercom/client.ts';
import { noRetryPolicy } from '../../src/intercom/retry.ts';
import { Conversation } from '../../src/intercom/schemas.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Card } from '../../src/store/store.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';
import { logSink } from '../support/log-sink.ts';

const MINUTE = 60_000;
const ALL_DAYS: Digest['days'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const berlin = (at: string, days: Digest['days'] = ALL_DAYS): Digest => ({
  channel: 'C0SUPPORT1',
  at,
  timezone: 'Europe/Berlin',
  days,
});

describe('when a digest is due', () => {
  it('at its local time through the spring DST week in Europe/Berlin (UTC+1, then UTC+2)', () => {
    const digest = berlin('09:00');
    // 2026-03-29 is the Sunday the clocks go forward
    const expected: Array<[string, number]> = [
      ['2026-03-27', Date.UTC(2026, 2, 27, 8)],
      ['2026-03-28', Date.UTC(2026, 2, 28, 8)],
      ['2026-03-29', Date.UTC(2026, 2, 29, 7)],
      ['2026-03-30', Date.UTC(2026, 2, 30, 7)],
      ['2026-03-31', Date.UTC(2026, 2, 31, 7)],
    ];
    for (const [day, at] of expected) {
      expect(dueDigest(digest, at - 1), day).toBeUndefined();
      expect(dueDigest(digest, at), day).toEqual({ key: `digest:C0SUPPORT1:${day}`, day });
    }
  });

  it('in the autumn DST week too, and a time the clocks skip is taken an hour on', () => {
    const digest = berlin('09:00');
    // 2026-10-25: the clocks go back
    expect(dueDigest(digest, Date.UTC(2026, 9, 24, 7))?.day).toBe('2026-10-24');
    expect(dueDigest(digest, Date.UTC(2026, 9, 25, 7, 59))).toBeUndefined();
    expect(dueDigest(digest, Date.UTC(2026, 9, 25, 8))?.day).toBe('2026-10-25');
    const skipped = berlin('02:30');
    expect(dueDigest(skipped, Date.UTC(2026, 2, 29, 1, 29))).toBeUndefined(); // 03:29 CEST
    expect(dueDigest(skipped, Date.UTC(2026, 2, 29, 1, 30))?.day).toBe('2026-03-29'); // 03:30 CEST
  });

  it('only on its days, and until the end of its day in its zone', () => {
    const weekdays = berlin('09:00', ['mon', 'tue', 'wed', 'thu', 'fri']);
    expect(dueDigest(weekdays, Date.UTC(2026, 11, 5, 12))).toBeUndefined(); // Saturday
    expect(dueDigest(weekdays, Date.UTC(2026, 11, 7, 22, 59))?.day).toBe('2026-12-07'); // Monday 23:59 local
    expect(dueDigest(weekdays, Date.UTC(2026, 11, 7, 23, 1))).toBeUndefined(); // Tuesday 00:01 local
  });
});

describe('the scheduler', () => {
  let store: SqliteStore;
  let posts: Array<{ channel: string; at: number }>;
  let now: number;
  let failNext: number;

  beforeEach(() => {
    store = new SqliteStore(':memory:');
    posts = [];
    now = Date.UTC(2026, 11, 7, 7, 59); // Monday 08:59 in Berlin
    failNext = 0;
  });
  afterEach(async () => {
    await store.close();
  });

  const config = (digests: Digest[]): RoutesFileConfig => ({ routes: [], targets: {}, digests });
  const scheduler = (digests: Digest[], sink = logSink()) =>
    new DigestScheduler({
      digests: {
        post: async (scope) => {
          if (failNext > 0) {
            failNext -= 1;
            throw new Error('slack down');
          }
          posts.push({ channel: scope.channel, at: now });
        },
      },
      rules: () => config(digests),
      store,
      logger: sink.logger,
      now: () => now,
    });

  it('posts each digest exactly once a day with two schedulers (replicas) on one store', async () => {
    const digests = [berlin('09:00'), { ...berlin('09:00'), channel: 'C0OTHER01' }];
    const a = scheduler(digests);
    const b = scheduler(digests);
    expect(await a.tick()).toBe(0);
    now += MINUTE; // 09:00
    // overlapping ticks of one scheduler share one look; the two replicas race for each digest
    await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    expect(posts).toHaveLength(2);
    for (let minute = 0; minute < 30; minute++) {
      now += MINUTE;
      await Promise.all([a.tick(), b.tick()]);
    }
    expect(posts.map((p) => p.channel).sort()).toEqual(['C0OTHER01', 'C0SUPPORT1']);
    now += 24 * 60 * MINUTE; // Tuesday
    await Promise.all([a.tick(), b.tick()]);
    expect(posts).toHaveLength(4);
  });

  it('after a restart the same day posts nothing again; a bridge down at the time posts when it comes up', async () => {
    now = Date.UTC(2026, 11, 7, 8); // 09:00
    await scheduler([berlin('09:00')]).tick();
    now = Date.UTC(2026, 11, 7, 10);
    expect(await scheduler([berlin('09:00')]).tick()).toBe(0); // a restart: a new scheduler, same store
    expect(posts).toHaveLength(1);
    // a digest whose time passed while no bridge ran is posted at start-up, the same day
    expect(await scheduler([berlin('08:00', ['mon']), { ...berlin('08:00'), channel: 'C0LATE0001' }]).tick()).toBe(1);
    expect(posts.map((p) => p.channel)).toEqual(['C0SUPPORT1', 'C0LATE0001']);
  });

  it('tries a post that failed again at the next tick, on the replica that claimed it, while due', async () => {
    const sink = logSink();
    const a = scheduler([berlin('09:00')], sink);
    const b = scheduler([berlin('09:00')]);
    now = Date.UTC(2026, 11, 7, 8);
    failNext = 2;
    expect(await a.tick()).toBe(0);
    expect(await b.tick()).toBe(0);
    now += MINUTE;
    expect(await a.tick()).toBe(0);
    now += MINUTE;
    expect(await a.tick()).toBe(1);
    expect(await b.tick()).toBe(0);
    expect(posts).toHaveLength(1);
    expect(sink.lines().some((l) => l.msg === 'could not post the digest; trying again')).toBe(true);
  });
});

describe('a digest’s content', () => {
  const NOW = Date.UTC(2026, 11, 8, 8); // Tuesday 09:00 in Berlin
  const ago = (minutes: number) => Math.floor((NOW - minutes * MINUTE) / 1000);
  let fake: FakeIntercom;
  let intercom: IntercomClient;
  let cards: Map<string, Card>;
  let config: RoutesFileConfig;
  let posted: Array<{ channel: string; digest: DigestData }>;

  beforeEach(async () => {
    fake = await FakeIntercom.start();
    intercom = new IntercomClient({ token: fake.token, baseUrl: fake.url, idempotentRetry: noRetryPolicy });
    fake.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
    cards = new Map();
    posted = [];
    config = {
      routes: [
        { name: 'vip', channel: 'C0VIP00001', targets: { firstResponseMs: 5 * MINUTE } } as unknown as RouteRule,
        { name: 'billing', channel: 'C0BILL0001' } as unknown as RouteRule,
      ],
      targets: { firstResponseMs: 30 * MINUTE },
      digests: [{ channel: 'C0VIP00001', at: '09:00', timezone: 'Europe/Berlin', days: ALL_DAYS, routes: ['vip'] }],
    };
  });
  afterEach(async () => {
    await intercom.close();
    await fake.close();
  });

  const digests = () => {
    const store = { getCard: async (id: string) => cards.get(id) };
    const rules = () => config;
    const queue = new Queue({
      intercom,
      directory: new Directory(intercom),
      store,
      slack: { permalink: async () => 'https://slack.test/p1' },
      rules,
      now: () => NOW,
    });
    return new Digests({
      queue,
      store,
      rules,
      post: async (channel, digest) => {
        posted.push({ channel, digest });
      },
      logger: logSink().logger,
      now: () => NOW,
    });
  };
  const add = (fields: Parameters<FakeIntercom['addConversation']>[0], route?: string) => {
    const id = String(fake.addConversation(fields).id);
    if (route) cards.set(id, { conversationId: id, channel: 'C', ts: `${id}.1`, route });
    return id;
  };
  /** A conversation created at `created` (seconds) and first answered by a teammate `tookMinutes` later. */
  const answered = (created: number, tookMinutes: number, route?: string) => {
    const id = add({ createdAt: created, state: 'closed' }, route);
    const c = fake.conversations.get(id);
    if (c) {
      c.waiting_since = null;
      c.statistics = { first_admin_reply_at: created + tookMinutes * 60, last_admin_reply_at: null };
    }
    return id;
  };

  it('counts open, unassigned, waiting and overdue; lists the longest ten; yesterday’s median and misses', async () => {
    const waiting = Array.from({ length: 12 }, (_, i) => add({ subject: `w${i}`, createdAt: ago(120 - i) }));
    add({ subject: 'assigned, waiting, not yet due', createdAt: ago(5), adminAssigneeId: 991 });
    const quiet = add({ subject: 'open, answered', createdAt: ago(500), adminAssigneeId: 991 });
    const q = fake.conversations.get(quiet);
    if (q) q.waiting_since = null;
    add({ subject: 'snoozed', createdAt: ago(50), state: 'snoozed' });
    // yesterday in Berlin is Monday 7 December, 23:00 UTC on the 6th to 23:00 UTC on the 7th
    const monday = Date.UTC(2026, 11, 6, 23) / 1000;
    answered(monday + 60, 10);
    answered(monday + 3600, 40);
    answered(monday + 7200, 50);
    answered(monday - 3600, 5); // answered the day before yesterday: its first reply is at 23:05 on Sunday
    answered(monday + 86_400 + 60, 1); // answered today
    await digests().postNow('C0ANY00001');
    const [{ channel, digest }] = posted as [{ channel: string; digest: DigestData }];
    expect(channel).toBe('C0ANY00001');
    expect(digest).toMatchObject({
      day: '2026-12-08',
      dayLabel: 'Tuesday 8 December',
      timezone: 'UTC',
      routes: undefined,
      counts: { open: 14, unassigned: 12, waiting: 13, overdue: 12 },
      yesterday: { day: '2026-12-07', answered: 3, medianMs: 40 * MINUTE, misses: 2 },
      capped: false,
    });
    expect(digest.longest.map((i) => i.conversationId)).toEqual(waiting.slice(0, 10));
  });

  it('covers only the routes it names, by the route that carried each card, with that route’s targets', async () => {
    const vip = add({ subject: 'vip', createdAt: ago(8) }, 'vip');
    add({ subject: 'billing', createdAt: ago(60) }, 'billing');
    add({ subject: 'no card', createdAt: ago(90) });
    const monday = Date.UTC(2026, 11, 6, 23) / 1000;
    answered(monday + 60, 6, 'vip'); // a miss against vip's 5m
    answered(monday + 120, 4, 'vip');
    answered(monday + 180, 60, 'billing');
    await digests().postNow('C0VIP00001');
    const digest = posted[0]?.digest;
    expect(digest).toMatchObject({
      timezone: 'Europe/Berlin',
      routes: ['vip'],
      counts: { open: 1, unassigned: 1, waiting: 1, overdue: 1 },
      yesterday: { answered: 2, medianMs: 5 * MINUTE, misses: 1 },
    });
    expect(digest?.longest.map((i) => i.conversationId)).toEqual([vip]);
  });

  it('measures first responses in working time when the team has business hours', () => {
    const withHours: RoutesFileConfig = {
      routes: [],
      targets: {},
      digests: [],
      businessHours: { timezone: 'UTC', days: ALL_DAYS, start: '09:00', end: '17:00', holidays: [] },
    };
    const created = Date.UTC(2026, 11, 7, 16, 50) / 1000;
    const c = Conversation.parse({
      id: '1',
      created_at: created,
      statistics: { first_admin_reply_at: created + 16 * 3600 + 20 * 60 },
    });
    const day = [Date.UTC(2026, 11, 8), Date.UTC(2026, 11, 9)] as const;
    expect(firstResponseMs(c, withHours, ...day)).toBe(10 * MINUTE + 10 * MINUTE);
    expect(firstResponseMs(c, undefined, ...day)).toBe(16 * 60 * MINUTE + 20 * MINUTE);
    expect(firstResponseMs(c, undefined, Date.UTC(2026, 11, 7), Date.UTC(2026, 11, 8))).toBeUndefined();
    expect(median([])).toBeNull();
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });
});
