import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  intercomWebhookRoute,
  judgeWebhook,
  WEBHOOK_PATH,
  type WebhookRouteOptions,
} from '../../src/http/intercom-webhooks.ts';
import { BodyBudget } from '../../src/http/read-body.ts';
import { routesServer } from '../../src/http/routes-server.ts';
import { signWebhook } from '../../src/intercom/webhooks.ts';
import { logSink } from '../support/log-sink.ts';

// The webhook's rules as a pure function: each refusal with its status, answer and log line, and what is stored.

const SECRET = 'client-secret';
const NOW = 1_800_000_000;
const WINDOW = { maxAgeSeconds: 24 * 3600, maxAheadSeconds: 300 };

const envelope = (topic: string, createdAt = NOW, id = 'notif_1') =>
  Buffer.from(
    JSON.stringify({
      type: 'notification_event',
      app_id: 'abc123',
      id,
      topic,
      created_at: createdAt,
      data: { type: 'notification_event_data', item: { type: 'conversation', id: '42' } },
    }),
  );
const judge = (body: Buffer, signature = signWebhook(body, SECRET), now = NOW) =>
  judgeWebhook(body, signature, SECRET, now, WINDOW);

describe('judgeWebhook', () => {
  it('stores a signed notification of a topic the bridge uses', () => {
    const verdict = judge(envelope('conversation.user.created'));
    expect(verdict.outcome).toBe('store');
    if (verdict.outcome === 'store') expect(verdict.notification).toMatchObject({ id: 'notif_1', created_at: NOW });
  });

  it('refuses a wrong signature before reading the body as JSON', () => {
    const verdict = judge(Buffer.from('not json'), signWebhook('something else', SECRET));
    expect(verdict).toMatchObject({ outcome: 'bad_signature', status: 401, answer: { error: 'invalid signature' } });
  });

  it('refuses a signed body that is not a notification, naming the problems', () => {
    const verdict = judge(Buffer.from('{"id":"x"}'));
    expect(verdict).toMatchObject({
      outcome: 'malformed',
      status: 400,
      answer: { error: 'not an Intercom notification' },
      log: { level: 'warn', msg: 'webhook refused: not a notification' },
    });
    if (verdict.outcome !== 'store')
      expect(verdict.answer.problems).toEqual(expect.arrayContaining([expect.any(String)]));
  });

  it('refuses replays outside the window, both ways, and takes its edges', () => {
    const old = judge(envelope('conversation.user.created', NOW - WINDOW.maxAgeSeconds - 1));
    const ahead = judge(envelope('conversation.user.created', NOW + WINDOW.maxAheadSeconds + 1));
    expect([old.outcome, ahead.outcome]).toEqual(['too_old', 'too_new']);
    expect(ahead).toMatchObject({
      status: 401,
      answer: { error: 'notification dated in the future' },
      log: { msg: 'webhook refused: dated more than 300 s in the future (a clock off, or a forgery?)' },
    });
    expect(old).toMatchObject({ status: 401, log: { fields: { notification: 'notif_1' } } });
    expect(judge(envelope('conversation.user.created', NOW - WINDOW.maxAgeSeconds)).outcome).toBe('store');
    expect(judge(envelope('conversation.user.created', NOW + WINDOW.maxAheadSeconds)).outcome).toBe('store');
  });

  it('answers a ping and ignores topics the bridge does not use, storing neither', () => {
    expect(judge(envelope('ping'))).toMatchObject({
      outcome: 'ping',
      status: 200,
      log: { level: 'info', msg: 'Intercom ping received', fields: { notification: 'notif_1', appId: 'abc123' } },
    });
    expect(judge(envelope('contact.created'))).toMatchObject({
      outcome: 'ignored',
      status: 200,
      answer: { ok: true, ignored: true },
      log: { level: 'debug' },
    });
  });
});

describe('judgeWebhook on real payloads of topics the bridge does not act on', () => {
  const real = (name: string) => readFileSync(new URL(`../fixtures/intercom/real/${name}`, import.meta.url));

  it.each(['webhook-conversation-contact-attached.json', 'webhook-conversation-contact-attached-2026.json'])(
    '%s (data.item has no type) is acknowledged and ignored, not refused',
    (name) => {
      const body = real(name);
      const verdict = judge(body);
      expect(verdict).toMatchObject({ outcome: 'ignored', status: 200, answer: { ok: true, ignored: true } });
    },
  );

  it('Intercom’s own ping (id null, delivery_status null) is answered as a ping, not refused', () => {
    const verdict = judge(real('webhook-ping.json'));
    expect(verdict).toMatchObject({ outcome: 'ping', status: 200, answer: { ok: true } });
    if (verdict.outcome !== 'store') expect(verdict.log.fields.notification).toBeNull();
  });

  it('a topic the bridge acts on, with data it cannot read, is still refused', () => {
    const body = Buffer.from(
      JSON.stringify({
        type: 'notification_event',
        id: 'n',
        topic: 'conversation.user.created',
        created_at: NOW,
        data: 5,
      }),
    );
    expect(judge(body)).toMatchObject({ outcome: 'malformed', status: 400 });
  });
});

// The route itself, over real HTTP: what each answer is, what reaches the inbox, what is counted and logged.
describe('intercomWebhookRoute', () => {
  type Enqueued = { record: Record<string, unknown>; options: unknown };

  async function serve(
    options: Partial<WebhookRouteOptions> & { enqueue?: (record: Enqueued['record']) => Promise<boolean> } = {},
  ) {
    const sink = logSink();
    const enqueued: Enqueued[] = [];
    const outcomes: string[] = [];
    const route = intercomWebhookRoute({
      clientSecret: SECRET,
      logger: sink.logger,
      now: () => NOW * 1000 + 250,
      onOutcome: (o) => outcomes.push(o),
      ...options,
      inbox: {
        enqueue: async (record, opts) => {
          enqueued.push({ record: { ...record }, options: opts });
          return options.enqueue ? options.enqueue(record as unknown as Enqueued['record']) : true;
        },
      },
    });
    const server = routesServer([route]); // as main.ts serves it: by its own path and methods
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${WEBHOOK_PATH}`;
    const post = async (body: Buffer | string, headers: Record<string, string> = {}) => {
      const res = await fetch(url, { method: 'POST', body, headers });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
    };
    return { url, post, enqueued, outcomes, sink };
  }
  const signed = (body: Buffer) => ({ 'x-hub-signature': signWebhook(body, SECRET) });
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('stores a signed notification with its conversation, its date in seconds and the bytes received', async () => {
    const { url, post, enqueued, outcomes, sink } = await serve();
    const body = envelope('conversation.admin.replied', NOW - 30, 'notif_9');
    expect(await post(body, signed(body))).toEqual({ status: 200, body: { ok: true, duplicate: false } });
    expect(enqueued).toEqual([
      {
        record: {
          id: 'notif_9',
          topic: 'conversation.admin.replied',
          conversationId: '42',
          createdAt: NOW - 30,
          payload: body.toString('utf8'),
          receivedAt: NOW * 1000 + 250,
        },
        options: { arrival: true },
      },
    ]);
    expect(outcomes).toEqual(['accepted']);
    expect(sink.lines().filter((l) => l.msg === 'webhook accepted')).toMatchObject([
      {
        component: 'intercom-webhooks',
        notification: 'notif_9',
        topic: 'conversation.admin.replied',
        duplicate: false,
      },
    ]);
    const res = await fetch(url, { method: 'POST', body, headers: signed(body) });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect((await fetch(url)).status).toBe(405); // GET: not a method it takes
  });

  it('answers a delivery it already has as a duplicate, 200 so Intercom stops sending it', async () => {
    const { post, outcomes, sink } = await serve({ enqueue: async () => false });
    const body = envelope('conversation.user.replied');
    expect(await post(body, signed(body))).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    expect(outcomes).toEqual(['duplicate']);
    expect(sink.lines().filter((l) => l.msg === 'webhook accepted')).toMatchObject([{ duplicate: true }]);
  });

  it('answers 500 when the store fails, so Intercom sends it again, and logs why', async () => {
    const { post, outcomes, sink } = await serve({
      enqueue: async () => {
        throw new Error('database is down');
      },
    });
    const body = envelope('conversation.user.replied');
    expect(await post(body, signed(body))).toEqual({
      status: 500,
      body: { error: 'could not store the notification' },
    });
    expect(outcomes).toEqual(['error']);
    expect(sink.lines()).toContainEqual(
      expect.objectContaining({ level: 50, msg: 'webhook could not be stored', err: expect.anything() }),
    );
  });

  it('takes a signature with spaces around it; refuses none, and a wrong one naming the sender', async () => {
    const { post, enqueued, outcomes, sink } = await serve();
    const body = envelope('conversation.user.replied');
    expect((await post(body, { 'x-hub-signature': `  ${signWebhook(body, SECRET)} ` })).status).toBe(200);
    expect(await post(body)).toEqual({ status: 401, body: { error: 'invalid signature' } });
    expect((await post(body, { 'x-hub-signature': signWebhook(body, 'guess') })).status).toBe(401);
    expect((await post(body, { 'x-hub-signature': '   ' })).status).toBe(401);
    expect(enqueued).toHaveLength(1);
    expect(outcomes).toEqual(['accepted', 'bad_signature', 'bad_signature', 'bad_signature']);
    const refusals = sink.lines().filter((l) => String(l.msg).startsWith('webhook refused'));
    expect(refusals.map((l) => [l.msg, l.remote])).toEqual([
      ['webhook refused: no X-Hub-Signature header', '127.0.0.1'],
      ['webhook refused: bad signature', '127.0.0.1'],
      ['webhook refused: no X-Hub-Signature header', '127.0.0.1'],
    ]);
  });

  it('without a client secret refuses every delivery with 503 and says what to set', async () => {
    const { post, enqueued, outcomes, sink } = await serve({ clientSecret: undefined });
    const body = envelope('conversation.user.replied');
    expect(await post(body, signed(body))).toEqual({
      status: 503,
      body: { error: 'webhooks are not configured on this bridge' },
    });
    expect([enqueued.length, outcomes]).toEqual([0, ['unconfigured']]);
    expect(sink.text()).toContain('INTERCOM_CLIENT_SECRET is not set');
  });

  it('refuses a body over the limit with 413 naming it, and one the shared budget cannot hold with 503', async () => {
    const large = await serve({ maxBodyBytes: 100 });
    const body = envelope('conversation.user.replied');
    expect(await large.post(body, signed(body))).toEqual({ status: 413, body: { error: 'body over 100 bytes' } });
    expect(large.outcomes).toEqual(['too_large']);
    expect(large.sink.lines()).toContainEqual(
      expect.objectContaining({ msg: 'webhook refused: body too large', limit: 100 }),
    );

    const busy = await serve({ bodyBudget: new BodyBudget({ freeBytes: 16, totalBytes: 32 }) });
    const res = await fetch(busy.url, { method: 'POST', body, headers: signed(body) });
    expect([res.status, res.headers.get('retry-after'), await res.json()]).toEqual([
      503,
      '1',
      { error: 'busy, try again' },
    ]);
    expect([busy.enqueued.length, busy.outcomes]).toEqual([0, ['busy']]);
    expect(busy.sink.text()).toContain('webhook refused: too many large bodies being read at once');
  });

  it('answers HEAD with 200 and stores nothing; answers a refused verdict with its status and counts it', async () => {
    const { url, post, enqueued, outcomes, sink } = await serve();
    const head = await fetch(url, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type')]).toEqual([200, null]);
    const old = envelope('conversation.user.replied', NOW - 2 * 24 * 3600);
    expect(await post(old, signed(old))).toEqual({ status: 401, body: { error: 'notification too old' } });
    expect([enqueued.length, outcomes]).toEqual([0, ['too_old']]);
    const refusal = sink.lines().find((l) => l.msg === 'webhook refused: too old (a replay?)');
    expect(refusal).toMatchObject({ notification: 'notif_1', component: 'intercom-webhooks' });
    expect(refusal).not.toHaveProperty('remote'); // only a bad signature names the sender
  });

  it('refuses what is dated more than 5 minutes ahead by default, and needs no onOutcome', async () => {
    const { post, enqueued } = await serve({ onOutcome: undefined });
    const soon = envelope('conversation.user.replied', NOW + 4 * 60, 'soon');
    const later = envelope('conversation.user.replied', NOW + 6 * 60, 'later');
    expect((await post(soon, signed(soon))).status).toBe(200);
    expect(await post(later, signed(later))).toEqual({
      status: 401,
      body: { error: 'notification dated in the future' },
    });
    expect(enqueued.map((e) => e.record.id)).toEqual(['soon']);
  });

  it('counts a sender that goes away mid-body as aborted, answering nobody', async () => {
    const { url, outcomes, sink } = await serve();
    const { hostname, port, pathname } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    await once(socket, 'connect');
    socket.write(
      `POST ${pathname} HTTP/1.1\r\nHost: x\r\nX-Hub-Signature: sha1=00\r\nContent-Length: 1000\r\n\r\n{"partial":`,
    );
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    for (let i = 0; i < 50 && outcomes.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(outcomes).toEqual(['aborted']);
    expect(sink.text()).toContain('webhook abandoned by its sender mid-body');
  });
});
