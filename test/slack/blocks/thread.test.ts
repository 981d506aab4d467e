import { describe, expect, it } from 'vitest';
import type { ThreadLine } from '../../../src/bridge/model.ts';
import { buildThreadLine } from '../../../src/slack/blocks/thread.ts';

const line = (fields: Partial<ThreadLine> & Pick<ThreadLine, 'kind'>): ThreadLine => ({ actor: 'Alice', ...fields });

describe('buildThreadLine', () => {
  it.each<[ThreadLine, string]>([
    [line({ kind: 'customer_reply', actor: 'Dana', bodyHtml: '<p>hi</p>' }), '💬 *Dana* replied:\nhi'],
    [line({ kind: 'teammate_reply', bodyHtml: '<p>on it</p>' }), '↩️ *Alice* replied to the customer:\non it'],
    [line({ kind: 'bot_reply', actor: 'Fin', bodyHtml: 'Try this' }), '🤖 *Fin* replied:\nTry this'],
    [line({ kind: 'note', bodyHtml: '<p>internal</p>' }), '📝 *Alice* added a note:\ninternal'],
    [line({ kind: 'assignment', detail: 'Billing' }), '👤 *Alice* assigned the conversation to *Billing*'],
    [line({ kind: 'assignment', detail: null }), '👤 *Alice* unassigned the conversation'],
    [line({ kind: 'close' }), '✅ *Alice* closed the conversation'],
    [line({ kind: 'open' }), '🔓 *Alice* reopened the conversation'],
    [
      line({ kind: 'snooze', until: 1_700_000_000 }),
      '💤 *Alice* snoozed the conversation until <!date^1700000000^{date_short_pretty} {time}|2023-11-14 22:13 UTC>',
    ],
    [line({ kind: 'snooze' }), '💤 *Alice* snoozed the conversation'],
    [line({ kind: 'unsnooze', actor: null }), '⏰ The conversation is back from snooze'],
    [line({ kind: 'tag', detail: 'vip, <b>' }), '🏷️ *Alice* tagged the conversation: vip, &lt;b&gt;'],
    [line({ kind: 'priority', actor: null, detail: 'priority' }), '⭐ *Someone* marked the conversation as priority'],
    [line({ kind: 'priority', detail: null }), '☆ *Alice* removed the priority'],
    [line({ kind: 'rating', actor: 'Dana', detail: '4/5' }), '🌟 *Dana* rated the conversation 4/5'],
    [line({ kind: 'deleted', actor: null }), '🗑️ The conversation was deleted in Intercom'],
    [line({ kind: 'earlier', actor: null, detail: '12' }), '… 12 earlier messages are only in Intercom'],
    [
      line({ kind: 'customer_reply', actor: 'Joe', bodyHtml: '<p>Thanks again :)</p>', reopened: true }),
      '💬 *Joe* replied, reopening the conversation:\nThanks again :)',
    ],
    [
      line({ kind: 'close', bodyHtml: '<p>Goodbye :)</p>' }),
      '✅ *Alice* closed the conversation, and wrote:\nGoodbye :)',
    ],
    [
      line({ kind: 'assignment', detail: 'Billing', bodyHtml: '<p>over to you</p>' }),
      '👤 *Alice* assigned the conversation to *Billing*, and wrote:\nover to you',
    ],
    [line({ kind: 'quick_reply', side: 'teammate', options: [] }), '🔘 *Alice* offered quick replies'],
    [
      line({
        kind: 'quick_reply',
        side: 'bot',
        actor: 'Fin',
        options: ['Yes', 'No <way>'],
        bodyHtml: '<p>Did it help?</p>',
      }),
      '🔘 *Fin* asked, with quick replies *Yes* · *No &lt;way&gt;*:\nDid it help?',
    ],
    [line({ kind: 'quick_reply', side: 'customer', actor: 'Joe', options: ['Yes'] }), '💬 *Joe* chose *Yes*'],
    [line({ kind: 'quick_reply', side: 'customer', actor: 'Joe', bodyHtml: 'Yes' }), '💬 *Joe* chose:\nYes'],
  ])('%o', (input, text) => {
    const built = buildThreadLine(input);
    expect(built.text).toBe(text);
    expect(built.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text } });
  });

  it('says where the rest of a message cut short of its quoted e-mail history is', () => {
    const built = buildThreadLine(
      line({ kind: 'customer_reply', actor: 'Dana', bodyHtml: '<p>Yes</p>', trimmed: true }),
    );
    expect(built.text).toBe('💬 *Dana* replied:\nYes\n_… (full message in Intercom)_');
  });

  it('escapes the actor and lists attachments with safe links', () => {
    const built = buildThreadLine(
      line({
        kind: 'customer_reply',
        actor: '<!channel>',
        bodyHtml: 'see file',
        attachments: [
          { name: 'log.txt', url: 'https://files.example/log.txt' },
          { name: 'bad', url: 'javascript:x' },
          { name: 'none', url: null },
        ],
      }),
    );
    expect(built.text).toBe('💬 *&lt;!channel&gt;* replied:\nsee file');
    expect(built.blocks[1]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '📎 <https://files.example/log.txt|log.txt>  📎 bad' }],
    });
  });
});
