import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Directory } from '../../src/bridge/directory.ts';
import { Queue, queueClock, titleOf } from '../../src/bridge/queue.ts';
import type { RouteRule } from '../../src/bridge/routing.ts';
import type { RoutesFileConfig } from '../../src/bridge/targets.ts';
import { IntercomClient } from '../../src/intercom/client.ts';
import { noRetryPolicy } from '../../src/intercom/retry.ts';
import { Conversation } from '../../src/intercom/schemas.ts';
import type { Card } from '../../src/store/store.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';

// The queue behind `/intercom queue`: Intercom's search (through the real client, against the fake), filtered by
// scope, ordered longest-waiting first, each with its clock, assignee and links.

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 11, 7, 12, 0);
const ago = (minutes: number) => Math.floor((NOW - minutes * MINUTE) / 1000);

let fake: FakeIntercom;
let intercom: IntercomClient;
let cards: Map<string, Card>;
let config: RoutesFileConfig | undefined;

beforeEach(async () => {
  fake = await FakeIntercom.start();
  intercom = new IntercomClient({ token: fake.token, baseUrl: fake.url, idempotentRetry: noRetryPolicy });
  fake.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
  fake.addAdmin({ name: 'Bob <Boss>', email: 'bob@example.com', id: '992' });
  fake.addTeam({ name: 'Billing', id: '77' });
  cards = new Map();
  config = undefined;
});
afterEach(async () => {
  await intercom.close();
  await fake.close();
});

function queue(): Queue {
  return new Queue({
    intercom,
    directory: new Directory(intercom),
    store: { getCard: async (id) => cards.get(id) },
    slack: { permalink: async (channel, ts) => `https://slack.test/archives/${channel}/p${ts.replace('.', '')}` },
    rules: () => config,
    now: () => NOW,
  });
}

const add = (fields: Parameters<FakeIntercom['addConversation']>[0]) => String(fake.addConversation(fields).id);

function seed() {
  const ids = {
    mine: add({ subject: 'Mine, oldest', createdAt: ago(90), adminAssigneeId: 991 }),
    unassigned: add({ subject: 'Nobody’s', createdAt: ago(40) }),
    team: add({ subject: 'Team only', createdAt: ago(20), teamAssigneeId: 77 }),
    bobs: add({ subject: 'Bob’s', createdAt: ago(10), adminAssigneeId: 992 }),
    snoozed: add({ subject: 'Snoozed', createdAt: ago(200), state: 'snoozed' }),
    closed: add({ subject: 'Closed', createdAt: ago(300), state: 'closed' }),
    answered: add({ subject: 'Answered', createdAt: ago(400) }),
  };
  const answered = fake.conversations.get(ids.answered);
  if (answered) answered.waiting_since = null;
  return ids;
}

describe('the queue', () => {
  it('lists open, unsnoozed, waiting conversations, longest-waiting first, searching Intercom for exactly those', async () => {
    const ids = seed();
    const page = await queue().page('all', undefined, { offset: 0, limit: 10 });
    expect(page.items.map((i) => i.conversationId)).toEqual([ids.mine, ids.unassigned, ids.team, ids.bobs]);
    expect(page).toMatchObject({ scope: 'all', total: 4, offset: 0, capped: false });
    const search = fake.requests.find((r) => r.path === '/conversations/search');
    expect(search?.body).toEqual({
      query: {
        operator: 'AND',
        value: [
          { field: 'open', operator: '=', value: true },
          { field: 'state', operator: '=', value: 'open' },
          { field: 'waiting_since', operator: '>', value: 0 },
        ],
      },
      pagination: { per_page: 150 },
    });
  });

  it('filters: me is the teammate’s, unassigned has no admin (a team alone counts as unassigned)', async () => {
    const ids = seed();
    const mine = await queue().page('me', '991', { offset: 0, limit: 10 });
    expect(mine.items.map((i) => i.conversationId)).toEqual([ids.mine]);
    const asked = fake.requests.filter((r) => r.path === '/conversations/search').at(-1)?.body as {
      query: { value: unknown[] };
    };
    expect(asked.query.value).toContainEqual({ field: 'admin_assignee_id', operator: '=', value: 991 });
    const unassigned = await queue().page('unassigned', undefined, { offset: 0, limit: 10 });
    expect(unassigned.items.map((i) => i.conversationId)).toEqual([ids.unassigned, ids.team]);
    expect((await queue().page('me', undefined, { offset: 0, limit: 10 })).total).toBe(0);
  });

  it('pages: offset and limit over the ordered list, the total counting them all (several search pages)', async () => {
    const ids = Array.from({ length: 160 }, (_, i) => add({ subject: `n${i}`, createdAt: ago(1000 - i) }));
    const page = await queue().page('all', undefined, { offset: 150, limit: 10 });
    expect(page.total).toBe(160);
    expect(page.items.map((i) => i.conversationId)).toEqual(ids.slice(150, 160));
    const last = await queue().page('all', undefined, { offset: 500, limit: 10 });
    expect(last).toMatchObject({ offset: 160, items: [] });
  });

  it('describes each: title, customer, assignee names, card permalink and Intercom link', async () => {
    const contact = fake.addContact({ name: 'Dana <b>', email: 'dana@example.com' });
    const id = add({ body: '<p>Refund &amp; more</p>', createdAt: ago(30), contactId: String(contact.id) });
    const bob = add({ createdAt: ago(20), adminAssigneeId: 992, body: '<p>Hello there</p>' });
    const team = add({ createdAt: ago(10), teamAssigneeId: 77 });
    cards.set(id, { conversationId: id, channel: 'C0SUPPORT1', ts: '1700000000.000100' });
    const { items } = await queue().page('all', undefined, { offset: 0, limit: 10 });
    expect(items[0]).toMatchObject({
      conversationId: id,
      title: 'Refund & more',
      customer: 'Dana <b>',
      assignee: null,
      cardUrl: 'https://slack.test/archives/C0SUPPORT1/p1700000000000100',
      clock: { kind: 'waiting', ms: 30 * MINUTE },
      since: ago(30) * 1000,
    });
    expect(items[0]?.intercomUrl).toMatch(/^https:\/\/app\.intercom\.com\/a\/inbox\/.+\/conversation\/\d+$/);
    expect(items[1]).toMatchObject({
      conversationId: bob,
      title: 'Hello there',
      assignee: 'Bob <Boss>',
      cardUrl: null,
    });
    expect(items[2]).toMatchObject({ conversationId: team, assignee: 'team Billing' });
  });

  it('measures clocks against the route’s targets: overdue by, due in; without a target, waiting', async () => {
    const old = add({ createdAt: ago(45) });
    const vip = add({ createdAt: ago(10) });
    const fresh = add({ createdAt: ago(5) });
    cards.set(vip, { conversationId: vip, channel: 'C1', ts: '1.1', route: 'vip' });
    config = {
      routes: [{ name: 'vip', channel: 'C1', targets: { firstResponseMs: 5 * MINUTE } } as unknown as RouteRule],
      targets: { firstResponseMs: 30 * MINUTE },
      digests: [],
    };
    const { items } = await queue().page('all', undefined, { offset: 0, limit: 10 });
    expect(items.map((i) => [i.conversationId, i.clock])).toEqual([
      [old, { kind: 'overdue', target: 'first_response', ms: 15 * MINUTE }],
      [vip, { kind: 'overdue', target: 'first_response', ms: 5 * MINUTE }],
      [fresh, { kind: 'due', target: 'first_response', ms: 25 * MINUTE }],
    ]);
  });
});

describe('queueClock and titleOf', () => {
  const conversation = (fields: Record<string, unknown>) =>
    Conversation.parse({ id: '1', state: 'open', open: true, waiting_since: ago(60), ...fields });

  it('is a plain wait without config or without a target for the clock’s kind', () => {
    const c = conversation({});
    expect(queueClock(c, ago(60) * 1000, NOW, undefined, undefined)).toEqual({ kind: 'waiting', ms: 60 * MINUTE });
    const nextOnly: RoutesFileConfig = { routes: [], targets: { nextResponseMs: MINUTE }, digests: [] };
    expect(queueClock(c, ago(60) * 1000, NOW, nextOnly, undefined)).toEqual({ kind: 'waiting', ms: 60 * MINUTE });
  });

  it('falls back from title to subject to the first message, cut to 80 characters', () => {
    expect(titleOf(conversation({ title: 'Title', source: { subject: 'Subject' } }))).toBe('Title');
    expect(titleOf(conversation({ source: { subject: '', body: `<p>${'word '.repeat(40)}</p>` } }))).toHaveLength(80);
    expect(titleOf(conversation({ id: '42' }))).toBe('Conversation 42');
  });
});
