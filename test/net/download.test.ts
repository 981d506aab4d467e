import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DownloadRefused,
  download,
  filenameFromDisposition,
  hostAllowed,
  MAX_REDIRECTS,
} from '../../src/net/download.ts';

const TOKEN = 'signature=s3cr3t-t0ken';
const servers: Server[] = [];
let agent: Agent | undefined;

afterEach(async () => {
  await agent?.destroy();
  agent = undefined;
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  agent ??= new Agent({ keepAliveTimeout: 10 });
  return { origin: `http://127.0.0.1:${port}`, port, seen, dispatcher: agent };
}

const limits = { allowedHosts: ['127.0.0.1', 'localhost'], maxBytes: 1024, timeoutMs: 2000 };

async function refusal(promise: Promise<unknown>): Promise<DownloadRefused> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DownloadRefused);
  const refused = error as DownloadRefused;
  // the signed part of a URL never reaches an error's text, however it is printed
  expect(`${refused.message} ${refused.stack} ${JSON.stringify(refused)}`).not.toContain('s3cr3t');
  return refused;
}

describe('download', () => {
  it('reads the body, its content type and the file name Content-Disposition gives', async () => {
    const { origin, seen, dispatcher } = await serve((_req, res) => {
      res.writeHead(200, {
        'content-type': 'image/png',
        'content-disposition': 'attachment; filename="shot 1.png"',
        'set-cookie': 'session=abc',
      });
      res.write(Buffer.from([1, 2, 3]));
      setTimeout(() => res.end(Buffer.from([4, 5])), 5);
    });
    const got = await download(`${origin}/i/o/1/shot.png?${TOKEN}`, limits, {
      dispatcher,
      headers: { authorization: 'Bearer x' },
    });
    expect(got).toEqual({ bytes: Buffer.from([1, 2, 3, 4, 5]), contentType: 'image/png', filename: 'shot 1.png' });
    expect(seen[0]?.url).toBe(`/i/o/1/shot.png?${TOKEN}`);
    expect(seen[0]?.headers.authorization).toBe('Bearer x');
    expect(seen[0]?.headers.cookie).toBeUndefined();
  });

  it('gives null for a missing content type and file name, and reads an empty body', async () => {
    const { origin, dispatcher } = await serve((_req, res) => res.writeHead(200).end());
    expect(await download(`${origin}/a`, limits, { dispatcher })).toEqual({
      bytes: Buffer.alloc(0),
      contentType: null,
      filename: null,
    });
  });

  it('refuses a host off the allow-list before sending anything', async () => {
    const { port, seen, dispatcher } = await serve((_req, res) => res.end('x'));
    const error = await refusal(
      download(`http://127.0.0.1:${port}/f.png?${TOKEN}`, { ...limits, allowedHosts: ['example.com'] }, { dispatcher }),
    );
    expect(error.reason).toBe('host');
    expect(error.message).toContain(`127.0.0.1:${port}/f.png`);
    expect(seen).toHaveLength(0);
  });

  it('refuses http to anything but loopback, and schemes other than http(s)', async () => {
    const allowAll = { ...limits, allowedHosts: ['downloads.intercomcdn.com', '10.0.0.1'] };
    for (const url of [
      `http://downloads.intercomcdn.com/i/o/1?${TOKEN}`,
      `http://10.0.0.1/x?${TOKEN}`,
      `ftp://downloads.intercomcdn.com/x?${TOKEN}`,
      `file:///etc/passwd?${TOKEN}`,
      `not a url ${TOKEN}`,
    ]) {
      expect((await refusal(download(url, allowAll))).reason).toBe('scheme');
    }
  });

  it('refuses a Content-Length over the limit before reading the body', async () => {
    let wrote = 0;
    const { origin, dispatcher } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': 4096 });
      res.write(Buffer.alloc(16));
      wrote += 16;
    });
    const error = await refusal(download(`${origin}/big?${TOKEN}`, limits, { dispatcher }));
    expect(error.reason).toBe('too_large');
    expect(error.message).toMatch(/content-length 4096/);
    expect(wrote).toBe(16);
  });

  it('stops reading as soon as a body without a length passes the limit', async () => {
    let closed = false;
    const { origin, dispatcher } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.on('close', () => {
        closed = true;
      });
      const chunk = Buffer.alloc(512);
      // keeps sending for ever: only the client's cut can end it
      const timer = setInterval(() => res.write(chunk), 2);
      res.on('close', () => clearInterval(timer));
    });
    const error = await refusal(download(`${origin}/stream?${TOKEN}`, limits, { dispatcher }));
    expect(error.reason).toBe('too_large');
    expect(error.message).toMatch(/passed 1024 bytes/);
    await expect.poll(() => closed).toBe(true);
  });

  it('accepts a body of exactly the limit', async () => {
    const { origin, dispatcher } = await serve((_req, res) => res.end(Buffer.alloc(1024, 7)));
    expect((await download(`${origin}/x`, limits, { dispatcher })).bytes).toHaveLength(1024);
  });

  it('gives up at the deadline, whether the headers or the body are late', async () => {
    const { origin, dispatcher } = await serve((req, res) => {
      if (req.url?.startsWith('/slow-body')) res.writeHead(200).write('a');
      // /silent never answers
    });
    for (const path of ['/silent', '/slow-body']) {
      const started = Date.now();
      const error = await refusal(download(`${origin}${path}?${TOKEN}`, { ...limits, timeoutMs: 100 }, { dispatcher }));
      expect(error.reason).toBe('timeout');
      expect(error.message).toContain(path);
      expect(Date.now() - started).toBeLessThan(1500);
    }
  });

  it(`follows up to ${MAX_REDIRECTS} redirects on the allow-list, relative ones included`, async () => {
    const { origin, seen, dispatcher } = await serve((req, res) => {
      const hop = Number(req.url?.match(/\/hop(\d)/)?.[1] ?? 0);
      if (hop < MAX_REDIRECTS) res.writeHead(302, { location: `/hop${hop + 1}?${TOKEN}` }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('done');
    });
    const got = await download(`${origin}/hop0?${TOKEN}`, limits, { dispatcher });
    expect(got.bytes.toString()).toBe('done');
    expect(seen.map((r) => r.url?.split('?')[0])).toEqual(['/hop0', '/hop1', '/hop2', '/hop3']);
  });

  it('refuses one redirect too many', async () => {
    const { origin, seen, dispatcher } = await serve((_req, res) => res.writeHead(301, { location: '/again' }).end());
    const error = await refusal(download(`${origin}/loop?${TOKEN}`, limits, { dispatcher }));
    expect(error).toMatchObject({ reason: 'status', status: 301 });
    expect(seen).toHaveLength(MAX_REDIRECTS + 1);
  });

  it('refuses a redirect off the allow-list or to another scheme, without following it', async () => {
    const target = await serve((_req, res) => res.end('never'));
    const { origin, dispatcher } = await serve((req, res) => {
      const location =
        req.url === '/off-list' ? `http://localhost:${target.port}/x?${TOKEN}` : `ftp://127.0.0.1/x?${TOKEN}`;
      res.writeHead(307, { location }).end();
    });
    const onlyIp = { ...limits, allowedHosts: ['127.0.0.1'] };
    expect((await refusal(download(`${origin}/off-list`, onlyIp, { dispatcher }))).reason).toBe('host');
    expect((await refusal(download(`${origin}/ftp`, onlyIp, { dispatcher }))).reason).toBe('scheme');
    expect(target.seen).toHaveLength(0);
  });

  it('keeps the caller headers on its own origin only', async () => {
    const target = await serve((_req, res) => res.end('moved'));
    const { origin, seen, dispatcher } = await serve((_req, res) =>
      res.writeHead(302, { location: `http://localhost:${target.port}/there` }).end(),
    );
    await download(`${origin}/here`, limits, { dispatcher, headers: { authorization: 'Bearer x' } });
    expect(seen[0]?.headers.authorization).toBe('Bearer x');
    expect(target.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('refuses an error status and a redirect without a location', async () => {
    const { origin, dispatcher } = await serve((req, res) => {
      if (req.url?.startsWith('/gone')) res.writeHead(404).end('expired');
      else res.writeHead(302).end();
    });
    expect(await refusal(download(`${origin}/gone?${TOKEN}`, limits, { dispatcher }))).toMatchObject({
      reason: 'status',
      status: 404,
    });
    expect(await refusal(download(`${origin}/nowhere?${TOKEN}`, limits, { dispatcher }))).toMatchObject({
      reason: 'status',
      status: 302,
    });
  });

  it('names a connection failure a network refusal', async () => {
    const { port, dispatcher } = await serve(() => {});
    for (const server of servers.splice(0)) server.close();
    await new Promise((r) => setTimeout(r, 10));
    const error = await refusal(download(`http://127.0.0.1:${port}/x?${TOKEN}`, limits, { dispatcher }));
    expect(error.reason).toBe('network');
  });

  it('names a server that hangs up mid-body a network refusal', async () => {
    const { origin, dispatcher } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('partial');
      setTimeout(() => res.destroy(), 5);
    });
    expect((await refusal(download(`${origin}/cut?${TOKEN}`, limits, { dispatcher }))).reason).toBe('network');
  });
});

describe('hostAllowed', () => {
  it('matches exact hosts and *.suffix entries, case aside, never the bare suffix or a look-alike', () => {
    const list = ['downloads.intercomcdn.com', '*.intercom-attachments-7.com'];
    expect(hostAllowed('downloads.intercomcdn.com', list)).toBe(true);
    expect(hostAllowed('DOWNLOADS.intercomcdn.com', list)).toBe(true);
    expect(hostAllowed('acme-1a2b.intercom-attachments-7.com', list)).toBe(true);
    expect(hostAllowed('intercom-attachments-7.com', list)).toBe(false);
    expect(hostAllowed('evil-intercom-attachments-7.com', list)).toBe(false);
    expect(hostAllowed('downloads.intercomcdn.com.evil.example', list)).toBe(false);
    expect(hostAllowed('x.downloads.intercomcdn.com', list)).toBe(false);
  });
});

describe('filenameFromDisposition', () => {
  it.each([
    ['attachment; filename="report.pdf"', 'report.pdf'],
    ['inline; filename=plain.txt', 'plain.txt'],
    ['attachment; filename="a \\"quoted\\" name.txt"', 'a "quoted" name.txt'],
    ['attachment; filename="fallback.txt"; filename*=UTF-8\'\'Z%C3%B6e%20%F0%9F%99%82.txt', 'Zöe 🙂.txt'],
    ["attachment; filename*=iso-8859-1'de'M%FCller.txt", 'Müller.txt'],
    ['attachment; filename="../../etc/passwd"', 'passwd'],
    ['attachment; filename="C:\\\\temp\\\\x.png"', 'x.png'],
    ['attachment; filename=".."', null],
    ['attachment', null],
    [undefined, null],
  ])('%s → %s', (value, expected) => {
    expect(filenameFromDisposition(value)).toBe(expected);
  });
});
