import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConversationSync, conversationIdOf } from '../../src/bridge/conversation-sync.ts';
import { Directory } from '../../src/bridge/directory.ts';
import { MessageGone, PermanentFailure, RetryLater } from '../../src/bridge/failures.ts';
import type { CardData, ThreadLine } from '../../src/bridge/model.ts';
import type { RouteDecision, SlackPort } from '../../src/bridge/ports.ts';
import { IntercomClient } from '../../src/intercom/client.ts';
import { noRetryPolicy } from '../../src/intercom/retry.ts';
import { parseNotification } from '../../src/intercom/webhooks.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';
import { logSink } from '../support/log-sink.ts';

/** A SlackPort that records what the bridge asked for (the Web API side has its own tests). */
class RecordingSlack implements SlackPort {
  readonly cards: Array<{ channel: string; card: CardData; ts: string }> = [];
  readonly updates: Array<{ ts: string; card: CardData }> = [];
  readonly lines: Array<{ threadTs: string; line: ThreadLine; key?: string | undefined }> = [];
  goneOnUpdate = false;
  #n = 0;
  async postCard(channel: string, card: CardData) {
    this.#n += 1;
    const ts = `1.${this.#n}`;
    this.cards.push({ channel, card, ts });
    return { ts };
  }
  async updateCard(_channel: string, ts: string, card: CardData) {
    if (this.goneOnUpdate) throw new MessageGone();
    this.updates.push({ ts, card });
  }
  async postThreadLine(_channel: string, threadTs: string, line: ThreadLine, key?: string) {
    this.lines.push({ threadTs, line, key });
  }
  async findCard(_channel: string, conversationId: string) {
    return this.cards.find((c) => c.card.conversationId === conversationId)?.ts;
  }
  async findThreadLine(_channel: string, threadTs: string, key: string) {
    return this.lines.some((l) => l.threadTs === threadTs && l.key === key);
  }
  async user() {
    return null;
  }
  async tellUser() {}
  async dm() {}
  async permalink() {
    return '';
  }
  async react() {}
  async userIdByEmail() {
    return null;
  }
  async postEscalation() {
    return { ts: '9.9' };
  }
  async updateEscalation() {}
  async findEscalation() {
    return undefined;
  }
  readonly uploads: Array<{ threadTs: string; filename: string; bytes: Buffer; key?: string | undefined }> = [];
  async uploadToThread(_channel: string, threadTs: string, file: { filename: string; bytes: Buffer }, key?: string) {
    this.uploads.push({ threadTs, filename: file.filename, bytes: file.bytes, key });
    return { fileId: `F${this.uploads.length}` };
  }
}

let fake: FakeIntercom;
let intercom: IntercomClient;
let store: SqliteStore;
let slack: RecordingSlack;
let route: RouteDecision;

beforeEach(async () => {
  fake = await FakeIntercom.start();
  fake.addAdmin({ name: 'Alice', email: 'alice@example.com', id: '991' });
  intercom = new IntercomClient({ token: fake.token, baseUrl: fake.url, idempotentRetry: noRetryPolicy });
  store = new SqliteStore(':memory:');
  slack = new RecordingSlack();
  route = { channel: 'C1' };
});
afterEach(async () => {
  await intercom.close();
  await fake.close();
  await store.close();
});

function sync(maxBackfill?: number) {
  return new ConversationSync({
    intercom,
    slack,
    store,
    directory: new Directory(intercom),
    route: async () => route,
    logger: logSink().logger,
    ...(maxBackfill === undefined ? {} : { maxBackfill }),
  });
}

describe('ConversationSync', () => {
  it('drops a conversation a routing rule drops, and posts nothing', async () => {
    const c = fake.addConversation({});
    route = { drop: true, rule: 'spam' };
    await sync().sync(String(c.id));
    expect(slack.cards).toEqual([]);
    expect(await store.getCard(String(c.id))).toBeUndefined();
  });

  it('on a new card for a long conversation shows only the latest parts and says how many are older', async () => {
    const c = fake.addConversation({});
    for (let i = 0; i < 7; i++)
      fake.addPart(String(c.id), { part_type: 'comment', body: `m${i}`, author: { type: 'user', id: 'u' } });
    fake.addPart(String(c.id), { part_type: 'conversation_attribute_updated_by_admin' });
    await sync(3).sync(String(c.id));
    expect(slack.lines.map((l) => l.line.kind)).toEqual([
      'earlier',
      'customer_reply',
      'customer_reply',
      'customer_reply',
    ]);
    expect(slack.lines[0]?.line.detail).toBe('4');
    expect(slack.lines.at(-1)?.line.bodyHtml).toBe('m6');
  });

  it('falls back to the message author when the contact is gone', async () => {
    const c = fake.addConversation({
      contactId: undefined,
      author: { type: 'lead', id: 'x', name: 'Lee', email: 'lee@x.test' },
    });
    (c.contacts as { contacts: unknown[] }).contacts.push({ type: 'contact', id: 'deleted-contact' });
    await sync().sync(String(c.id));
    expect(slack.cards[0]?.card.contact).toEqual({ name: 'Lee', email: 'lee@x.test', phone: null, company: null });
  });

  it('shows the company and team names, and the snooze', async () => {
    const company = { type: 'company', id: 'co1', name: 'Acme' };
    fake.companies.push(company);
    const contact = fake.addContact({
      email: 'd@acme.test',
      name: 'Dana',
      companies: { type: 'list', data: [{ type: 'company', id: 'co1' }] },
    });
    const team = fake.addTeam({ name: 'Billing', id: '55' });
    const c = fake.addConversation({
      contactId: String(contact.id),
      state: 'snoozed',
      teamAssigneeId: Number(team.id),
    });
    c.snoozed_until = 1_900_000_000;
    fake.addPart(String(c.id), {
      part_type: 'assignment',
      author: { type: 'admin', id: '991', name: 'Alice' },
      assigned_to: { type: 'team', id: '55' },
    });
    fake.addPart(String(c.id), { part_type: 'snoozed', author: { type: 'admin', id: '991', name: 'Alice' } });
    await sync().sync(String(c.id));
    expect(slack.cards[0]?.card).toMatchObject({
      contact: { name: 'Dana', email: 'd@acme.test', company: 'Acme' },
      assignee: { admin: null, team: 'Billing' },
      state: 'snoozed',
      snoozedUntil: 1_900_000_000,
    });
    expect(slack.lines.map((l) => [l.line.kind, l.line.detail ?? l.line.until])).toEqual([
      ['assignment', 'Billing'],
      ['snooze', 1_900_000_000],
    ]);
  });

  it('posts the card again when the old one was deleted in Slack', async () => {
    const c = fake.addConversation({});
    await sync().sync(String(c.id));
    c.state = 'closed';
    slack.goneOnUpdate = true;
    await sync().sync(String(c.id));
    expect(slack.cards.map((p) => p.ts)).toEqual(['1.1', '1.2']);
    expect((await store.getCard(String(c.id)))?.ts).toBe('1.2');
  });

  it('redraws the card of a conversation deleted in Intercom from what it showed: deleted, no buttons; once', async () => {
    const c = fake.addConversation({ subject: 'Refund please' });
    const id = String(c.id);
    await sync().sync(id);
    fake.conversations.delete(id);
    const parsed = parseNotification(
      JSON.stringify({
        type: 'notification_event',
        id: 'notif_del',
        topic: 'conversation.deleted',
        created_at: 1_700_000_100,
        data: { item: { type: 'conversation', conversation_id: id } },
      }),
    );
    if (!parsed.ok) throw new Error('bad fixture');
    const deleted = parsed.notification;
    await sync().handle(deleted);
    await sync().handle(deleted);
    expect(slack.updates).toHaveLength(1);
    expect(slack.updates[0]?.card).toMatchObject({ conversationId: id, subject: 'Refund please', deleted: true });
    expect(slack.lines.filter((l) => l.line.kind === 'deleted')).toHaveLength(1);
    // a later event for it (a 404 now) changes nothing more
    await sync().sync(id);
    expect(slack.updates).toHaveLength(1);
  });

  it('sorts Intercom failures: 5xx retries later, a refused token is permanent', async () => {
    const c = fake.addConversation({});
    fake.fail({ method: 'GET', path: `/conversations/${c.id}`, status: 503 });
    await expect(sync().sync(String(c.id))).rejects.toBeInstanceOf(RetryLater);
    fake.fail({ method: 'GET', path: `/conversations/${c.id}`, status: 401 });
    await expect(sync().sync(String(c.id))).rejects.toBeInstanceOf(PermanentFailure);
    fake.fail({ method: 'GET', path: /^\/contacts\//, status: 500 });
    const withContact = fake.addConversation({ contactId: String(fake.addContact({ email: 'a@b.c' }).id) });
    await expect(sync().sync(String(withContact.id))).rejects.toBeInstanceOf(RetryLater);
  });

  it('never posts a card or a line twice when an attempt dies after Slack took the message', async () => {
    const c = fake.addConversation({ subject: 'Crash' });
    const id = String(c.id);
    // Slack takes the message, then the answer never arrives (the process died, the connection dropped)
    const lost = new Error('socket hang up');
    const postCard = slack.postCard.bind(slack);
    slack.postCard = async (channel, card) => {
      await postCard(channel, card);
      throw lost;
    };
    await expect(sync().sync(id)).rejects.toBe(lost);
    slack.postCard = postCard;
    await sync().sync(id);
    expect(slack.cards).toHaveLength(1);
    expect((await store.getCard(id))?.ts).toBe(slack.cards[0]?.ts);

    fake.addPart(id, { part_type: 'comment', body: '<p>Again?</p>', author: { type: 'user', name: 'Dana' } });
    const postLine = slack.postThreadLine.bind(slack);
    slack.postThreadLine = async (...args) => {
      await postLine(...args);
      throw lost;
    };
    await expect(sync().sync(id)).rejects.toBe(lost);
    slack.postThreadLine = postLine;
    await sync().sync(id);
    await sync().sync(id);
    expect(slack.lines.filter((l) => l.line.bodyHtml === '<p>Again?</p>')).toHaveLength(1);
  });

  it('lines up a newly applied tag once, and ignores topics it does not handle', async () => {
    const c = fake.addConversation({ tags: ['existing'] });
    const s = sync();
    await s.sync(String(c.id));
    fake.applyTag(String(c.id), 'vip', '991');
    const raw = JSON.stringify({
      type: 'notification_event',
      id: 'notif_tag_1',
      topic: 'conversation_part.tag.created',
      created_at: 1,
      data: { item: { type: 'conversation_part', id: '9', conversation_id: c.id, tags: { tags: [{ name: 'vip' }] } } },
    });
    const parsed = parseNotification(raw);
    if (!parsed.ok) throw new Error('bad fixture');
    await s.handle(parsed.notification);
    await s.handle(parsed.notification);
    expect(slack.lines.map((l) => [l.line.kind, l.line.actor, l.line.detail])).toEqual([['tag', 'Alice', 'vip']]);
    await s.handle({ ...parsed.notification, topic: 'contact.user.created' });
    expect(slack.lines).toHaveLength(1);
  });
});

describe('conversationIdOf', () => {
  const n = (item: Record<string, unknown>) => ({
    type: 'notification_event' as const,
    id: 'x',
    topic: 't',
    data: { item: { type: 'x', ...item } },
  });
  it('finds the conversation of an event', () => {
    expect(conversationIdOf(n({ type: 'conversation', id: '5' }))).toBe('5');
    expect(conversationIdOf(n({ type: 'conversation_part', id: '9', conversation_id: 7 }))).toBe('7');
    expect(conversationIdOf(n({ type: 'contact', id: 'c' }))).toBeNull();
  });
});

describe('Directory', () => {
  it('caches names, refreshes on an unknown id at most every missMs, and asks /me once', async () => {
    let now = 0;
    const directory = new Directory(intercom, { now: () => now, ttlMs: 60_000, missMs: 1_000 });
    expect(await directory.adminName('991')).toBe('Alice');
    expect(await directory.adminName('991')).toBe('Alice');
    expect(await directory.adminName('404')).toBeNull(); // within missMs: no reload
    expect(fake.calls('GET', '/admins')).toHaveLength(1);
    now = 2_000;
    fake.addAdmin({ name: 'Bob', email: 'bob@example.com', id: '404' });
    expect(await directory.adminName('404')).toBe('Bob');
    expect(fake.calls('GET', '/admins')).toHaveLength(2);
    expect(await directory.adminName('0')).toBeNull();
    expect(await directory.teamName(null)).toBeNull();
    expect(await directory.workspaceId()).toBe('wsp1test');
    expect(await directory.workspaceId()).toBe('wsp1test');
    expect(fake.calls('GET', '/me')).toHaveLength(1);
    fake.companies.push({ type: 'company', id: 'co9', name: 'Initech' });
    expect(await directory.companyName('co9')).toBe('Initech');
    expect(await directory.companyName('co9')).toBe('Initech');
    expect(fake.calls('GET', '/companies/co9')).toHaveLength(1);
  });
});
