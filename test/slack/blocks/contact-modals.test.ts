import { describe, expect, it } from 'vitest';
import type { TicketType } from '../../../src/intercom/schemas.ts';
import {
  attributeBlocks,
  contactOptions,
  creatableAttributes,
  prefilledDescription,
  ticketFields,
  ticketModal,
  ticketTypeOptions,
  unfillableProblem,
} from '../../../src/slack/blocks/contact-modals.ts';
import { parseContactOption, readAttributes, readAttributeValue } from '../../../src/slack/listeners/view-state.ts';
import { SEAL_LENGTH } from '../../../src/slack/modal-state.ts';

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
    // the fields shown travel with the modal, so a submission is checked without asking Intercom
    expect(JSON.parse(ticketModal({ title: 'x' }, undefined, type).private_metadata)).toEqual({
      title: 'x',
      typeId: '9',
      fields: [
        ['1', '_default_title_', 'string', false],
        ['2', '_default_description_', 'string', false],
        ['3', 'Amount', 'decimal', true],
        ['4', 'Plan', 'list', false],
        ['7', 'Flag', 'boolean', true],
        ['8', 'Count', 'integer', false],
      ],
    });
    expect(ticketTypeOptions('bu', [type]).options[0]).toEqual({
      text: { type: 'plain_text', text: 'Bug · Tracker', emoji: true },
      value: '9',
    });
    expect(ticketTypeOptions('zzz', [type]).options).toEqual([]);
  });
});

describe('one submitted input, read by data type', () => {
  it.each([
    ['integer', { value: ' 42 ' }, { value: 42 }],
    ['integer', { value: '4.5' }, { error: 'Enter a whole number.' }],
    ['integer', { value: '1e400' }, { error: 'Enter a whole number.' }],
    ['decimal', { value: '4.5' }, { value: 4.5 }],
    ['decimal', { value: 'NaN' }, { error: 'Enter a number.' }],
    ['decimal', { value: '   ' }, { value: undefined }],
    ['decimal', { value: 12 }, { value: undefined }],
    ['boolean', { selected_options: [{ value: 'true' }] }, { value: true }],
    ['boolean', { selected_options: [] }, { value: false }],
    ['boolean', { selected_options: [null, { value: true }] }, { value: false }],
    ['boolean', { selected_options: 'true' }, { value: false }],
    ['boolean', undefined, { value: false }],
    ['list', { selected_option: { value: 'Pro' } }, { value: 'Pro' }],
    ['list', { selected_option: { value: 3 } }, { value: undefined }],
    ['list', { selected_option: null }, { value: undefined }],
    ['datetime', { selected_date_time: 1_800_000_000 }, { value: 1_800_000_000 }],
    ['datetime', { selected_date_time: '1800000000' }, { value: undefined }],
    ['string', { value: '  Login loop ' }, { value: 'Login loop' }],
    ['string', { value: '  ' }, { value: undefined }],
    ['whatever', { value: 'x' }, { value: 'x' }],
    ['toString', { value: 'x' }, { value: 'x' }],
    ['string', null, { value: undefined }],
  ])('%s %j → %j', (dataType, state, read) => {
    expect(readAttributeValue(dataType, state as never)).toEqual(read);
  });
});

describe('the description prefilled from a Slack message', () => {
  const link = 'https://test.slack.com/archives/C1/p1800000500000100';

  it('puts the link after the text, and is undefined when there is neither', () => {
    expect(prefilledDescription('Login loop', link)).toBe(`Login loop\n\nFrom Slack: ${link}`);
    expect(prefilledDescription('Login loop', undefined)).toBe('Login loop');
    expect(prefilledDescription(undefined, link)).toBe(`From Slack: ${link}`);
    expect(prefilledDescription('', '')).toBeUndefined();
    expect(prefilledDescription(undefined, undefined)).toBeUndefined();
  });

  it('cuts the text, never the link, to keep within 3,000 characters', () => {
    const long = prefilledDescription('x'.repeat(3500), link) ?? '';
    expect(long.length).toBeLessThanOrEqual(3000);
    expect(long.endsWith(`…\n\nFrom Slack: ${link}`)).toBe(true);
    expect(prefilledDescription('x'.repeat(3500), undefined)?.length).toBeLessThanOrEqual(3000);
  });
});

describe('attributes the form cannot offer', () => {
  const strict = {
    id: '5',
    name: 'Incident',
    ticket_type_attributes: [
      attribute('1', '_default_title_', 'string', { required_to_create: true }),
      attribute('2', 'Region', 'list', { required_to_create: true, input_options: { list_options: [] } }),
      attribute('3', 'Team', 'list', { input_options: { list_items: '' } }),
    ],
  } as unknown as TicketType;

  it('puts errors only on input blocks the modal has, and names a required list with no options instead', () => {
    const view = ticketModal({}, undefined, strict);
    const inputIds = (view.blocks as Array<{ type: string; block_id?: string }>)
      .filter((b) => b.type === 'input')
      .map((b) => b.block_id);
    expect(inputIds).toEqual(['contact', 'ticket_type', 'attr:1']);
    const { fields, unfillable } = ticketFields(strict);
    expect(unfillable).toEqual(['Region']);
    const { errors } = readAttributes(fields, {});
    expect(errors).toEqual({ 'attr:1': 'Required for this ticket type.' });
    for (const blockId of Object.keys(errors)) expect(inputIds).toContain(blockId);
    // the modal says so before anything is typed, and carries it for the submission
    expect(JSON.stringify(view.blocks)).toContain('This type requires “Region”, which cannot be filled in from Slack');
    expect(JSON.parse(view.private_metadata).unfillable).toEqual(['Region']);
    expect(unfillableProblem(unfillable)).toMatch(/^This type requires “Region”/);
  });

  it('keeps within 3,000 characters of private_metadata when a type has very many fields, leaving them out', () => {
    const huge = {
      id: '6',
      name: 'Huge',
      ticket_type_attributes: Array.from({ length: 95 }, (_, i) =>
        attribute(String(i + 1), `Field number ${i + 1} with a long name`, 'string', { required_to_create: i === 94 }),
      ),
    } as unknown as TicketType;
    const view = ticketModal({ description: 'd'.repeat(2000) }, undefined, huge);
    expect(view.private_metadata.length).toBeLessThanOrEqual(3000 - SEAL_LENGTH);
    expect(JSON.parse(view.private_metadata)).toMatchObject({ typeId: '6' });
    expect(JSON.parse(view.private_metadata).fields).toBeUndefined();
    // the fields can be read again from the cached types; the message's text cannot: it stays whole
    expect(JSON.parse(view.private_metadata).description).toBe('d'.repeat(2000));
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    // past the 90 inputs a modal has room for, a required field cannot be offered, and says so
    expect(ticketFields(huge).fields).toHaveLength(90);
    expect(ticketFields(huge).unfillable).toEqual(['Field number 95 with a long name']);
  });

  it('ends the description with the message’s permalink, cutting the text rather than the link', () => {
    const link = 'https://test.slack.com/archives/C1/p1800000500000100';
    const [, description] = attributeBlocks(type, { description: 'x'.repeat(2990), permalink: link }) as Array<{
      element: { initial_value?: string };
    }>;
    expect(description?.element.initial_value?.length).toBeLessThanOrEqual(3000);
    expect(description?.element.initial_value?.endsWith(`…\n\nFrom Slack: ${link}`)).toBe(true);
    const view = ticketModal({ permalink: link, title: 'Login <loop>' }, undefined);
    expect(JSON.stringify(view.blocks)).toContain(`From <${link}|a Slack message>: Login &lt;loop&gt;`);
    const odd = ticketModal({ permalink: 'https://x.example/|fake>', title: 't' }, undefined);
    expect(JSON.stringify(odd.blocks)).toContain('From a Slack message: t');
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
    const hidden = contactOptions([{ id: 'd', name: 'Eve\u202E', email: 'e\u200B@x.io' }] as never).options;
    expect(hidden[0]?.text.text).toBe('Eve (e@x.io)');
    const form = attributeBlocks(
      {
        id: '1',
        name: 'B\u202Eug',
        ticket_type_attributes: [attribute('1', 'Pl\u200Ban', 'string', { description: 'h\u2066i' })],
      } as never,
      {},
    );
    expect(JSON.stringify(form)).toContain('"label":{"type":"plain_text","text":"Plan","emoji":true}');
    expect(JSON.stringify(form)).toContain('"hint":{"type":"plain_text","text":"hi","emoji":true}');
    expect(ticketTypeOptions('', [{ ...type, name: 'B\u202Eug' }]).options[0]?.text.text).toBe('Bug · Tracker');
    expect(parseContactOption('id:a')).toEqual({ id: 'a' });
    expect(parseContactOption('email:a@b.io')).toEqual({ email: 'a@b.io' });
    for (const bad of [undefined, '', 'id:', 'email:nope', 'x:1']) expect(parseContactOption(bad)).toBeUndefined();
  });
});
