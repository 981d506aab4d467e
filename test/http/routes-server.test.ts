import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { routesServer } from '../../src/http/routes-server.ts';

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
});
