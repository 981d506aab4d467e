import { describe, expect, it } from 'vitest';
import type { TicketType } from '../../../src/intercom/schemas.ts';
import {
  attributeBlocks,
  contactOptions,
  creatableAttributes,
  parseContactOption,
  readAttributes,
  ticketModal,
  ticketTypeOptions,
} from '../../../src/slack/blocks/contact-modals.ts';

const attribute = (id: string, name: string, data_type: string, extra: Record<string, unknown> = {}) => ({
  id,
  name,
  data_type,
  order: Number(id),
  ...extra,
});

const type = {
  id: '9',
  name: 'Bug',
  category: 'Tracker',
  ticket_type_attributes: [
    attribute('3', 'Amount', 'decimal', { required_to_create: true }),
    attribute('1', '_default_title_', 'string'),
    attribute('2', '_default_description_', 'string'),
    attribute('4', 'Plan', 'list', { input_options: { list_items: 'Free, Pro,,Enterprise' } }),
    attribute('5', 'Empty list', 'list', { input_options: {} }),
    attribute('6', 'Gone', 'string', { archived: true }),
    attribute('7', 'Flag', 'boolean', { required_to_create: true }),
    attribute('8', 'Count', 'integer'),
  ],
} as unknown as TicketType;

describe('ticket form', () => {
  it('shows live, visible attributes in their order, prefilled title and description', () => {
    expect(creatableAttributes(type).map((a) => a.name)).toEqual([
      '_default_title_',
      '_default_description_',
      'Amount',
      'Plan',
      'Empty list',
      'Flag',
      'Count',
    ]);
    const blocks = attributeBlocks(type, { title: 'T', description: 'D' }) as Array<{
      label: { text: string };
      element: { type: string; initial_value?: string; options?: Array<{ value: string }> };
    }>;
    expect(blocks.map((b) => b.label.text)).toEqual(['Title', 'Description', 'Amount', 'Plan', 'Flag', 'Count']);
    expect(blocks[0]?.element.initial_value).toBe('T');
    expect(blocks[1]?.element.initial_value).toBe('D');
    expect(blocks[3]?.element.options?.map((o) => o.value)).toEqual(['Free', 'Pro', 'Enterprise']);
  });

  it('reads numbers, an unticked box as false, and reports bad or missing input by block', () => {
    const ok = readAttributes(type, {
      'attr:3': { value: { type: 'number_input', value: '12.5' } },
      'attr:8': { value: { type: 'number_input', value: '' } },
    });
    expect(ok).toEqual({ attributes: { Amount: 12.5, Flag: false }, errors: {} });
    const bad = readAttributes(type, {
      'attr:3': { value: { type: 'number_input', value: 'ten' } },
      'attr:8': { value: { type: 'number_input', value: '1.5' } },
    });
    expect(bad.errors).toEqual({ 'attr:3': 'Enter a number.', 'attr:8': 'Enter a whole number.' });
    expect(readAttributes(type, {}).errors).toEqual({ 'attr:3': 'Required for this ticket type.' });
  });

  it('asks for a type before showing fields, and lists types by what was typed', () => {
    expect(JSON.stringify(ticketModal({}, undefined).blocks)).toContain('Choose a type to see its fields.');
    expect(JSON.parse(ticketModal({ title: 'x' }, undefined, type).private_metadata)).toEqual({
      title: 'x',
      typeId: '9',
    });
    expect(ticketTypeOptions('bu', [type]).options[0]).toEqual({
      text: { type: 'plain_text', text: 'Bug · Tracker', emoji: true },
      value: '9',
    });
    expect(ticketTypeOptions('zzz', [type]).options).toEqual([]);
  });
});

describe('contact picker', () => {
  it('labels contacts by name and email, and reads back only what it offered', () => {
    const options = contactOptions([
      { id: 'a', name: 'Ann', email: 'ann@x.io' },
      { id: 'b', name: null, email: 'b@x.io' },
      { id: 'c', name: null, email: null },
    ] as never).options.map((o) => [o.text.text, o.value]);
    expect(options).toEqual([
      ['Ann (ann@x.io)', 'id:a'],
      ['b@x.io', 'id:b'],
      ['Contact c', 'id:c'],
    ]);
    expect(parseContactOption('id:a')).toEqual({ id: 'a' });
    expect(parseContactOption('email:a@b.io')).toEqual({ email: 'a@b.io' });
    for (const bad of [undefined, '', 'id:', 'email:nope', 'x:1']) expect(parseContactOption(bad)).toBeUndefined();
  });
});
