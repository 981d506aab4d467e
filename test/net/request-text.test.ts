import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { header, requestText } from '../../src/net/request-text.ts';

let server: Server | undefined;
let pool: Pool | undefined;
afterEach(async () => {
  await pool?.destroy();
  server?.closeAllConnections();
  server?.close();
  server = undefined;
  pool = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: string[] = [];
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pool = new Pool(origin);
  return { origin, pool, seen };
}

describe('requestText', () => {
  it('collects a body sent in pieces, a character split between two of them included', async () => {
    const { origin, pool } = await serve((req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-twice': ['a', 'b'] });
      const bytes = Buffer.from(JSON.stringify({ name: 'Zoë 🙂', method: req.method }), 'utf8');
      const cut = bytes.indexOf(0xc3) + 1; // inside "ë"
      res.write(bytes.subarray(0, cut));
      setTimeout(() => res.end(bytes.subarray(cut)), 5);
    });
    const answer = await requestText(pool, { origin, path: '/x', method: 'POST', body: '{}' });
    expect(answer.statusCode).toBe(201);
    expect(JSON.parse(answer.text)).toEqual({ name: 'Zoë 🙂', method: 'POST' });
    expect(header(answer.headers, 'content-type')).toBe('application/json');
    expect(header(answer.headers, 'x-twice')).toBe('a');
    expect(header(answer.headers, 'x-absent')).toBeUndefined();
  });

  it('skips informational answers and reads an empty body as ""', async () => {
    const { origin, pool } = await serve((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      res.writeHead(204).end();
    });
    expect(await requestText(pool, { origin, path: '/', method: 'GET' })).toMatchObject({ statusCode: 204, text: '' });
  });

  it('gives up at once with the reason of a signal that fires while waiting for the answer', async () => {
    const { origin, pool, seen } = await serve(() => {
      // never answers
    });
    const controller = new AbortController();
    const sent = requestText(pool, { origin, path: '/slow', method: 'GET' }, controller.signal);
    // the server has the request and will never answer: only the signal can end the wait
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error('stopped by the caller'));
    await expect(sent).rejects.toThrow('stopped by the caller');
    expect(seen).toEqual(['GET /slow']);
  });

  it('sends nothing when the signal has already fired', async () => {
    const { origin, pool, seen } = await serve((_req, res) => res.end('ok'));
    const reason = new Error('too late');
    await expect(requestText(pool, { origin, path: '/', method: 'GET' }, AbortSignal.abort(reason))).rejects.toBe(
      reason,
    );
    // the pool still works, and the aborted request never reached the server
    expect((await requestText(pool, { origin, path: '/after', method: 'GET' })).text).toBe('ok');
    expect(seen).toEqual(['GET /after']);
  });

  it("hands back undici's own errors: a headers timeout, and a refused connection", async () => {
    const { origin, pool } = await serve(() => {
      // never answers
    });
    await expect(requestText(pool, { origin, path: '/', method: 'GET', headersTimeout: 100 })).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
    const closed = new Pool('http://127.0.0.1:1');
    try {
      await expect(
        requestText(closed, { origin: 'http://127.0.0.1:1', path: '/', method: 'GET' }),
      ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await closed.destroy();
    }
  });
});
