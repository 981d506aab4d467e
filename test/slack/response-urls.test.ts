import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ResponseUrls } from '../../src/slack/response-urls.ts';

// Posting to Slack's response URLs: a real server on loopback stands in for hooks.slack.com (its origin is allowed
// the way SLACK_API_URL allows the fake Slack's).

const servers: Server[] = [];
const opened: ResponseUrls[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((urls) => urls.close()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body });
    handler(req, res);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function responseUrls(...args: ConstructorParameters<typeof ResponseUrls>): ResponseUrls {
  const urls = new ResponseUrls(...args);
  opened.push(urls);
  return urls;
}

const message = { response_type: 'ephemeral', replace_original: false, text: '✅ Note added to Ann Lee.' } as const;

describe('ResponseUrls.post', () => {
  it('posts the message as JSON to the URL, path and query kept, and says Slack took it', async () => {
    const hooks = await serve((_req, res) => res.writeHead(200).end('ok'));
    const urls = responseUrls(`${hooks.origin}/api/`);
    const url = `${hooks.origin}/actions/T1/42/s3cr3t?x=1`;
    expect(await urls.post(url, message)).toEqual({ ok: true, status: 200 });
    expect(hooks.seen).toEqual([
      {
        method: 'POST',
        url: '/actions/T1/42/s3cr3t?x=1',
        contentType: 'application/json',
        body: JSON.stringify(message),
      },
    ]);
    // the connection is kept: a second post works the same
    expect(await urls.post(url, { text: 'again' })).toEqual({ ok: true, status: 200 });
    expect(hooks.seen.map((s) => JSON.parse(s.body).text)).toEqual([message.text, 'again']);
  });

  it('an answer other than 2xx is a failure with its status; a redirect is not followed', async () => {
    const hooks = await serve((req, res) => {
      if (req.url === '/expired') return void res.writeHead(404).end('expired_url');
      if (req.url === '/moved') return void res.writeHead(302, { location: '/elsewhere' }).end();
      res.writeHead(200).end('ok');
    });
    const urls = responseUrls(hooks.origin);
    expect(await urls.post(`${hooks.origin}/expired`, message)).toEqual({ ok: false, status: 404 });
    expect(await urls.post(`${hooks.origin}/moved`, message)).toEqual({ ok: false, status: 302 });
    expect(hooks.seen.map((s) => s.url)).toEqual(['/expired', '/moved']);
  });

  it('gives up when no answer comes within the timeout, and says so without throwing', async () => {
    const hooks = await serve(() => {
      // never answers
    });
    const urls = responseUrls(hooks.origin, { timeoutMs: 50 });
    expect(await urls.post(`${hooks.origin}/silent`, message)).toEqual({ ok: false, reason: 'TimeoutError' });
    expect(hooks.seen.map((s) => s.url)).toEqual(['/silent']);
  });

  it('sends nothing to a URL that is not one of Slack’s', async () => {
    const hooks = await serve((_req, res) => res.writeHead(200).end('ok'));
    const elsewhere = await serve((_req, res) => res.writeHead(200).end('ok'));
    const urls = responseUrls(hooks.origin);
    for (const url of [
      `${elsewhere.origin}/actions/T1/42/s3cr3t`,
      `http://user:pass@${hooks.origin.slice('http://'.length)}/actions`,
      'https://hooks.slack.com.evil.example/actions',
      'not a url',
      undefined,
      42,
    ]) {
      expect(await urls.post(url, message)).toEqual({ ok: false, reason: 'not_allowed' });
    }
    expect(elsewhere.seen).toEqual([]);
    expect(hooks.seen).toEqual([]);
    expect(urls.allows('https://hooks.slack.com/actions/T1/42/x')).toBe(true);
    expect(urls.allows('https://hooks.slack-gov.com/actions/T1/42/x')).toBe(true);
  });

  it('names a connection failure by its code, never quoting the URL', async () => {
    const gone = await serve(() => undefined);
    const server = servers.pop() as Server;
    await new Promise((resolve) => server.close(resolve));
    const urls = responseUrls(gone.origin);
    const outcome = await urls.post(`${gone.origin}/actions/T1/42/s3cr3t`, message);
    expect(outcome).toEqual({ ok: false, reason: 'ECONNREFUSED' });
    expect(JSON.stringify(outcome)).not.toContain('s3cr3t');
  });

  it('sends through an injected dispatcher, and leaves it open on close', async () => {
    const hooks = await serve((_req, res) => res.writeHead(200).end('ok'));
    const agent = new Agent();
    try {
      const urls = new ResponseUrls(hooks.origin, { dispatcher: agent });
      expect(await urls.post(`${hooks.origin}/a`, message)).toEqual({ ok: true, status: 200 });
      await urls.close();
      expect(agent.closed).toBe(false);
      expect(await urls.post(`${hooks.origin}/b`, message)).toEqual({ ok: true, status: 200 });
      expect(hooks.seen.map((s) => s.url)).toEqual(['/a', '/b']);
    } finally {
      await agent.close();
    }
  });
});
