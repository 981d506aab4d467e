import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RoutesFileConfig } from '../../src/bridge/targets.ts';
import { Harness } from '../support/harness.ts';
import { createSchema, dropSchemas, freshSchema, postgresAvailable, schemaUrl } from '../support/postgres.ts';

// Response clocks through the running bridge with targets of seconds: a waiting conversation gets its warning,
// its miss (in the thread and the escalation channel) and its repeats, each once; a teammate's reply stops the
// clock and the escalation says so; snoozed and closed conversations are never warned.

const ALERTS = 'C0ALERTS01';
const SECOND = 1000;

/** first_response 3 s, warned 2 s before (at 1 s), raised again every 2 s, escalated to ALERTS with the on-call group. */
const routesFile: RoutesFileConfig = {
  routes: [],
  targets: {
    firstResponseMs: 3 * SECOND,
    nextResponseMs: 3 * SECOND,
    warnBeforeMs: 2 * SECOND,
    repeatEveryMs: 2 * SECOND,
    escalate: { channel: ALERTS, mention: ['S0ONCALL01'] },
  },
  digests: [],
};

const now = () => Math.floor(Date.now() / 1000);

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.reverse()) await h.stop().catch(() => {});
  harnesses = [];
});

async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start({
    routesFile,
    seed: (_intercom, slack) => {
      slack.addChannel({ id: ALERTS, name: 'alerts' });
      slack.addUser({ id: 'U0ALICE01', name: 'Alice Admin', email: 'alice@example.com' });
    },
    ...options,
  });
  harnesses.push(h);
  return h;
}

/** A customer waiting since now, assigned to Alice (admin 991), and the webhook Intercom sends for it. */
function waiting(h: Harness, fields: { state?: 'open' | 'snoozed' | 'closed' } = {}) {
  const conversation = h.intercom.addConversation({ subject: 'Refund', adminAssigneeId: 991, state: fields.state });
  conversation.waiting_since = now();
  const id = String(conversation.id);
  return { id, conversation, created: h.notification('conversation.user.created', { type: 'conversation', id }) };
}

const texts = (h: Harness, ts: string | undefined) => h.threadOf(ts ?? '').map((m) => m.text);
const clockLines = (h: Harness, ts: string | undefined) => texts(h, ts).filter((t) => /^(⏳|🔴)/u.test(t));
const escalations = (h: Harness) => h.slack.messages.filter((m) => m.channel === ALERTS);

describe('response clocks', () => {
  it('warns, misses and repeats, each once, with mentions; a reply stops it and the escalation says so', async () => {
    const h = await start();
    const { id, conversation, created } = waiting(h);
    await h.webhook(created);
    await h.eventually(() => expect(h.cards()).toHaveLength(1));
    const card = h.cards()[0];
    // ⏱️ while waiting, or already ⏳ when the machine is slow enough for the warning time to pass first
    expect(JSON.stringify(card?.blocks)).toMatch(/(⏱️ First response due|⏳ First response due soon)/u);

    await h.eventually(() => expect(clockLines(h, card?.ts)).toHaveLength(1), 5_000);
    expect(clockLines(h, card?.ts)[0]).toMatch(/^⏳ First response due .* \(target 3s\) · <@U0ALICE01>$/u);
    await h.eventually(() => expect(JSON.stringify(h.cards()[0]?.blocks)).toContain('⏳ First response due soon'));

    await h.eventually(() => expect(escalations(h)).toHaveLength(1), 6_000);
    expect(escalations(h)[0]?.text).toMatch(/^🔴 First response target of 3s missed/u);
    expect(JSON.stringify(escalations(h)[0]?.blocks)).toContain('<!subteam^S0ONCALL01>');
    expect(JSON.stringify(escalations(h)[0]?.blocks)).toMatch(/card in Slack/);
    expect(clockLines(h, card?.ts)[1]).toMatch(/^🔴 First response /u);
    await h.eventually(() => expect(JSON.stringify(h.cards()[0]?.blocks)).toContain('🔴 First response overdue'));

    await h.eventually(() => expect(escalations(h)).toHaveLength(2), 6_000); // the repeat
    expect(clockLines(h, card?.ts)).toHaveLength(3);

    // Alice answers: Intercom clears waiting_since
    h.intercom.addPart(id, {
      part_type: 'comment',
      body: '<p>Refunded.</p>',
      author: { type: 'admin', id: '991', name: 'Alice Admin' },
    });
    conversation.waiting_since = null;
    await h.webhook(h.notification('conversation.admin.replied', { type: 'conversation', id }));
    await h.eventually(() =>
      expect(escalations(h).map((m) => m.text.split(':')[0])).toEqual([
        expect.stringMatching(/^✅ First response sent by \*Alice Admin\* after \d+s/u),
        expect.stringMatching(/^✅ First response sent by \*Alice Admin\* after \d+s/u),
      ]),
    );
    await h.eventually(() =>
      expect(JSON.stringify(h.cards()[0]?.blocks)).toMatch(/✅ First response in \d+s, \d+s late/u),
    );
    const after = clockLines(h, card?.ts).length;
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // a repeat would have come by now
    expect(clockLines(h, card?.ts)).toHaveLength(after);
    expect(escalations(h)).toHaveLength(2);

    const metrics = (await h.bridge?.metrics.text()) ?? '';
    expect(metrics).toContain('bridge_clock_warnings_total{route="default",target="first_response"} 1');
    expect(metrics).toContain('bridge_clock_misses_total{route="default",target="first_response",repeat="false"} 1');
    expect(metrics).toMatch(/bridge_clock_misses_total\{route="default",target="first_response",repeat="true"\} [1-9]/);
    expect(metrics).toContain('bridge_response_seconds_count{route="default",target="first_response"} 1');
    expect(metrics).toContain('bridge_conversations_waiting 0');
  }, 30_000);

  it('never warns a snoozed or a closed conversation', async () => {
    const h = await start();
    const snoozed = waiting(h, { state: 'snoozed' });
    const closed = waiting(h, { state: 'closed' });
    await h.webhook(snoozed.created);
    await h.webhook(closed.created);
    await h.eventually(() => expect(h.cards()).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    for (const card of h.cards()) expect(clockLines(h, card.ts)).toEqual([]);
    expect(escalations(h)).toEqual([]);
  }, 15_000);

  it('posts each warning and miss once across a restart between them', async () => {
    const databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'clocks-')), 'bridge.db')}`;
    const h = await start({ databaseUrl });
    const { created } = waiting(h);
    await h.webhook(created);
    await h.eventually(() => expect(clockLines(h, h.cards()[0]?.ts)).toHaveLength(1), 5_000);
    await h.bridge?.stop(); // the fakes live on; a new process takes over the same store
    harnesses = [];
    const again = await Harness.attach({ intercom: h.intercom, slack: h.slack, databaseUrl, routesFile });
    harnesses.push(again, { stop: () => Promise.all([h.intercom.close(), h.slack.close()]) } as unknown as Harness);
    await again.eventually(() => expect(escalations(again)).toHaveLength(1), 6_000);
    const lines = clockLines(again, again.cards()[0]?.ts);
    expect(lines.filter((t) => t.startsWith('⏳'))).toHaveLength(1);
    expect(lines.filter((t) => t.startsWith('🔴'))).toHaveLength(1);
  }, 20_000);
});

const available = await postgresAvailable('the two-replica clock test');
const schema = freshSchema();
const pgUrl = schemaUrl(schema);

beforeAll(async () => {
  if (!available) return;
  await createSchema(schema);
});
afterAll(async () => {
  if (available) await dropSchemas([schema]);
});

describe.runIf(available)('response clocks on two replicas (PostgreSQL)', () => {
  it('posts each warning, miss and escalation once', async () => {
    const first = await start({ databaseUrl: pgUrl });
    const second = await Harness.attach({
      intercom: first.intercom,
      slack: first.slack,
      databaseUrl: pgUrl,
      routesFile,
    });
    harnesses.push(second);
    const { created } = waiting(first);
    await Promise.all([first.webhook(created), second.webhook(created)]);
    await first.eventually(() => expect(escalations(first)).toHaveLength(1), 8_000);
    const lines = clockLines(first, first.cards()[0]?.ts);
    expect(lines.filter((t) => t.startsWith('⏳'))).toHaveLength(1);
    expect(lines.filter((t) => t.startsWith('🔴'))).toHaveLength(1);
    expect(first.cards()).toHaveLength(1);
  }, 20_000);
});
