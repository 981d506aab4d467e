import { describe, expect, it } from 'vitest';
import type { Notice } from '../../../src/bridge/notifications.ts';
import { escapeHtml } from '../../../src/intercom/html.ts';
import { parseCardActionId } from '../../../src/slack/blocks/card.ts';
import { notificationMessage } from '../../../src/slack/blocks/notifications.ts';
import { messageProblems } from '../../support/block-kit-check.ts';

const hostile = '<!channel> *bold* <https://evil.test|click> & co';
const notice = (fields: Partial<Notice> = {}): Notice => ({
  kind: 'assigned',
  conversationId: '123',
  title: 'Refund for order #42',
  opening: '<p>Hello there</p>',
  contact: 'Carla Customer',
  by: 'Bob',
  bodyHtml: null,
  due: null,
  cardUrl: 'https://test.slack.com/archives/C1/p1700000000000100',
  intercomUrl: 'https://app.intercom.com/a/inbox/w/inbox/shared/all/conversation/123',
  replyValue: 'sealed.notify-reply:123',
  ...fields,
});

const json = (m: unknown) => JSON.stringify(m);
type Block = { type: string; text?: { text: string }; elements?: Array<Record<string, unknown>> };

describe('personal notification DM', () => {
  it('names the conversation in its header, says why, links the card and Intercom, and offers Reply', () => {
    const message = notificationMessage(notice());
    expect(messageProblems(message)).toEqual([]);
    const blocks = message.blocks as Block[];
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Refund for order #42', emoji: false },
    });
    expect(blocks[1]?.text?.text).toBe('📥 Assigned to you by *Bob*\n👤 Carla Customer');
    expect(json(message)).toContain('<https://test.slack.com/archives/C1/p1700000000000100|card in Slack>');
    expect(message.text).toBe('Assigned to you by Bob: Refund for order #42');
    const buttons = blocks.at(-1)?.elements ?? [];
    expect(buttons[0]).toMatchObject({ action_id: 'reply:123', value: 'sealed.notify-reply:123', style: 'primary' });
    // the card's action id: the card listener's Reply modal opens for it
    expect(parseCardActionId(String(buttons[0]?.action_id))).toEqual({ kind: 'reply', conversationId: '123' });
    expect(buttons[1]).toMatchObject({ action_id: 'open:123', url: notice().intercomUrl });
  });

  it("quotes the customer's reply, escaped and cut short", () => {
    // Intercom sends text as HTML: what the customer typed arrives escaped
    const long = `<p>${escapeHtml(hostile)}</p><p>${'word '.repeat(400)}</p>`;
    const message = notificationMessage(notice({ kind: 'replied', by: hostile, bodyHtml: long }));
    expect(messageProblems(message)).toEqual([]);
    const text = json(message);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.test');
    expect(text).toContain('&lt;!channel&gt;');
    const quote = (message.blocks as Block[])[2]?.text?.text ?? '';
    expect(quote.startsWith('&lt;!channel&gt;')).toBe(true);
    expect(quote.length).toBeLessThan(1000);
  });

  it('tells the target and its time when one is due soon', () => {
    const message = notificationMessage(
      notice({ kind: 'due', by: null, due: { target: 'next_response', dueAt: 1_800_000_000 } }),
    );
    expect(messageProblems(message)).toEqual([]);
    expect((message.blocks as Block[])[1]?.text?.text).toContain('next response is due <!date^1800000000^{time}');
    expect(message.text).toBe('Due soon: Refund for order #42');
  });

  it('names a conversation without a title by its first words, else by its id', () => {
    const words = notificationMessage(notice({ title: null, opening: `<p>${'Please help '.repeat(20)}</p>` }));
    const head = (words.blocks as Block[])[0]?.text?.text ?? '';
    expect(head.startsWith('Please help')).toBe(true);
    expect(head.length).toBeLessThanOrEqual(80);
    const bare = notificationMessage(notice({ title: null, opening: null }));
    expect((bare.blocks as Block[])[0]?.text?.text).toBe('Conversation 123');
  });

  it('keeps a hostile title and contact harmless and within limits, without links it does not have', () => {
    const message = notificationMessage(
      notice({ title: hostile.repeat(40), contact: hostile, by: hostile, cardUrl: null, intercomUrl: null }),
    );
    expect(messageProblems(message)).toEqual([]);
    expect(json(message)).not.toContain('<!channel>');
    expect(json(message)).not.toContain('open:123');
    expect(json(message)).not.toContain('card in Slack');
  });
});
