import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intercomConversationUrl } from '../../../src/bridge/conversation-view.ts';
import { buildCard, type CardData, cardActionId, LIMITS, parseCardActionId } from '../../../src/slack/blocks/card.ts';

const base: CardData = {
  conversationId: '503',
  subject: 'Export is empty',
  bodyHtml: '<p>Hi, the <b>CSV export</b> is empty.</p>',
  attachments: [{ name: 'export.csv', url: 'https://files.example/export.csv' }],
  contact: { name: 'Dana Customer', email: 'dana@acme.test', company: 'Acme' },
  state: 'open',
  snoozedUntil: null,
  assignee: { admin: 'Alice', team: 'Billing' },
  priority: true,
  tags: ['vip', 'billing'],
  createdAt: 1_700_000_000,
  intercomUrl: intercomConversationUrl('wsp1', '503'),
};

const texts = (blocks: readonly unknown[]) => JSON.stringify(blocks);
const buttons = (card: CardData) =>
  (buildCard(card).blocks.at(-1) as { elements: Array<{ action_id: string; text: { text: string } }> }).elements.map(
    (e) => e.text.text,
  );

describe('buildCard', () => {
  it('shows subject, contact, the rendered first message, attachments and the status line', () => {
    const { text, blocks } = buildCard(base);
    expect(text).toBe('New conversation from Dana Customer: Export is empty');
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Export is empty', emoji: false } });
    expect(blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*Dana Customer* · dana@acme.test · Acme' },
    });
    expect(blocks[2]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'Hi, the *CSV export* is empty.' } });
    expect(blocks[3]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '📎 <https://files.example/export.csv|export.csv>' },
    });
    const context = (blocks[4] as { elements: Array<{ text: string }> }).elements.map((e) => e.text);
    expect(context).toEqual([
      '🟢 Open',
      '👤 Alice / Billing',
      '⭐ Priority',
      '🏷️ vip, billing',
      '🕒 <!date^1700000000^{date_short_pretty} {time}|2023-11-14 22:13 UTC>',
    ]);
  });

  it('offers buttons that fit the state, with stable action ids carrying the conversation id', () => {
    expect(buttons(base)).toEqual(['Reply', 'Note', 'Assign', 'Tag', 'Snooze', 'Close', 'Open in Intercom']);
    expect(buttons({ ...base, state: 'closed' })).toEqual([
      'Reply',
      'Note',
      'Assign',
      'Tag',
      'Reopen',
      'Open in Intercom',
    ]);
    expect(buttons({ ...base, state: 'snoozed', snoozedUntil: 1_700_100_000, intercomUrl: null })).toEqual([
      'Reply',
      'Note',
      'Assign',
      'Tag',
      'Reopen',
      'Close',
    ]);
    const actions = buildCard(base).blocks.at(-1) as {
      block_id: string;
      elements: Array<{ action_id: string; value?: string; url?: string }>;
    };
    expect(actions.block_id).toBe('card:503');
    expect(actions.elements.map((e) => e.action_id)).toEqual([
      'reply:503',
      'note:503',
      'assign:503',
      'tag:503',
      'snooze:503',
      'close:503',
      'open:503',
    ]);
    expect(actions.elements.at(-1)?.url).toBe(
      'https://app.intercom.com/a/inbox/wsp1/inbox/shared/all/conversation/503',
    );
    expect(parseCardActionId(cardActionId('close', '503'))).toEqual({ kind: 'close', conversationId: '503' });
    expect(parseCardActionId('open:503')).toBeUndefined();
    expect(parseCardActionId('reply')).toBeUndefined();
  });

  it('sends its buttons as the same JSON, key for key (labels without an emoji flag, value before style)', () => {
    const button = (kind: string, label: string, more = '') =>
      `{"type":"button","action_id":"${kind}:503","text":{"type":"plain_text","text":"${label}"},"value":"503"${more}}`;
    const plain = (text: string) => `{"type":"plain_text","text":"${text}"}`;
    const confirm = `"confirm":{"title":${plain('Close this conversation?')},"text":${plain('It is closed in Intercom for everyone.')},"confirm":${plain('Close')},"deny":${plain('Cancel')}}`;
    expect(JSON.stringify(buildCard(base).blocks.at(-1))).toBe(
      `{"type":"actions","block_id":"card:503","elements":[${[
        button('reply', 'Reply', ',"style":"primary"'),
        button('note', 'Note'),
        button('assign', 'Assign'),
        button('tag', 'Tag'),
        button('snooze', 'Snooze'),
        button('close', 'Close', `,${confirm}`),
        `{"type":"button","action_id":"open:503","text":${plain('Open in Intercom')},"url":"${base.intercomUrl}"}`,
      ].join(',')}]}`,
    );
  });

  it('titles a card by the conversation title, then the subject; else names the contact rather than repeat the body', () => {
    const titled = buildCard({ ...base, title: 'Refund for order #12', subject: 'Re: order' });
    expect((titled.blocks[0] as { text: { text: string } }).text.text).toBe('Refund for order #12');
    const card = buildCard({ ...base, subject: ' ', bodyHtml: '<p><b>Help</b> &amp; more</p><p>second</p>' });
    expect((card.blocks[0] as { text: { text: string } }).text.text).toBe('Conversation with Dana Customer');
    expect(card.text).toBe('New conversation from Dana Customer: Help &amp; more');
    expect(texts(card.blocks).match(/Help/g)).toHaveLength(1);
    // a subject that only repeats the body (Twitter, some e-mail) is not a title either
    const echo = buildCard({
      ...base,
      subject: 'Help & more second',
      bodyHtml: '<p><b>Help</b> &amp; more</p><p>second</p>',
    });
    expect((echo.blocks[0] as { text: { text: string } }).text.text).toBe('Conversation with Dana Customer');
  });

  it.each([
    [{ kind: 'customer', by: null }, 'New conversation from Dana Customer: Export is empty', null],
    [{ kind: 'teammate', by: 'Alice' }, 'Alice wrote to Dana Customer: Export is empty', '↩️ Started by *Alice*'],
    [{ kind: 'teammate', by: null }, 'A teammate wrote to Dana Customer: Export is empty', '↩️ Started by a teammate'],
    [
      { kind: 'automated', by: 'Alice' },
      'Automated message to Dana Customer: Export is empty',
      '⚙️ Automated message, sent as *Alice*',
    ],
    [{ kind: 'outbound', by: null }, 'Outbound message to Dana Customer: Export is empty', '📣 Outbound message:'],
    [
      { kind: 'bot', by: 'Fin' },
      'Fin started a conversation with Dana Customer: Export is empty',
      '🤖 Started by *Fin*',
    ],
  ] as const)('says who began it (%o) in the notification text and on the card', (origin, text, line) => {
    const card = buildCard({ ...base, origin });
    expect(card.text).toBe(text);
    const contexts = card.blocks.filter((b) => b.type === 'context').map((b) => JSON.stringify(b));
    if (line) expect(contexts[0]).toContain(line);
    else expect(contexts).toHaveLength(1); // the status line only
  });

  it('ends a first message cut short of its quoted e-mail history with a link to the whole of it', () => {
    const card = buildCard({ ...base, bodyTrimmed: true });
    expect(texts(card.blocks)).toContain(
      'Hi, the *CSV export* is empty.\\n_… (<https://app.intercom.com/a/inbox/wsp1/inbox/shared/all/conversation/503|full message in Intercom>)_',
    );
    expect(texts(buildCard(base).blocks)).not.toContain('full message');
  });

  it('says Fin is handling a conversation no person has yet', () => {
    expect(texts(buildCard({ ...base, finHandling: true }).blocks)).toContain('🤖 Fin is handling it');
    expect(texts(buildCard(base).blocks)).not.toContain('Fin');
  });

  it('falls back to unknowns, and to the phone for a contact with no name or email', () => {
    const phoned = buildCard({
      ...base,
      subject: null,
      contact: { name: null, email: null, phone: '+1 555 0100', company: null },
    });
    expect(phoned.text).toMatch(/^New conversation from \+1 555 0100/);
    expect(texts(phoned.blocks)).toContain('*Unknown contact* · +1 555 0100');
    const bare = buildCard({
      ...base,
      subject: null,
      bodyHtml: null,
      attachments: [],
      contact: { name: null, email: null, company: null },
      assignee: { admin: null, team: null },
      priority: false,
      tags: [],
    });
    expect((bare.blocks[0] as { text: { text: string } }).text.text).toBe('Conversation with an unknown contact');
    expect(bare.text).toBe('New conversation from an unknown contact');
    expect(texts(bare.blocks)).toContain('Unassigned');
    expect(texts(bare.blocks)).toContain('*Unknown contact*');
  });

  it('renders hostile customer text inert everywhere', () => {
    const evil = '<!channel> <@U123> <https://evil.example|bank>';
    const card = buildCard({
      ...base,
      subject: evil,
      bodyHtml: `<p>${evil.replace(/</g, '&lt;').replace(/>/g, '&gt;')}</p>`,
      contact: { name: evil, email: evil, company: evil },
      tags: [evil],
      assignee: { admin: evil, team: null },
      attachments: [{ name: evil, url: 'javascript:alert(1)' }],
    });
    const mrkdwn = JSON.stringify(card).replace(/"plain_text","text":"[^"]*"/g, '');
    expect(mrkdwn).not.toMatch(/<(?!!date\^)[!@#]/); // our own date token is the only <! allowed
    expect(mrkdwn).not.toContain('<https://evil');
    expect(mrkdwn).not.toContain('javascript:');
  });

  it('drops invisible and direction-changing characters from every text, the plain-text header included', () => {
    const card = buildCard({
      ...base,
      subject: 'invoice\u202Efdp.exe',
      bodyHtml: '<p>pay\u200Bpal &#x2066;x&#x2069;</p>',
      contact: { name: 'Dana\u200F', email: 'dana\u00AD@acme.test', company: '\uFEFFAcme' },
      tags: ['v\u2060ip'],
      assignee: { admin: 'Al\u202Dice', team: null },
      attachments: [{ name: 'export\u202Ecsv.exe', url: 'https://files.example/export.csv' }],
    });
    expect((card.blocks[0] as { text: { text: string } }).text.text).toBe('invoicefdp.exe');
    expect(card.text).toBe('New conversation from Dana: invoicefdp.exe');
    expect(JSON.stringify(card)).not.toMatch(/[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/);
    expect(texts(card.blocks)).toContain('paypal x');
    expect(texts(card.blocks)).toContain('|exportcsv.exe>');
  });

  it('keeps every field within Block Kit limits, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 400 }),
        fc.string({ maxLength: 9000 }),
        fc.array(fc.string({ maxLength: 300 }), { maxLength: 40 }),
        (subject, body, tags) => {
          const card = buildCard({
            ...base,
            subject,
            bodyHtml: body,
            tags,
            attachments: tags.map((t) => ({ name: t, url: 'https://x.example/' })),
          });
          expect(card.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
          expect((card.blocks[0] as { text: { text: string } }).text.text.length).toBeLessThanOrEqual(LIMITS.header);
          for (const block of card.blocks) {
            const text = (block as { text?: { text: string } }).text?.text;
            if (text !== undefined) expect(text.length).toBeLessThanOrEqual(LIMITS.section);
            for (const el of (block as { elements?: Array<{ text?: unknown }> }).elements ?? []) {
              const t = typeof el.text === 'string' ? el.text : (el.text as { text?: string } | undefined)?.text;
              if (t !== undefined) expect(t.length).toBeLessThanOrEqual(LIMITS.section);
            }
          }
          expect(card.text.length).toBeLessThanOrEqual(LIMITS.section);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('cuts a long first message with a pointer to Intercom', () => {
    const card = buildCard({ ...base, bodyHtml: `<p>${'word '.repeat(2000)}</p>` });
    const body = (card.blocks[2] as { text: { text: string } }).text.text;
    expect(body).toHaveLength(LIMITS.section);
    expect(body.endsWith('… (open in Intercom)')).toBe(true);
  });
});
