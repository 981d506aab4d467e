import { describe, expect, it } from 'vitest';
import { reactionJob, threadNoteJob } from '../../src/bridge/jobs.ts';
import { type SlackMessage, type SlackReaction, ThreadEvents } from '../../src/bridge/thread-events.ts';
import type { NewDelivery } from '../../src/store/store.ts';
import { logSink } from '../support/log-sink.ts';

const CARD_TS = '1700000000.000100';

/**
 * ThreadEvents over one card (conversation c1 at C1/CARD_TS), with a toHtml that wraps what is left after
 * trimming; what it looks up, enqueues and logs is recorded.
 */
function threadEvents(options: { threadMessages?: 'note' | 'off'; reactions?: boolean } = {}) {
  const lookedUp: string[] = [];
  const enqueued: NewDelivery[] = [];
  const sink = logSink();
  const events = new ThreadEvents({
    cards: {
      async conversationAt(channel, ts) {
        lookedUp.push(`${channel} ${ts}`);
        return channel === 'C1' && ts === CARD_TS ? 'c1' : undefined;
      },
    },
    async enqueue(job) {
      enqueued.push(job);
      return true;
    },
    threadMessages: options.threadMessages ?? 'note',
    reactions: options.reactions ?? true,
    toHtml: (text) => (text.trim() ? `<p>${text.trim()}</p>` : ''),
    logger: sink.logger,
  });
  return { events, lookedUp, enqueued, sink };
}

/** A job as jobs.ts makes it, whatever time it was made at. */
const madeAnyTime = (job: NewDelivery) => ({ ...job, createdAt: expect.any(Number), receivedAt: expect.any(Number) });

/** A person's reply in the card's thread: what becomes a note. */
const reply: SlackMessage = {
  channel: 'C1',
  ts: '1700000001.000200',
  threadTs: CARD_TS,
  user: 'U1',
  text: 'Called the customer back.',
};

/** A file share's own fields: the subtype and the files (where the worker fetches them). */
const shared: Pick<SlackMessage, 'subtype' | 'files'> = {
  subtype: 'file_share',
  files: [{ id: 'F1', name: 'log.txt', url: 'https://files.slack.com/files-pri/T1-F1/download/log.txt' }],
};

describe('ThreadEvents.message', () => {
  it('a person’s file share in a card’s thread is a note with its files, with text or without', async () => {
    const { events, enqueued } = threadEvents();
    await events.message({ ...reply, ...shared });
    await events.message({ ...reply, ...shared, ts: '1700000001.000300', text: '' });
    const note = { channel: 'C1', threadTs: CARD_TS, user: 'U1', files: shared.files };
    expect(enqueued.map((j) => [j.id, j.topic, j.conversationId, JSON.parse(j.payload)])).toEqual([
      [
        `slack-message:C1:${reply.ts}`,
        'slack.thread_note',
        'c1',
        { ...note, ts: reply.ts, bodyHtml: '<p>Called the customer back.</p>' },
      ],
      [
        'slack-message:C1:1700000001.000300',
        'slack.thread_note',
        'c1',
        { ...note, ts: '1700000001.000300', bodyHtml: '' },
      ],
    ]);
  });

  it('a person’s reply in a card’s thread is queued as a note on its conversation', async () => {
    const { events, lookedUp, enqueued, sink } = threadEvents();
    await events.message(reply);

    expect(lookedUp).toEqual([`C1 ${CARD_TS}`]);
    const note = {
      channel: 'C1',
      ts: '1700000001.000200',
      threadTs: CARD_TS,
      user: 'U1',
      bodyHtml: '<p>Called the customer back.</p>',
    };
    expect(enqueued).toEqual([madeAnyTime(threadNoteJob('c1', note))]);
    expect(enqueued[0]?.id).toBe('slack-message:C1:1700000001.000200');
    expect(sink.lines()).toEqual([]);
  });

  it.each<[string, SlackMessage, string, { threadMessages?: 'off' }?]>([
    ['THREAD_MESSAGES=off', reply, 'THREAD_MESSAGES=off', { threadMessages: 'off' }],
    ['an edit', { ...reply, subtype: 'message_changed' }, 'subtype message_changed'],
    ['a reply also sent to the channel', { ...reply, subtype: 'thread_broadcast' }, 'subtype thread_broadcast'],
    ['a bot’s message', { ...reply, botId: 'B9' }, 'not written by a person'],
    ['a message with no author', { ...reply, user: undefined }, 'not written by a person'],
    ['a top-level message', { ...reply, threadTs: undefined }, 'not a thread reply'],
    ['a thread’s parent', { ...reply, threadTs: reply.ts }, 'not a thread reply'],
    [
      'a reply in a thread that is no card’s',
      { ...reply, threadTs: '1700000009.000900' },
      'not in the thread of a card',
    ],
    ['a reply with nothing to say', { ...reply, text: '   ' }, 'no text'],
    ['a reply without text', { ...reply, text: undefined }, 'no text'],
    ['a file share without files', { ...reply, subtype: 'file_share', files: [] }, 'subtype file_share'],
    ['a bot’s file share (the bridge’s own uploads)', { ...reply, ...shared, botId: 'B9' }, 'not written by a person'],
    ['files on an edit', { ...reply, ...shared, subtype: 'message_changed' }, 'subtype message_changed'],
  ])('%s: ignored, logged at debug with the reason', async (_, message, reason, options) => {
    const { events, enqueued, sink } = threadEvents(options);
    await events.message(message);

    expect(enqueued).toEqual([]);
    expect(sink.lines()).toEqual([
      expect.objectContaining({ level: 20, msg: 'Slack message ignored', channel: 'C1', ts: message.ts, reason }),
    ]);
  });

  it('checks in order, giving only the first reason that applies, and looks up cards only when it must', async () => {
    const reasons: string[] = [];
    const lookups: number[] = [];
    // a message failing every check; each step below mends one more of them
    const edit: SlackMessage = { channel: 'C1', ts: '1700000001.000200', subtype: 'message_changed', botId: 'B9' };
    const person: SlackMessage = { channel: 'C1', ts: '1700000001.000200', user: 'U1' };
    const steps: Array<[{ threadMessages: 'note' | 'off' }, SlackMessage]> = [
      [{ threadMessages: 'off' }, edit],
      [{ threadMessages: 'note' }, edit],
      [{ threadMessages: 'note' }, { ...edit, subtype: undefined }],
      [{ threadMessages: 'note' }, person],
      [{ threadMessages: 'note' }, { ...person, threadTs: '1700000009.000900' }],
      [{ threadMessages: 'note' }, { ...person, threadTs: CARD_TS }],
    ];
    for (const [options, step] of steps) {
      const { events, lookedUp, sink } = threadEvents(options);
      await events.message(step);
      reasons.push(...sink.lines().map((l) => String(l.reason)));
      lookups.push(lookedUp.length);
    }
    expect(reasons).toEqual([
      'THREAD_MESSAGES=off',
      'subtype message_changed',
      'not written by a person',
      'not a thread reply',
      'not in the thread of a card',
      'no text',
    ]);
    expect(lookups).toEqual([0, 0, 0, 0, 1, 1]);
  });
});

const reaction = (more: Partial<SlackReaction> = {}): SlackReaction => ({
  reaction: 'white_check_mark',
  itemType: 'message',
  channel: 'C1',
  ts: CARD_TS,
  user: 'U1',
  eventId: 'Ev0PV52K21',
  ...more,
});

describe('ThreadEvents.reaction', () => {
  it.each([
    ['eyes', 'assign_to_me'],
    ['white_check_mark', 'close'],
    ['heavy_check_mark', 'close'],
  ] as const)(':%s: on a card is queued as %s, keyed by the event', async (emoji, action) => {
    const { events, lookedUp, enqueued, sink } = threadEvents();
    await events.reaction(reaction({ reaction: emoji }));

    expect(lookedUp).toEqual([`C1 ${CARD_TS}`]);
    expect(enqueued).toEqual([
      madeAnyTime(reactionJob('c1', 'Ev0PV52K21', { channel: 'C1', ts: CARD_TS, user: 'U1', action })),
    ]);
    expect(enqueued[0]?.id).toBe('slack-event:Ev0PV52K21');
    expect(sink.lines()).toEqual([]);
  });

  it.each<[string, Partial<SlackReaction>, string, { reactions?: boolean }?]>([
    ['REACTIONS=off', {}, 'REACTIONS=off', { reactions: false }],
    ['an emoji that does nothing', { reaction: 'thumbsup' }, 'not an emoji that acts'],
    ['a custom emoji named constructor', { reaction: 'constructor' }, 'not an emoji that acts'],
    ['a custom emoji named __proto__', { reaction: '__proto__' }, 'not an emoji that acts'],
    ['a custom emoji named toString', { reaction: 'toString' }, 'not an emoji that acts'],
    ['a reaction on a file', { itemType: 'file' }, 'not on a message'],
    ['a reaction on a message that is no card', { ts: '1700000009.000900' }, 'not on a card'],
  ])('%s: ignored, logged at debug with the reason', async (_, more, reason, options) => {
    const { events, enqueued, sink } = threadEvents(options);
    const event = reaction(more);
    await events.reaction(event);

    expect(enqueued).toEqual([]);
    expect(sink.lines()).toEqual([
      expect.objectContaining({
        level: 20,
        msg: 'Slack reaction ignored',
        reaction: event.reaction,
        channel: 'C1',
        ts: event.ts,
        reason,
      }),
    ]);
  });

  it('looks up the card only for an acting emoji on a message', async () => {
    const lookups: number[] = [];
    for (const [options, more] of [
      [{ reactions: false }, {}],
      [{}, { reaction: 'constructor' }],
      [{}, { itemType: 'file' }],
      [{}, { ts: '1700000009.000900' }],
    ] as const) {
      const { events, lookedUp } = threadEvents(options);
      await events.reaction(reaction(more));
      lookups.push(lookedUp.length);
    }
    expect(lookups).toEqual([0, 0, 0, 1]);
  });
});
