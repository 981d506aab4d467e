import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intercomWebhookRoute } from '../../src/http/intercom-webhooks.ts';
import { signWebhook } from '../../src/intercom/webhooks.ts';
import { CLIENT_SECRET, Harness } from '../support/harness.ts';
import { logSink } from '../support/log-sink.ts';
import { createSchema, dropSchemas, freshSchema, postgresAvailable, schemaUrl } from '../support/postgres.ts';

// What the webhook endpoint refuses before it reads a body (no signature, a declared length over the limit),
// and what it refuses in a signed envelope: no created_at, a date in the future, a signature not spelt the way
// Intercom spells it, ids neither store can hold. Each of these was let through, read in full or answered 500
// before.

const MB = 1024 * 1024;
const nowSeconds = () => Math.floor(Date.now() / 1000);

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h.stop();
});

/** Webhook outcomes counted so far (the bridge's own metric), by outcome. */
async function webhookOutcomes(harness = h): Promise<Record<string, number>> {
  const metric = await harness.bridge?.metrics.webhooks.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.outcome), v.value]));
}

async function expectHealthy() {
  const res = await fetch(`${h.url}/healthz`);
  expect(res.status).toBe(200);
}

/** Log lines from the webhook route since line `from`. */
const routeLines = (from: number) =>
  h.sink
    .lines()
    .slice(from)
    .filter((l) => l.component === 'intercom-webhooks');

interface RawAnswer {
  /** The status line and headers, lower-cased names; undefined when nothing came back in time. */
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
  /** Body bytes the client had written when the first byte of the answer came. */
  sentAtAnswer: number | undefined;
  /** Body bytes written in all: a client that keeps sending after the answer is cut off. */
  sent: number;
  /** Whether the server closed the connection (within `waitMs`). */
  closed: boolean;
}

/**
 * A POST over a raw socket: the head as given, then up to `bodyBytes` of spaces written as fast as the server
 * takes them, on and on after an answer comes (as a hostile client would). Resolves when the socket closes, or
 * after `waitMs` with whatever came by then.
 */
function rawPost(
  head: Record<string, string>,
  bodyBytes: number,
  options: { port?: number; waitMs?: number } = {},
): Promise<RawAnswer> {
  const port = options.port ?? h.bridge?.port;
  const waitMs = options.waitMs ?? 5_000;
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const received: Buffer[] = [];
    let sent = 0;
    let sentAtAnswer: number | undefined;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('latin1');
      const [headText = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...headerLines] = headText.split('\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1];
      const headers = Object.fromEntries(
        headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      resolve({ status: status ? Number(status) : undefined, headers, body, sentAtAnswer, sent, closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (data: Buffer) => {
      sentAtAnswer ??= sent;
      received.push(data);
    });
    socket.on('error', () => {}); // EPIPE / ECONNRESET once the server has closed: 'close' follows
    socket.on('close', () => finish(true));
    const pump = () => {
      while (!done && sent < bodyBytes) {
        const piece = chunk.subarray(0, Math.min(chunk.length, bodyBytes - sent));
        sent += piece.length;
        if (!socket.write(piece)) return void socket.once('drain', pump);
      }
    };
    socket.once('connect', () => {
      const lines = Object.entries(head).map(([name, value]) => `${name}: ${value}`);
      socket.write(`POST /intercom/webhooks HTTP/1.1\r\nhost: 127.0.0.1\r\n${lines.join('\r\n')}\r\n\r\n`);
      pump();
    });
  });
}

describe('refused before the body is read', () => {
  it('a 50 MB body without X-Hub-Signature: 401 before the client has sent it, then the socket is closed', async () => {
    const before = await webhookOutcomes();
    const from = h.sink.lines().length;
    const answer = await rawPost({ 'content-type': 'application/json', 'content-length': String(50 * MB) }, 50 * MB);
    expect(answer.status).toBe(401);
    expect(answer.body).toBe('{"error":"invalid signature"}');
    expect(answer.headers.connection).toBe('close');
    // the answer came while the client was still sending: what it had written by then fits in the kernel's
    // socket buffers (a few MB on loopback), so the server read next to nothing
    expect(answer.sentAtAnswer).toBeDefined();
    expect(answer.sentAtAnswer ?? Infinity).toBeLessThan(16 * MB);
    // and the server did not go on reading what the client kept sending: it closed the connection
    expect(answer.closed).toBe(true);
    expect(answer.sent).toBeLessThan(50 * MB);
    const after = await webhookOutcomes();
    expect((after.bad_signature ?? 0) - (before.bad_signature ?? 0)).toBe(1);
    expect(routeLines(from).map((l) => l.msg)).toEqual(['webhook refused: no X-Hub-Signature header']);
    await expectHealthy();
  });

  it('a declared content-length of 100 MB: 413 at once, without waiting for a byte of it', async () => {
    const before = await webhookOutcomes();
    // signed in the right form, so only the length can refuse it; no body is sent at all
    const answer = await rawPost(
      {
        'content-type': 'application/json',
        'content-length': String(100 * MB),
        'x-hub-signature': signWebhook('{}', CLIENT_SECRET),
      },
      0,
    );
    expect(answer.status).toBe(413);
    expect(answer.body).toBe(`{"error":"body over ${5 * MB} bytes"}`);
    expect(answer.headers.connection).toBe('close');
    expect(answer.closed).toBe(true);
    const after = await webhookOutcomes();
    expect((after.too_large ?? 0) - (before.too_large ?? 0)).toBe(1);
    await expectHealthy();
  });

  it('100 MB declared and sent: cut off as well; the next webhook, on a new connection, is served', async () => {
    const answer = await rawPost(
      {
        'content-type': 'application/json',
        'content-length': String(100 * MB),
        'x-hub-signature': signWebhook('{}', CLIENT_SECRET),
      },
      100 * MB,
    );
    expect(answer.status).toBe(413);
    expect(answer.sentAtAnswer ?? Infinity).toBeLessThan(16 * MB);
    expect(answer.closed).toBe(true);
    expect(answer.sent).toBeLessThan(100 * MB);
    const ping = await h.webhook(h.notification('ping', { type: 'ping', id: 'p' }));
    expect(ping).toEqual({ status: 200, body: '{"ok":true}' });
  });

  it('the server itself reads next to nothing of such bodies (its socket counts what it read)', async () => {
    // the route alone on a server of its own, so the bytes read off each connection can be counted
    let enqueued = 0;
    const route = intercomWebhookRoute({
      clientSecret: CLIENT_SECRET,
      inbox: {
        enqueue: async () => {
          enqueued += 1;
          return true;
        },
      },
      logger: logSink().logger,
    });
    const read: number[] = [];
    const server = createServer((req, res) => route.handler(req, res));
    server.on('connection', (socket) => socket.on('close', () => read.push(socket.bytesRead)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const length = { 'content-type': 'application/json', 'content-length': String(50 * MB) };
      const unsigned = await rawPost(length, 50 * MB, { port });
      const signed = { ...length, 'x-hub-signature': signWebhook('{}', CLIENT_SECRET) };
      const overLimit = await rawPost({ ...signed, 'content-length': String(100 * MB) }, 100 * MB, { port });
      expect([unsigned.status, overLimit.status]).toEqual([401, 413]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      expect(read).toHaveLength(2);
      for (const bytes of read) expect(bytes).toBeLessThan(MB);
      expect(enqueued).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('created_at', () => {
  it('a signed notification without created_at is 400 naming the field, and is not stored', async () => {
    const c = h.intercom.addConversation({ subject: 'Undated' });
    const item = { type: 'conversation', id: String(c.id) };
    const undated = h.notification('conversation.user.created', item, { created_at: undefined });
    expect(JSON.parse(JSON.stringify(undated))).not.toHaveProperty('created_at');
    const answer = await h.webhook(undated);
    expect(answer.status).toBe(400);
    const reply = JSON.parse(answer.body ?? '') as { error: string; problems: string[] };
    expect(reply.error).toBe('not an Intercom notification');
    expect(reply.problems).toEqual([expect.stringMatching(/^created_at: /)]);
    // not stored: the same id, dated, is new
    const dated = { ...undated, created_at: nowSeconds() };
    expect(await h.webhook(dated)).toEqual({ status: 200, body: '{"ok":true,"duplicate":false}' });
  });

  it('dated more than 5 minutes ahead is 401 and the log says why; 4 minutes ahead is accepted', async () => {
    const item = { type: 'conversation', id: '515151' };
    const before = await webhookOutcomes();
    const from = h.sink.lines().length;
    const ahead = h.notification('conversation.user.replied', item, { created_at: nowSeconds() + 6 * 60 });
    expect(await h.webhook(ahead)).toEqual({ status: 401, body: '{"error":"notification dated in the future"}' });
    const refused = routeLines(from);
    expect(refused.map((l) => l.msg)).toEqual([
      'webhook refused: dated more than 300 s in the future (a clock off, or a forgery?)',
    ]);
    expect(refused[0]).toMatchObject({ notification: ahead.id, createdAt: ahead.created_at });
    expect(((await webhookOutcomes()).too_new ?? 0) - (before.too_new ?? 0)).toBe(1);
    // a clock a little ahead of ours is not a forgery
    const near = h.notification('conversation.user.replied', item, { created_at: nowSeconds() + 4 * 60 });
    expect(await h.webhook(near)).toEqual({ status: 200, body: '{"ok":true,"duplicate":false}' });
    // the refused one was not stored
    expect(await h.webhook(ahead, { raw: JSON.stringify({ ...ahead, created_at: nowSeconds() }) })).toEqual({
      status: 200,
      body: '{"ok":true,"duplicate":false}',
    });
  });
});

describe('the signature header, as Intercom spells it', () => {
  it('upper-case hex or an upper-case SHA1= is 401; the lower-case form is accepted', async () => {
    const note = h.notification('conversation.user.replied', { type: 'conversation', id: '626262' });
    const raw = JSON.stringify(note);
    const right = signWebhook(raw, CLIENT_SECRET);
    for (const signature of [
      `sha1=${right.slice('sha1='.length).toUpperCase()}`,
      `SHA1=${right.slice('sha1='.length)}`,
      right.toUpperCase(),
    ]) {
      expect(await h.webhook(note, { signature }), signature).toEqual({
        status: 401,
        body: '{"error":"invalid signature"}',
      });
    }
    expect(await h.webhook(note, { signature: right })).toEqual({
      status: 200,
      body: '{"ok":true,"duplicate":false}',
    });
  });
});

/** Ids no store should be handed: a NUL (PostgreSQL refuses it in text), other control characters, 201 characters. */
const UNFIT_IDS: Array<[string, string]> = [
  ['a NUL', 'notif_\u0000x'],
  ['a line feed', 'notif_\nx'],
  ['an escape', 'notif_\u001b[2Jx'],
  ['a DEL', 'notif_\u007fx'],
  ['a C1 control', 'notif_\u0085x'],
  ['a lone surrogate', 'notif_\ud800x'],
  ['201 characters', `notif_${'x'.repeat(195)}`],
];

describe('ids neither store should hold', () => {
  it.each(UNFIT_IDS)('a notification id with %s is 400, and nothing is stored', async (_name, id) => {
    const c = h.intercom.addConversation({ subject: 'Unfit id' });
    const item = { type: 'conversation', id: String(c.id) };
    const answer = await h.webhook(h.notification('conversation.user.created', item, { id }));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body ?? '')).toEqual({
      error: 'not an Intercom notification',
      problems: [expect.stringMatching(/^id: /)],
    });
    await h.drained();
    expect(await h.bridge?.store.getCard(String(c.id))).toBeUndefined();
  });

  it.each(UNFIT_IDS)('a conversation id (data.item.id or conversation_id) with %s is 400', async (_name, id) => {
    for (const item of [
      { type: 'conversation', id },
      { type: 'conversation_part', id: '9', conversation_id: id },
    ]) {
      const answer = await h.webhook(h.notification('conversation.admin.replied', item));
      expect(answer.status, JSON.stringify(item)).toBe(400);
      expect(JSON.parse(answer.body ?? '').problems).toEqual([
        expect.stringMatching(item.type === 'conversation' ? /^data\.item\.id: / : /^data\.item\.conversation_id: /),
      ]);
    }
  });

  it('200 characters of printable text, numbers, and the odd but harmless are still accepted', async () => {
    for (const [id, itemId] of [
      [`notif_${'x'.repeat(194)}`, '7'.repeat(200)],
      ['notif_<!channel>·😀', 424_242],
      ['notif_\u202e', '\u202e'],
    ] as const) {
      const answer = await h.webhook(
        h.notification('conversation.user.replied', { type: 'conversation', id: itemId }, { id }),
      );
      expect(answer, id).toEqual({ status: 200, body: '{"ok":true,"duplicate":false}' });
    }
  });
});

const available = await postgresAvailable('the webhook tests on PostgreSQL');
const schema = freshSchema();

describe.runIf(available)('on PostgreSQL', () => {
  let onPg: Harness;
  beforeAll(async () => {
    await createSchema(schema);
    const databaseUrl = schemaUrl(schema);
    onPg = await Harness.start({ databaseUrl });
  });
  afterAll(async () => {
    await onPg?.stop();
    await dropSchemas([schema]);
  });

  it('a NUL in the notification or conversation id is 400 (PostgreSQL refuses it: it was 500), no error', async () => {
    const errorsBefore = onPg.sink.lines().filter((l) => Number(l.level) >= 50).length;
    const c = onPg.intercom.addConversation({ subject: 'NUL' });
    const item = { type: 'conversation', id: String(c.id) };
    const withNul = onPg.notification('conversation.user.created', item, { id: 'notif_\u0000' });
    expect((await onPg.webhook(withNul)).status).toBe(400);
    const nulConversation = onPg.notification('conversation.user.created', { type: 'conversation', id: '1\u00002' });
    expect((await onPg.webhook(nulConversation)).status).toBe(400);
    expect(onPg.sink.lines().filter((l) => Number(l.level) >= 50)).toHaveLength(errorsBefore);
    const outcomes = await webhookOutcomes(onPg);
    expect(outcomes.error ?? 0).toBe(0);
    expect(outcomes.malformed).toBe(2);
    // and a fit one next to it is stored and makes its card
    const fine = onPg.notification('conversation.user.created', item);
    expect(await onPg.webhook(fine)).toEqual({ status: 200, body: '{"ok":true,"duplicate":false}' });
    await onPg.eventually(async () => expect(await onPg.bridge?.store.getCard(String(c.id))).toBeDefined());
  });
});
