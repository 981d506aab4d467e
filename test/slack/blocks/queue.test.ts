import { describe, expect, it } from 'vitest';
import type { DigestData } from '../../../src/bridge/digests.ts';
import type { QueueItem, QueuePage } from '../../../src/bridge/queue.ts';
import { digestMessage } from '../../../src/slack/blocks/digest.ts';
import { clockText, itemText, parseNext, QUEUE_PAGE, queueMessage } from '../../../src/slack/blocks/queue.ts';
import { messageProblems } from '../../support/block-kit-check.ts';

const MINUTE = 60_000;
const item = (id: string, fields: Partial<QueueItem> = {}): QueueItem => ({
  conversationId: id,
  title: `Conversation ${id}`,
  customer: null,
  since: 0,
  clock: { kind: 'waiting', ms: 40 * MINUTE },
  assignee: null,
  cardUrl: null,
  intercomUrl: null,
  ...fields,
});
const page = (fields: Partial<QueuePage>): QueuePage => ({
  scope: 'all',
  items: [],
  offset: 0,
  total: 0,
  capped: false,
  ...fields,
});
const options = { takeValue: (id: string) => `sealed.${id}` };
const hostile = '<!channel> *bold* <https://evil.test|click> & co';

describe('queue message', () => {
  it('says so when nothing waits, by scope', () => {
    expect(queueMessage(page({ scope: 'me' }), options).text).toBe('Nothing assigned to you is waiting for a reply.');
    expect(queueMessage(page({ scope: 'unassigned' }), options).text).toContain('No unassigned conversation');
  });

  it('shows each conversation with its clock, assignee, card link, Intercom link and a sealed Take button', () => {
    const first = item('1', {
      title: 'Refund',
      customer: 'Dana',
      clock: { kind: 'overdue', target: 'first_response', ms: 12 * MINUTE },
      assignee: 'Alice Admin',
      cardUrl: 'https://slack.test/archives/C1/p1',
      intercomUrl: 'https://app.intercom.com/a/inbox/x/inbox/shared/all/conversation/1',
    });
    const message = queueMessage(page({ items: [first, item('2')], total: 2 }), options);
    expect(messageProblems(message)).toEqual([]);
    type Shown = { elements: Array<{ text: string }>; text: { text: string }; accessory: unknown };
    const [summary, one, two] = message.blocks as unknown as Shown[];
    expect(summary?.elements[0]?.text).toBe('*2 waiting in Intercom*, longest first · 1–2');
    expect(one?.text.text).toBe(
      '*<https://slack.test/archives/C1/p1|Refund>*\nDana · :warning: first response overdue by 12m · Alice Admin · ' +
        '<https://app.intercom.com/a/inbox/x/inbox/shared/all/conversation/1|Open in Intercom>',
    );
    expect(one?.accessory).toEqual({
      type: 'button',
      action_id: 'queue_take:1',
      text: { type: 'plain_text', text: 'Take', emoji: true },
      value: 'sealed.1',
    });
    expect(two?.text.text).toBe('*Conversation 2*\nwaiting 40m · unassigned');
    expect(message.blocks).toHaveLength(3);
  });

  it('has no Take button on your own queue', () => {
    const message = queueMessage(page({ scope: 'me', items: [item('1')], total: 1 }), options);
    expect(JSON.stringify(message.blocks)).not.toContain('queue_take');
  });

  it('escapes what Intercom sends', () => {
    const message = queueMessage(
      page({ items: [item('1', { title: hostile, customer: hostile, assignee: hostile })], total: 1 }),
      options,
    );
    expect(messageProblems(message)).toEqual([]);
    expect(JSON.stringify(message.blocks)).not.toContain('<!channel>');
    expect(JSON.stringify(message.blocks)).not.toContain('<https://evil.test');
  });

  it('pages: a full page stays within Slack’s limits, then “… and K more” and Next with where to go on', () => {
    const long = 'x'.repeat(2000);
    const items = Array.from({ length: QUEUE_PAGE }, (_, i) =>
      item(String(i + 11), { title: long, customer: long, assignee: long }),
    );
    const message = queueMessage(page({ items, offset: 10, total: 45, capped: true }), options);
    expect(messageProblems(message)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('11–20');
    expect(text).toContain('… and 25 more');
    expect(text).toContain('first 1,000 open conversations');
    const next = (message.blocks.at(-1) as { elements: Array<{ action_id: string; value: string }> }).elements[0];
    expect(next?.action_id).toBe('queue_next');
    expect(parseNext(next?.value)).toEqual({ scope: 'all', offset: 20 });
    const lastPage = queueMessage(page({ items: [item('45')], offset: 44, total: 45 }), options);
    expect(JSON.stringify(lastPage.blocks)).not.toContain('queue_next');
  });

  it('reads back only Next values it could have made', () => {
    for (const bad of [undefined, '', 'x', '{"s":"bob","o":1}', '{"s":"me","o":-1}', '{"s":"me","o":1.5}', 'null']) {
      expect(parseNext(bad), String(bad)).toBeUndefined();
    }
  });

  it('words clocks as people read them', () => {
    expect(clockText({ kind: 'due', target: 'next_response', ms: 8 * MINUTE + 59_000 })).toBe(
      'next response due in 8m 59s',
    );
    expect(clockText({ kind: 'overdue', target: 'first_response', ms: 2 * 3600_000 })).toContain('overdue by 2h');
    expect(clockText({ kind: 'waiting', ms: 40 * MINUTE })).toBe('waiting 40m');
    expect(itemText(item('9', { cardUrl: 'javascript:alert(1)' }))).toBe('*Conversation 9*\nwaiting 40m · unassigned');
  });
});

describe('digest message', () => {
  const digest = (fields: Partial<DigestData> = {}): DigestData => ({
    channel: 'C1',
    day: '2026-12-08',
    dayLabel: 'Tuesday 8 December',
    timezone: 'Europe/Berlin',
    routes: undefined,
    counts: { open: 14, unassigned: 12, waiting: 13, overdue: 2 },
    longest: [],
    yesterday: { day: '2026-12-07', answered: 3, medianMs: 40 * MINUTE, misses: 2 },
    capped: false,
    ...fields,
  });

  it('has the day, the counts, the longest-waiting with links, and yesterday’s first responses', () => {
    const longest = Array.from({ length: 10 }, (_, i) =>
      item(String(i), { title: hostile, cardUrl: `https://slack.test/p${i}` }),
    );
    const message = digestMessage(digest({ longest, routes: ['vip', '<b>'] }));
    expect(messageProblems(message)).toEqual([]);
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('Support digest · Tuesday 8 December');
    expect(text).toContain('*Open* 14 · *Unassigned* 12 · *Waiting* 13 · *Overdue* 2');
    expect(text).toContain('Routes: vip, &lt;b&gt;');
    expect(text).toContain('https://slack.test/p9|');
    expect(text).toContain('… and 3 more waiting');
    expect(text).toContain('*Yesterday*: 3 first responses, median 40m, 2 missed the target.');
    expect(text).not.toContain('<!channel>');
    expect(message.text).toBe('Support digest: 13 waiting, 2 overdue, 12 unassigned');
  });

  it('says when nobody waits and nothing was answered', () => {
    const message = digestMessage(
      digest({
        counts: { open: 0, unassigned: 0, waiting: 0, overdue: 0 },
        yesterday: { day: '2026-12-07', answered: 0, medianMs: null, misses: 0 },
      }),
    );
    expect(messageProblems(message)).toEqual([]);
    expect(JSON.stringify(message.blocks)).toContain('Nobody is waiting for a reply.');
    expect(JSON.stringify(message.blocks)).toContain('*Yesterday*: no first responses.');
  });
});
