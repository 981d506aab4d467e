import { describe, expect, it } from 'vitest';
import { reactionAdded, threadMessage } from '../../../src/slack/listeners/thread.ts';
import { sharedAvailable } from '../../support/shared.ts';
import { listenerHarness, messageArgs, reactionArgs, slackSample, USER } from './support.ts';

// The listeners only translate Slack's events; what becomes of them (note, reaction, or ignored with a reason) is
// ThreadEvents' decision, tested in test/bridge/thread-events.test.ts.

describe('threadMessage', () => {
  it('hands a reply in a thread to ThreadEvents with its fields translated', async () => {
    const h = listenerHarness();
    const event = {
      type: 'message',
      channel: 'C1',
      user: USER,
      ts: '1700000001.000200',
      thread_ts: '1700000000.000100',
      text: 'Called the customer back.',
      channel_type: 'channel',
      event_ts: '1700000001.000200',
    };
    await threadMessage(h.deps)(messageArgs(event));

    expect(h.calls('threadEvents.message')).toEqual([
      [
        {
          channel: 'C1',
          ts: '1700000001.000200',
          threadTs: '1700000000.000100',
          user: USER,
          subtype: undefined,
          botId: undefined,
          text: 'Called the customer back.',
        },
      ],
    ]);
    expect(h.order()).toEqual(['threadEvents.message']);
  });

  it('passes on what makes a message not a note (subtype, bot, no thread) rather than dropping it', async () => {
    const h = listenerHarness();
    const event = {
      type: 'message',
      subtype: 'bot_message',
      bot_id: 'B9',
      channel: 'C1',
      ts: '1700000001.000200',
      text: 'beep',
    };
    await threadMessage(h.deps)(messageArgs(event));

    expect(h.calls('threadEvents.message')).toEqual([
      [
        {
          channel: 'C1',
          ts: '1700000001.000200',
          threadTs: undefined,
          user: undefined,
          subtype: 'bot_message',
          botId: 'B9',
          text: 'beep',
        },
      ],
    ]);
  });

  it('passes a file share’s files on as refs (where to fetch each); files it cannot read as none', async () => {
    const h = listenerHarness();
    const file = {
      id: 'F1',
      name: 'log.txt',
      mimetype: 'text/plain',
      size: 5,
      url_private: 'https://files.slack.com/files-pri/T1-F1/log.txt',
      url_private_download: 'https://files.slack.com/files-pri/T1-F1/download/log.txt',
    };
    const event = { type: 'message', subtype: 'file_share', channel: 'C1', user: USER, ts: '2.2', thread_ts: '1.1' };
    await threadMessage(h.deps)(messageArgs({ ...event, text: '', files: [file] }));
    await threadMessage(h.deps)(messageArgs({ ...event, files: 'F1' }));

    expect(h.calls('threadEvents.message').map(([m]) => (m as { files?: unknown }).files)).toEqual([
      [{ id: 'F1', name: 'log.txt', mimetype: 'text/plain', size: 5, url: file.url_private_download }],
      [],
    ]);
  });

  it('a failure in ThreadEvents reaches Bolt (which logs it), not swallowed', async () => {
    const h = listenerHarness({
      message: async () => {
        throw new Error('store unavailable');
      },
    });
    await expect(threadMessage(h.deps)(messageArgs({ type: 'message', channel: 'C1', ts: '1.1' }))).rejects.toThrow(
      'store unavailable',
    );
  });

  it.runIf(sharedAvailable('Slack’s thread reply event sample'))('reads Slack’s own thread reply event', async () => {
    const h = listenerHarness();
    const sample = slackSample('event_message_thread_reply.json');
    await threadMessage(h.deps)(messageArgs(sample.event as object));

    expect(h.calls('threadEvents.message')).toEqual([
      [
        {
          channel: 'C111',
          ts: '1726133700.887259',
          threadTs: '1726133698.626339',
          user: 'W222',
          subtype: undefined,
          botId: undefined,
          text: 'When Slack was released?',
        },
      ],
    ]);
  });
});

const reaction = (item: object, more: object = {}) => ({
  type: 'reaction_added',
  user: USER,
  reaction: 'white_check_mark',
  item_user: 'U2',
  item,
  event_ts: '1700000005.000300',
  ...more,
});
const onMessage = { type: 'message', channel: 'C1', ts: '1700000000.000100' };

describe('reactionAdded', () => {
  it('hands the reaction to ThreadEvents, keyed by the event id Slack gave it', async () => {
    const h = listenerHarness();
    await reactionAdded(h.deps)(reactionArgs(reaction(onMessage), { type: 'event_callback', event_id: 'Ev0PV52K21' }));

    expect(h.calls('threadEvents.reaction')).toEqual([
      [
        {
          reaction: 'white_check_mark',
          itemType: 'message',
          channel: 'C1',
          ts: '1700000000.000100',
          user: USER,
          eventId: 'Ev0PV52K21',
        },
      ],
    ]);
  });

  it('without an event id in the body, keys it by channel, message and event time', async () => {
    const h = listenerHarness();
    await reactionAdded(h.deps)(reactionArgs(reaction(onMessage, { reaction: 'eyes' }), { type: 'event_callback' }));

    expect(h.calls('threadEvents.reaction')).toEqual([
      [
        {
          reaction: 'eyes',
          itemType: 'message',
          channel: 'C1',
          ts: '1700000000.000100',
          user: USER,
          eventId: 'C1:1700000000.000100:1700000005.000300',
        },
      ],
    ]);
  });

  it('a reaction on a file is passed on as such, for ThreadEvents to ignore', async () => {
    const h = listenerHarness();
    const onFile = { type: 'file', file: 'F1', channel: 'C1', ts: '1700000000.000100' };
    await reactionAdded(h.deps)(reactionArgs(reaction(onFile), { event_id: 'Ev2' }));

    expect(h.calls('threadEvents.reaction')).toMatchObject([[{ itemType: 'file', eventId: 'Ev2' }]]);
  });
});
