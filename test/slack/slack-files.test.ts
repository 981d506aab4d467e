import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLACK_FILE_HOST, slackFiles } from '../../src/slack/slack-files.ts';

// Fetching a file a person shared in Slack: the bot token goes to Slack's file host (and SLACK_API_URL's) only.

let server: Server;
let base: string;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/login') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html>Sign in</html>');
    }
    res.writeHead(200, { 'content-type': 'application/pdf' });
    res.end('%PDF');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

const files = () => slackFiles({ botToken: 'xoxb-secret', apiUrl: `${base}/api/` }, 1_000);

describe('slackFiles', () => {
  it('fetches url_private_download with the bot token from the host SLACK_API_URL names', async () => {
    seen.length = 0;
    const got = await files().fetch({ id: 'F1', name: 'a.pdf', url: `${base}/files-pri/T1-F1/download/a.pdf` }, 100);
    expect(got).toEqual({ ok: true, bytes: Buffer.from('%PDF'), contentType: 'application/pdf' });
    expect(seen.map((h) => h.authorization)).toEqual(['Bearer xoxb-secret']);
    expect(SLACK_FILE_HOST).toBe('files.slack.com');
  });

  it('refuses another host (no request is made), a missing URL, and Slack’s sign-in page in place of a file', async () => {
    seen.length = 0;
    const port = new URL(base).port;
    const f = files();
    expect(await f.fetch({ id: 'F1', name: 'a', url: `http://localhost:${port}/x` }, 100)).toEqual({
      ok: false,
      reason: 'host',
    });
    expect(await f.fetch({ id: 'F1', name: 'a', url: 'https://files.slack.com.evil.test/x' }, 100)).toEqual({
      ok: false,
      reason: 'host',
    });
    expect(seen).toEqual([]);
    expect(await f.fetch({ id: 'F1', name: 'a' }, 100)).toEqual({ ok: false, reason: 'no_url' });
    const page = await f.fetch({ id: 'F1', name: 'a.pdf', mimetype: 'application/pdf', url: `${base}/login` }, 100);
    expect(page).toEqual({ ok: false, reason: 'status' });
    // a file that is HTML is a file
    const html = await f.fetch({ id: 'F2', name: 'a.html', mimetype: 'text/html', url: `${base}/login` }, 100);
    expect(html.ok).toBe(true);
  });

  it('without SLACK_API_URL, only files.slack.com; a file over the limit is refused', async () => {
    const f = slackFiles({ botToken: 'xoxb-secret' }, 1_000);
    expect(await f.fetch({ id: 'F1', name: 'a', url: `${base}/a` }, 100)).toEqual({ ok: false, reason: 'host' });
    expect(await files().fetch({ id: 'F1', name: 'a', url: `${base}/a` }, 2)).toEqual({
      ok: false,
      reason: 'too_large',
    });
  });
});
