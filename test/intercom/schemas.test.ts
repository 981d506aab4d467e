import { describe, expect, it } from 'vitest';
import {
  Admin,
  Author,
  Company,
  Contact,
  Conversation,
  conversationParts,
  parseLenient,
  Tag,
  Team,
  TicketType,
} from '../../src/intercom/schemas.ts';

describe('parseLenient', () => {
  it('keeps undeclared fields at every depth and normalises declared ones', () => {
    const raw = {
      id: 7,
      brand_new: { a: 1 },
      source: { subject: 'Hi', author: { id: 5, name: 'Dana', avatar: 'x.png' }, extra: true },
      tags: { tags: [{ id: 1, name: 'vip', applied_at: 3 }] },
    };
    const result = parseLenient(Conversation, raw);
    expect(result.success).toBe(true);
    expect(result.data).toMatchObject({
      id: '7',
      brand_new: { a: 1 },
      source: { subject: 'Hi', author: { id: '5', name: 'Dana', avatar: 'x.png' }, extra: true },
      tags: { tags: [{ id: '1', name: 'vip', applied_at: 3 }] },
    });
  });

  it('drops a wrongly typed optional field, whole objects of the wrong shape, and bad list items', () => {
    const result = parseLenient(Conversation, {
      id: '1',
      state: 42,
      open: 'yes',
      source: 'not an object',
      tags: { tags: [{ id: '1' }, { name: 'no id' }, { id: '3', name: 9 }] },
    });
    expect(result.success).toBe(true);
    const data = result.data as Record<string, unknown>;
    expect('state' in data).toBe(false);
    expect('open' in data).toBe(false);
    expect('source' in data).toBe(false);
    expect(result.data?.tags?.tags.map((t) => t.id)).toEqual(['1', '3']);
  });

  it('fails when what it cannot do without is missing, naming it', () => {
    const result = parseLenient(Contact, { email: 'x@y.z' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['id']);
  });

  it('gives up after a bounded number of repairs', () => {
    const tags = Array.from({ length: 30 }, () => ({ name: 'no id' }));
    expect(parseLenient(Conversation, { id: '1', tags: { tags } }, 5).success).toBe(false);
    expect(parseLenient(Conversation, { id: '1', tags: { tags } }, 40).success).toBe(true);
  });

  it('accepts both documented shapes of ticket type attributes as one list', () => {
    const attribute = { id: 1, name: '_default_title_', data_type: 'string' };
    const fromExample = parseLenient(TicketType, {
      id: 1,
      ticket_type_attributes: { type: 'list', data: [attribute] },
    });
    const fromSchema = parseLenient(TicketType, {
      id: 1,
      ticket_type_attributes: { ticket_type_attributes: [attribute] },
    });
    expect(fromExample.data?.ticket_type_attributes?.map((a) => a.name)).toEqual(['_default_title_']);
    expect(fromSchema.data?.ticket_type_attributes?.map((a) => a.id)).toEqual(['1']);
  });
});

describe('conversationParts', () => {
  it('parses parts on demand, dropping malformed ones', () => {
    const conversation = parseLenient(Conversation, {
      id: '1',
      conversation_parts: {
        total_count: 3,
        conversation_parts: [
          { id: 1, part_type: 'comment', body: '<p>a</p>', author: { type: 'user', id: 9 } },
          { part_type: 'note' },
          { id: 3, part_type: 'close', app_package_code: 'intercom-slack-bridge' },
        ],
      },
    });
    expect(conversation.success).toBe(true);
    if (!conversation.success) return;
    expect(conversationParts(conversation.data).map((p) => [p.id, p.part_type, p.author?.id])).toEqual([
      ['1', 'comment', '9'],
      ['3', 'close', undefined],
    ]);
    expect(conversationParts(parseLenient(Conversation, { id: '2' }).data as Conversation)).toEqual([]);
  });
});

describe('names Intercom sends HTML-escaped', () => {
  it('are read once unescaped, so Slack escaping applies once (no &amp;amp;)', () => {
    expect(Team.parse({ type: 'team', id: '1', name: 'Phone &amp; SMS' }).name).toBe('Phone & SMS');
    expect(Tag.parse({ id: '2', name: 'VIP &lt;3' }).name).toBe('VIP <3');
    expect(Contact.parse({ id: '3', name: 'O&#39;Brien &amp; Sons' }).name).toBe("O'Brien & Sons");
    expect(Author.parse({ type: 'admin', name: 'Ann &quot;Ops&quot;' }).name).toBe('Ann "Ops"');
  });

  it('leaves names without an entity (or with a bare ampersand) as they are, and absent ones absent', () => {
    expect(Company.parse({ id: '4', name: 'AT&T' }).name).toBe('AT&T');
    expect(Admin.parse({ type: 'admin', id: '5', name: 'R&D desk' }).name).toBe('R&D desk');
    expect(Contact.parse({ id: '6', name: null }).name).toBeNull();
    expect('name' in Contact.parse({ id: '7' })).toBe(false);
  });
});
