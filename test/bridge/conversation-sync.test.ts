import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClockKeeper, ClockScene } from '../../src/bridge/clocks.ts';
import { ConversationSync, type ConversationSyncDeps, conversationIdOf } from '../../src/bridge/conversation-sync.ts';
import { Directory } from '../../src/bridge/directory.ts';
import { MessageGone, PermanentFailure, RetryLater } from '../../src/bridge/failures.ts';
import type { ClockTimer } from '../../src/bridge/jobs.ts';
import type { CardData, ThreadLine } from '../../src/bridge/model.ts';
import type { RouteDecision, SlackPort } from '../../src/bridge/ports.ts';
import { IntercomClient } from '../../src/intercom/client.ts';
import { IntercomError } from '../../src/intercom/errors.ts';
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
  /** How often the sync searched Slack for a card or a line (it should only after an interrupted attempt). */
  searches = 0;
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
    this.searches += 1;
    return this.cards.find((c) => c.card.conversationId === conversationId)?.ts;
  }
  async findThreadLine(_channel: string, threadTs: string, key: string) {
    this.searches += 1;
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
let sink: ReturnType<typeof logSink>;

beforeEach(async () => {
  fake = await FakeIntercom.start();
  fake.addAdmin({ name: 'Alice', email: 'alice@example.com', id: '991' });
  intercom = new IntercomClient({ token: fake.token, baseUrl: fake.url, idempotentRetry: noRetryPolicy });
  store = new SqliteStore(':memory:');
  slack = new RecordingSlack();
  route = { channel: 'C1' };
  sink = logSink();
});
afterEach(async () => {
  await intercom.close();
  await fake.close();
  await store.close();
});

function sync(maxBackfill?: number, extra: Partial<ConversationSyncDeps> = {}) {
  return new ConversationSync({
    intercom,
    slack,
    store,
    directory: new Directory(intercom),
    route: async () => route,
    logger: sink.logger,
    ...(maxBackfill === undefined ? {} : { maxBackfill }),
    ...extra,
  });
}

/** A webhook notification about conversation `id`, as the worker hands it to the sync. */
function event(topic: string, id: string, notificationId = `notif_${topic}`) {
  const parsed = parseNotification(
    JSON.stringify({
      type: 'notification_event',
      id: notificationId,
      topic,
      created_at: 1_700_000_100,
      data: { item: { type: 'conversation', id } },
    }),
  );
  if (!parsed.ok) throw new Error('bad fixture');
  return parsed.notification;
}

const logged = (msg: string) => sink.lines().filter((l) => l.msg === msg);

describe('ConversationSync', () => {
  it('drops a conversation a routing rule drops, and posts nothing', async () => {
    const c = fake.addConversation({});
    route = { drop: true, rule: 'spam' };
    await sync().sync(String(c.id));
    expect(slack.cards).toEqual([]);
    expect(logged('conversation dropped by a routing rule')).toMatchObject([
      { conversationId: String(c.id), rule: 'spam' },
    ]);
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
    expect(logged('card of a deleted conversation not redrawn: it predates stored cards')).toEqual([]);
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
    expect(logged('found the card an interrupted attempt posted: using it')).toMatchObject([
      { conversationId: id, channel: 'C1' },
    ]);

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

describe('ConversationSync, what each event and part does', () => {
  type Json = Record<string, unknown>;
  const customer = { type: 'user', id: 'u1' };
  const alice = { type: 'admin', id: '991', name: 'Alice' };
  const file = (name: string, url: string | null = `https://files.example/${name}`) => ({
    type: 'upload',
    name,
    url,
    content_type: 'application/pdf',
    filesize: 10,
  });

  it('tells onChanged when the card is new, changed or got a line, and not when nothing changed', async () => {
    const c = fake.addConversation({});
    const id = String(c.id);
    const told: string[] = [];
    const s = sync(undefined, { onChanged: (conversation) => told.push(conversation.id) });
    await s.sync(id);
    await s.sync(id);
    expect(told).toEqual([id]);
    fake.addPart(id, { part_type: 'note', body: '<p>checking</p>', author: alice });
    const updates = slack.updates.length;
    await s.sync(id);
    expect([told.length, slack.updates.length]).toEqual([2, updates]); // a line only
    c.priority = 'priority';
    const lines = slack.lines.length;
    await s.sync(id);
    expect([told.length, slack.lines.length, slack.updates.length]).toEqual([3, lines, updates + 1]); // the card only
    await s.sync(id);
    expect(told).toHaveLength(3);
  });

  it('a card update Slack refuses is an error for the worker to retry, never a second card', async () => {
    const c = fake.addConversation({});
    const id = String(c.id);
    await sync().sync(id);
    c.priority = 'priority';
    const refused = new Error('ratelimited');
    slack.updateCard = async () => {
      throw refused;
    };
    await expect(sync().sync(id)).rejects.toBe(refused);
    expect(slack.cards).toHaveLength(1);
    expect(logged('card was deleted in Slack: posted it again')).toEqual([]);
  });

  it('a card deleted in Slack is posted again and the operator told which', async () => {
    const c = fake.addConversation({});
    const id = String(c.id);
    await sync().sync(id);
    c.priority = 'priority';
    slack.goneOnUpdate = true;
    await sync().sync(id);
    expect(logged('card was deleted in Slack: posted it again')).toMatchObject([{ conversationId: id, channel: 'C1' }]);
  });

  it('conversation.deleted: no fetch, the card redrawn but never posted again, the operator told', async () => {
    const c = fake.addConversation({});
    const id = String(c.id);
    await sync().sync(id);
    const reads = fake.calls('GET', `/conversations/${id}`).length;
    slack.goneOnUpdate = true; // its card was deleted in Slack as well
    await sync().handle(event('conversation.deleted', id));
    expect(fake.calls('GET', `/conversations/${id}`)).toHaveLength(reads);
    expect(slack.cards).toHaveLength(1);
    expect(slack.lines.map((l) => [l.line.kind, l.key])).toEqual([['deleted', 'event:deleted']]);
    expect(logged('conversation deleted in Intercom')).toMatchObject([{ conversationId: id }]);
    expect(logged('card of a deleted conversation not redrawn: it predates stored cards')).toEqual([]);

    await sync().handle(event('conversation.deleted', id));

    // one without a card: nothing to do; one whose card predates stored card data, or whose data cannot be read
    await sync().handle(event('conversation.deleted', 'never-seen'));
    await store.saveCard({ conversationId: 'old', channel: 'C1', ts: '0.1', fingerprint: 'f' });
    await store.saveCard({ conversationId: 'torn', channel: 'C1', ts: '0.2', fingerprint: 'f', shown: '{"conv' });
    await sync().handle(event('conversation.deleted', 'old'));
    await sync().handle(event('conversation.deleted', 'torn'));
    expect(slack.updates).toEqual([]);
    expect(slack.lines.map((l) => l.threadTs)).toEqual(['1.1', '0.1', '0.2']);
    expect(logged('card of a deleted conversation not redrawn: it predates stored cards')).toMatchObject([
      { conversationId: 'old' },
      { conversationId: 'torn' },
    ]);
  });

  it('does not read Intercom for a topic it does not act on, nor for an event without a conversation', async () => {
    const c = fake.addConversation({});
    const before = fake.calls().length;
    await sync().handle(event('contact.user.created', String(c.id)));
    const noConversation = event('conversation.user.created', 'x');
    await sync().handle({ ...noConversation, data: { item: { type: 'contact', id: 'c1' } } });
    expect(fake.calls()).toHaveLength(before);
    expect(slack.cards).toEqual([]);
  });

  it('says who set the priority and shows a rating with its remark, once per event, and only on those events', async () => {
    const contact = fake.addContact({ email: 'dana@example.com', name: 'Dana' });
    const c = fake.addConversation({ contactId: String(contact.id) });
    const id = String(c.id);
    const s = sync();
    await s.sync(id);
    c.priority = 'priority';
    fake.addPart(id, { part_type: 'priority_changed', author: alice });
    await s.handle(event('conversation.priority.updated', id, 'n1'));
    await s.handle(event('conversation.priority.updated', id, 'n1'));
    c.priority = 'not_priority';
    fake.addPart(id, { part_type: 'priority_changed', author: { type: 'admin', id: '992', name: 'Bob' } });
    fake.addPart(id, { part_type: 'comment', body: '<p>thanks</p>', author: { type: 'user', id: 'u', name: 'Dana' } });
    await s.handle(event('conversation.priority.updated', id, 'n2'));
    await s.handle(event('conversation.rating.added', id, 'n3')); // no rating in Intercom yet: nothing
    c.conversation_rating = { rating: 4, remark: 'Quick, thanks', created_at: 1_700_000_000 };
    await s.handle(event('conversation.rating.added', id, 'n4'));
    await s.handle(event('conversation.admin.replied', id, 'n5')); // not a rating event: no rating line
    c.conversation_rating = { rating: 2, remark: null, created_at: 1_700_000_000 };
    await s.handle(event('conversation.rating.added', id, 'n6'));
    const events = slack.lines.filter((l) => l.key?.startsWith('event:'));
    expect(events.map((l) => [l.line.kind, l.line.actor, l.line.detail, l.key])).toEqual([
      ['priority', 'Alice', 'priority', 'event:n1'],
      ['priority', 'Bob', null, 'event:n2'],
      ['rating', 'Dana', '4/5: “Quick, thanks”', 'event:n4'],
      ['rating', 'Dana', '2/5', 'event:n6'],
    ]);
    expect(slack.searches).toBe(0); // a repeated event is known shown: Slack is not asked

    // no part naming who changed it, a part without an author, a rating on a conversation without a contact
    const bare = fake.addConversation({});
    const bareId = String(bare.id);
    await s.sync(bareId);
    await s.handle(event('conversation.priority.updated', bareId, 'n7'));
    fake.addPart(bareId, { part_type: 'priority_changed', author: null });
    await s.handle(event('conversation.priority.updated', bareId, 'n8'));
    bare.conversation_rating = { rating: 5, remark: 'great', created_at: 1_700_000_000 };
    await s.handle(event('conversation.rating.added', bareId, 'n9'));
    expect(slack.lines.slice(-3).map((l) => [l.line.kind, l.line.actor])).toEqual([
      ['priority', null],
      ['priority', null],
      ['rating', null],
    ]);
  });

  it('lines up tags by who applied them, each application once, also a tag applied again later', async () => {
    const c = fake.addConversation({});
    const id = String(c.id);
    const s = sync();
    await s.sync(id);
    fake.applyTag(id, 'vip', '991');
    fake.applyTag(id, 'billing', '991');
    const byContact = fake.applyTag(id, 'auto', undefined);
    const nameless = fake.applyTag(id, 'x', '991');
    nameless.name = '';
    await s.sync(id);
    await s.sync(id);
    const vip = (c.tags as { tags: Json[] }).tags.find((t) => t.name === 'vip');
    if (!vip) throw new Error('no vip tag');
    vip.applied_at = Number(vip.applied_at) + 60; // removed and applied again a minute later
    delete byContact.applied_by;
    const unsigned = fake.applyTag(id, 'imported', undefined);
    delete unsigned.applied_by;
    const blank = fake.applyTag(id, 'y', '992');
    blank.name = ''; // alone in its teammate's group: no line at all
    await s.sync(id);
    expect(slack.lines.map((l) => [l.line.actor, l.line.detail])).toEqual([
      ['Alice', 'vip, billing'],
      [null, 'auto'],
      ['Alice', 'vip'],
      [null, 'imported'],
    ]);
    delete c.tags; // a conversation whose payload has no tags
    await s.sync(id);
    expect(slack.lines).toHaveLength(4);
    const untagged = fake.addConversation({});
    delete untagged.tags;
    await s.sync(String(untagged.id));
    expect(slack.cards.at(-1)?.card.conversationId).toBe(String(untagged.id));
  });

  it('queues a copy of each customer file once, the first message’s too; none of a teammate’s or without a URL', async () => {
    const jobs: Array<{ id: string; payload: Json }> = [];
    const copyFiles = async (job: { id: string; payload: string }) => {
      jobs.push({ id: job.id, payload: JSON.parse(job.payload) as Json });
      return true;
    };
    const c = fake.addConversation({});
    const id = String(c.id);
    (c.source as Json).attachments = [file('first.pdf'), file('gone.pdf', null)];
    const s = sync(undefined, { copyFiles });
    await s.sync(id);
    const theirs = fake.addPart(id, {
      part_type: 'comment',
      body: '<p>here</p>',
      author: customer,
      attachments: [file('a.pdf'), file('b.pdf')],
    });
    fake.addPart(id, { part_type: 'comment', body: '<p>ours</p>', author: alice, attachments: [file('ours.pdf')] });
    await s.sync(id);
    await s.sync(id);
    expect(jobs.map((j) => [j.payload.key, j.payload.name, j.payload.threadTs])).toEqual([
      ['file:source:0', 'first.pdf', '1.1'],
      [`file:${theirs.id}:0`, 'a.pdf', '1.1'],
      [`file:${theirs.id}:1`, 'b.pdf', '1.1'],
    ]);
    // a message a teammate sent first, with files: theirs, not copied
    const outbound = fake.addConversation({ author: alice });
    const outboundSource = outbound.source as Json;
    outboundSource.delivered_as = 'admin_initiated';
    outboundSource.attachments = [file('brochure.pdf')];
    await s.sync(String(outbound.id));
    expect(jobs).toHaveLength(3);
    // without FILES=upload the same conversation only shows its links
    const d = fake.addConversation({});
    fake.addPart(String(d.id), {
      part_type: 'comment',
      body: '<p>x</p>',
      author: customer,
      attachments: [file('c.pdf')],
    });
    await sync().sync(String(d.id));
    expect(slack.lines.at(-1)?.line.attachments).toMatchObject([{ name: 'c.pdf' }]);
  });

  it('FIN_CONVERSATIONS=handoff holds the card while only Fin has it; a channel asked for in Slack posts it anyway', async () => {
    const withFin = (fields: Parameters<typeof fake.addConversation>[0] = {}) => {
      const c = fake.addConversation(fields);
      c.ai_agent_participated = true;
      return String(c.id);
    };
    const handoff = sync(undefined, { finConversations: 'handoff' });
    const held = withFin();
    await handoff.sync(held);
    expect(slack.cards).toEqual([]);
    expect(logged('no card yet: waiting for a handoff to a person')).toMatchObject([
      { conversationId: held, fin: true },
    ]);
    await handoff.sync(held, undefined, { channel: 'C9' });
    await handoff.sync(withFin({ adminAssigneeId: 991 }));
    await sync().sync(withFin());
    await sync().sync(String(fake.addConversation({}).id));
    expect(slack.cards.map((c) => [c.channel, c.card.finHandling])).toEqual([
      ['C9', true],
      ['C1', false], // a person has it
      ['C1', true], // FIN_CONVERSATIONS=show (the default)
      ['C1', false], // no Fin
    ]);
  });

  it('routes with the directory’s names and keeps the rule that carried the card; a channel asked for has none', async () => {
    fake.addTeam({ name: 'Billing', id: '55' });
    fake.companies.push({ type: 'company', id: 'co1', name: 'Acme' });
    let facts: Parameters<ConversationSyncDeps['route']>[0] | undefined;
    const s = sync(undefined, {
      route: async (f) => {
        facts = f;
        return { channel: 'C2', rule: 'vip' };
      },
    });
    const id = String(fake.addConversation({}).id);
    await s.sync(id);
    expect(facts?.conversation.id).toBe(id);
    expect(await facts?.adminName('991')).toBe('Alice');
    expect(await facts?.teamName('55')).toBe('Billing');
    expect(await facts?.company('co1')).toMatchObject({ name: 'Acme' });
    expect(await store.getCard(id)).toMatchObject({ channel: 'C2', route: 'vip' });
    const asked = String(fake.addConversation({}).id);
    await s.sync(asked, undefined, { channel: 'C7' });
    expect((await store.getCard(asked))?.route).toBeUndefined();
    expect(logged('card posted')).toMatchObject([
      { conversationId: id, channel: 'C2', rule: 'vip' },
      { conversationId: asked, channel: 'C7', rule: 'posted from Slack' },
    ]);
    const failing = sync(undefined, {
      route: async () => {
        throw new Error('routes broke');
      },
    });
    await expect(failing.sync(String(fake.addConversation({}).id))).rejects.toThrow('routes broke');
  });

  it('searches Slack only after an interrupted attempt, and posts when that attempt never reached Slack', async () => {
    const id = String(fake.addConversation({}).id);
    await sync().sync(id);
    fake.addPart(id, { part_type: 'comment', body: '<p>more</p>', author: customer });
    fake.addPart(id, { part_type: 'comment', body: '<p>and more</p>', author: customer });
    await sync().sync(id);
    expect(slack.lines).toHaveLength(2);
    expect(slack.searches).toBe(0);

    const other = String(fake.addConversation({}).id);
    const postCard = slack.postCard.bind(slack);
    slack.postCard = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    await expect(sync().sync(other)).rejects.toThrow('ECONNREFUSED');
    slack.postCard = postCard;
    route = { channel: 'C5' }; // routed elsewhere now: nothing was attempted there
    await sync().sync(other);
    expect(slack.searches).toBe(0);
    const third = String(fake.addConversation({}).id);
    slack.postCard = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    await expect(sync().sync(third)).rejects.toThrow('ECONNREFUSED');
    slack.postCard = postCard;
    await sync().sync(third);
    expect(slack.cards.filter((c) => c.card.conversationId === third)).toHaveLength(1);
    expect(slack.searches).toBe(1);
    expect(logged('found the card an interrupted attempt posted: using it')).toEqual([]);
  });

  it('shows a conversation whose contact list, contact’s company or workspace cannot be read', async () => {
    const noCompanies = fake.addContact({ email: 'e@example.com', name: 'Eve' });
    delete noCompanies.companies;
    const emptyCompanies = fake.addContact({ email: 'f@example.com', companies: { type: 'list', data: [] } });
    const a = fake.addConversation({ contactId: String(noCompanies.id) });
    const b = fake.addConversation({ contactId: String(emptyCompanies.id) });
    const noContacts = fake.addConversation({});
    delete noContacts.contacts;
    for (const c of [a, b, noContacts]) await sync().sync(String(c.id));
    expect(slack.cards.map((c) => c.card.contact.company)).toEqual([null, null, null]);
    expect(fake.calls('GET', /^\/contacts\//)).toHaveLength(2); // none for the conversation without one

    fake.companies.push({ type: 'company', id: 'co1', name: 'Acme' });
    const withCompany = fake.addContact({
      email: 'g@example.com',
      companies: { type: 'list', data: [{ type: 'company', id: 'co1' }] },
    });
    fake.fail({ method: 'GET', path: /^\/companies\//, status: 500, times: 5 });
    fake.fail({ method: 'GET', path: '/me', status: 500, times: 5 });
    await sync().sync(String(fake.addConversation({ contactId: String(withCompany.id) }).id));
    expect(slack.cards.at(-1)?.card).toMatchObject({
      contact: { email: 'g@example.com', company: null },
      intercomUrl: null,
    });
  });

  it('names an assignment’s assignee, or says which one it could not name', async () => {
    fake.addTeam({ name: 'Billing', id: '55' });
    const id = String(fake.addConversation({}).id);
    const targets = [null, { type: 'team', id: '55' }, { type: 'team', id: '77' }, { type: 'admin', id: '5' }];
    for (const to of [...targets, { type: 'admin', id: '991' }, { id: '6' }])
      fake.addPart(id, { part_type: 'assignment', author: alice, assigned_to: to });
    fake.addPart(id, { part_type: 'close', author: null, assigned_to: { type: 'admin', id: '991' } });
    await sync().sync(id);
    expect(slack.lines.map((l) => [l.line.kind, l.line.detail])).toEqual([
      ['assignment', null],
      ['assignment', 'Billing'],
      ['assignment', 'team 77'],
      ['assignment', 'admin 5'],
      ['assignment', 'Alice'],
      ['assignment', 'admin 6'], // no type: a teammate, as Intercom assigns to admins by default
      ['close', undefined],
    ]);
  });

  it('gives a card’s data for a preview; a directory Intercom cannot answer is an error to retry', async () => {
    const id = String(fake.addConversation({ subject: 'Preview me' }).id);
    expect(await sync().cardData(id)).toMatchObject({ conversationId: id, subject: 'Preview me' });
    await expect(sync().cardData('nope')).rejects.toBeInstanceOf(IntercomError);
    fake.fail({ method: 'GET', path: '/admins', status: 500, times: 5 });
    const assigned = String(fake.addConversation({ adminAssigneeId: 991 }).id);
    await expect(sync().sync(assigned)).rejects.toBeInstanceOf(RetryLater);
    expect(slack.cards).toEqual([]);
  });

  it('hands the clocks the card’s scene and the notifier each part it posted', async () => {
    const view = { phase: 'waiting', target: 'first_response', dueAt: 1_900_000_000 } as const;
    const clock = { running: false, stop: 'closed' } as const;
    const settled: Array<{ scene: ClockScene; clock: unknown; timer: unknown }> = [];
    const clocks = {
      read: (_conversation: unknown, _parts: unknown, route: string | null | undefined) => ({
        clock,
        view: route === 'timed' ? view : undefined,
      }),
      settle: async (scene: ClockScene, given: unknown, timer: unknown) => {
        settled.push({ scene, clock: given, timer });
        await scene.postLine('clock:warned', { kind: 'earlier', actor: null, detail: 'clock' });
        await scene.mark('clock:queued');
        expect([scene.has('clock:warned'), scene.has('clock:queued'), scene.has('clock:other')]).toEqual([
          true,
          true,
          false,
        ]);
      },
    } as unknown as ClockKeeper;
    const posted: Array<{ conversation: string; card: string; part: string }> = [];
    const notifier = {
      partPosted: async (
        scene: { conversation: { id: string }; card: { ts: string }; data: CardData },
        part: { id: string },
      ) => {
        expect(scene.data.conversationId).toBe(scene.conversation.id);
        posted.push({ conversation: scene.conversation.id, card: scene.card.ts, part: part.id });
      },
    };
    route = { channel: 'C1', rule: 'timed' };
    const id = String(fake.addConversation({}).id);
    const reply = fake.addPart(id, { part_type: 'comment', body: '<p>hi</p>', author: { type: 'user', id: 'u1' } });
    const timer = { since: 1, target: 'first_response', phase: 'warn', dueAt: 2 } as unknown as ClockTimer;
    await sync(undefined, { clocks, notifier }).sync(id, undefined, { timer });
    expect(slack.cards[0]?.card).toMatchObject({ conversationId: id, clock: view, contact: expect.anything() });
    expect(settled).toHaveLength(1);
    expect(settled[0]).toMatchObject({ clock, timer, scene: { conversation: { id }, card: { ts: '1.1' } } });
    expect(settled[0]?.scene.parts.map((p) => p.id)).toContain(reply.id);
    expect(settled[0]?.scene.data).toMatchObject({ clock: view });
    expect(slack.lines.map((l) => l.key)).toContain('clock:warned');
    expect([...(await store.shownParts(id))]).toEqual(expect.arrayContaining(['clock:warned', 'clock:queued']));
    expect(posted).toEqual([{ conversation: id, card: '1.1', part: reply.id }]);
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
    expect(conversationIdOf(n({ type: 'conversation' }))).toBeNull();
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
