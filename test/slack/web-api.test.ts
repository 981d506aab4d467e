import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SlackHttpError,
  SlackPlatformError,
  SlackRateLimitedError,
  SlackRequestError,
} from '../../src/slack/errors.ts';
import { SlackWebApi } from '../../src/slack/web-api.ts';
import { FakeSlack } from '../support/fake-slack.ts';

const TOKEN = 'xoxb-web-api-test-7f3a9c';

let slack: FakeSlack | undefined;
let raw: Server | undefined;
let web: SlackWebApi | undefined;
afterEach(async () => {
  await web?.close();
  await slack?.close();
  await new Promise((resolve) => (raw ? raw.close(resolve) : resolve(undefined)));
  slack = undefined;
  raw = undefined;
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

/** A server that answers every request with `answer` and remembers what it was asked. */
async function rawSlack(answer: { status: number; headers?: Record<string, string>; body: string }) {
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
  raw = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  raw.listen(0, '127.0.0.1');
  await new Promise((resolve) => raw?.once('listening', resolve));
  const { port } = raw.address() as AddressInfo;
  web = new SlackWebApi(TOKEN, { apiUrl: `http://127.0.0.1:${port}/api/` });
  return { web, seen, port };
}

describe('SlackWebApi', () => {
  it('sends writes as JSON and reads as GET with a query string, with the token in the Authorization header', async () => {
    const { web, seen } = await rawSlack({ status: 200, body: '{"ok":true,"ts":"1.2"}' });
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'a & b' } }];
    expect(await web.write('chat.postMessage', { channel: 'C1', blocks, unfurl_links: false })).toMatchObject({
      ok: true,
      ts: '1.2',
    });
    await web.read('users.info', { user: 'U 1&2' });
    const [post, read] = seen;
    expect(post).toMatchObject({ method: 'POST', url: '/api/chat.postMessage' });
    expect(post?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(post?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(post?.body ?? '')).toEqual({ channel: 'C1', blocks, unfurl_links: false });
    expect(read).toMatchObject({ method: 'GET', url: '/api/users.info?user=U%201%262', body: '' });
    expect(read?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('works against the fake Slack, and reports the scopes Slack says the token has', async () => {
    slack = await FakeSlack.start();
    slack.addChannel({ id: 'C0PUBLIC1' });
    web = new SlackWebApi(slack.token, { apiUrl: slack.apiUrl });
    const posted = await web.write('chat.postMessage', { channel: 'C0PUBLIC1', text: 'hello' });
    expect(slack.messages.map((m) => [m.channel, m.ts, m.text])).toEqual([['C0PUBLIC1', posted.ts, 'hello']]);
    const auth = await web.write('auth.test', {});
    expect(auth.scopes?.split(',')).toEqual(slack.grantedScopes);
  });

  it('turns ok:false into SlackPlatformError with Slack’s code', async () => {
    slack = await FakeSlack.start();
    web = new SlackWebApi(slack.token, { apiUrl: slack.apiUrl });
    const error = await failure(web.write('chat.postMessage', { channel: 'CNOWHERE', text: 'x' }));
    expect(error).toBeInstanceOf(SlackPlatformError);
    expect((error as SlackPlatformError).error).toBe('channel_not_found');
    expect(error?.message).toBe('chat.postMessage failed: channel_not_found');
  });

  it('turns a 429 into SlackRateLimitedError with Retry-After, and a missing one into a second', async () => {
    slack = await FakeSlack.start();
    slack.addChannel({ id: 'C0PUBLIC1' });
    web = new SlackWebApi(slack.token, { apiUrl: slack.apiUrl });
    slack.fail({ method: 'chat.update', status: 429, retryAfter: 7 });
    const error = await failure(web.write('chat.update', { channel: 'C0PUBLIC1', ts: '1', text: 'x' }));
    expect(error).toBeInstanceOf(SlackRateLimitedError);
    expect((error as SlackRateLimitedError).retryAfterSeconds).toBe(7);

    await web.close();
    await rawSlack({ status: 429, body: '' });
    const bare = await failure((web as SlackWebApi).read('users.info', { user: 'U1' }));
    expect((bare as SlackRateLimitedError).retryAfterSeconds).toBe(1);
  });

  it('turns other statuses and bodies that are not JSON objects into SlackHttpError', async () => {
    const { web } = await rawSlack({ status: 503, body: '<html>down</html>' });
    const error = await failure(web.read('users.info', { user: 'U1' }));
    expect(error).toBeInstanceOf(SlackHttpError);
    expect((error as SlackHttpError).status).toBe(503);
    await web.close();
    const ok = await rawSlack({ status: 200, body: 'not json' });
    expect(await failure(ok.web.read('users.info', { user: 'U1' }))).toBeInstanceOf(SlackHttpError);
  });

  it('turns no answer into SlackRequestError keeping the cause, and never names the token', async () => {
    // a port that answered a moment ago and now refuses
    const { web: closedOver, port } = await rawSlack({ status: 200, body: '{"ok":true}' });
    await closedOver.close();
    await new Promise((resolve) => raw?.close(resolve));
    raw = undefined;
    web = new SlackWebApi(TOKEN, { apiUrl: `http://127.0.0.1:${port}/api/` });
    const error = await failure(web.write('chat.postMessage', { channel: 'C1', text: 'x' }));
    expect(error).toBeInstanceOf(SlackRequestError);
    expect(error?.cause).toBeInstanceOf(Error);
    expect(`${error?.message} ${String(error?.cause)} ${JSON.stringify(error)}`).not.toContain(TOKEN);
  });
});
