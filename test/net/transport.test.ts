import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { keepAliveDispatcher, Transport, type TransportOptions } from '../../src/net/transport.ts';

// The one outbound transport under the Intercom client and the Slack Web API transport, against a real server on
// loopback.

let server: Server | undefined;
const transports: Transport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, res) => res.end('{}')) {
  const seen: Seen[] = [];
  server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function transport(options: Partial<TransportOptions> & { baseUrl: string }): Transport {
  const t = new Transport({
    connections: 4,
    headers: { authorization: 'Bearer t0ken', accept: 'application/json' },
    jsonContentType: 'application/json; charset=utf-8',
    timeoutMs: 5_000,
    ...options,
  });
  transports.push(t);
  return t;
}

describe('Transport', () => {
  it('puts the base URL’s path before each path, adds the query, and sends JSON only with a body', async () => {
    const { origin, seen } = await serve((_req, res) => res.writeHead(201).end('{"ok":true}'));
    const t = transport({ baseUrl: `${origin}/proxy/api//` });
    expect(t.origin).toBe(origin);
    const posted = await t.send(t.prepare({ method: 'POST', path: '/chat.postMessage', body: { text: 'a & b' } }));
    expect(posted).toMatchObject({ statusCode: 201, text: '{"ok":true}' });
    await t.send(t.prepare({ method: 'GET', path: '/users.info', query: { user: 'U 1&2', skip: undefined, n: 3 } }));

    const [post, get] = seen;
    expect(post).toMatchObject({ method: 'POST', url: '/proxy/api/chat.postMessage', body: '{"text":"a & b"}' });
    expect(post?.headers).toMatchObject({
      authorization: 'Bearer t0ken',
      accept: 'application/json',
      'content-type': 'application/json; charset=utf-8',
    });
    expect(get).toMatchObject({ method: 'GET', url: '/proxy/api/users.info?user=U%201%262&n=3', body: '' });
    expect(get?.headers.authorization).toBe('Bearer t0ken');
    expect(get?.headers['content-type']).toBeUndefined();
  });

  it('a base URL without a path sends the path as it is', async () => {
    const { origin, seen } = await serve();
    const t = transport({ baseUrl: origin });
    await t.send(t.prepare({ method: 'DELETE', path: '/contacts/1' }));
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['DELETE /contacts/1']);
  });

  it('times out by its default, or by the timeout a request is prepared with', async () => {
    const { origin } = await serve(() => {
      // never answers
    });
    const t = transport({ baseUrl: origin, timeoutMs: 60_000 });
    expect(t.prepare({ method: 'GET', path: '/' })).toMatchObject({ headersTimeout: 60_000, bodyTimeout: 60_000 });
    await expect(t.send(t.prepare({ method: 'GET', path: '/slow' }, 100))).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
  });

  it('closes the pool it made, and leaves an injected dispatcher to its owner', async () => {
    const { origin, seen } = await serve();
    const own = new Transport({
      baseUrl: origin,
      connections: 1,
      headers: {},
      jsonContentType: 'application/json',
      timeoutMs: 1_000,
    });
    await own.send(own.prepare({ method: 'GET', path: '/own' }));
    await own.close();
    await expect(own.send(own.prepare({ method: 'GET', path: '/after-close' }))).rejects.toMatchObject({
      code: 'UND_ERR_DESTROYED',
    });

    const agent = new Agent();
    try {
      const injected = transport({ baseUrl: origin, dispatcher: agent });
      await injected.send(injected.prepare({ method: 'GET', path: '/injected' }));
      await injected.close();
      expect(agent.closed).toBe(false);
      await injected.send(injected.prepare({ method: 'GET', path: '/still-open' }));
    } finally {
      await agent.close();
    }
    expect(seen.map((s) => s.url)).toEqual(['/own', '/injected', '/still-open']);
  });
});

describe('keepAliveDispatcher', () => {
  it('is a Pool for one origin, and an Agent for any origin', async () => {
    const pool = keepAliveDispatcher(2, 'http://127.0.0.1:9');
    const agent = keepAliveDispatcher(2);
    expect(pool).toBeInstanceOf(Pool);
    expect(agent).toBeInstanceOf(Agent);
    await Promise.all([pool.close(), agent.close()]);
  });
});
