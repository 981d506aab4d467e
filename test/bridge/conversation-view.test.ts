import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cardDataOf, lineKind, originOf, partContext, partLineOf } from '../../src/bridge/conversation-view.ts';
import type { CardData, ThreadLine } from '../../src/bridge/model.ts';
import {
  type Contact,
  Conversation,
  type ConversationPart,
  conversationParts,
  parseLenient,
} from '../../src/intercom/schemas.ts';

describe('lineKind', () => {
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

describe('partContext and partLineOf, field by field', () => {
  const card = (contact: Partial<CardData['contact']> = {}) =>
    ({ contact: { name: 'Dana', email: 'dana@x.test', phone: '+1 555', company: null, ...contact } }) as CardData;
  const snoozed = { id: '9', state: 'snoozed', snoozed_until: 1_900_000_000 } as Conversation;
  const part = (fields: Record<string, unknown>) => ({ id: String(fields.id ?? '1'), ...fields }) as ConversationPart;
  const snooze = part({ id: 's', part_type: 'snoozed', author: { type: 'admin', name: 'Alice' } });

  it('the current snooze is the last state change, if a snooze, while the conversation is snoozed', () => {
    const comment = part({ id: 'c', part_type: 'comment', body: '<p>later</p>', author: { type: 'user' } });
    expect(partContext(snoozed, [snooze, comment], card()).currentSnoozeId).toBe('s');
    expect(partContext({ ...snoozed, state: 'open' }, [snooze], card()).currentSnoozeId).toBeNull();
    expect(partContext(snoozed, [], card())).toMatchObject({ currentSnoozeId: null, snoozedUntil: 1_900_000_000 });
    for (const after of ['open', 'close', 'timer_unsnooze', 'unsnoozed', 'assign_and_reopen']) {
      const change = part({ id: 'x', part_type: after, author: { type: 'admin' } });
      expect(partContext(snoozed, [snooze, change], card()).currentSnoozeId, after).toBeNull();
    }
  });

  it('names a nameless customer by the card’s name, else e-mail, else phone; a blank name is no name', () => {
    const context = (contact: Partial<CardData['contact']>) => partContext(snoozed, [], card(contact));
    expect(context({}).customer).toBe('Dana');
    expect(context({ name: null }).customer).toBe('dana@x.test');
    expect(context({ name: null, email: null }).customer).toBe('+1 555');
    const said = (author: Record<string, unknown>) =>
      partLineOf(part({ part_type: 'comment', body: '<p>x</p>', author }), context({})).actor;
    expect(['user', 'lead', 'contact'].map((type) => said({ type }))).toEqual(['Dana', 'Dana', 'Dana']);
    expect(said({ type: 'user', name: '   ', email: 'e@x.test' })).toBe('e@x.test');
    expect(said({ type: 'admin' })).toBeNull();
  });

  it('gives a part only the fields of its kind: reopened, options, until', () => {
    const context = partContext(snoozed, [snooze], card());
    const reply = partLineOf(part({ part_type: 'comment', body: '<p>x</p>', author: { type: 'user' } }), context);
    expect(reply).not.toHaveProperty('reopened');
    expect(reply).not.toHaveProperty('until');
    expect(reply).not.toHaveProperty('options');
    expect(partLineOf(snooze, context).until).toBe(1_900_000_000);
    const quick = part({
      part_type: 'quick_reply',
      author: { type: 'admin' },
      reply_options: [{ text: ' Yes ' }, { text: '' }, { text: null }, { text: 'No' }],
    });
    expect(partLineOf(quick, context).options).toEqual(['Yes', 'No']);
    expect(partLineOf(part({ part_type: 'quick_reply', reply_options: null }), context).options).toEqual([]);
    expect(partLineOf(part({ part_type: 'comment', attachments: null }), context).attachments).toEqual([]);
    expect(partLineOf(part({ part_type: 'participant_added' }), context).kind).toBe('note');
  });

  it('reads parts without an author, blank bodies and every assignment and unsnooze type', () => {
    const kinds = [
      [{ part_type: 'comment', author: null }, 'customer_reply'],
      [{ part_type: 'open', body: '<p>back</p>', author: null }, 'customer_reply'],
      [{ part_type: 'open', body: '   ' }, 'open'],
      [{ part_type: 'assignment' }, 'assignment'],
      [{ part_type: 'away_mode_assignment' }, 'assignment'],
      [{ part_type: 'assign_and_reopen' }, 'assignment'],
      [{ part_type: 'unsnoozed' }, 'unsnooze'],
      [{ part_type: 'note' }, 'note'],
      [{ part_type: 'close' }, 'close'],
    ] as const;
    expect(kinds.map(([fields]) => lineKind(part(fields)))).toEqual(kinds.map(([, kind]) => kind));
  });

  it('a conversation a teammate started is theirs, whoever its source names as author', () => {
    const conversation = {
      id: '1',
      source: { delivered_as: 'admin_initiated', author: { type: 'user', name: 'Customer' } },
    } as Conversation;
    expect(originOf(conversation)).toEqual({ kind: 'teammate', by: 'Customer' });
  });
});
