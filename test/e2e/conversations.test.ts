import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/intercom/webhooks.ts';
import { CHANNEL, CLIENT_SECRET, Harness } from '../support/harness.ts';

// Signed Intercom webhooks into the running bridge over real HTTP; Slack and Intercom are loopback fakes.

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

/** A customer starts a conversation in the fake Intercom; returns the webhook Intercom would send. */
function newConversation(fields: { subject?: string; body?: string } = {}) {
  const contact = h.intercom.addContact({ email: 'dana@acme.test', name: 'Dana Customer' });
  const conversation = h.intercom.addConversation({
    contactId: String(contact.id),
    subject: fields.subject ?? 'Export is empty',
    body: fields.body ?? '<p>Hi, the <b>CSV export</b> is empty.</p>',
  });
  const id = String(conversation.id);
  return { id, created: h.notification('conversation.user.created', { type: 'conversation', id }) };
}

const text = (blocks: unknown) => JSON.stringify(blocks);

describe('the webhook endpoint', () => {
  it('answers HEAD (Intercom checks the URL with it)', async () => {
    h = await Harness.start();
    const res = await fetch(`${h.url}/intercom/webhooks`, { method: 'HEAD' });
    expect(res.status).toBe(200);
  });

  it('refuses forged, missing and stale signatures, and stores nothing', async () => {
    h = await Harness.start();
    const { created } = newConversation();
    expect((await h.webhook(created, { signature: null })).status).toBe(401);
    expect(
      (await h.webhook(created, { signature: signWebhook(JSON.stringify(created), 'not-the-secret') })).status,
    ).toBe(401);
    expect((await h.webhook(created, { signature: `sha1=${'0'.repeat(40)}` })).status).toBe(401);
    const stale = { ...created, created_at: Math.floor(Date.now() / 1000) - 3 * 24 * 3600 };
    expect((await h.webhook(stale)).status).toBe(401);
    expect(await h.bridge?.store.inboxStats(Date.now())).toEqual({ pending: 0, parked: 0, oldestPendingMs: null });
    expect(h.slack.callsOf('chat.postMessage')).toEqual([]);
  });

  it('refuses malformed JSON and non-notifications with 400, and oversized bodies with 413', async () => {
    h = await Harness.start();
    expect((await h.webhook(undefined, { raw: '{"type": "notification_event", ' })).status).toBe(400);
    const wrong = await h.webhook({ type: 'notification_event', topic: 'conversation.user.created' });
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body ?? '{}').problems.join(' ')).toMatch(/id: /);
    const huge = JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) });
    expect((await h.webhook(undefined, { raw: huge })).status).toBe(413);
    expect((await h.bridge?.store.inboxStats(Date.now()))?.pending).toBe(0);
  });

  it('answers ping and logs it', async () => {
    h = await Harness.start();
    const res = await h.webhook(h.notification('ping', { type: 'ping', message: 'hello' }));
    expect(res.status).toBe(200);
    expect(h.sink.lines().some((l) => l.msg === 'Intercom ping received')).toBe(true);
  });

  it('refuses webhooks plainly when no client secret is configured', async () => {
    h = await Harness.start({ env: { INTERCOM_CLIENT_SECRET: '' } });
    const { created } = newConversation();
    expect((await h.webhook(created)).status).toBe(503);
  });
});

describe('cards', () => {
  it('posts a card for a new conversation in the channel, with its content and buttons', async () => {
    h = await Harness.start();
    const { id, created } = newConversation();
    expect(await h.webhook(created)).toEqual({ status: 200, body: '{"ok":true,"duplicate":false}' });
    const [card] = await h.eventually(() => {
      const cards = h.cards();
      expect(cards).toHaveLength(1);
      return cards;
    });
    expect(card?.channel).toBe(CHANNEL);
    expect(card?.text).toBe('New conversation from Dana Customer: Export is empty');
    const blocks = text(card?.blocks);
    expect(blocks).toContain('Hi, the *CSV export* is empty.');
    expect(blocks).toContain('*Dana Customer* · dana@acme.test');
    expect(blocks).toContain(`reply:${id}`);
    expect(blocks).toContain(`https://app.intercom.com/a/inbox/wsp1test/inbox/shared/all/conversation/${id}`);
    await h.drained(); // the card is saved just after Slack has it
    expect(await h.bridge?.store.getCard(id)).toMatchObject({ channel: CHANNEL, ts: card?.ts });
  });

  it('renders hostile customer text inert', async () => {
    h = await Harness.start();
    const { created } = newConversation({
      subject: '<!channel> urgent',
      body: '<p>&lt;!here&gt; &lt;@U0BOSS&gt; &lt;https://evil.example|your bank&gt; <a href="javascript:x()">click</a></p>',
    });
    await h.webhook(created);
    const [card] = await h.eventually(() => {
      expect(h.cards()).toHaveLength(1);
      return h.cards();
    });
    const mrkdwn = text(card?.blocks).replace(/"plain_text","text":"[^"]*"/g, '');
    expect(mrkdwn).not.toMatch(/<(?!!date\^)[!@#]/);
    expect(mrkdwn).toContain('&lt;!here&gt;');
    expect(mrkdwn).not.toContain('<https://evil');
    expect(card?.text).not.toContain('<!channel>');
  });

  it('makes one card from a duplicate delivery', async () => {
    h = await Harness.start();
    const { created } = newConversation();
    expect(JSON.parse((await h.webhook(created)).body ?? '{}').duplicate).toBe(false);
    expect(JSON.parse((await h.webhook(created)).body ?? '{}').duplicate).toBe(true);
    await h.drained();
    expect(h.cards()).toHaveLength(1);
  });

  it('makes one card from two concurrent deliveries for one conversation', async () => {
    h = await Harness.start();
    const { id, created } = newConversation();
    h.intercom.addPart(id, {
      part_type: 'comment',
      body: '<p>anyone?</p>',
      author: { type: 'user', id: 'x', name: 'Dana Customer' },
    });
    const replied = h.notification('conversation.user.replied', { type: 'conversation', id });
    const results = await Promise.all([h.webhook(created), h.webhook(replied)]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    await h.drained();
    expect(h.cards()).toHaveLength(1);
    expect(h.threadOf(h.cards()[0]?.ts ?? '').map((m) => m.text)).toEqual([expect.stringContaining('anyone?')]);
  });

  it('a reply that arrives before its conversation was announced gets a card first, then its line', async () => {
    h = await Harness.start();
    const { id, created } = newConversation();
    h.intercom.addPart(id, {
      part_type: 'comment',
      body: '<p>hello?</p>',
      author: { type: 'user', id: 'x', name: 'Dana Customer' },
    });
    await h.webhook(h.notification('conversation.user.replied', { type: 'conversation', id }));
    await h.drained();
    await h.webhook(created); // late: must not make a second card
    await h.drained();
    const cards = h.cards();
    expect(cards).toHaveLength(1);
    expect(h.threadOf(cards[0]?.ts ?? '').map((m) => m.text)).toEqual(['💬 *Dana Customer* replied:\nhello?']);
  });

  it('posts channel_not_found deliveries to the parked pile, with a log line', async () => {
    h = await Harness.start({ env: { SLACK_CHANNEL: 'C0GONE000' } });
    const { created } = newConversation();
    await h.webhook(created);
    await h.eventually(async () => expect((await h.bridge?.store.inboxStats(Date.now()))?.parked).toBe(1));
    expect(h.sink.lines().find((l) => l.msg === 'delivery parked: it will not be retried')).toMatchObject({
      err: { message: expect.stringMatching(/^Slack refused: channel_not_found/) },
    });
  });

  it('joins a public channel it is not in, then posts', async () => {
    h = await Harness.start();
    h.slack.addChannel({ id: CHANNEL, name: 'support', botIsMember: false });
    await h.webhook(newConversation().created);
    await h.eventually(() => expect(h.cards()).toHaveLength(1));
    expect(h.slack.callsOf('conversations.join')).toHaveLength(1);
  });
});

describe('Slack failing', () => {
  it('a 429 with Retry-After is waited out and the card posted exactly once', async () => {
    h = await Harness.start();
    h.slack.fail({ method: 'chat.postMessage', status: 429, retryAfter: 1 });
    await h.webhook(newConversation().created);
    await h.eventually(() => expect(h.cards()).toHaveLength(1));
    await h.drained();
    expect(h.slack.callsOf('chat.postMessage')).toHaveLength(2);
    expect(h.cards()).toHaveLength(1);
  });

  it('a 500 is retried and the card posted exactly once', async () => {
    h = await Harness.start();
    h.slack.fail({ method: 'chat.postMessage', status: 500, times: 2 });
    await h.webhook(newConversation().created);
    await h.eventually(() => expect(h.cards()).toHaveLength(1), 15_000);
    await h.drained();
    expect(h.slack.callsOf('chat.postMessage')).toHaveLength(3);
  });
});

describe('the thread follows the conversation', () => {
  it('shows replies, notes, assignment and close in order, and updates the card in place', async () => {
    h = await Harness.start();
    const { id, created } = newConversation();
    await h.webhook(created);
    await h.drained();
    const alice = { type: 'admin', id: '991', name: 'Alice Admin', email: 'alice@example.com' };
    h.intercom.addPart(id, {
      part_type: 'comment',
      body: '<p>Still empty</p>',
      author: { type: 'user', id: 'x', name: 'Dana Customer' },
    });
    h.intercom.addPart(id, { part_type: 'note', body: '<p>Checking the export job</p>', author: alice });
    h.intercom.addPart(id, { part_type: 'assignment', author: alice, assigned_to: { type: 'admin', id: '991' } });
    h.intercom.addPart(id, { part_type: 'comment', body: '<p>Fixed, please retry</p>', author: alice });
    h.intercom.addPart(id, { part_type: 'close', author: alice });
    Object.assign(h.intercom.conversations.get(id) ?? {}, { state: 'closed', open: false, admin_assignee_id: 991 });
    await h.webhook(h.notification('conversation.admin.closed', { type: 'conversation', id }));
    await h.drained();

    const [card] = h.cards();
    expect(h.threadOf(card?.ts ?? '').map((m) => m.text)).toEqual([
      '💬 *Dana Customer* replied:\nStill empty',
      '📝 *Alice Admin* added a note:\nChecking the export job',
      '👤 *Alice Admin* assigned the conversation to *Alice Admin*',
      '↩️ *Alice Admin* replied to the customer:\nFixed, please retry',
      '✅ *Alice Admin* closed the conversation',
    ]);
    expect(h.slack.callsOf('chat.update')).toHaveLength(1);
    expect(text(card?.blocks)).toContain('⚪ Closed');
    expect(text(card?.blocks)).toContain('👤 Alice Admin');
    expect(text(card?.blocks)).toContain(`reopen:${id}`);

    // the same event again changes nothing
    await h.webhook(h.notification('conversation.admin.closed', { type: 'conversation', id }));
    await h.drained();
    expect(h.threadOf(card?.ts ?? '')).toHaveLength(5);
    expect(h.slack.callsOf('chat.update')).toHaveLength(1);
  });

  it('adds lines for priority and rating, once each, and marks a deleted conversation', async () => {
    h = await Harness.start();
    const { id, created } = newConversation();
    await h.webhook(created);
    await h.drained();
    const conversation = h.intercom.conversations.get(id) as {
      conversation_parts?: { conversation_parts?: unknown[] };
    };
    // the part Intercom records for a priority change, as a real conversation.priority.updated carries it
    const real = JSON.parse(
      readFileSync(
        new URL('../fixtures/intercom/real/webhook-conversation-priority-updated.json', import.meta.url),
        'utf8',
      ),
    ) as { data: { item: { conversation_parts: { conversation_parts: unknown[] } } } };
    const changed = real.data.item.conversation_parts.conversation_parts[0];
    Object.assign(conversation, {
      priority: 'priority',
      conversation_rating: { rating: 5, remark: 'great help' },
      conversation_parts: {
        type: 'conversation_part.list',
        conversation_parts: [...(conversation.conversation_parts?.conversation_parts ?? []), changed],
      },
    });
    // explicit times: the worker orders a conversation's events by created_at, and a second boundary crossed
    // between building two notifications would otherwise reorder them
    const at = Math.floor(Date.now() / 1000);
    const priority = h.notification('conversation.priority.updated', { type: 'conversation', id }, { created_at: at });
    await h.webhook(priority);
    await h.webhook(h.notification('conversation.rating.added', { type: 'conversation', id }, { created_at: at + 1 }));
    await h.webhook({ ...priority, id: `${priority.id}-again`, created_at: at + 2, delivery_attempts: 2 });
    await h.drained();
    h.intercom.conversations.delete(id);
    await h.webhook(h.notification('conversation.deleted', { type: 'conversation', id }));
    await h.drained();
    const [card] = h.cards();
    expect(h.threadOf(card?.ts ?? '').map((m) => m.text)).toEqual([
      '⭐ *John Doe* marked the conversation as priority',
      '🌟 *Dana Customer* rated the conversation 5/5: “great help”',
      '⭐ *John Doe* marked the conversation as priority',
      '🗑️ The conversation was deleted in Intercom',
    ]);
    expect(text(card?.blocks)).toContain('⭐ Priority');
  });

  it('keeps threading under the same card after a restart', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bridge-e2e-')), 'bridge.db');
    h = await Harness.start({ databaseUrl: `sqlite:${file}` });
    const { id, created } = newConversation();
    await h.webhook(created);
    await h.drained();
    await h.bridge?.stop();
    h.bridge = undefined;

    await h.startBridge();
    h.intercom.addPart(id, {
      part_type: 'comment',
      body: '<p>after restart</p>',
      author: { type: 'user', id: 'x', name: 'Dana Customer' },
    });
    await h.webhook(h.notification('conversation.user.replied', { type: 'conversation', id }));
    await h.drained();
    const cards = h.cards();
    expect(cards).toHaveLength(1);
    expect(h.threadOf(cards[0]?.ts ?? '').map((m) => m.text)).toEqual(['💬 *Dana Customer* replied:\nafter restart']);
    expect(CLIENT_SECRET).toBeTruthy();
  });
});

describe('routing rules', () => {
  it('sends a conversation to the channel of the first matching rule, drops what a rule drops', async () => {
    const routes = join(mkdtempSync(join(tmpdir(), 'bridge-routes-')), 'routes.yml');
    writeFileSync(
      routes,
      [
        'routes:',
        '  - name: spam',
        '    match: { words: casino }',
        '    drop: true',
        '  - name: vip',
        '    match: { tag: vip }',
        '    channel: C0VIP0001',
      ].join('\n'),
    );
    h = await Harness.start({ env: { ROUTES_FILE: routes } });
    h.slack.addChannel({ id: 'C0VIP0001', name: 'vip' });
    const vip = h.intercom.addConversation({ subject: 'Renewal', tags: ['VIP'] });
    const spam = h.intercom.addConversation({ subject: 'Casino bonus for you' });
    const plain = h.intercom.addConversation({ subject: 'Question' });
    for (const c of [vip, spam, plain]) {
      await h.webhook(h.notification('conversation.user.created', { type: 'conversation', id: String(c.id) }));
    }
    await h.drained();
    expect(h.cards().map((m) => [m.channel, m.text.split(': ')[1]])).toEqual(
      expect.arrayContaining([
        ['C0VIP0001', 'Renewal'],
        [CHANNEL, 'Question'],
      ]),
    );
    expect(h.cards()).toHaveLength(2);
    expect(h.sink.lines().find((l) => l.msg === 'conversation dropped by a routing rule')).toMatchObject({
      rule: 'spam',
    });
  });
});

describe('catch-up', () => {
  it('finds a conversation whose webhook never came, and one that changed, without doubling anything', async () => {
    h = await Harness.start();
    const { id, created } = newConversation();
    await h.webhook(created);
    await h.drained();
    const missed = h.intercom.addConversation({ subject: 'Webhook lost on the way' });
    h.intercom.addPart(id, {
      part_type: 'comment',
      body: '<p>reply whose webhook was lost</p>',
      author: { type: 'user', id: 'x', name: 'Dana Customer' },
    });

    expect(await h.bridge?.catchUp.run()).toBe(2);
    await h.drained();
    expect(
      h
        .cards()
        .map((m) => m.text.split(': ')[1])
        .sort(),
    ).toEqual(['Export is empty', 'Webhook lost on the way']);
    const first = h.cards().find((m) => m.text.endsWith('Export is empty'));
    expect(h.threadOf(first?.ts ?? '').map((m) => m.text)).toEqual([
      '💬 *Dana Customer* replied:\nreply whose webhook was lost',
    ]);

    expect(await h.bridge?.catchUp.run()).toBe(0); // nothing new: nothing queued
    expect(String(missed.id)).toBeTruthy();
  });

  it('drives the bridge alone when there is no webhook secret', async () => {
    h = await Harness.start({ env: { INTERCOM_CLIENT_SECRET: '', INTERCOM_POLL_INTERVAL: '10' } });
    expect(h.sink.lines().some((l) => String(l.msg).startsWith('no INTERCOM_CLIENT_SECRET'))).toBe(true);
    h.intercom.addConversation({ subject: 'Polled in' });
    await h.bridge?.catchUp.run();
    await h.eventually(() => expect(h.cards()).toHaveLength(1));
  });
});
