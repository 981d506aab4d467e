import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Directory } from '../../src/bridge/directory.ts';
import {
  allocate,
  assignedQuery,
  Home,
  type HomeScreen,
  type Listed,
  MemoryNotificationPrefs,
  orderListed,
  ROW_BUDGET,
  unassignedQuery,
} from '../../src/bridge/home.ts';
import type { Identity } from '../../src/bridge/identity.ts';
import { Queue } from '../../src/bridge/queue.ts';
import { IntercomClient } from '../../src/intercom/client.ts';
import { noRetryPolicy } from '../../src/intercom/retry.ts';
import type { Conversation } from '../../src/intercom/schemas.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';
import { logSink } from '../support/log-sink.ts';

// The Home tab's use case: what each section lists and in which order, the per-person cache, the debounced
// republish when a conversation changes, and who gets nothing (a guest) or an explanation (no teammate).

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 11, 7, 12, 0);
const ago = (minutes: number) => Math.floor((NOW - minutes * MINUTE) / 1000);

const ALICE = 'U0ALICE01';
const NOBODY = 'U0NOBODY1';
const GUEST = 'U0GUEST01';

let fake: FakeIntercom;
let intercom: IntercomClient;
let published: Array<{ user: string; screen: HomeScreen }>;
let now: number;

beforeEach(async () => {
  fake = await FakeIntercom.start();
  intercom = new IntercomClient({ token: fake.token, baseUrl: fake.url, idempotentRetry: noRetryPolicy });
  fake.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991', teamIds: [77] });
  fake.addAdmin({ name: 'Bob', email: 'bob@example.com', id: '992' });
  fake.addTeam({ name: 'Billing', id: '77' });
  fake.addTeam({ name: 'Sales', id: '78' });
  published = [];
  now = NOW;
});
afterEach(async () => {
  await intercom.close();
  await fake.close();
});

/** Identity as the Home tab asks it: Alice is mapped to 991, Nobody has no teammate, the guest is not ours. */
function identity(): Pick<Identity, 'member' | 'teammate' | 'slackUser' | 'slackUserOf'> {
  return {
    member: async (user) => (user === GUEST ? { refusal: 'not ours' } : { ok: true }),
    teammate: async (user) =>
      user === ALICE
        ? { teammate: { slackUserId: ALICE, adminId: '991', name: 'Alice Admin', timeZone: null } }
        : { refusal: 'No Intercom teammate has your Slack email (nobody@elsewhere.test).' },
    slackUser: async (user) => ({
      id: user,
      name: user,
      email: user === NOBODY ? 'nobody@elsewhere.test' : null,
      timeZone: null,
      isBot: false,
      teamId: 'T1',
      enterpriseId: null,
    }),
    slackUserOf: async (adminId) => (adminId === '991' ? ALICE : null),
  };
}

function home(timing: { cacheMs?: number; debounceMs?: number; recentMs?: number } = {}) {
  const directory = new Directory(intercom);
  const queue = new Queue({
    intercom,
    directory,
    store: { getCard: async () => undefined },
    slack: { permalink: async () => 'https://slack.test/p1' },
    rules: () => ({ routes: [], targets: { firstResponseMs: 60 * MINUTE }, digests: [] }),
    now: () => now,
  });
  return new Home({
    queue,
    identity: identity(),
    directory,
    prefs: new MemoryNotificationPrefs(),
    publish: async (user, screen) => {
      published.push({ user, screen });
    },
    logger: logSink().logger,
    timing,
    now: () => now,
  });
}

const add = (fields: Parameters<FakeIntercom['addConversation']>[0]) => String(fake.addConversation(fields).id);
const searches = () => fake.requests.filter((r) => r.path === '/conversations/search').length;
const last = () => published.at(-1)?.screen;
const ids = (rows: Array<{ conversationId: string }>) => rows.map((r) => r.conversationId);

describe('the Home tab’s lists', () => {
  it('lists what is assigned (open and snoozed) and the teams’ unassigned, longest-waiting first', async () => {
    const mineOld = add({ subject: 'mine old', createdAt: ago(90), adminAssigneeId: 991 });
    const mineNew = add({ subject: 'mine new', createdAt: ago(10), adminAssigneeId: 991 });
    const snoozed = add({ subject: 'mine snoozed', createdAt: ago(300), adminAssigneeId: 991, state: 'snoozed' });
    add({ subject: 'mine closed', createdAt: ago(20), adminAssigneeId: 991, state: 'closed' });
    add({ subject: 'Bob’s', createdAt: ago(30), adminAssigneeId: 992 });
    const billing = add({ subject: 'billing', createdAt: ago(40), teamAssigneeId: 77 });
    add({ subject: 'sales', createdAt: ago(50), teamAssigneeId: 78 });
    add({ subject: 'billing but Bob’s', createdAt: ago(60), teamAssigneeId: 77, adminAssigneeId: 992 });
    add({ subject: 'nobody’s', createdAt: ago(70) });
    await home().opened(ALICE);
    const screen = last();
    if (screen?.kind !== 'queue') throw new Error(`not a queue: ${screen?.kind}`);
    expect(ids(screen.assigned.rows)).toEqual([mineOld, mineNew, snoozed]);
    expect(screen.assigned.rows.map((r) => r.state)).toEqual(['open', 'open', 'snoozed']);
    expect(screen.assigned.rows[0]?.clock).toEqual({ kind: 'overdue', target: 'first_response', ms: 30 * MINUTE });
    expect(screen.assigned.rows[2]?.clock).toBeNull();
    expect(ids(screen.unassigned.rows)).toEqual([billing]);
    expect(screen.unassigned.teams).toEqual(['Billing']);
    expect(screen.notifications).toEqual({ assigned: true, replies: false, due: true });
    expect(screen.assigned.rows[0]?.intercomUrl).toContain(`/conversation/${mineOld}`);
  });

  it('lists all unassigned conversations for someone in no team, and says when there are more than fit', async () => {
    fake.admins.splice(0, 1);
    fake.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
    for (let i = 0; i < 50; i++) add({ subject: `mine ${i}`, createdAt: ago(100 + i), adminAssigneeId: 991 });
    for (let i = 0; i < 30; i++)
      add({ subject: `free ${i}`, createdAt: ago(200 + i), teamAssigneeId: i % 2 ? 78 : null });
    const h = home();
    await h.opened(ALICE);
    let screen = last();
    if (screen?.kind !== 'queue') throw new Error('not a queue');
    expect(screen.unassigned.teams).toEqual([]);
    expect(screen.assigned).toMatchObject({ total: 50, canShowMore: true });
    expect(screen.unassigned).toMatchObject({ total: 30, canShowMore: true });
    expect(screen.assigned.rows).toHaveLength(20);
    expect(screen.unassigned.rows).toHaveLength(10);
    // the oldest first: created 149 minutes ago
    expect(screen.assigned.rows[0]?.title).toBe('mine 49');
    await h.showMore(ALICE, 'assigned');
    await h.showMore(ALICE, 'assigned');
    screen = last();
    if (screen?.kind !== 'queue') throw new Error('not a queue');
    expect(screen.assigned.rows).toHaveLength(ROW_BUDGET - 10);
    expect(screen.assigned.canShowMore).toBe(false);
    expect(screen.unassigned.canShowMore).toBe(false);
  });
});

describe('who sees what', () => {
  it('explains to someone with no teammate why, with their email; a guest gets nothing published', async () => {
    const h = home();
    await h.opened(NOBODY);
    expect(last()).toEqual({
      kind: 'unmapped',
      slackUserId: NOBODY,
      refusal: 'No Intercom teammate has your Slack email (nobody@elsewhere.test).',
      email: 'nobody@elsewhere.test',
    });
    const before = published.length;
    await h.opened(GUEST);
    await h.setNotifications(GUEST, { assigned: false, replies: false, due: false });
    expect(published).toHaveLength(before);
    expect(searches()).toBe(0);
  });

  it('shows Intercom as unavailable rather than an old list when the search fails', async () => {
    fake.fail({ method: 'POST', path: '/conversations/search', status: 500, times: 10 });
    await home().opened(ALICE);
    expect(last()).toEqual({ kind: 'unavailable', slackUserId: ALICE });
  });
});

describe('fresh without hammering Intercom', () => {
  it('a second open within the cache window asks Intercom nothing; after it, it searches again', async () => {
    add({ subject: 'mine', createdAt: ago(10), adminAssigneeId: 991 });
    const h = home({ cacheMs: 10_000 });
    await h.opened(ALICE);
    const first = fake.requests.length;
    expect(searches()).toBe(2);
    now += 9_000;
    await h.opened(ALICE);
    expect(fake.requests.length).toBe(first);
    expect(published).toHaveLength(2);
    now += 2_000;
    await h.opened(ALICE);
    expect(searches()).toBe(4);
  });

  it('stores the notification choice and republishes it from the cache', async () => {
    const h = home();
    await h.opened(ALICE);
    const before = searches();
    await h.setNotifications(ALICE, { assigned: false, replies: true, due: false });
    const screen = last();
    expect(screen?.kind === 'queue' && screen.notifications).toEqual({ assigned: false, replies: true, due: false });
    expect(searches()).toBe(before);
  });

  it('republishes once, debounced, when conversations of a recent viewer change; not for an old viewer', async () => {
    const listed = add({ subject: 'billing', createdAt: ago(40), teamAssigneeId: 77 });
    const h = home({ debounceMs: 30, recentMs: 60_000 });
    await h.opened(ALICE);
    expect(published).toHaveLength(1);
    // assigned to Bob: Alice listed it (unassigned), so her tab changes; Bob never opened his
    await h.conversationChanged(listed, '992');
    await h.conversationChanged(listed, '992');
    await h.conversationChanged('999', '991');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(published).toHaveLength(2);
    now += 61_000;
    await h.conversationChanged(listed, '991');
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(published).toHaveLength(2);
    h.stop();
  });
});

describe('pure parts', () => {
  const conversation = (fields: Partial<Conversation>): Conversation =>
    ({ id: '1', state: 'open', open: true, updated_at: 0, snoozed_until: null, ...fields }) as Conversation;
  const waiting = (since: number) => ({
    conversation: conversation({}),
    since,
    clock: { kind: 'waiting' as const, ms: 0 },
    route: undefined,
  });

  it('orders waiting (oldest wait first), then open nobody waits on (least recently updated), then snoozed', () => {
    const list: Array<Listed & { name: string }> = [
      {
        name: 'snoozed late',
        conversation: conversation({ state: 'snoozed', snoozed_until: 900 }),
        waiting: undefined,
      },
      { name: 'answered new', conversation: conversation({ updated_at: 500 }), waiting: undefined },
      { name: 'waits 5', conversation: conversation({}), waiting: waiting(5) },
      {
        name: 'snoozed soon',
        conversation: conversation({ state: 'snoozed', snoozed_until: 100 }),
        waiting: undefined,
      },
      { name: 'answered old', conversation: conversation({ updated_at: 10 }), waiting: undefined },
      { name: 'waits 1', conversation: conversation({}), waiting: waiting(1) },
    ];
    expect(orderListed(list).map((l) => l.name)).toEqual([
      'waits 1',
      'waits 5',
      'answered old',
      'answered new',
      'snoozed soon',
      'snoozed late',
    ]);
  });

  it('allocates rows within the budget, unassigned first asked', () => {
    expect(allocate({ assigned: 150, unassigned: 3 }, { assigned: 20, unassigned: 10 })).toEqual({
      assigned: 20,
      unassigned: 3,
    });
    expect(allocate({ assigned: 150, unassigned: 30 }, { assigned: 40, unassigned: 10 })).toEqual({
      assigned: 30,
      unassigned: 10,
    });
    expect(allocate({ assigned: 0, unassigned: 0 }, { assigned: 20, unassigned: 10 })).toEqual({
      assigned: 0,
      unassigned: 0,
    });
  });

  it('searches by admin assignee, and by team assignee or all open', () => {
    expect(assignedQuery('991')).toEqual({
      operator: 'AND',
      value: [
        { field: 'open', operator: '=', value: true },
        { field: 'admin_assignee_id', operator: '=', value: 991 },
      ],
    });
    expect(JSON.stringify(unassignedQuery(['77', '78']))).toContain(
      '{"field":"team_assignee_id","operator":"IN","value":[77,78]}',
    );
    expect(JSON.stringify(unassignedQuery([]))).not.toContain('team_assignee_id');
  });
});
