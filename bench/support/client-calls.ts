import { Pool } from 'undici';
import { z } from 'zod';
import { IntercomClient } from '../../src/intercom/client.ts';

// One way of calling GET /conversations/{id}, CALLS times at concurrency 64, then exit: run under callgrind by
// bench/client-instructions.ts. Usage: node client-calls.ts <way> <calls> <port>

export const WAYS = ['bare undici', 'this client', 'this client, response not validated'] as const;

function call(way: string, url: string): () => Promise<unknown> {
  const headers = { authorization: 'Bearer bench', accept: 'application/json', 'intercom-version': '2.14' };
  if (way === 'bare undici') {
    const pool = new Pool(url, { connections: 128 });
    return async () => {
      const res = await pool.request({ path: '/conversations/503', method: 'GET', headers });
      return JSON.parse(await res.body.text());
    };
  }
  const client = new IntercomClient({ token: 'bench', baseUrl: url });
  if (way === 'this client') return () => client.conversations.get('503');
  if (way === 'this client, response not validated')
    return () => client.http.call({ method: 'GET', path: '/conversations/503', schema: z.unknown() });
  throw new Error(`no way called "${way}"`);
}

const [way, calls, port] = process.argv.slice(2);
if (way !== undefined) {
  const once = call(way, `http://127.0.0.1:${port}`);
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < Number(calls)) {
        next += 1;
        await once();
      }
    }),
  );
  process.exit(0);
}
