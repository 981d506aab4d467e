import { describe, expect, it } from 'vitest';
import type { CardData } from '../../../src/bridge/model.ts';
import {
  articleResults,
  cardPreview,
  contactResults,
  contactText,
  notice,
  sharedArticle,
} from '../../../src/slack/blocks/results.ts';

const contact = (id: string, fields: Record<string, unknown> = {}) => ({
  id,
  name: null,
  email: null,
  company: null,
  lastSeenAt: null,
  role: 'user',
  url: null,
  ...fields,
});

describe('contact results', () => {
  it('say so when nothing matches, escaping the query', () => {
    const result = contactResults('<!channel>', { contacts: [], total: 0 });
    expect(JSON.stringify(result.blocks)).toContain('&lt;!channel&gt;');
    expect(JSON.stringify(result.blocks)).not.toContain('<!channel>');
  });

  it('show unnamed contacts, leads and never-seen ones, with no Intercom button without a link', () => {
    const result = contactResults('x', { contacts: [contact('1', { role: 'lead', email: 'a<b>@x.io' })], total: 1 });
    const text = JSON.stringify(result.blocks);
    expect(text).toContain('*Unnamed contact*');
    expect(text).toContain('a&lt;b&gt;@x.io · lead · never seen');
    expect(text).not.toContain('open_link');
    expect(text).toContain('1 contact for');
  });

  it('offer More results with the query and cursor, within Slack’s value limit', () => {
    const result = contactResults('q'.repeat(500), { contacts: [contact('1')], total: 30, next: 'cursor-2' });
    const more = result.blocks.at(-1) as { elements: Array<{ action_id: string; value: string }> };
    expect(more.elements[0]?.action_id).toBe('contacts_more');
    expect(JSON.parse(more.elements[0]?.value ?? '')).toEqual({ q: 'q'.repeat(200), after: 'cursor-2' });
  });
});

describe('a contact as a result shows it', () => {
  it('names it in bold and lists what is known, escaped, in order', () => {
    expect(
      contactText(
        contact('1', {
          name: 'Dana <!here>',
          email: 'dana@acme.test',
          company: 'Acme <Inc>',
          lastSeenAt: 1_800_000_000,
        }),
      ),
    ).toBe(
      '*Dana &lt;!here&gt;*\ndana@acme.test · Acme &lt;Inc&gt; · last seen <!date^1800000000^{date_short_pretty}|2027-01-15 08:00 UTC>',
    );
    expect(contactText(contact('2', { role: 'lead' }))).toBe('*Unnamed contact*\nlead · never seen');
  });
});

describe('article results', () => {
  it('say so when nothing matches', () => {
    expect(articleResults('zzz', { articles: [], total: 0 }).text).toBe('No published article matches “zzz”.');
  });

  it('link titles, escape snippets, and offer sharing only for articles with a URL', () => {
    const result = articleResults('reset', {
      articles: [
        { id: '1', title: 'Reset <b>', snippet: 'a & b', url: 'https://help.x/1' },
        { id: '2', title: 'Internal', snippet: '', url: null },
      ],
      total: 2,
    });
    const [, first, second] = result.blocks as Array<{ text: { text: string }; accessory?: { action_id: string } }>;
    expect(first?.text.text).toBe('*<https://help.x/1|Reset &lt;b&gt;>*\na &amp; b');
    expect(first?.accessory?.action_id).toBe('article_share:1');
    expect(second?.text.text).toBe('*Internal*');
    expect(second?.accessory).toBeUndefined();
  });

  it('share as a link naming who shared it', () => {
    expect(sharedArticle({ title: 'Reset', url: 'https://help.x/1' }, 'U1').text).toBe(
      '📘 <https://help.x/1|Reset> — shared by <@U1>',
    );
  });
});

describe('card preview and notices', () => {
  const card: CardData = {
    conversationId: '7',
    subject: 'Hi',
    bodyHtml: null,
    attachments: [],
    contact: { name: null, email: null, company: null },
    state: 'open',
    snoozedUntil: null,
    assignee: { admin: null, team: null },
    priority: false,
    tags: [],
    createdAt: 1_700_000_000,
    intercomUrl: null,
  };

  it('has no triage buttons, only Post to channel (and Open in Intercom with a link)', () => {
    const ids = (c: CardData) =>
      JSON.stringify(cardPreview(c).blocks)
        .match(/"action_id":"[^"]+"/g)
        ?.join(',');
    expect(ids(card)).toBe('"action_id":"conversation_post"');
    expect(ids({ ...card, intercomUrl: 'https://app.intercom.com/x' })).toBe(
      '"action_id":"conversation_post","action_id":"open_link:7"',
    );
  });

  it('notices are plain sections', () => {
    expect(notice('hello')).toEqual({
      text: 'hello',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }],
    });
  });
});
