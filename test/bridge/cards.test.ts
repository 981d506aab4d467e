import { describe, expect, it } from 'vitest';
import { Cards } from '../../src/bridge/cards.ts';
import type { Directory } from '../../src/bridge/directory.ts';
import { Identity } from '../../src/bridge/identity.ts';
import { syncJob } from '../../src/bridge/jobs.ts';
import { COULD_NOT_CHECK_WHO } from '../../src/bridge/messages.ts';
import type { SlackUser } from '../../src/bridge/ports.ts';
import { Admin } from '../../src/intercom/schemas.ts';
import type { Card, NewDelivery } from '../../src/store/store.ts';
import { logSink } from '../support/log-sink.ts';
import { TEST_WORKSPACE } from '../support/workspace.ts';

const CARD: Card = { conversationId: 'c1', channel: 'C1', ts: '1700000000.000100' };
const PERMALINK = 'https://acme.slack.com/archives/C1/p1700000000000100';
const ANN: SlackUser = {
  id: 'U1',
  name: 'ann',
  email: 'ann@example.com',
  timeZone: null,
  isBot: false,
  teamId: TEST_WORKSPACE.teamId,
  enterpriseId: null,
};
const ANN_ADMIN = Admin.parse({ type: 'admin', id: '7', name: 'Ann Lee', email: 'ann@example.com' });

/**
 * Cards over a store holding `cards`, with the real Identity in front of a Slack that knows `user` (or fails) and
 * an Intercom whose only teammate is Ann; what is asked and enqueued is recorded.
 */
function cardsWith(
  cards: Card[],
  answers: { user?: () => Promise<SlackUser | null>; permalink?: () => Promise<string> } = {},
) {
  const asked: string[] = [];
  const enqueued: NewDelivery[] = [];
  const sink = logSink();
  // the one Directory method Identity calls for a Slack profile with an email
  const directory = {
    async adminByEmail(email: string) {
      asked.push(`adminByEmail ${email}`);
      return email === ANN_ADMIN.email ? ANN_ADMIN : undefined;
    },
  } as unknown as Directory;
  const identity = new Identity({
    slack: {
      async user(id) {
        asked.push(`user ${id}`);
        return (answers.user ?? (async () => ANN))();
      },
    },
    directory,
    workspace: async () => TEST_WORKSPACE,
  });
  const subject = new Cards({
    store: {
      async cardAt(channel, ts) {
        asked.push(`cardAt ${channel} ${ts}`);
        return cards.find((c) => c.channel === channel && c.ts === ts);
      },
      async getCard(conversationId) {
        asked.push(`getCard ${conversationId}`);
        return cards.find((c) => c.conversationId === conversationId);
      },
    },
    async enqueue(job) {
      enqueued.push(job);
      return true;
    },
    identity,
    slack: {
      async permalink(channel, ts) {
        asked.push(`permalink ${channel} ${ts}`);
        return (answers.permalink ?? (async () => PERMALINK))();
      },
    },
    logger: sink.logger,
  });
  return { cards: subject, asked, enqueued, sink };
}

describe('Cards.isCardOf', () => {
  it('true for the conversation whose card is at that message', async () => {
    const { cards, asked } = cardsWith([CARD]);
    expect(await cards.isCardOf('C1', CARD.ts, 'c1')).toBe(true);
    expect(asked).toEqual([`cardAt C1 ${CARD.ts}`]);
  });

  it.each([
    ['another conversation’s card', 'C1', CARD.ts, 'c2'],
    ['a message that is no card', 'C1', '1700000009.000900', 'c1'],
    ['the same ts in another channel', 'C2', CARD.ts, 'c1'],
  ])('false for %s', async (_, channel, ts, conversationId) => {
    const { cards } = cardsWith([CARD]);
    expect(await cards.isCardOf(channel, ts, conversationId)).toBe(false);
  });
});

describe('Cards.conversationAt', () => {
  it('the conversation whose card is at channel/ts, else undefined', async () => {
    const { cards } = cardsWith([CARD]);
    expect(await cards.conversationAt('C1', CARD.ts)).toBe('c1');
    expect(await cards.conversationAt('C1', '1.1')).toBeUndefined();
  });
});

describe('Cards.postHere', () => {
  it('refused with the identity’s reason for someone who may not act; nothing looked up or queued', async () => {
    const { cards, asked, enqueued } = cardsWith([CARD], { user: async () => ({ ...ANN, email: null }) });

    const result = await cards.postHere('U1', 'c1', 'C2');
    expect(result).toMatchObject({ kind: 'refused' });
    expect(result.kind === 'refused' && result.why).toMatch(/^The bridge cannot see an email on your Slack profile/);
    expect(asked).toEqual(['user U1']);
    expect(enqueued).toEqual([]);
  });

  it('refused, saying the check failed, when finding out who asked throws', async () => {
    const { cards, asked, enqueued, sink } = cardsWith([CARD], {
      user: async () => {
        throw new Error('users.info failed');
      },
    });

    expect(await cards.postHere('U1', 'c1', 'C2')).toEqual({ kind: 'refused', why: COULD_NOT_CHECK_WHO });
    expect(asked).toEqual(['user U1']);
    expect(enqueued).toEqual([]);
    const [warning] = sink.lines().filter((l) => l.level === 40);
    expect(warning).toMatchObject({ slackUserId: 'U1', err: { message: 'users.info failed' } });
  });

  it('a conversation that has a card keeps it: where it is, with its link', async () => {
    const { cards, asked, enqueued } = cardsWith([CARD]);

    expect(await cards.postHere('U1', 'c1', 'C2')).toEqual({ kind: 'has-card', channel: 'C1', permalink: PERMALINK });
    expect(asked).toEqual(['user U1', 'adminByEmail ann@example.com', 'getCard c1', `permalink C1 ${CARD.ts}`]);
    expect(enqueued).toEqual([]);
  });

  it.each([
    [
      'Slack refuses the link',
      async () => {
        throw new Error('message_not_found');
      },
    ],
    ['Slack gives an empty link', async () => ''],
  ])('has a card, no link when %s', async (_, permalink) => {
    const { cards, enqueued } = cardsWith([CARD], { permalink });

    expect(await cards.postHere('U1', 'c1', 'C2')).toEqual({ kind: 'has-card', channel: 'C1', permalink: undefined });
    expect(enqueued).toEqual([]);
  });

  it('no card yet: queues exactly a sync that posts it in this channel', async () => {
    const { cards, enqueued } = cardsWith([CARD]);

    expect(await cards.postHere('U1', 'c2', 'C2')).toEqual({ kind: 'queued' });
    const expected = syncJob('c2', { channel: 'C2' });
    expect(enqueued).toEqual([
      {
        ...expected,
        // a sync's id is unique (each request is its own), and its times are when it was made
        id: expect.stringMatching(/^sync:c2:[0-9a-f-]{36}$/),
        createdAt: expect.any(Number),
        receivedAt: expect.any(Number),
      },
    ]);
    expect(JSON.parse(enqueued[0]?.payload ?? '')).toEqual({ channel: 'C2' });
  });
});
