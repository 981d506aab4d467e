import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeHTMLStrict } from 'entities/decode';
import { afterEach, describe, expect, it } from 'vitest';
import { messageProblems } from '../support/block-kit-check.ts';
import type { SlackCall } from '../support/fake-slack.ts';
import { Harness } from '../support/harness.ts';
import { OpenApiContract } from '../support/openapi-contract.ts';
import { SHARED_DIR, sharedAvailable } from '../support/shared.ts';

// Every payload of the real corpus (test/fixtures/intercom/real, each with its source in SOURCES.md) through the
// running bridge: as the webhook it is, or, for API bodies, as the conversation a sync fetches — by webhook and by
// catch-up. Whatever Intercom sent, the bridge answers 2xx, hands Slack only valid, inert Block Kit with no HTML
// and no double escaping, names the right actor for each part, and asks Intercom only what its OpenAPI allows.

type Json = Record<string, unknown>;

const DIR = new URL('../fixtures/intercom/real/', import.meta.url);
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (file: string): Json => JSON.parse(readFileSync(new URL(file, DIR), 'utf8'));

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const seconds = (v: unknown) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);

/**
 * What GET /conversations/{id} (2.x) answers for a conversation a fixture shows. Legacy (1.x) items
 * (`conversation_message`, `user`, `assignee`) are read into the 2.x shape field by field; their parts, which are
 * the same in both, are kept as they are.
 */
function asConversation(item: Json): Json | undefined {
  if (item.type !== 'conversation' || item.id === undefined || item.id === null) return undefined;
  if (!isObj(item.conversation_message)) {
    return item.source || item.conversation_parts ? { ...item, id: String(item.id) } : undefined;
  }
  const message = item.conversation_message;
  const user = isObj(item.user) ? item.user : {};
  const assignee = isObj(item.assignee) ? item.assignee : {};
  return {
    type: 'conversation',
    id: String(item.id),
    created_at: seconds(item.created_at),
    updated_at: seconds(item.updated_at),
    state: item.state ?? (item.open ? 'open' : 'closed'),
    open: item.open,
    snoozed_until: seconds(item.snoozed_until) ?? null,
    admin_assignee_id: assignee.type === 'admin' ? assignee.id : null,
    source: {
      type: message.type,
      subject: message.subject,
      body: message.body,
      author: message.author,
      attachments: message.attachments ?? [],
    },
    contacts: { type: 'contact.list', contacts: user.id ? [{ type: 'contact', id: String(user.id) }] : [] },
    conversation_parts: item.conversation_parts,
    tags: item.tags,
  };
}

/** The conversations a fixture holds: a webhook's item, an API body, or each of a list's. */
function conversationsIn(doc: Json): Json[] {
  if (doc.type === 'notification_event') {
    const item = isObj(doc.data) && isObj(doc.data.item) ? doc.data.item : {};
    return [asConversation(item)].filter((c): c is Json => c !== undefined);
  }
  if (Array.isArray(doc.conversations)) return doc.conversations.flatMap((c) => (isObj(c) ? conversationsIn(c) : []));
  return [asConversation(doc)].filter((c): c is Json => c !== undefined);
}

function partsOf(conversation: Json): Json[] {
  const list = isObj(conversation.conversation_parts) ? conversation.conversation_parts.conversation_parts : [];
  return Array.isArray(list) ? list.filter(isObj) : [];
}

const hasText = (body: unknown) => typeof body === 'string' && body.replace(/<[^>]*>/g, '').trim() !== '';

/** The headline a part's line must start with, by part type and author, written from Intercom's docs; none: no line. */
function expectedHeadline(part: Json): RegExp | undefined {
  const author = isObj(part.author) ? part.author : {};
  const side = author.type === 'admin' ? 'teammate' : author.type === 'bot' ? 'bot' : 'customer';
  const reply = { customer: /^💬 .* replied/u, teammate: /^↩️ .* replied to the customer/u, bot: /^🤖 .* replied/u }[
    side
  ];
  switch (part.part_type) {
    case 'comment':
      return reply;
    case 'open':
      return hasText(part.body) ? new RegExp(`${reply.source}, reopening the conversation:`, 'u') : /^🔓 .* reopened/u;
    case 'note':
      return /^📝 .* added a note/u;
    case 'assignment':
    case 'default_assignment':
    case 'away_mode_assignment':
    case 'assign_and_reopen':
      return /^👤 .* (assigned|unassigned) the conversation/u;
    case 'close':
      return /^✅ .* closed the conversation/u;
    case 'snoozed':
      return /^💤 .* snoozed the conversation/u;
    case 'unsnoozed':
    case 'timer_unsnooze':
      return /^⏰ /u;
    case 'quick_reply':
      return side === 'customer' ? /^💬 .* chose/u : /^🔘 .* (offered|asked)/u;
    default:
      return undefined;
  }
}

/** A name as the line must show it: Intercom's escaping undone once, Slack's applied once. */
const shownName = (name: string) =>
  decodeHTMLStrict(name).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const RAW_HTML = /<\/?(?:p|div|br|span|b|strong|i|em|ul|ol|li|img|table|tr|td|blockquote|html|body|h[1-6])\b/i;
const SHOWN_HTML = /&lt;\/?(?:p|div|br|span|b|strong|ul|ol|li|img|table|tr|td|blockquote|html|body)\b/i;
const DOUBLE_ESCAPED = /&amp;(?:amp|lt|gt|quot|#\d+);/;

/** Everything wrong with what the bridge asked Slack to show. */
function slackProblems(calls: SlackCall[]): string[] {
  const problems: string[] = [];
  for (const call of calls) {
    const text = String(call.args.text ?? '');
    const blocks = Array.isArray(call.args.blocks) ? call.args.blocks : [];
    const where = `${call.method} ${text.slice(0, 60)}`;
    for (const p of messageProblems({ text, blocks })) problems.push(`${where}: ${p}`);
    const json = JSON.stringify({ text, blocks });
    if (RAW_HTML.test(json)) problems.push(`${where}: raw HTML ${json.match(RAW_HTML)?.[0]}`);
    if (SHOWN_HTML.test(json)) problems.push(`${where}: HTML shown as text ${json.match(SHOWN_HTML)?.[0]}`);
    if (DOUBLE_ESCAPED.test(json)) problems.push(`${where}: escaped twice ${json.match(DOUBLE_ESCAPED)?.[0]}`);
  }
  return problems;
}

/** Each thread line posted for a part, checked against the part it was posted for. */
function actorProblems(h: Harness, parts: Map<string, Json>): { problems: string[]; checked: number } {
  const problems: string[] = [];
  let checked = 0;
  for (const message of h.slack.messages) {
    const payload =
      isObj(message.metadata) && isObj(message.metadata.event_payload) ? message.metadata.event_payload : {};
    const part = parts.get(String(payload.key));
    if (!part || message.threadTs === undefined) continue;
    checked += 1;
    const expected = expectedHeadline(part);
    const author = isObj(part.author) ? part.author : {};
    if (!expected) problems.push(`part ${part.id} (${part.part_type}) got a line: ${message.text}`);
    else if (!expected.test(message.text)) problems.push(`part ${part.id} (${part.part_type}): ${message.text}`);
    const name = typeof author.name === 'string' && author.name.trim() ? shownName(author.name) : undefined;
    const named = part.part_type === 'unsnoozed' || part.part_type === 'timer_unsnooze';
    if (name && !named && !message.text.includes(`*${name}*`)) {
      problems.push(`part ${part.id}: actor ${name} not named in ${message.text.split('\n')[0]}`);
    }
  }
  return { problems, checked };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const now = () => Math.floor(Date.now() / 1000);

describe('the real corpus through the running bridge', () => {
  it('holds at least 30 payloads, each with its source', () => {
    const sources = readFileSync(new URL('SOURCES.md', DIR), 'utf8');
    expect(FILES.length).toBeGreaterThanOrEqual(30);
    for (const file of FILES) expect(sources, file).toContain(`\`${file}\``);
  });

  it('answers every webhook 2xx, and turns each conversation into valid cards and truthful lines', async () => {
    h = await Harness.start();
    const harness = h;
    const parts = new Map<string, Json>();
    const statuses: string[] = [];
    for (const file of FILES) {
      const doc = load(file);
      for (const conversation of conversationsIn(doc)) {
        harness.intercom.conversations.set(String(conversation.id), conversation);
        for (const part of partsOf(conversation)) parts.set(String(part.id), part);
      }
      // as Intercom would send it now: a day-old notification is refused as a replay
      const envelope =
        doc.type === 'notification_event'
          ? { ...doc, created_at: now() }
          : harness.notification('conversation.user.replied', {
              type: 'conversation',
              id: conversationsIn(doc)[0]?.id,
            });
      if (doc.type !== 'notification_event' && !conversationsIn(doc).length) continue; // contacts, tickets: no webhook
      const answer = await harness.webhook(envelope);
      if (answer.status < 200 || answer.status > 299) statuses.push(`${file}: ${answer.status} ${answer.body}`);
    }
    expect(statuses).toEqual([]);
    await harness.drained(20_000);

    const calls = [...harness.slack.callsOf('chat.postMessage'), ...harness.slack.callsOf('chat.update')];
    expect(slackProblems(calls)).toEqual([]);
    const { problems, checked } = actorProblems(harness, parts);
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
    expect(harness.cards().length).toBeGreaterThanOrEqual(15);
    expect(harness.errorLines(0)).toEqual([]);

    if (sharedAvailable('the OpenAPI check of the corpus run')) {
      const contract = new OpenApiContract(join(SHARED_DIR, 'intercom-openapi', '2.14', 'api.intercom.io.yaml'));
      const violations = harness.intercom.requests
        .map((req) => ({ req: `${req.method} ${req.path}`, errors: contract.validate(req).errors }))
        .filter((r) => r.errors.length);
      expect(violations).toEqual([]);
    }
  }, 60_000);

  it('finds the same conversations by catch-up, with the same checks', async () => {
    h = await Harness.start();
    const harness = h;
    const parts = new Map<string, Json>();
    let seeded = 0;
    for (const file of FILES) {
      for (const conversation of conversationsIn(load(file))) {
        // changed a minute ago: within the first look back (15 minutes)
        harness.intercom.conversations.set(String(conversation.id), { ...conversation, updated_at: now() - 60 });
        for (const part of partsOf(conversation)) parts.set(String(part.id), part);
        seeded += 1;
      }
    }
    expect(await harness.bridge?.catchUp.run()).toBe(new Set([...harness.intercom.conversations.keys()]).size);
    await harness.drained(20_000);
    const calls = [...harness.slack.callsOf('chat.postMessage'), ...harness.slack.callsOf('chat.update')];
    expect(slackProblems(calls)).toEqual([]);
    expect(actorProblems(harness, parts).problems).toEqual([]);
    expect(harness.cards().length).toBeGreaterThanOrEqual(Math.min(seeded, 15));
    expect(harness.errorLines(0)).toEqual([]);
  }, 60_000);

  it.each(FILES.filter((f) => load(f).topic === 'conversation.deleted'))(
    '%s: the card of the deleted conversation says so and loses its buttons',
    async (file) => {
      h = await Harness.start();
      const harness = h;
      const doc = load(file);
      const item = (doc.data as { item: Json }).item;
      const id = String(item.conversation_id ?? item.id);
      const contact = harness.intercom.addContact({ email: 'dana@acme.test', name: 'Dana Customer' });
      const conversation = harness.intercom.addConversation({
        contactId: String(contact.id),
        subject: 'Export is empty',
      });
      harness.intercom.conversations.delete(String(conversation.id));
      harness.intercom.conversations.set(id, { ...conversation, id });
      await harness.webhook(harness.notification('conversation.user.created', { type: 'conversation', id }));
      await harness.drained();
      harness.intercom.conversations.delete(id);
      expect((await harness.webhook({ ...doc, created_at: now() })).status).toBe(200);
      await harness.drained();
      const [card] = harness.cards();
      const blocks = JSON.stringify(card?.blocks);
      expect(blocks).toContain('Deleted in Intercom');
      expect(blocks).toContain('Export is empty');
      expect(card?.blocks.some((b) => (b as Json).type === 'actions')).toBe(false);
      expect(harness.threadOf(card?.ts ?? '').map((m) => m.text)).toEqual([
        '🗑️ The conversation was deleted in Intercom',
      ]);
    },
  );
});
