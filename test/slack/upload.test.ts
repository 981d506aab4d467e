import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentFailure, RetryLater } from '../../src/bridge/failures.ts';
import { SlackHttpError, SlackPlatformError } from '../../src/slack/errors.ts';
import { WebApiSlackPort } from '../../src/slack/slack-port.ts';
import { SlackWebApi } from '../../src/slack/web-api.ts';
import { FakeSlack } from '../support/fake-slack.ts';
import { logSink } from '../support/log-sink.ts';

let slack: FakeSlack;
let web: SlackWebApi;
let port: WebApiSlackPort;
let counted: Array<[string, string]>;
let cardTs: string;
beforeEach(async () => {
  slack = await FakeSlack.start();
  slack.addChannel({ id: 'C0PUBLIC1' });
  const { logger } = logSink();
  counted = [];
  web = new SlackWebApi(slack.token, { apiUrl: slack.apiUrl });
  port = new WebApiSlackPort(web, logger, (method, status) => counted.push([method, status]));
  cardTs = (await web.write('chat.postMessage', { channel: 'C0PUBLIC1', text: 'card' })).ts as string;
});
afterEach(async () => {
  await web.close();
  await slack.close();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

describe('WebApiSlackPort.uploadToThread', () => {
  it('asks for an upload URL with form fields, sends the bytes there without the token, shares in the thread', async () => {
    const { fileId } = await port.uploadToThread(
      'C0PUBLIC1',
      cardTs,
      { filename: 'screen.png', bytes: png, title: 'Screenshot', altText: 'the error dialog' },
      'part-1',
    );
    const [ask] = slack.callsOf('files.getUploadURLExternal');
    expect(ask?.args).toEqual({ filename: 'screen.png', length: '11', alt_txt: 'the error dialog' });
    expect(slack.callsOf('files.completeUploadExternal')[0]?.args).toEqual({
      files: [{ id: fileId, title: 'Screenshot' }],
      channel_id: 'C0PUBLIC1',
      thread_ts: cardTs,
    });
    const file = slack.uploads.get(fileId);
    expect(file).toMatchObject({ channel: 'C0PUBLIC1', threadTs: cardTs, title: 'Screenshot', bytes: png });
    expect(file?.uploadAuthorization).toBeUndefined();
    const thread = slack.messages.filter((m) => m.threadTs === cardTs);
    expect(thread.map((m) => [m.text, m.files])).toEqual([
      ['', [{ id: fileId, name: 'screen.png', title: 'Screenshot' }]],
    ]);
    expect(counted).toEqual([
      ['files.getUploadURLExternal', 'ok'],
      ['upload_url', 'ok'],
      ['files.completeUploadExternal', 'ok'],
    ]);
  });

  it('titles the file with its name when no title is given, and cuts alt text to Slack’s 1000 characters', async () => {
    const { fileId } = await port.uploadToThread('C0PUBLIC1', cardTs, {
      filename: 'log.txt',
      bytes: Buffer.from('x'),
      altText: 'a'.repeat(1500),
    });
    expect(slack.uploads.get(fileId)).toMatchObject({ title: 'log.txt', altText: 'a'.repeat(1000) });
  });

  it('joins a public channel it is not in, then shares', async () => {
    slack.addChannel({ id: 'C0OUTSIDE', botIsMember: false });
    const ts = (await web.write('chat.postMessage', { channel: 'C0PUBLIC1', text: 'x' })).ts as string;
    await port.uploadToThread('C0OUTSIDE', ts, { filename: 'a.txt', bytes: Buffer.from('abc') });
    expect(slack.callsOf('conversations.join')).toHaveLength(1);
    expect(slack.sharedFiles.map((f) => f.channel)).toEqual(['C0OUTSIDE']);
  });

  it('turns refusals no retry fixes into PermanentFailure, so the caller posts a link instead', async () => {
    for (const error of ['file_uploads_disabled', 'file_upload_size_restricted', 'storage_limit_reached']) {
      slack.fail({ method: 'files.getUploadURLExternal', error });
      const refused = await failure(port.uploadToThread('C0PUBLIC1', cardTs, { filename: 'a', bytes: png }));
      expect(refused, error).toBeInstanceOf(PermanentFailure);
    }
    slack.grantedScopes = slack.grantedScopes.filter((s) => s !== 'files:write');
    const noScope = await failure(port.uploadToThread('C0PUBLIC1', cardTs, { filename: 'a', bytes: png }));
    expect(noScope).toBeInstanceOf(PermanentFailure);
    expect(String((noScope as Error).message)).toContain('missing_scope');
    slack.grantedScopes.push('files:write');
    slack.addChannel({ id: 'C0PRIVATE', isPrivate: true, botIsMember: false });
    const privateChannel = await failure(port.uploadToThread('C0PRIVATE', cardTs, { filename: 'a', bytes: png }));
    expect(privateChannel).toBeInstanceOf(PermanentFailure);
    expect(slack.sharedFiles).toHaveLength(0);
  });

  it('turns rate limits and failures of any step into RetryLater, and a retry starts over', async () => {
    slack.fail({ method: 'files.getUploadURLExternal', status: 429, retryAfter: 9 });
    const limited = await failure(port.uploadToThread('C0PUBLIC1', cardTs, { filename: 'a', bytes: png }));
    expect(limited).toBeInstanceOf(RetryLater);
    expect((limited as RetryLater).afterMs).toBe(9_000);

    slack.fail({ method: 'upload_url', status: 429, retryAfter: 3 });
    const uploadLimited = await failure(port.uploadToThread('C0PUBLIC1', cardTs, { filename: 'a', bytes: png }));
    expect((uploadLimited as RetryLater).afterMs).toBe(3_000);

    slack.fail({ method: 'upload_url', status: 503 });
    const uploadDown = await failure(port.uploadToThread('C0PUBLIC1', cardTs, { filename: 'a', bytes: png }));
    expect(uploadDown).toBeInstanceOf(RetryLater);
    expect((uploadDown as RetryLater).cause).toBeInstanceOf(SlackHttpError);

    slack.fail({ method: 'files.completeUploadExternal', status: 500 });
    expect(await failure(port.uploadToThread('C0PUBLIC1', cardTs, { filename: 'a', bytes: png }))).toBeInstanceOf(
      RetryLater,
    );

    const { fileId } = await port.uploadToThread('C0PUBLIC1', cardTs, { filename: 'a', bytes: png });
    expect(slack.sharedFiles.map((f) => f.id)).toEqual([fileId]);
    expect(counted.filter(([m]) => m === 'upload_url').map(([, s]) => s)).toEqual([
      'ratelimited',
      'http_503',
      'ok',
      'ok',
    ]);
  });
});

describe('SlackWebApi.upload', () => {
  it('sends bytes only to Slack’s hosts or the API base’s own origin, never naming the URL in the error', async () => {
    const stranger = createServer((_req, res) => res.end('ok'));
    stranger.listen(0, '127.0.0.1');
    await once(stranger, 'listening');
    try {
      const elsewhere = `http://localhost:${(stranger.address() as AddressInfo).port}/upload/v1/F1?sig=s3cret`;
      for (const url of [elsewhere, 'http://files.slack.com/upload/v1/F1?sig=s3cret', 'not a url s3cret']) {
        const error = await failure(web.upload(url, png));
        expect(error).toBeInstanceOf(SlackPlatformError);
        expect((error as SlackPlatformError).error).toBe('upload_url_not_slack');
        expect(String(error)).not.toContain('s3cret');
      }
    } finally {
      stranger.close();
    }
  });
});
