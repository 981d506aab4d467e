import { once } from 'node:events';
import type { Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HEADERS_TIMEOUT_MS, pathOf, REQUEST_TIMEOUT_MS, routesServer } from '../../src/http/routes-server.ts';
import { logSink } from '../support/log-sink.ts';

let open: Server | undefined;
afterEach(() => {
  open?.closeAllConnections();
  open?.close();
  open = undefined;
});

async function listen(server: Server): Promise<number> {
  open = server;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Raw bytes on a connection of their own; resolves with all that came back once the server closes (or 3 s pass). */
function raw(port: number, bytes: string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: false });
    }, 3_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {}); // a reset after the server closed: 'close' follows
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true });
    });
    socket.write(bytes);
  });
}

describe('routesServer (Socket Mode’s HTTP listener)', () => {
  it('serves its routes by exact path and method: 404 elsewhere, 405 with Allow for a wrong method', async () => {
    const server = routesServer([
      { path: '/healthz', method: ['GET'], handler: (_req, res) => res.writeHead(200).end('ok') },
    ]).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await fetch(`${url}/healthz?probe=1`);
      expect([ok.status, await ok.text()]).toEqual([200, 'ok']);
      expect((await fetch(`${url}/slack/events`, { method: 'POST' })).status).toBe(404);
      const wrong = await fetch(`${url}/healthz`, { method: 'DELETE' });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET');
    } finally {
      server.close();
    }
  });

  it('request targets that are no URL: 400 and the connection closed, no handler run, nothing thrown', async () => {
    const sink = logSink();
    const reached: string[] = [];
    const server = routesServer(
      [
        {
          path: '/healthz',
          method: ['GET', 'POST', 'HEAD'],
          handler: (req, res) => {
            reached.push(String(req.url));
            res.end('ok');
          },
        },
      ],
      sink.logger,
    );
    const errors: unknown[] = [];
    server.on('error', (e) => errors.push(e));
    const port = await listen(server);
    for (const line of [
      'GET //[ HTTP/1.1',
      'POST http://[::1 HTTP/1.1',
      'HEAD //%zz HTTP/1.1',
      'GET http://a:99999999/healthz HTTP/1.1',
    ]) {
      const answer = await raw(port, `${line}\r\nhost: bridge\r\n\r\n`);
      expect(answer.text, line).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer.text.toLowerCase(), line).toContain('connection: close');
      expect(answer.closed, line).toBe(true);
    }
    // the absolute form of a real route is still that route
    expect(
      (await raw(port, 'GET http://bridge/healthz HTTP/1.1\r\nhost: bridge\r\nconnection: close\r\n\r\n')).text,
    ).toMatch(/^HTTP\/1\.1 200 /);
    expect(reached).toEqual(['http://bridge/healthz']);
    expect(errors).toEqual([]);
    expect(sink.lines()).toEqual([]);
  });

  it('a handler that throws: 500 for that request, the error logged, and the server serves on', async () => {
    const sink = logSink();
    const port = await listen(
      routesServer(
        [
          {
            path: '/boom',
            method: ['GET'],
            handler: () => {
              throw new Error('handler bug');
            },
          },
          { path: '/healthz', method: ['GET'], handler: (_req, res) => res.writeHead(200).end('ok') },
        ],
        sink.logger,
      ),
    );
    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/boom`)).status).toBe(500);
    expect(sink.lines().map((l) => [l.level, l.msg, l.path])).toEqual([
      [50, 'a request could not be handled', '/boom'],
    ]);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('what Node cannot parse is answered: 400 for a bad request line, 431 for headers over the limit', async () => {
    const port = await listen(routesServer([]));
    const bad = await raw(port, 'GET / HTTP/1.1 extra\r\nhost: bridge\r\n\r\n');
    expect(bad.text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bad.closed).toBe(true);
    const big = await raw(port, `GET / HTTP/1.1\r\nhost: bridge\r\nx-pad: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expect(big.text).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(big.closed).toBe(true);
  });

  it('has the header and request timeouts it exports', () => {
    const server = routesServer([]);
    expect([server.headersTimeout, server.requestTimeout]).toEqual([HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS]);
  });
});

describe('pathOf', () => {
  it('the path of an origin-form or absolute-form target; undefined for anything else', () => {
    expect(pathOf('/slack/events')).toBe('/slack/events');
    expect(pathOf('/healthz?probe=1#x')).toBe('/healthz');
    expect(pathOf('/a#b?c')).toBe('/a');
    expect(pathOf('http://bridge:8080/intercom/webhooks?x=1')).toBe('/intercom/webhooks');
    for (const target of [
      undefined,
      '',
      '*',
      '//[',
      '//%zz',
      '//host/healthz',
      'http://[::1',
      'http://a:99999999/healthz',
      'healthz',
    ]) {
      expect(pathOf(target), String(target)).toBeUndefined();
    }
  });
});
