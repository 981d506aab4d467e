import { describe, expect, it } from 'vitest';
import { path } from '../../src/intercom/http.ts';
import type { TicketType } from '../../src/intercom/schemas.ts';
import { attributeBlocks, ticketModal } from '../../src/slack/blocks/contact-modals.ts';
import { articleResults } from '../../src/slack/blocks/results.ts';
import { readAttributes } from '../../src/slack/listeners/view-state.ts';
import { cut, htmlToMrkdwn, link } from '../../src/slack/mrkdwn.ts';

// Regressions for what the hostile-input property tests found; each case failed before its fix.

const wellFormed = (text: string) => text === text.toWellFormed();

describe('hardening', () => {
  it('keeps a long message’s ticket modal within Slack’s 3,000 characters of private_metadata', () => {
    const view = ticketModal(
      {
        responseUrl: 'https://hooks.slack.com/commands/T00000000/1234567890123/abcdefghijklmnopqrstuvwx',
        channel: 'C0123456789',
        title: '"'.repeat(200),
        description: '\n"x'.repeat(1000),
      },
      undefined,
    );
    expect(view.private_metadata.length).toBeLessThanOrEqual(3000);
    expect(JSON.parse(view.private_metadata).title).toBe('"'.repeat(200));
  });

  it('treats attributes named like Object.prototype members as plain names', () => {
    const type = {
      id: '1',
      ticket_type_attributes: [
        { id: '1', name: 'constructor', data_type: 'string' },
        { id: '2', name: '__proto__', data_type: 'string' },
      ],
    } as unknown as TicketType;
    const labels = (attributeBlocks(type, {}) as Array<{ label: { text: unknown } }>).map((b) => b.label.text);
    expect(labels).toEqual(['constructor', '__proto__']);
    const read = readAttributes(type, {
      'attr:1': { value: { type: 'plain_text_input', value: 'a' } },
      'attr:2': { value: { type: 'plain_text_input', value: 'b' } },
    });
    expect(JSON.stringify(read.attributes)).toBe('{"constructor":"a","__proto__":"b"}');
    expect(Object.keys(read.attributes)).toEqual(['constructor', '__proto__']);
  });

  it('renders HTML cut off inside a tag without stray marks, broken links or half surrogate pairs', () => {
    const out = htmlToMrkdwn('<a href="https://x.example/">ab<b>cd<a ');
    expect(out).not.toMatch(/<h\*/);
    expect(out).toMatch(/^<https:\/\/x\.example\/\|ab\*?cd\*?> \(x\.example\)$/);
    expect(wellFormed(htmlToMrkdwn('</a x😀'))).toBe(true);
    expect(wellFormed(htmlToMrkdwn('<b>\ud800</b>'))).toBe(true);
  });

  it('cuts values without splitting a surrogate pair, and links to the parsed URL', () => {
    expect(cut(`${'x'.repeat(149)}😀`, 150)).toBe('x'.repeat(149));
    expect(cut('abc', 150)).toBe('abc');
    expect(link('\nhttps://x.example/', 'x')).toBe('<https://x.example/|x>');
    const share = articleResults('q', {
      articles: [{ id: '1', title: `${'x'.repeat(299)}😀`, snippet: '', url: 'https://h.x/1' }],
      total: 1,
    });
    const value = (share.blocks[1] as { accessory: { value: string } }).accessory.value;
    expect(wellFormed(value)).toBe(true);
    expect(JSON.parse(value).title).toBe('x'.repeat(299));
    const long = articleResults('q', {
      articles: [{ id: '1', title: 't', snippet: '', url: `https://h.x/${'a'.repeat(2100)}` }],
      total: 1,
    });
    expect((long.blocks[1] as { accessory?: unknown }).accessory).toBeUndefined();
  });

  it('never lets an id walk up an Intercom path', () => {
    expect(() => path`/conversations/${'..'}/reply`).toThrow(RangeError);
    expect(() => path`/conversations/${'.'}/reply`).toThrow(RangeError);
    expect(path`/conversations/${'a/b..'}/reply`).toBe('/conversations/a%2Fb../reply');
  });
});
