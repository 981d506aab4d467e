import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/intercom/webhooks.ts';
import { bridgeEnv, freePort } from '../support/bridge-env.ts';
import { FakeIntercom, type RecordedRequest } from '../support/fake-intercom.ts';
import { FakeSlack, type SlackCall } from '../support/fake-slack.ts';
import { CHANNEL, CLIENT_SECRET, Harness } from '../support/harness.ts';

// Faults: Slack and Intercom failing in bursts, Intercom slower than the client's timeout, and the process
// killed with SIGKILL in the middle of a burst. Every accepted delivery must end in Slack, once.

let h: Harness | undefined;
let child: ChildProcess | undefined;
const fakes: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await h?.stop();
  h = undefined;
  for (const fake of fakes.splice(0)) await fake.close();
});

/** Cards per conversation, read from what Slack holds: every conversation once, none twice. */
function cardCounts(slack: FakeSlack): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of slack.messages) {
    const id =
      m.threadTs === undefined
        ? (m.metadata?.event_payload as { conversation_id?: string })?.conversation_id
        : undefined;
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function burst(harness: Harness, ids: string[], topic = 'conversation.user.created') {
  const answers = await Promise.all(
    ids.map((id) => harness.webhook(harness.notification(topic, { type: 'conversation', id }))),
  );
  expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
}

/** The conversation a Slack call is about, from the message metadata the bridge attaches. */
function conversationOf(call: SlackCall): string | undefined {
  const metadata = typeof call.args.metadata === 'string' ? JSON.parse(call.args.metadata) : call.args.metadata;
  return (metadata as { event_payload?: { conversation_id?: string } } | undefined)?.event_payload?.conversation_id;
}

describe('Slack failing', () => {
  it('429 with Retry-After and 500s in bursts: every card arrives, once', async () => {
    h = await Harness.start();
    const harness = h;
    // 2 s, twice the inbox's first backoff: a retry that came sooner would show Retry-After was not honoured
    const retryAfter = 2;
    harness.slack.fail({ method: 'chat.postMessage', status: 429, retryAfter, times: 5 });
    harness.slack.fail({ method: 'chat.postMessage', status: 500, times: 5 });
    harness.slack.fail({ method: 'chat.update', status: 503, times: 3 });
    const ids = Array.from({ length: 20 }, () =>
      String(harness.intercom.addConversation({ subject: 'Slack down' }).id),
    );
    await burst(harness, ids);
    await harness.drained(30_000);
    const counts = cardCounts(harness.slack);
    expect(ids.map((id) => counts.get(id))).toEqual(ids.map(() => 1));
    const posts = harness.slack.callsOf('chat.postMessage');
    expect(posts.length).toBeGreaterThan(20); // the failures were real

    // each 429 was waited out end to end: the same conversation's next post came Retry-After later, not sooner
    const limited = posts.filter((c) => c.status === 429);
    expect(limited).toHaveLength(5);
    for (const call of limited) {
      const id = conversationOf(call);
      expect(id).toBeDefined();
      const next = posts.slice(posts.indexOf(call) + 1).find((c) => conversationOf(c) === id);
      expect(next, `conversation ${id} posted again`).toBeDefined();
      expect((next?.at ?? 0) - call.at).toBeGreaterThanOrEqual(retryAfter * 1000);
    }
  }, 40_000);
});

describe('Intercom failing', () => {
  it('429, 503 and answers slower than the client timeout: every card arrives, once', async () => {
    h = await Harness.start({ env: { INTERCOM_TIMEOUT_MS: '1000' } });
    const harness = h;
    const ids = Array.from({ length: 15 }, () =>
      String(harness.intercom.addConversation({ subject: 'Intercom down' }).id),
    );
    const [slow, limited, unavailable] = ids;
    harness.intercom.fail({
      method: 'GET',
      path: `/conversations/${limited}`,
      status: 429,
      headers: { 'retry-after': '1' },
      times: 2,
    });
    harness.intercom.fail({ method: 'GET', path: `/conversations/${unavailable}`, status: 503, times: 4 });
    // the first two reads of one conversation get no answer until the gate opens, which is only once it is all over
    const slowReads = harness.intercom.hold({ method: 'GET', path: `/conversations/${slow}`, times: 2 });
    await burst(harness, ids);
    await harness.drained(45_000);
    const counts = cardCounts(harness.slack);
    expect(ids.map((id) => counts.get(id))).toEqual(ids.map(() => 1));
    const statuses = harness.intercom.requests.filter((r) => r.path.startsWith('/conversations/')).map((r) => r.status);
    expect(statuses).toContain(429);
    expect(statuses).toContain(503);

    // the 1 s client timeout fired on both held reads: the client gave up, said why, and asked again while the
    // answer it had asked for was still held (it never came); the third read, answered at once, made the card
    const reads = harness.intercom.calls('GET', `/conversations/${slow}`);
    expect(reads.length).toBeGreaterThanOrEqual(3);
    const [first, second, third] = reads as [RecordedRequest, RecordedRequest, RecordedRequest];
    expect(slowReads.arrived).toEqual([first, second]);
    expect(slowReads.shut).toBe(true);
    expect(slowReads.held).toBe(2);
    expect(third.status).toBe(200);
    const timeouts = harness.sink
      .lines()
      .filter((l) => l.msg === 'retrying Intercom request' && l.path === `/conversations/${slow}`)
      .map((l) => (l.err as { type?: string; message?: string }) ?? {});
    expect(timeouts).toHaveLength(2);
    for (const err of timeouts) {
      expect(err.type).toBe('IntercomTimeoutError');
      expect(err.message?.startsWith(`Intercom did not answer GET /conversations/${slow} within 1000 ms`)).toBe(true);
    }
    // and the metrics counted them as attempts that got no answer
    const failed = (await harness.bridge?.metrics.intercomRequests.get())?.values.find(
      (v) => v.labels.method === 'GET' && v.labels.route === '/conversations/:id' && v.labels.status === 'error',
    );
    expect(failed?.value).toBe(2);
  }, 60_000);
});

describe('SIGKILL in the middle of a burst', () => {
  /**
   * 40 conversations (20 with a customer reply) accepted by a bridge process that is killed with SIGKILL while
   * Slack holds posts it has taken but not answered; then a bridge on the same store drains the inbox. With
   * `blindRecovery`, Slack's history and replies leave out message metadata, so the search that recovers a post
   * interrupted in that instant finds nothing: what the bridge would do without that recovery.
   */
  async function killMidBurst(options: { blindRecovery: boolean }) {
    const intercom = await FakeIntercom.start();
    const slack = await FakeSlack.start();
    fakes.push(intercom, slack);
    slack.addChannel({ id: CHANNEL, name: 'support' });
    slack.withholdMetadata = options.blindRecovery;
    intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
    // Slack keeps each message but answers late, so the kill lands while posts it has taken are unanswered:
    // exactly the moment after which a naive bridge would post them again
    slack.latencyMs = (method) => (method === 'chat.postMessage' ? 150 : 0);
    const ids = Array.from({ length: 40 }, () => String(intercom.addConversation({ subject: 'Killed' }).id));
    for (const id of ids.slice(0, 20)) {
      intercom.addPart(id, {
        part_type: 'comment',
        body: `<p>reply to ${id}</p>`,
        author: { type: 'user', name: 'Dana' },
      });
    }

    const file = join(mkdtempSync(join(tmpdir(), 'bridge-kill-')), 'bridge.db');
    const port = await freePort();
    child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'src', 'main.ts')], {
      cwd: import.meta.dirname,
      env: {
        PATH: process.env.PATH ?? '',
        ...bridgeEnv({ slack, intercom }, { DATABASE_URL: `sqlite:${file}`, PORT: String(port), LOG_LEVEL: 'warn' }),
      },
    });
    const exited = once(child, 'exit');
    for (let i = 0; i < 200; i++) {
      const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const accepted = await Promise.all(
      ids.map(async (id) => {
        const body = JSON.stringify({
          type: 'notification_event',
          id: `notif_kill_${id}`,
          topic: 'conversation.user.created',
          created_at: Math.floor(Date.now() / 1000),
          data: { type: 'notification_event_data', item: { type: 'conversation', id } },
        });
        const res = await fetch(`http://127.0.0.1:${port}/intercom/webhooks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature': signWebhook(body, CLIENT_SECRET) },
          body,
        });
        return res.status;
      }),
    );
    expect(accepted).toEqual(ids.map(() => 200));
    // wait until Slack has taken some posts, then kill with work surely in flight
    for (let i = 0; i < 400 && slack.messages.length < 10; i++) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await exited;
    const callsAtKill = slack.calls.length;
    expect(slack.messages.length).toBeGreaterThan(0);
    expect(cardCounts(slack).size).toBeLessThan(40);

    const again = await Harness.attach({ intercom, slack, databaseUrl: `sqlite:${file}` });
    try {
      await again.drained(30_000);
    } finally {
      await again.bridge?.stop();
    }
    const cards = cardCounts(slack);
    // a conversation's reply as thread lines, in whichever thread
    const replies = new Map(
      ids.slice(0, 20).map((id) => [id, slack.messages.filter((m) => m.threadTs && m.text.includes(`reply to ${id}`))]),
    );
    // the recovery's searches: only a post interrupted by the kill (its marker still pending) makes one
    const searches = slack.calls
      .slice(callsAtKill)
      .filter((c) => c.method === 'conversations.history' || c.method === 'conversations.replies');
    return { ids, cards, replies, searches };
  }

  it('restarted on the same store, it posts every accepted delivery, and nothing twice', async () => {
    const { ids, cards, replies, searches } = await killMidBurst({ blindRecovery: false });
    expect(ids.map((id) => cards.get(id))).toEqual(ids.map(() => 1));
    for (const [id, lines] of replies) expect(lines, id).toHaveLength(1);
    // and not because the kill missed the instant that matters: the restarted bridge had an interrupted post
    expect(searches.length).toBeGreaterThan(0);
  }, 60_000);

  it('the same kill with the recovery blinded doubles what Slack took in that instant (and loses nothing)', async () => {
    const { ids, cards, replies, searches } = await killMidBurst({ blindRecovery: true });
    expect(searches.length).toBeGreaterThan(0);
    expect(ids.every((id) => (cards.get(id) ?? 0) >= 1)).toBe(true);
    for (const [id, lines] of replies) expect(lines.length, id).toBeGreaterThanOrEqual(1);
    const doubled = [
      ...[...cards.values()].filter((n) => n > 1),
      ...[...replies.values()].filter((lines) => lines.length > 1),
    ];
    expect(doubled.length).toBeGreaterThan(0);
  }, 60_000);
});
