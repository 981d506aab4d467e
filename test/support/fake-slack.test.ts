import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.ts';

const { WebClient } = webApi;

// the fake stands in for Slack in every end-to-end test, so it must speak to the real WebClient the way Slack does

describe('FakeSlack with the real WebClient', () => {
  let slack: FakeSlack;
  let client: InstanceType<typeof WebClient>;
  beforeEach(async () => {
    slack = await FakeSlack.start();
    slack.addChannel({ id: 'C0SUPPORT' });
    client = new WebClient(slack.token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  afterEach(async () => {
    await slack.close();
  });

  it('posts, threads and updates messages, recording the calls', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'card' } }];
    const card = await client.chat.postMessage({ channel: 'C0SUPPORT', text: 'New conversation', blocks });
    await client.chat.postMessage({ channel: 'C0SUPPORT', text: 'reply', thread_ts: card.ts as string });
    await client.chat.update({ channel: 'C0SUPPORT', ts: card.ts as string, text: 'Closed', blocks: [] });
    expect(slack.messages.map((m) => [m.text, m.threadTs])).toEqual([
      ['Closed', undefined],
      ['reply', card.ts],
    ]);
    expect(slack.callsOf('chat.postMessage')[0]?.args.blocks).toEqual(JSON.stringify(blocks));
  });

  it('answers the errors Slack answers', async () => {
    slack.addChannel({ id: 'C0ARCHIVE', isArchived: true });
    slack.addChannel({ id: 'C0OUTSIDE', botIsMember: false });
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { data?: { error?: string } }) => e.data?.error,
      );
    expect(await code(client.chat.postMessage({ channel: 'C0MISSING', text: 'x' }))).toBe('channel_not_found');
    expect(await code(client.chat.postMessage({ channel: 'C0ARCHIVE', text: 'x' }))).toBe('is_archived');
    expect(await code(client.chat.postMessage({ channel: 'C0OUTSIDE', text: 'x' }))).toBe('not_in_channel');
    await client.conversations.join({ channel: 'C0OUTSIDE' });
    expect(await code(client.chat.postMessage({ channel: 'C0OUTSIDE', text: 'x' }))).toBe('ok');
    expect(await code(new WebClient('xoxb-wrong', { slackApiUrl: slack.apiUrl }).auth.test())).toBe('invalid_auth');
  });

  it('answers 429 with Retry-After when told to', async () => {
    slack.fail({ method: 'chat.postMessage', status: 429, retryAfter: 7 });
    const limited = new WebClient(slack.token, { slackApiUrl: slack.apiUrl, rejectRateLimitedCalls: true });
    await expect(limited.chat.postMessage({ channel: 'C0SUPPORT', text: 'x' })).rejects.toMatchObject({
      retryAfter: 7,
    });
    await expect(limited.chat.postMessage({ channel: 'C0SUPPORT', text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('keeps Slack’s rate limits when told to: a burst per channel, then one a second; calls a minute per method', async () => {
    slack.addChannel({ id: 'C0OTHER' });
    slack.rateLimits = { postMessagePerChannel: { perSecond: 1, burst: 2 }, perMinute: { 'chat.update': 2 } };
    const limited = new WebClient(slack.token, { slackApiUrl: slack.apiUrl, rejectRateLimitedCalls: true });
    const post = (channel: string) => limited.chat.postMessage({ channel, text: 'x' });
    const first = await post('C0SUPPORT');
    await post('C0SUPPORT');
    await expect(post('C0SUPPORT')).rejects.toMatchObject({ retryAfter: 1 });
    await expect(post('C0OTHER')).resolves.toMatchObject({ ok: true }); // another channel has its own
    const update = () => limited.chat.update({ channel: 'C0SUPPORT', ts: first.ts as string, text: 'y' });
    await update();
    await update();
    const refused = await update().then(
      () => undefined,
      (e: { retryAfter?: number }) => e.retryAfter,
    );
    expect(refused).toBeGreaterThanOrEqual(29); // two a minute: the next in about 30 s
    expect(slack.callsOf('chat.postMessage').map((c) => c.status)).toEqual([undefined, undefined, 429, undefined]);
    await new Promise((r) => setTimeout(r, 1_050));
    await expect(post('C0SUPPORT')).resolves.toMatchObject({ ok: true });
  });

  it('looks users up, with their email', async () => {
    slack.addUser({ id: 'U0ALICE', name: 'Alice', email: 'alice@example.com' });
    const { user } = await client.users.info({ user: 'U0ALICE' });
    expect(user?.profile?.email).toBe('alice@example.com');
  });

  it('holds a response URL’s answer until the gate opens, having taken the message', async () => {
    const gate = slack.holdResponses({ id: 'slow' });
    const post = (id: string) =>
      fetch(`${slack.url}/response/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: id }),
      });
    const held = post('slow');
    let answered = false;
    void held.then(() => {
      answered = true;
    });
    await gate.reached(1);
    expect((await post('other')).status).toBe(200); // another response URL answers as usual
    expect(slack.responses.map((r) => r.body.text)).toEqual(['slow', 'other']);
    expect(gate.held).toBe(1);
    expect(answered).toBe(false);
    gate.open();
    expect((await held).status).toBe(200);
    expect(gate.held).toBe(0);
  });

  it('takes a file through the external upload flow the WebClient drives, into a thread', async () => {
    const card = await client.chat.postMessage({ channel: 'C0SUPPORT', text: 'card' });
    const bytes = Buffer.from('%PDF-1.7 fake');
    const done = await client.files.uploadV2({
      channel_id: 'C0SUPPORT',
      thread_ts: card.ts as string,
      file: bytes,
      filename: 'invoice.pdf',
      title: 'Invoice',
    });
    expect(done.ok).toBe(true);
    const [shared] = slack.sharedFiles;
    expect(shared).toMatchObject({ filename: 'invoice.pdf', title: 'Invoice', channel: 'C0SUPPORT', length: 13 });
    expect(shared?.bytes).toEqual(bytes);
    expect(shared?.threadTs).toBe(card.ts);
    const replies = await client.conversations.replies({ channel: 'C0SUPPORT', ts: card.ts as string });
    expect(replies.messages?.[1]?.files).toEqual([{ id: shared?.id, name: 'invoice.pdf', title: 'Invoice' }]);
  });

  it('holds files.getUploadURLExternal and files.completeUploadExternal to Slack’s argument rules', async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { data?: { error?: string } }) => e.data?.error,
      );
    const ask = (args: Record<string, unknown>) =>
      code(client.apiCall('files.getUploadURLExternal', args) as Promise<unknown>);
    expect(await ask({ length: 3 })).toBe('invalid_arguments');
    expect(await ask({ filename: 'a.txt' })).toBe('invalid_arguments');
    expect(await ask({ filename: 'a.txt', length: 'three' })).toBe('invalid_arguments');
    expect(await ask({ filename: 'a.txt', length: 0 })).toBe('missing_argument');
    expect(await ask({ filename: 'a.png', length: 3, alt_txt: 'x'.repeat(1001) })).toBe('alt_txt_too_large');
    // the method reads form fields only: the same arguments as JSON are not seen
    const json = await fetch(`${slack.apiUrl}files.getUploadURLExternal`, {
      method: 'POST',
      headers: { authorization: `Bearer ${slack.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ filename: 'a.txt', length: 3 }),
    });
    expect(await json.json()).toEqual({ ok: false, error: 'invalid_arguments' });

    const complete = (args: Record<string, unknown>) =>
      code(client.apiCall('files.completeUploadExternal', args) as Promise<unknown>);
    expect(await complete({ channel_id: 'C0SUPPORT' })).toBe('invalid_arguments');
    expect(await complete({ files: JSON.stringify([{ id: 'F0NOSUCH' }]) })).toBe('file_not_found');
    const ticket = await client.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
    // handed out but never sent: Slack cannot find it either
    expect(await complete({ files: JSON.stringify([{ id: ticket.file_id }]) })).toBe('file_not_found');
    expect((await fetch(ticket.upload_url as string, { method: 'POST', body: 'abcd' })).status).toBe(400);
    expect((await fetch(`${slack.url}/upload/v1/F0NOSUCH`, { method: 'POST', body: 'abc' })).status).toBe(404);
    expect((await fetch(ticket.upload_url as string, { method: 'POST', body: 'abc' })).status).toBe(200);
    const files = JSON.stringify([{ id: ticket.file_id }]);
    expect(await complete({ files, channel_id: 'C0MISSING' })).toBe('channel_not_found');
    slack.addChannel({ id: 'C0OUTSIDE', botIsMember: false });
    expect(await complete({ files, channel_id: 'C0OUTSIDE' })).toBe('not_in_channel');
    expect(await complete({ files, channel_id: 'C0SUPPORT' })).toBe('ok');
    // shared once: the same upload cannot be completed again
    expect(await complete({ files, channel_id: 'C0SUPPORT' })).toBe('file_not_found');
    expect(slack.sharedFiles.map((f) => [f.filename, f.title, f.channel])).toEqual([['a.txt', 'a.txt', 'C0SUPPORT']]);
    expect(slack.messages.at(-1)).toMatchObject({ channel: 'C0SUPPORT', threadTs: undefined });
  });

  it('refuses uploads without files:write, and rate-limits the flow like any method', async () => {
    slack.grantedScopes = slack.grantedScopes.filter((s) => s !== 'files:write');
    await expect(client.files.getUploadURLExternal({ filename: 'a.txt', length: 3 })).rejects.toMatchObject({
      data: { error: 'missing_scope', needed: 'files:write' },
    });
    slack.grantedScopes.push('files:write');
    const limited = new WebClient(slack.token, { slackApiUrl: slack.apiUrl, rejectRateLimitedCalls: true });
    slack.fail({ method: 'files.getUploadURLExternal', status: 429, retryAfter: 4 });
    await expect(limited.files.getUploadURLExternal({ filename: 'a.txt', length: 3 })).rejects.toMatchObject({
      retryAfter: 4,
    });
    const ticket = await limited.files.getUploadURLExternal({ filename: 'a.txt', length: 3 });
    slack.fail({ method: 'upload_url', status: 429, retryAfter: 2 });
    const limitedUpload = await fetch(ticket.upload_url as string, { method: 'POST', body: 'abc' });
    expect([limitedUpload.status, limitedUpload.headers.get('retry-after')]).toEqual([429, '2']);
    expect(slack.uploads.get(ticket.file_id as string)?.bytes).toBeUndefined();
    expect(slack.callsOf('upload_url').map((c) => c.status)).toEqual([429]);
  });

  it('shows each Web API call to onCall as it arrives', async () => {
    const seen: Array<[string, number]> = [];
    slack.onCall = (call) => seen.push([call.method, slack.messages.length]);
    await client.chat.postMessage({ channel: 'C0SUPPORT', text: 'x' });
    expect(seen).toEqual([['chat.postMessage', 0]]); // before the message was kept
    expect(slack.messages).toHaveLength(1);
  });
});
