import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConversationSync,
  cardDataOf,
  conversationIdOf,
  lineKind,
  originOf,
  partContext,
  partLineOf,
} from '../../src/bridge/conversation-sync.ts';
import { Directory } from '../../src/bridge/directory.ts';
import { MessageGone, PermanentFailure, RetryLater } from '../../src/bridge/failures.ts';
import type { CardData, ThreadLine } from '../../src/bridge/model.ts';
import type { RouteDecision, SlackPort } from '../../src/bridge/ports.ts';
import { IntercomClient } from '../../src/intercom/client.ts';
import { noRetryPolicy } from '../../src/intercom/retry.ts';
import {
  type Contact,
  Conversation,
  type ConversationPart,
  conversationParts,
  parseLenient,
} from '../../src/intercom/schemas.ts';
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

describe('conversationIdOf and lineKind', () => {
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

  it.each([
    [{ part_type: 'comment', author: { type: 'admin' } }, 'teammate_reply'],
    [{ part_type: 'comment', author: { type: 'bot' } }, 'bot_reply'],
    [{ part_type: 'comment', author: { type: 'lead' } }, 'customer_reply'],
    [{ part_type: 'default_assignment' }, 'assignment'],
    [{ part_type: 'open' }, 'open'],
    [{ part_type: 'timer_unsnooze' }, 'unsnooze'],
    [{ part_type: 'participant_added' }, undefined],
  ])('%o → %s', (part, kind) => {
    expect(lineKind({ id: '1', ...part } as ConversationPart)).toBe(kind);
  });
});

describe('cardDataOf', () => {
  const names = { admin: 'Alice', team: 'Billing', company: 'Acme', workspaceId: 'w1' };
  const conversation = (fields: Record<string, unknown> = {}) =>
    ({
      id: '42',
      state: 'snoozed',
      priority: 'priority',
      snoozed_until: 1_800_000_000,
      created_at: 1_700_000_000,
      source: {
        subject: 'Refund',
        body: '<p>Where is it?</p>',
        attachments: [{ name: 'a.png', url: 'https://x.test/a.png' }, {}],
        author: { type: 'lead', name: 'Lee', email: 'lee@x.test' },
      },
      tags: { tags: [{ id: 't1', name: 'VIP' }, { id: 't2' }] },
      ...fields,
    }) as unknown as Conversation;

  it('shows the conversation with the names found, in the order its fingerprint is taken', () => {
    const contact = { id: 'c1', name: 'Dana', email: 'dana@acme.test' } as Contact;
    // the fingerprint is a digest of this JSON: a change of order or of a field reposts every card once
    expect(JSON.stringify(cardDataOf(conversation(), contact, names))).toBe(
      JSON.stringify({
        conversationId: '42',
        title: null,
        subject: 'Refund',
        bodyHtml: '<p>Where is it?</p>',
        attachments: [
          { name: 'a.png', url: 'https://x.test/a.png' },
          { name: null, url: null },
        ],
        contact: { name: 'Dana', email: 'dana@acme.test', phone: null, company: 'Acme' },
        origin: { kind: 'customer', by: null },
        state: 'snoozed',
        snoozedUntil: 1_800_000_000,
        assignee: { admin: 'Alice', team: 'Billing' },
        priority: true,
        tags: ['VIP'],
        createdAt: 1_700_000_000,
        intercomUrl: 'https://app.intercom.com/a/inbox/w1/inbox/shared/all/conversation/42',
      }),
    );
  });

  it('shows an unknown state as open, and no link without a workspace', () => {
    const data = cardDataOf(conversation({ state: 'pending', source: undefined, tags: undefined }), undefined, {
      ...names,
      workspaceId: '',
    });
    expect(data).toMatchObject({ state: 'open', subject: null, bodyHtml: null, attachments: [], tags: [] });
    expect(data.intercomUrl).toBeNull();
    expect(data.createdAt).toBe(1_700_000_000);
    expect(cardDataOf(conversation({ created_at: undefined, state: 'closed' }), undefined, names)).toMatchObject({
      state: 'closed',
      createdAt: 0,
    });
  });

  it.each([
    ['lead', { name: 'Lee', email: 'lee@x.test' }],
    ['user', { name: 'Lee', email: 'lee@x.test' }],
    ['admin', { name: null, email: null }],
    ['bot', { name: null, email: null }],
  ])('without a contact, names the first message’s author when a %s wrote it', (type, shown) => {
    const c = conversation();
    const source = { ...c.source, author: { type, name: 'Lee', email: 'lee@x.test' } };
    expect(cardDataOf({ ...c, source } as Conversation, undefined, names).contact).toEqual({
      ...shown,
      phone: null,
      company: 'Acme',
    });
  });

  it('reads a lead with `name: null` and `email: ""` (a real Fin conversation) as nameless, not as an empty name', () => {
    const real = JSON.parse(
      readFileSync(
        new URL(
          '../fixtures/intercom/real/webhook-conversation-operator-replied-fin-lead-no-name.json',
          import.meta.url,
        ),
        'utf8',
      ),
    ) as { data: { item: { source: { author: unknown } } } };
    const c = conversation();
    const source = { ...c.source, author: real.data.item.source.author };
    const lead = { id: 'l1', name: null, email: '' } as unknown as Contact;
    expect(cardDataOf({ ...c, source } as Conversation, lead, names).contact).toEqual({
      name: null,
      email: null,
      phone: null,
      company: 'Acme',
    });
  });

  it('takes what the contact has, and the author only for what it lacks', () => {
    const contact = { id: 'c1', name: null, email: 'dana@acme.test' } as unknown as Contact;
    expect(cardDataOf(conversation(), contact, names).contact).toEqual({
      name: 'Lee',
      email: 'dana@acme.test',
      phone: null,
      company: 'Acme',
    });
  });
});

/** A conversation from the real corpus (test/fixtures/intercom/real, sources in SOURCES.md), as the client parses it. */
function realConversation(file: string): Conversation {
  const json = JSON.parse(readFileSync(new URL(`../fixtures/intercom/real/${file}`, import.meta.url), 'utf8'));
  const item = json.type === 'notification_event' ? json.data.item : json;
  const parsed = parseLenient(Conversation, item);
  if (!parsed.success) throw new Error(`${file} does not parse as a conversation`);
  return parsed.data;
}

function linesOf(conversation: Conversation): ThreadLine[] {
  const parts = conversationParts(conversation);
  const card = cardDataOf(conversation, undefined, { admin: null, team: null, company: null, workspaceId: '' });
  const context = partContext(conversation, parts, card);
  return parts.map((p) => partLineOf(p, context));
}

describe('who began it, and who did what in each part (real payloads)', () => {
  it.each([
    ['api-conversation-admin-initiated-with-fin-parts.json', { kind: 'teammate', by: 'Ciaran1 Lee' }],
    ['doc-schema-conversation-operator-initiated-fin.json', { kind: 'bot', by: 'Ciaran1 Lee' }],
    ['webhook-conversation-operator-replied-fin-lead-no-name.json', { kind: 'customer', by: null }],
    ['api-conversation-email-with-history.json', { kind: 'customer', by: null }],
    ['api-conversation-automated-airbyte.json', { kind: 'automated', by: 'Airbyte Team' }],
  ])('%s began as %o', (file, origin) => {
    const conversation = realConversation(file);
    expect(originOf(conversation)).toEqual({ ...origin, by: origin.by === null ? null : expect.any(String) });
  });

  it.each([
    ['automated', 'automated'],
    ['campaigns_initiated', 'outbound'],
    ['admin_initiated', 'teammate'],
    ['operator_initiated', 'bot'],
    ['customer_initiated', 'customer'],
  ])('delivered_as %s is a conversation the %s began', (deliveredAs, kind) => {
    const conversation = realConversation('api-conversation-admin-initiated-with-fin-parts.json');
    const source = { ...conversation.source, delivered_as: deliveredAs };
    expect(originOf({ ...conversation, source }).kind).toBe(kind);
  });

  it('without delivered_as (older shapes), goes by the first message’s author', () => {
    const conversation = realConversation('api-conversation-admin-initiated-with-fin-parts.json');
    const author = (type: string) => ({ ...conversation.source, delivered_as: null, author: { type, name: 'N' } });
    expect(originOf({ ...conversation, source: author('admin') })).toEqual({ kind: 'teammate', by: 'N' });
    expect(originOf({ ...conversation, source: author('bot') })).toEqual({ kind: 'bot', by: 'N' });
    expect(originOf({ ...conversation, source: author('lead') })).toEqual({ kind: 'customer', by: null });
  });

  it('an open part with a customer’s message is their reply, reopening the conversation', () => {
    const [line] = linesOf(realConversation('api-conversation-user-reply-open-part.json'));
    expect(line).toMatchObject({
      kind: 'customer_reply',
      actor: 'Joe Bloggs',
      bodyHtml: '<p>Thanks again :)</p>',
      reopened: true,
    });
  });

  it('an open part with a teammate’s message is their reply; an empty one is a plain reopen', () => {
    const [reply] = linesOf(realConversation('webhook-v1-conversation-part-tag-created.json'));
    expect(reply).toMatchObject({ kind: 'teammate_reply', actor: 'Andy', reopened: true });
    const [reopen] = linesOf(realConversation('api-conversation-open-part.json'));
    expect(reopen).toMatchObject({ kind: 'open' });
    expect(reopen?.reopened).toBeUndefined();
  });

  it('a close part keeps the message it carries', () => {
    const [line] = linesOf(realConversation('api-conversation-close-part-with-body.json'));
    expect(line).toMatchObject({ kind: 'close', bodyHtml: expect.stringContaining('Goodbye') });
  });

  it('a quick reply part is a line, with the options when Intercom sends them', () => {
    const conversation = realConversation('api-conversation-quick-reply-part.json');
    expect(linesOf(conversation)[0]).toMatchObject({ kind: 'quick_reply', side: 'teammate', options: [] });
    const raw = conversation.conversation_parts?.conversation_parts[0] as Record<string, unknown>;
    // the options as the reply request documents them (OpenAPI 2.16, admin_quick_reply_reply)
    raw.reply_options = [
      { text: 'Yes', uuid: 'a5e1' },
      { text: 'No', uuid: 'f4a9' },
    ];
    expect(linesOf(conversation)[0]?.options).toEqual(['Yes', 'No']);
    raw.author = { type: 'user', name: 'Joe' };
    raw.reply_options = [{ text: 'Yes', uuid: 'a5e1' }];
    expect(linesOf(conversation)[0]).toMatchObject({ side: 'customer', actor: 'Joe', options: ['Yes'] });
  });

  it('each snooze line has its own time: only the current snooze shows the conversation’s snoozed_until', () => {
    const conversation = realConversation('api-conversation-snoozed-part.json');
    const current = linesOf(conversation).find((l) => l.kind === 'snooze');
    expect(current?.until).toBe(conversation.snoozed_until);
    expect(current?.until).toBeGreaterThan(0);
    // the same snooze, followed by a reopen: an old snooze, whose time the conversation no longer holds
    const raw = conversation.conversation_parts?.conversation_parts as Array<Record<string, unknown>>;
    raw.push({ type: 'conversation_part', id: '999', part_type: 'open', body: null, author: { type: 'admin' } });
    const old = linesOf({ ...conversation, state: 'open' }).find((l) => l.kind === 'snooze');
    expect(old?.until).toBeNull();
  });

  it('cuts quoted e-mail history from the first message and replies, not from notes, and says it did', () => {
    const conversation = realConversation('api-conversation-email-with-history.json');
    const source = conversation.source as NonNullable<Conversation['source']> & {
      email_message_metadata: { history: string };
    };
    // the reply as it reaches workspaces whose e-mail bodies still hold the quoted thread
    const quoted = `${source.body}${source.email_message_metadata.history}`;
    const names = { admin: null, team: null, company: null, workspaceId: '' };
    const card = cardDataOf({ ...conversation, source: { ...source, body: quoted } }, undefined, names);
    expect(card).toMatchObject({ bodyHtml: '<p>This is the message body</p>', bodyTrimmed: true });
    expect(cardDataOf(conversation, undefined, names).bodyTrimmed).toBeUndefined();
    const context = partContext(conversation, [], card);
    const reply = { id: '1', part_type: 'comment', body: quoted, author: { type: 'lead' } } as ConversationPart;
    expect(partLineOf(reply, context)).toMatchObject({ bodyHtml: '<p>This is the message body</p>', trimmed: true });
    const note = partLineOf({ ...reply, part_type: 'note', author: { type: 'admin' } }, context);
    expect(note).toMatchObject({ bodyHtml: quoted });
    expect(note.trimmed).toBeUndefined();
  });

  it('a nameless customer’s part is named as the card names them', () => {
    const conversation = realConversation('webhook-conversation-operator-replied-fin-lead-no-name.json');
    const parts = [
      { id: '1', part_type: 'comment', body: '<p>hi</p>', author: { type: 'lead', name: null, email: '' } },
    ];
    const card = { contact: { name: null, email: null, phone: '+44 20 7946 0000', company: null } };
    const context = partContext(conversation, parts as ConversationPart[], card as CardData);
    expect(partLineOf(parts[0] as ConversationPart, context).actor).toBe('+44 20 7946 0000');
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
