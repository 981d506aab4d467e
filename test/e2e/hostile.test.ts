import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONVERSATION_TOPICS } from '../../src/bridge/conversation-sync.ts';
import { signWebhook } from '../../src/intercom/webhooks.ts';
import type { FakeIntercom } from '../support/fake-intercom.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { CHANNEL, CLIENT_SECRET, Harness, SIGNING_SECRET } from '../support/harness.ts';
import {
  eventEnvelope,
  interactionBody,
  signSlack,
  slashCommandBody,
  viewSubmission,
} from '../support/slack-requests.ts';

// Hostile input through real HTTP into one running bridge: generated bodies on the Intercom webhook, forged,
// missing, stale and replayed signatures on both endpoints, oversized bodies, arbitrary `/intercom` text and
// arbitrary modal submissions. What must hold: signed garbage is answered 200 or 400 (never 5xx), anything not
// signed is 401 and leaves no trace, the answers never leak a stack trace, and the process keeps serving.

const ALICE = 'U0ALICE01'; // alice@example.com → Intercom admin 991 (added by the harness)
const MALLORY = 'U0MALLORY'; // no Intercom teammate has her email

let h: Harness;

function seed(_intercom: FakeIntercom, slack: FakeSlack) {
  slack.addUser({ id: ALICE, name: 'Alice', email: 'alice@example.com' });
  slack.addUser({ id: MALLORY, name: 'Mallory', email: 'mallory@elsewhere.test' });
}

beforeAll(async () => {
  h = await Harness.start({ seed });
});
afterAll(async () => {
  await h.stop();
});

// ---------------------------------------------------------------------------------------------------------------
// Requests

type Answer = { status: number; body: string };

async function postWebhook(body: string | Uint8Array, signature: string | null): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (signature !== null) headers['x-hub-signature'] = signature;
  const res = await fetch(`${h.url}/intercom/webhooks`, { method: 'POST', headers, body });
  return { status: res.status, body: await res.text() };
}

/** A POST to /slack/events with exactly these headers (no signing of our own). */
async function postSlack(body: string, headers: Record<string, string>, contentType = FORM): Promise<Answer> {
  const res = await fetch(`${h.url}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body,
  });
  return { status: res.status, body: await res.text() };
}

/**
 * A POST on a connection of its own (a server that answers before reading the whole body leaves a keep-alive
 * connection unusable for the next request); `chunks` bodies are written without a length, as a stream.
 */
function postAlone(
  path: string,
  headers: Record<string, string>,
  body: Buffer | { chunk: Buffer; times: number },
): Promise<Answer | { error: string }> {
  return new Promise((resolve) => {
    const streamed = !Buffer.isBuffer(body);
    const req = request(
      `${h.url}${path}`,
      {
        method: 'POST',
        agent: false,
        headers: streamed ? headers : { ...headers, 'content-length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', (e) => resolve({ error: String(e) }));
      },
    );
    req.on('error', (e) => resolve({ error: String(e) }));
    if (!streamed) {
      req.end(body);
      return;
    }
    let left = body.times;
    const write = () => {
      while (left > 0) {
        left -= 1;
        if (!req.write(body.chunk)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

const FORM = 'application/x-www-form-urlencoded';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `count` stops changing for a while (work that follows an ack has finished). */
async function quiet(count: () => number, ms = 300) {
  for (let last = -1; count() !== last; ) {
    last = count();
    await sleep(ms);
  }
}
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function expectHealthy() {
  const res = await fetch(`${h.url}/healthz`);
  expect(res.status).toBe(200);
}

/** Webhook outcomes counted so far (the bridge's own metric), by outcome. */
async function webhookOutcomes(): Promise<Record<string, number>> {
  const metric = await h.bridge?.metrics.webhooks.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.outcome), v.value]));
}
const delta = (after: Record<string, number>, before: Record<string, number>, outcome: string) =>
  (after[outcome] ?? 0) - (before[outcome] ?? 0);

/** Error-level log lines from the webhook route and from Bolt (an unhandled error in a listener is one). */
const errorLogs = () =>
  h.sink
    .lines()
    .filter((l) => Number(l.level) >= 50 && (l.component === 'intercom-webhooks' || l.component === 'bolt'));

/** Requests that change something in Intercom (searches are POSTs that do not). */
const intercomWrites = () => h.intercom.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/search'));

/** What would show a stack trace or an internal error to whoever reads the answer. */
const LEAKS = [
  /\n\s+at /,
  /\bat (async )?[\w.<>]+ \(/,
  /\.ts:\d+/,
  /\b(Type|Range|Syntax|Reference)Error\b/,
  /node:internal/,
];
/** The input as the grammar reads it (invisible characters gone, NFC). */
const visible = (input: string) => input.replace(/[\u200B-\u200D\u2060\uFEFF]/g, '').normalize('NFC');
/** Leaks in `text` that the input did not bring itself (an unknown word or a query is echoed back, escaped). */
const leaksIn = (text: string, ...inputs: string[]) =>
  LEAKS.filter((re) => re.test(text) && !inputs.some((input) => re.test(input)));

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** What lies at `keys` inside a value of any shape (undefined where the shape does not go that far). */
const dig = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((at, key) => (isObj(at) && Object.hasOwn(at, key) ? at[key] : undefined), value);

// ---------------------------------------------------------------------------------------------------------------
// Hostile strings

const NASTY = [
  '<!channel>',
  '<!here>',
  '<@U123>',
  '<#C1|x>',
  '<https://evil.example|bank>',
  '&amp;',
  '&lt;',
  '*',
  '_',
  '`',
  '\u202e',
  '\u0000',
  '\n',
  '"',
  '\\',
  '😀',
  '__proto__',
  'constructor',
  '<img src=x onerror=alert(1)>',
  '<a href="javascript:alert(1)">x</a>',
  'TypeError',
  '../..',
  '%00',
];
const hostileText = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.string({ maxLength: 16 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
      { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));
const anyJson = fc.jsonValue({ maxDepth: 3 });
const field = fc.oneof(hostileText, anyJson);

// ---------------------------------------------------------------------------------------------------------------
// Signatures: forged, missing, stale, replayed, and bodies changed after signing

describe('signatures and replays', () => {
  it('a webhook for a real conversation, unsigned or badly signed, is refused and leaves no card', async () => {
    const c = h.intercom.addConversation({ subject: 'Forged?' });
    const id = String(c.id);
    const body = JSON.stringify(h.notification('conversation.user.created', { type: 'conversation', id }));
    const sha1 = (key: string, data: string) => createHmac('sha1', key).update(data).digest('hex');
    const forged: Array<[string | null, string]> = [
      [null, body],
      ['', body],
      ['sha1=', body],
      [`sha1=${'0'.repeat(40)}`, body],
      [`sha1=${sha1('not-the-secret', body)}`, body],
      [`sha256=${createHmac('sha256', CLIENT_SECRET).update(body).digest('hex')}`, body],
      [sha1(CLIENT_SECRET, body), body], // no "sha1=" prefix
      [`sha1=${sha1(CLIENT_SECRET, body).slice(0, 39)}`, body],
      [`sha1=${sha1(CLIENT_SECRET, body)}0`, body],
      [signWebhook(body, CLIENT_SECRET), body.replace(id, `${id}0`)], // the body changed after signing
      [signWebhook(body, CLIENT_SECRET), `${body} `],
    ];
    const before = await webhookOutcomes();
    for (const [signature, sent] of forged) {
      const answer = await postWebhook(sent, signature);
      expect(answer, String(signature)).toEqual({ status: 401, body: '{"error":"invalid signature"}' });
    }
    expect(delta(await webhookOutcomes(), before, 'bad_signature')).toBe(forged.length);
    await h.drained();
    expect(await h.bridge?.store.getCard(id)).toBeUndefined();

    // the same notification signed is new (nothing above was stored) and makes the card
    expect(await postWebhook(body, signWebhook(body, CLIENT_SECRET))).toEqual({
      status: 200,
      body: '{"ok":true,"duplicate":false}',
    });
    await h.eventually(async () => expect(await h.bridge?.store.getCard(id)).toBeDefined());
  });

  it('a correctly signed notification created over 24 hours ago is a replay: 401', async () => {
    const item = { type: 'conversation', id: '424242' };
    const old = JSON.stringify(
      h.notification('conversation.user.replied', item, { created_at: nowSeconds() - 86_460 }),
    );
    expect(await postWebhook(old, signWebhook(old, CLIENT_SECRET))).toEqual({
      status: 401,
      body: '{"error":"notification too old"}',
    });
    // a day minus a minute is still a delivery Intercom may retry
    const late = JSON.stringify(
      h.notification('conversation.user.replied', item, { created_at: nowSeconds() - 86_340 }),
    );
    expect((await postWebhook(late, signWebhook(late, CLIENT_SECRET))).status).toBe(200);
  });

  it('Slack: a valid signature over a timestamp 6 minutes old is refused; 4 minutes old is not', async () => {
    const body = slashCommandBody({
      user: ALICE,
      text: 'help',
      channel: CHANNEL,
      responseUrl: `${h.slack.url}/response/r`,
    });
    const stale = await postSlack(body, signSlack(SIGNING_SECRET, body, nowSeconds() - 360));
    expect(stale).toEqual({ status: 401, body: '' });
    const recent = await postSlack(body, signSlack(SIGNING_SECRET, body, nowSeconds() - 240));
    expect(recent.status).toBe(200);
    expect(JSON.parse(recent.body)).toMatchObject({ response_type: 'ephemeral' });
  });

  it('Slack: missing signature headers, a wrong secret or a body changed after signing are refused', async () => {
    const body = slashCommandBody({
      user: ALICE,
      text: 'help',
      channel: CHANNEL,
      responseUrl: `${h.slack.url}/response/r`,
    });
    const signed = signSlack(SIGNING_SECRET, body);
    const altered = slashCommandBody({
      user: ALICE,
      text: 'contacts ann@example.com',
      channel: CHANNEL,
      responseUrl: `${h.slack.url}/response/r`,
    });
    const event = JSON.stringify(eventEnvelope({ type: 'app_mention', text: 'hi' }, 'EvForged'));
    const refused: Array<[string, string, Record<string, string>, string?]> = [
      ['no headers', body, {}],
      ['no signature', body, { 'x-slack-request-timestamp': signed['x-slack-request-timestamp'] }],
      ['no timestamp', body, { 'x-slack-signature': signed['x-slack-signature'] }],
      ['timestamp not a number', body, { ...signed, 'x-slack-request-timestamp': 'soon' }],
      ['another secret', body, signSlack('not-the-signing-secret', body)],
      ['v1 scheme', body, { ...signed, 'x-slack-signature': signed['x-slack-signature'].replace('v0=', 'v1=') }],
      ['body changed after signing', altered, signed],
      ['one byte more', `${body}&`, signed],
      ['events API, unsigned', event, {}, 'application/json'],
      ['URL verification, unsigned', '{"type":"url_verification","challenge":"c"}', {}, 'application/json'],
    ];
    const writesBefore = intercomWrites().length;
    for (const [name, sent, headers, type] of refused) {
      expect(await postSlack(sent, headers, type), name).toEqual({ status: 401, body: '' });
    }
    expect(intercomWrites()).toHaveLength(writesBefore);
  });

  it('Slack: an unsigned ssl_check is answered, and whatever payload rides along is dropped', async () => {
    const viewsBefore = h.slack.views.size;
    const smuggled = `ssl_check=1&${slashCommandBody({
      user: ALICE,
      text: 'note ann@example.com',
      channel: CHANNEL,
      responseUrl: `${h.slack.url}/response/smuggled`,
    })}`;
    expect(await postSlack(smuggled, {})).toEqual({ status: 200, body: '' });
    expect(h.slack.views.size).toBe(viewsBefore);
    expect(h.responsesTo('smuggled')).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The webhook endpoint under generated bodies

describe('the webhook endpoint under generated bodies', () => {
  let tag = 0;
  const nextTag = () => {
    tag += 1;
    return tag;
  };
  const createdAt = fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: -3_600, max: 3_600 }).map((d) => nowSeconds() + d) },
    // replays: refused with 401 even though signed
    { weight: 1, arbitrary: fc.integer({ min: 86_500, max: 10 * 365 * 86_400 }).map((d) => nowSeconds() - d) },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)) },
  );
  const item = fc.record(
    {
      type: fc.oneof({ weight: 4, arbitrary: fc.constant('conversation') }, { weight: 1, arbitrary: field }),
      id: fc.oneof(
        { weight: 3, arbitrary: hostileText },
        { weight: 2, arbitrary: fc.integer() },
        { weight: 1, arbitrary: field },
      ),
      conversation_id: fc.oneof(hostileText, field),
      source: fc.record({ body: hostileText, author: fc.record({ name: hostileText, email: hostileText }) }),
    },
    { requiredKeys: ['type'] },
  );
  const topic = fc.constantFrom(...CONVERSATION_TOPICS, 'ping', 'contact.created', 'conversation.deleted');
  // a tag keeps ids apart, so whether a delivery is a duplicate is known
  const taggedId = hostileText.map((s) => `${s}·${nextTag()}`);
  /** Well-typed envelopes with hostile values: they get past parsing, into the store and the worker. */
  const wellTyped = fc.record(
    {
      type: fc.constant('notification_event'),
      id: taggedId,
      topic,
      app_id: hostileText,
      created_at: fc.integer({ min: -3_600, max: 3_600 }).map((d) => nowSeconds() + d),
      delivery_attempts: field,
      first_sent_at: field,
      data: fc.record({
        type: field,
        item: fc.record({
          type: fc.constant('conversation'),
          id: fc.oneof(hostileText, fc.integer()),
          conversation_id: fc.oneof(hostileText, fc.integer(), anyJson),
          source: fc.record({ body: hostileText, author: fc.record({ name: hostileText, email: hostileText }) }),
        }),
      }),
    },
    { requiredKeys: ['type', 'id', 'topic', 'data'] },
  );
  /** Anything goes in any field. */
  const wild = fc.record(
    {
      type: fc.oneof({ weight: 3, arbitrary: fc.constant('notification_event') }, { weight: 1, arbitrary: field }),
      id: fc.oneof({ weight: 3, arbitrary: taggedId }, { weight: 1, arbitrary: field }),
      topic: fc.oneof({ weight: 3, arbitrary: topic }, { weight: 1, arbitrary: field }),
      app_id: field,
      created_at: createdAt,
      delivery_attempts: field,
      first_sent_at: field,
      data: fc.oneof(
        { weight: 3, arbitrary: fc.record({ type: field, item }, { requiredKeys: ['item'] }) },
        { weight: 1, arbitrary: field },
      ),
    },
    { requiredKeys: ['type', 'id', 'topic', 'created_at', 'data'] },
  );
  const envelope = fc.oneof({ weight: 3, arbitrary: wellTyped }, { weight: 2, arbitrary: wild });
  const deep = fc
    .tuple(fc.boolean(), fc.integer({ min: 1, max: 50_000 }), fc.boolean())
    .map(([arrays, depth, wrapped]) => {
      const value = arrays ? '['.repeat(depth) + ']'.repeat(depth) : `${'{"a":'.repeat(depth)}null${'}'.repeat(depth)}`;
      if (!wrapped) return value;
      // a valid notification carrying it
      return JSON.stringify({
        type: 'notification_event',
        id: `deep·${nextTag()}`,
        topic: 'conversation.user.created',
        created_at: nowSeconds(),
        data: { item: { type: 'conversation', id: `9${depth}` } },
      }).replace('"data":{', `"deep":${value},"data":{`);
    });
  const body: fc.Arbitrary<string | Uint8Array> = fc.oneof(
    { weight: 8, arbitrary: envelope.map((e) => JSON.stringify(e)) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2_048 }) },
    {
      weight: 2,
      arbitrary: fc.tuple(envelope, fc.nat()).map(([e, n]) => {
        const json = JSON.stringify(e);
        return json.slice(0, n % json.length); // truncated
      }),
    },
    { weight: 1, arbitrary: deep },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', 'null', '[]', '{}', '"x"', '\ufeff{}', '{"type":"notification_event"}', '1e999'),
    },
  );
  const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
  const forgery = fc.oneof(
    fc.constant({ kind: 'none' as const }),
    printable.map((value) => ({ kind: 'garbage' as const, value })),
    fc.stringMatching(/^[0-9a-f]{40}$/).map((hex) => ({ kind: 'garbage' as const, value: `sha1=${hex}` })),
    fc.string().map((s) => ({ kind: 'secret' as const, secret: `wrong-${s}` })),
    fc.constantFrom('sha256' as const, 'short' as const, 'long' as const, 'bare' as const, 'altered' as const),
  );
  const bytes = (b: string | Uint8Array) => (typeof b === 'string' ? Buffer.from(b) : Buffer.from(b));
  function forge(f: typeof forgery extends fc.Arbitrary<infer F> ? F : never, b: string | Uint8Array) {
    const right = signWebhook(b, CLIENT_SECRET);
    if (typeof f === 'string') {
      if (f === 'sha256')
        return { body: b, signature: `sha256=${createHmac('sha256', CLIENT_SECRET).update(b).digest('hex')}` };
      if (f === 'short') return { body: b, signature: right.slice(0, -1) };
      if (f === 'long') return { body: b, signature: `${right}0` };
      if (f === 'bare') return { body: b, signature: right.slice('sha1='.length) };
      return { body: Buffer.concat([bytes(b), Buffer.from(' ')]), signature: right }; // altered after signing
    }
    if (f.kind === 'none') return { body: b, signature: null };
    if (f.kind === 'secret') return { body: b, signature: signWebhook(b, f.secret) };
    return { body: b, signature: f.value };
  }

  it('signed: 200 or 400 (401 only for a replay), never 5xx; forged: 401 and nothing stored', async () => {
    const before = await webhookOutcomes();
    const errorsBefore = errorLogs().length;
    const seen = new Set<string>();
    let signed = 0;
    let forged = 0;
    await fc.assert(
      fc.asyncProperty(body, forgery, async (b, f) => {
        // first the forged twin: refused, and (see `duplicate` below) not stored
        const twin = forge(f, b);
        const refused = await postWebhook(twin.body, twin.signature);
        forged += 1;
        expect(refused).toEqual({ status: 401, body: '{"error":"invalid signature"}' });

        const answer = await postWebhook(b, signWebhook(b, CLIENT_SECRET));
        signed += 1;
        const parsed = (() => {
          try {
            return JSON.parse(bytes(b).toString('utf8')) as Record<string, unknown>;
          } catch {
            return undefined;
          }
        })();
        const createdAt = parsed?.created_at;
        const replay = typeof createdAt === 'number' && createdAt < nowSeconds() - 86_400;
        expect(replay ? [200, 400, 401] : [200, 400]).toContain(answer.status);
        const reply = JSON.parse(answer.body) as { ok?: boolean; duplicate?: boolean; error?: string };
        if (answer.status === 401) expect(reply).toEqual({ error: 'notification too old' });
        if (answer.status === 400) expect(reply.error).toBe('not an Intercom notification');
        if (answer.status === 200 && reply.duplicate !== undefined) {
          const id = String(parsed?.id);
          expect(reply.duplicate).toBe(seen.has(id));
          seen.add(id);
        }
        expect(leaksIn(answer.body)).toEqual([]);
      }),
      { numRuns: 300 },
    );
    await expectHealthy();
    const after = await webhookOutcomes();
    expect(delta(after, before, 'bad_signature')).toBe(forged);
    const handled = ['accepted', 'duplicate', 'ignored', 'ping', 'malformed', 'too_old'];
    expect(handled.reduce((n, o) => n + delta(after, before, o), 0)).toBe(signed);
    expect(delta(after, before, 'error')).toBe(0);
    expect(errorLogs()).toHaveLength(errorsBefore);
    // and the worker, having chewed on all of it, still turns a real notification into a card
    const c = h.intercom.addConversation({ subject: 'After the storm' });
    await h.webhook(h.notification('conversation.user.created', { type: 'conversation', id: String(c.id) }));
    await h.eventually(async () => expect(await h.bridge?.store.getCard(String(c.id))).toBeDefined());
  });
});

// ---------------------------------------------------------------------------------------------------------------
// /slack/events under forged requests

describe('/slack/events under forged requests', () => {
  const slackBody = fc.oneof(
    hostileText.map((text) =>
      slashCommandBody({ user: ALICE, text, channel: CHANNEL, responseUrl: `${h.slack.url}/response/forged` }),
    ),
    fc.record({ type: fc.constantFrom('block_actions', 'view_submission', 'shortcut'), x: field }).map(interactionBody),
    fc.record({ type: field, text: hostileText }).map((e) => JSON.stringify(eventEnvelope(e, 'EvForged'))),
    fc.string(),
  );
  const forgery = fc.oneof(
    fc.constant('none'),
    fc.constant('no signature'),
    fc.constant('no timestamp'),
    fc.constant('stale'),
    fc.constant('altered'),
    fc.constant('v1'),
    fc.string().map((s) => `secret:wrong-${s}`),
    fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }).map((s) => `sig:${s}`),
  );

  it('anything not signed with the signing secret, within 5 minutes, over these very bytes: 401', async () => {
    const writesBefore = intercomWrites().length;
    const viewsBefore = h.slack.views.size;
    const responsesBefore = h.slack.responses.length;
    await fc.assert(
      fc.asyncProperty(slackBody, forgery, fc.boolean(), async (body, f, json) => {
        // an ssl_check form is answered unsigned by design (and its payload dropped): not a forgery
        fc.pre(new URLSearchParams(body).get('ssl_check') !== '1');
        const good = signSlack(SIGNING_SECRET, body);
        const headers: Record<string, string> =
          f === 'none'
            ? {}
            : f === 'no signature'
              ? { 'x-slack-request-timestamp': good['x-slack-request-timestamp'] }
              : f === 'no timestamp'
                ? { 'x-slack-signature': good['x-slack-signature'] }
                : f === 'stale'
                  ? signSlack(SIGNING_SECRET, body, nowSeconds() - 360)
                  : f === 'v1'
                    ? { ...good, 'x-slack-signature': good['x-slack-signature'].replace('v0=', 'v1=') }
                    : f === 'altered'
                      ? good
                      : f.startsWith('secret:')
                        ? signSlack(f.slice('secret:'.length), body)
                        : { ...good, 'x-slack-signature': f.slice('sig:'.length) };
        const sent = f === 'altered' ? `${body} ` : body;
        expect(await postSlack(sent, headers, json ? 'application/json' : FORM)).toEqual({ status: 401, body: '' });
      }),
      { numRuns: 200 },
    );
    expect(intercomWrites()).toHaveLength(writesBefore);
    expect(h.slack.views.size).toBe(viewsBefore);
    expect(h.slack.responses.length).toBe(responsesBefore);
    await expectHealthy();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Oversized bodies

describe('oversized bodies', () => {
  const MB = 1024 * 1024;

  it('webhook: exactly 5 MiB is read; one byte more is 413; the server keeps serving', async () => {
    const notification = JSON.stringify(h.notification('ping', { type: 'ping', id: 'p' }));
    const full = Buffer.from(notification.padEnd(5 * MB, ' '));
    expect(
      await postAlone('/intercom/webhooks', { 'x-hub-signature': signWebhook(full, CLIENT_SECRET) }, full),
    ).toEqual({
      status: 200,
      body: '{"ok":true}',
    });
    const over = Buffer.concat([full, Buffer.from(' ')]);
    for (const signature of [signWebhook(over, CLIENT_SECRET), 'sha1=nope']) {
      expect(await postAlone('/intercom/webhooks', { 'x-hub-signature': signature }, over)).toEqual({
        status: 413,
        body: `{"error":"body over ${5 * MB} bytes"}`,
      });
    }
    // streamed without a length, too
    expect(
      await postAlone(
        '/intercom/webhooks',
        { 'x-hub-signature': 'sha1=nope' },
        { chunk: Buffer.alloc(MB, 0x20), times: 6 },
      ),
    ).toEqual({ status: 413, body: `{"error":"body over ${5 * MB} bytes"}` });
    // a sender that will not stop (past 16× the limit) is cut off without an answer
    const endless = await postAlone('/intercom/webhooks', {}, { chunk: Buffer.alloc(MB, 0x20), times: 100 });
    expect(endless).toHaveProperty('error');
    await expectHealthy();
    const ok = JSON.stringify(h.notification('ping', { type: 'ping', id: 'p2' }));
    expect(await postWebhook(ok, signWebhook(ok, CLIENT_SECRET))).toEqual({ status: 200, body: '{"ok":true}' });
  });

  it('Slack: over 4 MiB is 413 before the signature is even looked at; the server keeps serving', async () => {
    // Bolt 5.1's HTTPReceiver buffers the body with raw-body and a `bodyLimit` (HTTPReceiverOptions.bodyLimit,
    // default `defaultBodyLimit` = 4 MiB in receivers/HTTPModuleFunctions.js; the bridge keeps the default).
    // Past it, raw-body fails with `entity.too.large` and HTTPReceiver answers 413 with an empty body, signed or
    // not, with a length or streamed. So Slack's endpoint is bounded, not unbounded.
    const big = `payload=${'x'.repeat(4 * MB)}`;
    for (const headers of [signSlack(SIGNING_SECRET, big), {}]) {
      expect(await postAlone('/slack/events', { 'content-type': FORM, ...headers }, Buffer.from(big))).toEqual({
        status: 413,
        body: '',
      });
    }
    expect(
      await postAlone(
        '/slack/events',
        { 'content-type': 'application/json', ...signSlack(SIGNING_SECRET, '{}') },
        { chunk: Buffer.alloc(MB, 0x20), times: 5 },
      ),
    ).toEqual({ status: 413, body: '' });
    await expectHealthy();
    const { answer } = await h.command(ALICE, 'help');
    expect(answer.status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// `/intercom` with any text

describe('/intercom with any text', () => {
  const SUBCOMMANDS = [
    'help',
    'contacts',
    'search',
    'articles',
    'docs',
    'conversation',
    'convo',
    'note',
    'tag',
    'ticket',
  ];
  const text = fc.oneof(
    { weight: 3, arbitrary: hostileText },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...SUBCOMMANDS, 'CONTACTS', 'Note', 'nope'),
          fc.constantFrom(' ', '  ', '\t', '\n', '\u00a0'),
          hostileText,
        )
        .map((parts) => parts.join('')),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'note ann@example.com',
        'conversation #1001',
        'conversation https://app.intercom.com/a/inbox/x/inbox/conversation/1001',
        'contacts "<!channel>"',
        'articles <@U123> reset',
        `contacts ${'a'.repeat(5_000)}`,
        'ticket <mailto:ann@example.com|ann@example.com>',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1_000, maxLength: 4_000 }) },
  );

  it('always 200 with an ephemeral answer or an empty ack, inert, no stack trace; the bridge stays up', async () => {
    const errorsBefore = errorLogs().length;
    const asked: Array<{ id: string; input: string }> = [];
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom(ALICE, MALLORY), async (input, user) => {
        const { answer, responseUrl } = await h.command(user, input);
        asked.push({ id: responseUrl.split('/').at(-1) as string, input });
        expect(answer.status).toBe(200);
        if (answer.body !== '') {
          const reply = JSON.parse(answer.body) as { response_type?: string; text?: string };
          expect(reply.response_type).toBe('ephemeral');
          expect(typeof reply.text).toBe('string');
          const shown = reply.text ?? '';
          expect(shown).not.toMatch(/[<>]/);
          expect(shown).not.toMatch(/&(?!amp;|lt;|gt;)/);
          expect(leaksIn(shown, input, visible(input))).toEqual([]);
        }
      }),
      { numRuns: 250 },
    );
    // what arrived later through the response URLs: no leak, and no markup but our links and dates
    await quiet(() => h.slack.responses.length);
    for (const { id, input } of asked) {
      for (const response of h.responsesTo(id)) {
        const json = JSON.stringify(response);
        expect(
          leaksIn(json, input, visible(input), JSON.stringify(input)),
          `${JSON.stringify(input)} → ${json}`,
        ).toEqual([]);
        expect(json).not.toMatch(/<(?!https?:\/\/|!date\^)/i);
      }
    }
    expect(errorLogs()).toHaveLength(errorsBefore);
    await expectHealthy();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The reply modal submitted with anything

describe('the reply modal submitted with anything', () => {
  let view: Record<string, unknown>;
  let conversationId: string;

  beforeAll(async () => {
    const c = h.intercom.addConversation({ subject: 'Hostile replies' });
    conversationId = String(c.id);
    const notification = h.notification('conversation.user.created', { type: 'conversation', id: conversationId });
    await h.webhook(notification);
    await h.eventually(async () => expect(await h.bridge?.store.getCard(conversationId)).toBeDefined());
    await h.click(ALICE, conversationId, 'reply');
    view = await h.openedView('triage_reply');
  });

  const message = fc.oneof(
    { weight: 4, arbitrary: hostileText.filter((t) => t.trim() !== '') },
    { weight: 1, arbitrary: hostileText },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\n\t\u00a0', 'x'.repeat(3_001), `  ${'y'.repeat(3_000)}  `) },
    { weight: 1, arbitrary: fc.string({ minLength: 2_990, maxLength: 3_010 }) },
  );
  const input = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        type: fc.constant('plain_text_input'),
        // not a string (null, a number, an object…): Slack never sends one, the listener must not trust it
        value: fc.oneof(
          { weight: 6, arbitrary: message },
          { weight: 1, arbitrary: fc.oneof(fc.constant(null), anyJson) },
        ),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ type: field, value: fc.oneof(message, anyJson), extra: field }, { requiredKeys: [] }),
    },
    { weight: 1, arbitrary: field },
  );
  const values = fc.oneof(
    { weight: 6, arbitrary: fc.record({ message: fc.record({ message: input }) }) },
    { weight: 1, arbitrary: fc.record({ message: fc.oneof(field, fc.record({ other: input })) }) },
    { weight: 1, arbitrary: fc.dictionary(hostileText, fc.dictionary(hostileText, field)) },
    {
      weight: 1,
      arbitrary: fc.record({ message: fc.record({ message: input }), other: fc.dictionary(hostileText, field) }),
    },
    { weight: 1, arbitrary: anyJson },
    // what Slack never sends, but a request is not trusted to leave out: no values at all, or null
    { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
  );
  /** Conversation ids, "." and ".." among them (the client refuses them rather than walk up the path). */
  const hostileId = fc.oneof(
    { weight: 2, arbitrary: hostileText },
    { weight: 1, arbitrary: fc.constantFrom('.', '..') },
  );
  const metadata = fc.oneof(
    { weight: 4, arbitrary: fc.constant('own') },
    {
      weight: 2,
      arbitrary: fc
        .record(
          { conversationId: hostileId, channel: hostileText, cardTs: hostileText, extra: field },
          { requiredKeys: ['conversationId', 'channel', 'cardTs'] },
        )
        .map((m) => JSON.stringify(m)),
    },
    {
      weight: 1,
      arbitrary: fc
        .record(
          { conversationId: fc.oneof(hostileId, fc.integer()), channel: field, cardTs: field },
          { requiredKeys: [] },
        )
        .map((m) => JSON.stringify(m)),
    },
    { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: hostileText },
    { weight: 1, arbitrary: fc.oneof(fc.constant(undefined), anyJson) },
  );

  /** The context a submission names, when its private_metadata is one (a JSON object with the three strings). */
  function contextOf(meta: unknown): { conversationId: string } | undefined {
    if (typeof meta !== 'string') return undefined;
    try {
      const m = JSON.parse(meta) as unknown;
      if (!isObj(m) || typeof m.conversationId !== 'string' || m.conversationId === '') return undefined;
      return typeof m.channel === 'string' && typeof m.cardTs === 'string'
        ? { conversationId: m.conversationId }
        : undefined;
    } catch {
      return undefined;
    }
  }

  it('200 always: errors for an empty or long message, else an empty ack; Intercom only hears valid ones', async () => {
    const replies = () => h.intercom.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/reply'));
    const repliesBefore = replies().length;
    const errorsBefore = errorLogs().length;
    const expected: string[] = [];
    await fc.assert(
      fc.asyncProperty(values, metadata, fc.constantFrom(ALICE, ALICE, MALLORY), async (v, m, user) => {
        const meta = m === 'own' ? view.private_metadata : m;
        const submitted: Record<string, unknown> = { ...view, private_metadata: meta };
        if (meta === undefined) delete submitted.private_metadata;
        const answer = await h.interact(viewSubmission(user, submitted, v as Record<string, unknown>));
        expect(answer.status).toBe(200);

        const field = dig(v, 'message', 'message', 'value');
        const typed = typeof field === 'string' ? field.trim() : '';
        if (typed === '' || typed.length > 3_000) {
          const reply = JSON.parse(answer.body) as { response_action: string; errors: Record<string, string> };
          expect(reply.response_action).toBe('errors');
          expect(Object.keys(reply.errors)).toEqual(['message']);
          expect(leaksIn(answer.body)).toEqual([]);
          return;
        }
        expect(answer.body).toBe('');
        const context = contextOf(meta);
        const walksUp = context?.conversationId === '.' || context?.conversationId === '..';
        if (context && user === ALICE && !walksUp)
          expected.push(`/conversations/${encodeURIComponent(context.conversationId)}/reply`);
      }),
      { numRuns: 250 },
    );
    await h.eventually(() => expect(replies().length - repliesBefore).toBe(expected.length), 15_000);
    await quiet(() => replies().length); // and nothing more comes
    const made = replies().slice(repliesBefore);
    expect(made.map((r) => r.path).sort()).toEqual([...expected].sort());
    for (const r of made) expect(r.body).toMatchObject({ message_type: 'comment', type: 'admin', admin_id: '991' });
    expect(errorLogs()).toHaveLength(errorsBefore);
    await expectHealthy();
  });
});
