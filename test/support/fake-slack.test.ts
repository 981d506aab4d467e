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

  it('shows each Web API call to onCall as it arrives', async () => {
    const seen: Array<[string, number]> = [];
    slack.onCall = (call) => seen.push([call.method, slack.messages.length]);
    await client.chat.postMessage({ channel: 'C0SUPPORT', text: 'x' });
    expect(seen).toEqual([['chat.postMessage', 0]]); // before the message was kept
    expect(slack.messages).toHaveLength(1);
  });
});
