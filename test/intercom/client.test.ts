import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntercomClient } from '../../src/intercom/client.ts';
import {
  IntercomApiError,
  IntercomErrorCode,
  IntercomInvalidResponseError,
  IntercomRateLimitedError,
  IntercomRequestError,
  IntercomTimeoutError,
} from '../../src/intercom/errors.ts';
import type { IntercomHttpOptions } from '../../src/intercom/http.ts';
import {
  idempotentRetryPolicy,
  noRetryPolicy,
  unprocessedOnlyRetryPolicy,
  withFastDelays,
} from '../../src/intercom/retry.ts';
import { conversationParts } from '../../src/intercom/schemas.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';
import { logSink } from '../support/log-sink.ts';

let fake: FakeIntercom;
let client: IntercomClient;
let admin: { id: string };

function newClient(options: Partial<IntercomHttpOptions> = {}) {
  return new IntercomClient({
    token: fake.token,
    baseUrl: fake.url,
    idempotentRetry: withFastDelays(idempotentRetryPolicy),
    writeRetry: withFastDelays(unprocessedOnlyRetryPolicy),
    ...options,
  });
}

beforeEach(async () => {
  fake = await FakeIntercom.start();
  admin = fake.addAdmin({ name: 'Alice', email: 'alice@example.com' }) as { id: string };
  client = newClient();
});

afterEach(async () => {
  // what a gate still holds is answered first: closing the client waits for requests in flight
  fake.openGates();
  await client.close();
  await fake.close();
});

describe('requests', () => {
  it('sends the bearer token, the pinned API version and a User-Agent naming the product', async () => {
    fake.addConversation({ id: '7' });
    await client.conversations.get('7');
    await client.conversations.note('7', { adminId: admin.id, body: 'hi' });
    const [get, post] = fake.requests;
    expect(get?.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(get?.headers['intercom-version']).toBe('2.14');
    expect(get?.headers.accept).toBe('application/json');
    expect(get?.headers['user-agent']).toMatch(/^intercom-slack-bridge\/\d+\.\d+\.\d+/);
    expect(get?.headers['content-type']).toBeUndefined();
    expect(post?.headers['content-type']).toBe('application/json');
  });

  it('uses the configured API version and keeps a base-URL path prefix', async () => {
    const prefixed = newClient({ baseUrl: `${fake.url}/`, apiVersion: '2.13' });
    await prefixed.admins.list();
    await prefixed.close();
    expect(fake.requests[0]?.path).toBe('/admins');
    expect(fake.requests[0]?.headers['intercom-version']).toBe('2.13');
  });

  it('percent-encodes ids in paths', async () => {
    await expect(client.contacts.get('a/b?c')).rejects.toBeInstanceOf(IntercomApiError);
    expect(fake.requests[0]?.path).toBe('/contacts/a%2Fb%3Fc');
  });

  it('omits undefined query values and body fields', async () => {
    await client.articles.search({ phrase: 'refund policy' });
    expect(fake.requests[0]?.query).toEqual({ phrase: 'refund policy', state: 'published' });
    fake.addConversation({ id: '8' });
    await client.conversations.reply('8', { adminId: admin.id, body: 'Hello' });
    expect(fake.requests[1]?.body).toEqual({
      message_type: 'comment',
      type: 'admin',
      admin_id: admin.id,
      body: 'Hello',
    });
  });
});

describe('lenient responses', () => {
  it('keeps numeric ids as strings and passes unknown fields through', async () => {
    fake.addConversation({ id: '9', adminAssigneeId: 991267715 });
    const conversation = await client.conversations.get('9');
    expect(conversation.admin_assignee_id).toBe('991267715');
    expect(conversation.id).toBe('9');
    expect((conversation as Record<string, unknown>).waiting_since).toEqual(expect.any(Number));
    expect((conversation as Record<string, unknown>).statistics).toBeNull();
  });

  it('drops a malformed item of a nested list and an odd nested field, keeping the rest', async () => {
    fake.fail({
      method: 'GET',
      path: '/conversations/2',
      status: 200,
      body: {
        type: 'conversation',
        id: '2',
        source: { subject: 'Hi', author: { id: 5, name: ['not', 'text'] } },
        conversation_parts: {
          conversation_parts: [{ id: 1, body: 'a' }, { body: 'no id' }, { id: 3, created_at: 'yesterday' }],
        },
      },
    });
    const conversation = await client.conversations.get('2');
    expect(conversation.source?.subject).toBe('Hi');
    expect(conversation.source?.author?.id).toBe('5');
    expect(conversation.source?.author?.name).toBeUndefined();
    expect(conversationParts(conversation).map((p) => [p.id, p.created_at])).toEqual([
      ['1', undefined],
      ['3', undefined],
    ]);
  });

  it('reads an odd optional field as absent instead of failing the whole object', async () => {
    fake.fail({
      method: 'GET',
      path: '/conversations/1',
      status: 200,
      body: { type: 'conversation', id: 1, state: 42, tags: 'not-a-list', brand_new_field: { x: 1 } },
    });
    const conversation = await client.conversations.get('1');
    expect(conversation.id).toBe('1');
    expect(conversation.state).toBeUndefined();
    expect(conversation.tags).toBeUndefined();
    expect((conversation as Record<string, unknown>).brand_new_field).toEqual({ x: 1 });
  });

  it('drops a malformed list item but keeps the others', async () => {
    fake.fail({
      method: 'GET',
      path: '/admins',
      status: 200,
      body: { type: 'admin.list', admins: [{ name: 'no id' }, { type: 'admin', id: 5, name: 'Bob' }] },
    });
    const admins = await client.admins.list();
    expect(admins.map((a) => a.id)).toEqual(['5']);
  });

  it('rejects a body without the fields we rely on, naming the field', async () => {
    fake.fail({ method: 'GET', path: '/conversations/1', status: 200, body: { type: 'conversation' } });
    const error = await client.conversations.get('1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomInvalidResponseError);
    expect((error as IntercomInvalidResponseError).code).toBe(IntercomErrorCode.InvalidResponse);
    expect((error as Error).message).toMatch(/\bid\b/);
  });

  it('rejects a 2xx that is not JSON and does not retry it', async () => {
    fake.fail({ method: 'GET', path: '/admins', status: 200, rawBody: '<html>proxy says hi</html>', times: 5 });
    const error = await client.admins.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomInvalidResponseError);
    expect(fake.calls('GET', '/admins')).toHaveLength(1);
  });
});

describe('errors', () => {
  it('turns an error.list body into a typed error with status, request id and Intercom codes', async () => {
    const error = await client.conversations.get('404').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomApiError);
    const api = error as IntercomApiError;
    expect(api.code).toBe('intercom_api_error');
    expect(api.status).toBe(404);
    expect(api.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(api.errors).toEqual([{ code: 'not_found', message: 'Conversation not found', field: undefined }]);
    expect(api.has('not_found')).toBe(true);
    expect(api.message).toBe('Intercom answered 404 (not_found: Conversation not found) to GET /conversations/404');
    expect(api.name).toBe('IntercomApiError');
  });

  it('reports a wrong token as 401 unauthorized without retrying', async () => {
    const wrong = newClient({ token: 'wrong-token' });
    const error = await wrong.admins.me().catch((e: unknown) => e);
    await wrong.close();
    expect((error as IntercomApiError).status).toBe(401);
    expect((error as IntercomApiError).has('unauthorized')).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it('keeps the query string (it can hold customer text) out of error messages', async () => {
    fake.fail({ path: '/articles/search', status: 400, times: 1 });
    const error = await client.articles.search({ phrase: 'secret words' }).catch((e: unknown) => e);
    expect((error as Error).message).not.toContain('secret');
    expect((error as IntercomApiError).path).toBe('/articles/search');
  });
});

describe('retries', () => {
  it('sends a reply that times out exactly once, and Intercom still has it', async () => {
    fake.addConversation({ id: '10' });
    fake.latencyMs = (req) => (req.path.endsWith('/reply') ? 2_500 : 0);
    const error = await client.conversations
      .reply('10', { adminId: admin.id, body: 'Only once' }, { timeoutMs: 1_000 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomTimeoutError);
    expect((error as IntercomTimeoutError).timeoutMs).toBe(1_000);
    expect((error as IntercomTimeoutError).cause).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    await sleep(1_600); // past the fake's answer: a retry would have arrived by now
    expect(fake.calls('POST', '/conversations/10/reply')).toHaveLength(1);
    const parts = (fake.conversations.get('10')?.conversation_parts as { conversation_parts: unknown[] } | undefined)
      ?.conversation_parts;
    expect(parts).toHaveLength(1);
  });

  it('retries a GET that timed out', async () => {
    let first = true;
    fake.latencyMs = () => {
      const delay = first ? 2_500 : 0;
      first = false;
      return delay;
    };
    await client.admins.list({ timeoutMs: 1_000 });
    expect(fake.calls('GET', '/admins')).toHaveLength(2);
  });

  it('retries a 503 on a GET', async () => {
    fake.fail({ method: 'GET', path: '/admins', status: 503, times: 2 });
    const admins = await client.admins.list();
    expect(admins).toHaveLength(1);
    expect(fake.calls('GET', '/admins').map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('does not retry a 503 on a reply, even though Intercom may have stored it', async () => {
    fake.addConversation({ id: '11' });
    fake.fail({ method: 'POST', path: '/conversations/11/reply', status: 503, afterProcessing: true, times: 3 });
    const error = await client.conversations.reply('11', { adminId: admin.id, body: 'x' }).catch((e: unknown) => e);
    expect((error as IntercomApiError).status).toBe(503);
    expect(fake.calls('POST', '/conversations/11/reply')).toHaveLength(1);
  });

  it('does not retry a reply whose connection broke after it was sent', async () => {
    fake.addConversation({ id: '12' });
    fake.fail({ method: 'POST', path: '/conversations/12/reply', status: 0, drop: true, afterProcessing: true });
    const error = await client.conversations.reply('12', { adminId: admin.id, body: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomRequestError);
    expect((error as IntercomRequestError).maybeSent).toBe(true);
    expect(fake.calls('POST', '/conversations/12/reply')).toHaveLength(1);
  });

  it('retries a GET whose connection broke', async () => {
    fake.fail({ method: 'GET', path: '/teams', status: 0, drop: true });
    await client.teams.list();
    expect(fake.calls('GET', '/teams')).toHaveLength(2);
  });

  it('waits out a 429 until X-RateLimit-Reset, then retries', async () => {
    const resetSeconds = Math.floor(Date.now() / 1000) + 60;
    // the clock says the reset is 150 ms away, so the test waits 150 ms rather than a real window
    const timed = newClient({ now: () => resetSeconds * 1000 - 150, pacing: false });
    fake.fail({ method: 'GET', path: '/admins', status: 429, headers: { 'x-ratelimit-reset': String(resetSeconds) } });
    await timed.admins.list();
    await timed.close();
    const [first, second] = fake.calls('GET', '/admins');
    expect(first?.status).toBe(429);
    expect(second?.status).toBe(200);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(140);
  });

  it('retries a 429 on a reply: Intercom rejected it before doing anything', async () => {
    fake.addConversation({ id: '13' });
    fake.fail({ method: 'POST', path: '/conversations/13/reply', status: 429, headers: { 'retry-after': '0' } });
    await client.conversations.reply('13', { adminId: admin.id, body: 'x' });
    expect(fake.calls('POST', '/conversations/13/reply').map((r) => r.status)).toEqual([429, 200]);
  });

  it('gives up at once with IntercomRateLimitedError when the wait is longer than the policy allows', async () => {
    fake.fail({ method: 'GET', path: '/admins', status: 429, headers: { 'retry-after': '3600' } });
    const error = await client.admins.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntercomRateLimitedError);
    expect((error as IntercomRateLimitedError).retryAfterMs).toBe(3_600_000);
    expect((error as IntercomRateLimitedError).code).toBe('intercom_rate_limited');
    expect(fake.calls('GET', '/admins')).toHaveLength(1);
  });

  it('stops after the policy maximum', async () => {
    fake.fail({ method: 'GET', path: '/admins', status: 500, times: 10 });
    await expect(client.admins.list()).rejects.toMatchObject({ status: 500 });
    expect(fake.calls('GET', '/admins')).toHaveLength(idempotentRetryPolicy.maxRetries + 1);
  });

  it('retries a write whose connection was refused (it never reached Intercom), then reports it', async () => {
    const port = Number(new URL(fake.url).port);
    await fake.close();
    const sink = logSink({ level: 'warn' });
    const refused = newClient({ baseUrl: `http://127.0.0.1:${port}`, logger: sink.logger });
    const error = await refused.conversations.reply('1', { adminId: '1', body: 'x' }).catch((e: unknown) => e);
    await refused.close();
    fake = await FakeIntercom.start();
    expect(error).toBeInstanceOf(IntercomRequestError);
    expect((error as IntercomRequestError).maybeSent).toBe(false);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect(sink.lines().filter((l) => l.msg === 'retrying Intercom request')).toHaveLength(
      unprocessedOnlyRetryPolicy.maxRetries,
    );
  });
});

describe('pagination against the fake', () => {
  async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
    const out: T[] = [];
    for await (const item of items) out.push(item);
    return out;
  }

  it('walks every page of a body-cursor search', async () => {
    for (let i = 0; i < 45; i++) fake.addContact({ email: `user${i}@acme.test`, name: `User ${i}` });
    fake.addContact({ email: 'other@else.test' });
    const found = await collect(client.contacts.searchAll({ field: 'email', operator: '~', value: 'acme' }, 10));
    expect(found).toHaveLength(45);
    expect(new Set(found.map((c) => c.id)).size).toBe(45);
    const calls = fake.calls('POST', '/contacts/search');
    expect(calls).toHaveLength(5);
    const bodies = calls.map((c) => c.body as { pagination: { per_page: number; starting_after?: string } });
    expect(bodies[0]?.pagination).toEqual({ per_page: 10 });
    expect(bodies[1]?.pagination.starting_after).toEqual(expect.any(String));
  });

  it('walks every page of a query-cursor list and of the other searches', async () => {
    for (let i = 0; i < 7; i++) fake.addConversation({ state: i % 2 ? 'closed' : 'open' });
    const all = await collect(client.conversations.listAll(3));
    expect(all).toHaveLength(7);
    expect(fake.calls('GET', '/conversations').map((r) => r.query.starting_after === undefined)).toEqual([
      true,
      false,
      false,
    ]);
    const open = await collect(client.conversations.searchAll({ field: 'state', operator: '=', value: 'open' }, 2));
    expect(open).toHaveLength(4);
    const type = fake.addTicketType({ name: 'Bug' });
    const contact = fake.addContact({ email: 'x@y.test' });
    for (let i = 0; i < 3; i++) {
      await client.tickets.create({ ticketTypeId: String(type.id), contact: { id: String(contact.id) } });
    }
    const tickets = await collect(
      client.tickets.searchAll({ field: 'ticket_type_id', operator: '=', value: String(type.id) }, 2),
    );
    expect(tickets).toHaveLength(3);
  });

  it('sends ticket assignments, optional actors and the default reply type as Intercom expects', async () => {
    const type = fake.addTicketType({ name: 'Bug' });
    const contact = fake.addContact({ email: 'x@y.test' });
    const ticket = await client.tickets.create({
      ticketTypeId: String(type.id),
      contact: { email: 'x@y.test' },
      assignment: { adminAssigneeId: '991' },
    });
    expect(fake.calls('POST', '/tickets').at(-1)?.body).toEqual({
      ticket_type_id: String(type.id),
      contacts: [{ email: 'x@y.test' }],
      assignment: { admin_assignee_id: '991' },
    });
    expect(ticket.contacts?.contacts[0]?.id).toBe(String(contact.id));
    const states = (type.ticket_states as { data: Array<{ id: string }> }).data;
    await client.tickets.updateState(ticket.id, { stateId: String(states[1]?.id) });
    expect(fake.calls('PUT', `/tickets/${ticket.id}`).at(-1)?.body).toEqual({ ticket_state_id: String(states[1]?.id) });
    fake.addAdmin({ name: 'Ann', email: 'ann@x.test', id: '991' });
    await client.tickets.reply(ticket.id, { adminId: '991', body: 'On it' });
    expect(fake.calls('POST', `/tickets/${ticket.id}/reply`).at(-1)?.body).toMatchObject({ message_type: 'comment' });
  });

  it('walks every page of a page-number list', async () => {
    for (let i = 0; i < 23; i++) fake.addArticle({ title: `Article ${i}` });
    const articles = await collect(client.articles.listAll(10));
    expect(articles).toHaveLength(23);
    expect(fake.calls('GET', '/articles').map((r) => r.query.page)).toEqual(['1', '2', '3']);
    const contact = fake.addContact({ email: 'n@y.test' });
    for (let i = 0; i < 4; i++)
      await client.contacts.createNote(String(contact.id), { body: `note ${i}`, adminId: admin.id });
    const notes = await collect(client.contacts.listAllNotes(String(contact.id), 3));
    expect(notes.map((n) => n.body)).toEqual(['<p>note 0</p>', '<p>note 1</p>', '<p>note 2</p>', '<p>note 3</p>']);
  });
});

describe('abort and pacing', () => {
  it('stops at once when the caller aborts', async () => {
    // Intercom holds the answer until the fake closes, and the client's own timeout is far beyond the test's:
    // the call can only end by the abort
    const held = fake.hold({ method: 'GET', path: '/admins' });
    const controller = new AbortController();
    const listing = client.admins.list({ signal: controller.signal, timeoutMs: 3_600_000 });
    await held.reached(1);
    controller.abort();
    await expect(listing).rejects.toMatchObject({ name: 'AbortError' });
    expect(held.shut).toBe(true);
    expect(held.held).toBe(1);
    expect(fake.calls('GET', '/admins')).toHaveLength(1);
  });

  it('slows down before Intercom answers 429 when X-RateLimit-Remaining runs low', async () => {
    fake.rateLimit = { limit: 12, windowMs: 1_000 };
    const paced = newClient({ pacing: { windowMs: 1_000 } });
    // one call first so the client has read the headers, then a burst well over the window's budget
    await paced.teams.list();
    await Promise.all(Array.from({ length: 29 }, () => paced.teams.list()));
    await paced.close();
    expect(fake.requests.filter((r) => r.status === 429)).toHaveLength(0);
    expect(fake.requests).toHaveLength(30);
  });

  it('without pacing the same burst does hit 429s (so the test above can fail)', async () => {
    fake.rateLimit = { limit: 12, windowMs: 1_000 };
    const unpaced = newClient({ pacing: false, idempotentRetry: noRetryPolicy });
    await unpaced.teams.list();
    await Promise.allSettled(Array.from({ length: 29 }, () => unpaced.teams.list()));
    await unpaced.close();
    expect(fake.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
  });
});

describe('logging', () => {
  it('never logs the token, even on failures and retries', async () => {
    const sink = logSink({ level: 'trace' });
    const logged = newClient({ logger: sink.logger });
    fake.fail({ method: 'GET', path: '/admins', status: 503, times: 2 });
    await logged.admins.list();
    await logged.conversations.get('missing').catch(() => undefined);
    await logged.close();
    expect(sink.lines().length).toBeGreaterThan(3);
    expect(sink.text()).not.toContain(fake.token);
    expect(sink.text()).toContain('retrying Intercom request');
  });
});
