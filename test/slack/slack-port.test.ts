import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MessageGone, PermanentFailure, RetryLater } from '../../src/bridge/failures.ts';
import type { CardData } from '../../src/bridge/model.ts';
import { WebApiSlackPort } from '../../src/slack/slack-port.ts';
import { SlackWebApi } from '../../src/slack/web-api.ts';
import { FakeSlack } from '../support/fake-slack.ts';
import { logSink } from '../support/log-sink.ts';

const card: CardData = {
  conversationId: '1',
  subject: 'Hi',
  bodyHtml: '<p>Hello</p>',
  attachments: [],
  contact: { name: 'Dana', email: null, company: null },
  state: 'open',
  snoozedUntil: null,
  assignee: { admin: null, team: null },
  priority: false,
  tags: [],
  createdAt: 1_700_000_000,
  intercomUrl: null,
};

let slack: FakeSlack;
let port: WebApiSlackPort;
beforeEach(async () => {
  slack = await FakeSlack.start();
  slack.addChannel({ id: 'C0PUBLIC1' });
  const { logger } = logSink();
  port = new WebApiSlackPort(new SlackWebApi(slack.token, { apiUrl: slack.apiUrl }), logger);
});
afterEach(async () => {
  await slack.close();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('WebApiSlackPort', () => {
  it('posts cards without unfurling, and thread lines under them', async () => {
    const { ts } = await port.postCard('C0PUBLIC1', card);
    await port.postThreadLine('C0PUBLIC1', ts, { kind: 'note', actor: 'Alice', bodyHtml: 'x' });
    const [post, line] = slack.callsOf('chat.postMessage');
    expect(post?.args).toMatchObject({ channel: 'C0PUBLIC1', unfurl_links: false, unfurl_media: false });
    expect(line?.args).toMatchObject({ thread_ts: ts, text: '📝 *Alice* added a note:\nx' });
  });

  it('turns a 429 into RetryLater with the wait Slack asked for', async () => {
    slack.fail({ method: 'chat.postMessage', status: 429, retryAfter: 12 });
    const error = await failure(port.postCard('C0PUBLIC1', card));
    expect(error).toBeInstanceOf(RetryLater);
    expect((error as RetryLater).afterMs).toBe(12_000);
    // until then, posts in that channel are refused here without asking Slack again; another channel is free
    slack.addChannel({ id: 'C0OTHER1' });
    const held = await failure(port.postThreadLine('C0PUBLIC1', '1.1', { kind: 'note', actor: 'A', bodyHtml: 'x' }));
    expect(held).toBeInstanceOf(RetryLater);
    expect((held as RetryLater).afterMs).toBeGreaterThan(10_000);
    expect((held as RetryLater).afterMs).toBeLessThanOrEqual(12_000);
    await port.postCard('C0OTHER1', card);
    expect(slack.callsOf('chat.postMessage').map((c) => [c.args.channel, c.status])).toEqual([
      ['C0PUBLIC1', 429],
      ['C0OTHER1', undefined],
    ]);
  });

  it('turns 5xx and unknown platform errors into RetryLater, refusals into PermanentFailure', async () => {
    slack.fail({ method: 'chat.postMessage', status: 503 });
    expect(await failure(port.postCard('C0PUBLIC1', card))).toBeInstanceOf(RetryLater);
    slack.fail({ method: 'chat.postMessage', error: 'internal_error' });
    expect(await failure(port.postCard('C0PUBLIC1', card))).toBeInstanceOf(RetryLater);
    for (const code of ['invalid_auth', 'is_archived', 'channel_not_found', 'missing_scope']) {
      slack.fail({ method: 'chat.postMessage', error: code });
      const error = await failure(port.postCard('C0PUBLIC1', card));
      expect(error).toBeInstanceOf(PermanentFailure);
      expect((error as Error).message).toBe(`Slack refused: ${code}`);
    }
  });

  it('joins a public channel on not_in_channel; asks for an invite to a private one', async () => {
    slack.addChannel({ id: 'C0OUTSIDE', botIsMember: false });
    await port.postCard('C0OUTSIDE', card);
    expect(slack.callsOf('conversations.join')).toHaveLength(1);
    slack.addChannel({ id: 'G0PRIVATE', isPrivate: true, botIsMember: false });
    const error = await failure(port.postThreadLine('G0PRIVATE', '1.1', { kind: 'open', actor: null }));
    expect(error).toBeInstanceOf(PermanentFailure);
    expect((error as Error).message).toMatch(/invite it there/);
    slack.addChannel({ id: 'C0ARCHIVED', isArchived: true, botIsMember: false });
    expect(await failure(port.postCard('C0ARCHIVED', card))).toBeInstanceOf(PermanentFailure);
  });

  it('updates a card, and says MessageGone when it was deleted in Slack', async () => {
    const { ts } = await port.postCard('C0PUBLIC1', card);
    await port.updateCard('C0PUBLIC1', ts, { ...card, state: 'closed' });
    expect(JSON.stringify(slack.messages[0]?.blocks)).toContain('Closed');
    expect(await failure(port.updateCard('C0PUBLIC1', '9.9', card))).toBeInstanceOf(MessageGone);
    slack.fail({ method: 'chat.update', status: 500 });
    expect(await failure(port.updateCard('C0PUBLIC1', ts, card))).toBeInstanceOf(RetryLater);
  });
});

describe('WebApiSlackPort for people', () => {
  it('reads a user’s email and zone, and null for someone Slack does not know', async () => {
    slack.addUser({ id: 'U1', name: 'Ann', email: 'ann@x.io', tz: 'Asia/Tokyo' });
    expect(await port.user('U1')).toEqual({
      id: 'U1',
      name: 'Ann',
      email: 'ann@x.io',
      timeZone: 'Asia/Tokyo',
      isBot: false,
      teamId: 'T00TEST01',
      enterpriseId: null,
    });
    // a Slack Connect guest: their own workspace, which the bridge compares with its own
    slack.addUser({ id: 'U2', name: 'Guest', email: 'bob@x.io', teamId: 'T0OTHER01' });
    expect(await port.user('U2')).toMatchObject({ teamId: 'T0OTHER01' });
    expect(await port.user('U404')).toBeNull();
    slack.fail({ method: 'users.info', error: 'invalid_auth' });
    expect(await failure(port.user('U1'))).toBeInstanceOf(PermanentFailure);
  });

  it('tells one person, in a thread or not; reacts once; links and DMs', async () => {
    slack.addUser({ id: 'U1', name: 'Ann' });
    await port.tellUser({ channel: 'C0PUBLIC1', user: 'U1', threadTs: '1.1' }, 'hi');
    await port.tellUser({ channel: 'C0PUBLIC1', user: 'U1' }, 'there');
    expect(slack.ephemerals).toEqual([
      { channel: 'C0PUBLIC1', user: 'U1', text: 'hi', threadTs: '1.1' },
      { channel: 'C0PUBLIC1', user: 'U1', text: 'there', threadTs: undefined },
    ]);
    await port.react('C0PUBLIC1', '1.1', 'memo');
    await port.react('C0PUBLIC1', '1.1', 'memo'); // already_reacted is done, not an error
    expect(slack.reactions).toHaveLength(1);
    slack.fail({ method: 'reactions.add', error: 'channel_not_found' });
    expect(await failure(port.react('C0PUBLIC1', '2.2', 'memo'))).toBeInstanceOf(PermanentFailure);
    expect(await port.permalink('C0PUBLIC1', '1.000200')).toBe('https://test.slack.com/archives/C0PUBLIC1/p1000200');
    await port.dm('U1', 'done');
    expect(slack.messages.at(-1)).toMatchObject({ channel: 'U1', text: 'done' });
  });

  it('reports auth.test with the granted scopes, and counts every call with its result', async () => {
    const calls: string[] = [];
    const { logger } = logSink();
    const counted = new WebApiSlackPort(
      new SlackWebApi(slack.token, { apiUrl: slack.apiUrl }),
      logger,
      (method, status) => calls.push(`${method} ${status}`),
    );
    // auth.test in Slack's samples names no app: bots.info, the bot's own record, does
    expect(await port.workspace()).toEqual({
      teamId: 'T00TEST01',
      enterpriseId: undefined,
      appId: 'A0BRIDGE1',
      enterpriseInstall: false,
      botId: 'BBOT00001',
      botUserId: 'UBOT00001',
    });
    const auth = await counted.authTest();
    expect(auth).toMatchObject({ team: 'Test', botUserId: 'UBOT00001', botId: 'BBOT00001' });
    expect(auth.scopes).toContain('users:read.email');
    slack.fail({ method: 'chat.postMessage', status: 429, retryAfter: 3 });
    await failure(counted.postCard('C0PUBLIC1', card));
    await failure(counted.postCard('C0NOWHERE', card));
    slack.fail({ method: 'chat.postMessage', status: 503 });
    slack.addChannel({ id: 'C0PUBLIC2' }); // C0PUBLIC1 is held for the 3 s Slack asked
    await failure(counted.postCard('C0PUBLIC2', card));
    expect(calls).toEqual([
      'auth.test ok',
      'chat.postMessage ratelimited',
      'chat.postMessage channel_not_found',
      'chat.postMessage http_503',
    ]);
  });
});
