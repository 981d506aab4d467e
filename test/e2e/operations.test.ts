import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.ts';

// What the people who run the bridge look at: health, readiness and metrics, over real HTTP.

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const get = async (harness: Harness, path: string) => {
  const res = await fetch(`${harness.url}${path}`);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
};

describe('/healthz and /readyz', () => {
  it('is alive, and ready once the store answers and both credentials were accepted', async () => {
    h = await Harness.start();
    const harness = h;
    expect(await get(harness, '/healthz')).toMatchObject({ status: 200, body: 'ok' });
    await harness.eventually(async () => {
      const ready = await get(harness, '/readyz');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toEqual({
        ready: true,
        checks: { store: { ok: true }, slack: { ok: true }, intercom: { ok: true } },
      });
    });
  });

  it('is not ready while Slack refuses the bot token, and says why (without the token)', async () => {
    h = await Harness.start({
      seed: (_intercom, slack) => slack.fail({ method: 'auth.test', error: 'invalid_auth', times: 1000 }),
    });
    const harness = h;
    await harness.eventually(async () => {
      const ready = await get(harness, '/readyz');
      expect(ready.status).toBe(503);
      const report = JSON.parse(ready.body);
      expect(report.checks.slack).toEqual({ ok: false, error: expect.stringContaining('invalid_auth') });
      expect(report.checks.intercom).toEqual({ ok: true });
      expect(ready.body).not.toContain(harness.slack.token);
    });
    // healthz stays up: the process itself is fine, a load balancer only stops sending it traffic
    expect((await get(harness, '/healthz')).status).toBe(200);
  });
});

/** The value of one sample in Prometheus text (`name{labels} value`), or undefined when it is not there. */
function sample(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('counts webhooks by outcome, deliveries, Slack and Intercom calls, and reads the inbox', async () => {
    h = await Harness.start();
    const c = h.intercom.addConversation({ subject: 'Metrics' });
    const note = h.notification('conversation.user.created', { type: 'conversation', id: String(c.id) });
    await h.webhook(note);
    await h.webhook(note);
    await h.webhook(note, { signature: 'sha1=0000' });
    await h.webhook(h.notification('contact.user.created', { type: 'contact', id: 'x' }));
    await h.drained();
    const metrics = await get(h, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/^text\/plain/);
    const lines = metrics.body.split('\n');
    for (const line of [
      'bridge_webhooks_received_total{outcome="accepted"} 1',
      'bridge_webhooks_received_total{outcome="duplicate"} 1',
      'bridge_webhooks_received_total{outcome="bad_signature"} 1',
      'bridge_webhooks_received_total{outcome="ignored"} 1',
      'bridge_deliveries_total{topic="conversation.user.created",outcome="done"} 1',
      'bridge_slack_calls_total{method="chat.postMessage",status="ok"} 1',
      'bridge_intercom_requests_total{method="GET",route="/conversations/:id",status="200"} 1',
      'bridge_inbox_pending 0',
      'bridge_inbox_parked 0',
      'bridge_inbox_oldest_pending_seconds 0',
    ]) {
      expect(lines).toContain(line);
    }
    expect(metrics.body).toMatch(/^bridge_delivery_processing_seconds_count\{topic="conversation.user.created"\} 1$/m);
    expect(metrics.body).toMatch(/^bridge_process_resident_memory_bytes \d+/m);
  });

  it('counts parked deliveries and Slack errors', async () => {
    h = await Harness.start();
    h.slack.fail({ method: 'chat.postMessage', error: 'channel_not_found' });
    const c = h.intercom.addConversation({});
    await h.webhook(h.notification('conversation.user.created', { type: 'conversation', id: String(c.id) }));
    await h.drained();
    const body = (await get(h, '/metrics')).body;
    expect(body).toContain('bridge_inbox_parked 1');
    expect(body).toContain('bridge_slack_calls_total{method="chat.postMessage",status="channel_not_found"} 1');
    expect(body).toContain('bridge_deliveries_total{topic="conversation.user.created",outcome="parked"} 1');
  });

  it('shows work held in the inbox: its depth and age, the retry, and the rate-limited and failed calls', async () => {
    h = await Harness.start();
    const harness = h;
    // Intercom fails once (the client tries again at once), then Slack rate-limits the channel for 3 s: the first
    // card is refused by Slack, the second held back by the bridge without a call; both wait in the inbox
    const [a, b] = [harness.intercom.addConversation({}), harness.intercom.addConversation({})];
    harness.intercom.fail({ method: 'GET', path: `/conversations/${a.id}`, status: 503 });
    harness.slack.fail({ method: 'chat.postMessage', status: 429, retryAfter: 3 });
    for (const c of [a, b])
      await harness.webhook(
        harness.notification('conversation.user.created', { type: 'conversation', id: String(c.id) }),
      );

    const held = await harness.eventually(async () => {
      const body = (await get(harness, '/metrics')).body;
      expect(sample(body, 'bridge_deliveries_total{topic="conversation.user.created",outcome="retry"}')).toBe(2);
      expect(sample(body, 'bridge_inbox_pending')).toBe(2);
      expect(sample(body, 'bridge_inbox_oldest_pending_seconds')).toBeGreaterThanOrEqual(0.5);
      return body;
    }, 2_500);
    expect(sample(held, 'bridge_inbox_oldest_pending_seconds')).toBeLessThan(10);
    expect(sample(held, 'bridge_inbox_parked')).toBe(0);
    expect(sample(held, 'bridge_deliveries_total{topic="conversation.user.created",outcome="done"}')).toBeUndefined();
    expect(sample(held, 'bridge_slack_calls_total{method="chat.postMessage",status="ratelimited"}')).toBe(1);
    expect(sample(held, 'bridge_intercom_requests_total{method="GET",route="/conversations/:id",status="503"}')).toBe(
      1,
    );
    expect(harness.cards()).toHaveLength(0);

    // once Slack takes calls again, the retries go through and the inbox empties
    await harness.drained(10_000);
    const after = (await get(harness, '/metrics')).body;
    expect(harness.cards()).toHaveLength(2);
    expect(sample(after, 'bridge_deliveries_total{topic="conversation.user.created",outcome="done"}')).toBe(2);
    expect(sample(after, 'bridge_deliveries_total{topic="conversation.user.created",outcome="retry"}')).toBe(2);
    expect(sample(after, 'bridge_slack_calls_total{method="chat.postMessage",status="ok"}')).toBe(2);
    await harness.eventually(async () => {
      const body = (await get(harness, '/metrics')).body;
      expect(sample(body, 'bridge_inbox_pending')).toBe(0);
      expect(sample(body, 'bridge_inbox_oldest_pending_seconds')).toBe(0);
    });
  }, 20_000);

  it("counts a delivery parked after Intercom refused it, with the refusal's status", async () => {
    h = await Harness.start();
    const c = h.intercom.addConversation({});
    h.intercom.fail({ method: 'GET', path: `/conversations/${c.id}`, status: 403 });
    await h.webhook(h.notification('conversation.user.created', { type: 'conversation', id: String(c.id) }));
    await h.drained();
    const body = (await get(h, '/metrics')).body;
    expect(sample(body, 'bridge_inbox_parked')).toBe(1);
    expect(sample(body, 'bridge_inbox_pending')).toBe(0);
    expect(sample(body, 'bridge_deliveries_total{topic="conversation.user.created",outcome="parked"}')).toBe(1);
    expect(sample(body, 'bridge_deliveries_total{topic="conversation.user.created",outcome="retry"}')).toBeUndefined();
    // a 403 is not retried: one attempt, counted with Intercom's status
    expect(sample(body, 'bridge_intercom_requests_total{method="GET",route="/conversations/:id",status="403"}')).toBe(
      1,
    );
    expect(h.cards()).toHaveLength(0);
  });
});
