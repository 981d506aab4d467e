import type { InputBlock, KnownBlock, PlainTextOption } from '@slack/types';
import { z } from 'zod';
import type { Contact, TicketType, TicketTypeAttribute } from '../../intercom/schemas.ts';
import { SEAL_LENGTH } from '../modal-state.ts';
import { cut, escapeMrkdwn, truncate } from '../mrkdwn.ts';
import {
  button,
  context as contextBlock,
  externalSelect,
  input,
  LIMITS,
  type ModalForm,
  modal,
  option,
  plain,
  section,
} from './kit.ts';
import { FIELD, MAX_MESSAGE, tagInputs } from './modals.ts';

export const CONTACT_CALLBACK = { note: 'contact_note', tag: 'contact_tag', ticket: 'ticket_create' } as const;

export const CONTACT_FIELD = { contact: 'contact', ticketType: 'ticket_type' } as const;

/**
 * One field of a ticket form as the modal shows it: [attribute id, attribute name, Intercom data type, required].
 * Kept in private_metadata once a type is chosen, so a submission is checked without asking Intercom first.
 */
export const TicketField = z.tuple([z.string(), z.string(), z.string(), z.boolean()]);
export type TicketField = z.infer<typeof TicketField>;

/**
 * What the `/intercom` modals carry in private_metadata: where to confirm (the response URL of the command or
 * button that opened it, else the user's DM), and for tickets the type shown, its fields, what to prefill and
 * link, and the Slack message it was made from (`source`, until its permalink and card have been looked up).
 */
export const ContactModalContext = z.object({
  responseUrl: z.string().optional(),
  channel: z.string().optional(),
  typeId: z.string().optional(),
  conversationId: z.string().optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  permalink: z.string().optional(),
  source: z.object({ channel: z.string(), ts: z.string(), root: z.string() }).optional(),
  fields: z.array(TicketField).optional(),
  /**
   * Names of required attributes the form cannot offer (a list with no options, or past the 90 inputs a modal
   * holds): such a ticket cannot be sent.
   */
  unfillable: z.array(z.string()).optional(),
});
export type ContactModalContext = z.infer<typeof ContactModalContext>;

/** A contact picked in the select: `id:<contact id>`, or `email:<address>` when prefilled from the command. */
export function contactOptionValue(contact: { id: string } | { email: string }): string {
  return 'id' in contact ? `id:${contact.id}` : `email:${contact.email}`;
}

/** Options for the contact select: matching contacts as "Name (email)". */
export function contactOptions(contacts: readonly Contact[]): { options: PlainTextOption[] } {
  return {
    options: contacts
      .slice(0, 100)
      .map((c) =>
        option(
          c.name ? `${c.name}${c.email ? ` (${c.email})` : ''}` : (c.email ?? `Contact ${c.id}`),
          contactOptionValue({ id: c.id }),
        ),
      ),
  };
}

function contactBlock(initial?: { text: string; value: string }): InputBlock {
  return input(CONTACT_FIELD.contact, {
    label: plain('Contact'),
    element: externalSelect(
      CONTACT_FIELD.contact,
      2,
      'Type a name or an email',
      initial ? option(initial.text, initial.value) : undefined,
    ),
  });
}

type Initial = { text: string; value: string } | undefined;

export function contactNoteModal(context: ContactModalContext, contact: Initial): ModalForm {
  return modal(CONTACT_CALLBACK.note, context, 'Note on a contact', 'Add note', [
    contactBlock(contact),
    input(FIELD.message, {
      label: plain('Note'),
      hint: plain('Teammates see it on the contact in Intercom; the contact does not.'),
      element: { type: 'plain_text_input', action_id: FIELD.message, multiline: true, max_length: MAX_MESSAGE },
    }),
  ]);
}

export function contactTagModal(context: ContactModalContext, contact: Initial): ModalForm {
  return modal(CONTACT_CALLBACK.tag, context, 'Tag a contact', 'Tag', [contactBlock(contact), ...tagInputs()]);
}

/** The attributes a teammate fills in when creating a ticket of this type (files cannot be sent from Slack). */
export function creatableAttributes(type: TicketType): TicketTypeAttribute[] {
  return (type.ticket_type_attributes ?? [])
    .filter((a) => !a.archived && a.visible_on_create !== false && a.data_type !== 'files')
    .sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
}

// a Map: an attribute named `constructor` or `__proto__` must not find Object.prototype's members
const DEFAULT_LABELS = new Map([
  ['_default_title_', 'Title'],
  ['_default_description_', 'Description'],
]);

function listOptions(attribute: TicketTypeAttribute): Array<{ id: string; label: string }> {
  const input = (attribute.input_options ?? {}) as {
    list_options?: Array<{ id?: unknown; label?: unknown; archived?: unknown }>;
    list_items?: unknown;
  };
  if (Array.isArray(input.list_options)) {
    return input.list_options
      .filter((o) => o.archived !== true && o.id !== undefined && typeof o.label === 'string')
      .map((o) => ({ id: String(o.id), label: String(o.label) }));
  }
  if (typeof input.list_items === 'string') {
    return input.list_items
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .map((item) => ({ id: item, label: item }));
  }
  return [];
}

/** The block id of a ticket attribute's input, and its element's action id. */
export const attributeBlockId = (id: string) => `attr:${id}`;
export const VALUE = 'value';

/** A modal holds 100 blocks; the contact, type and notices take a few, a type's attributes the rest. */
const MAX_ATTRIBUTE_BLOCKS = 90;

/** The Slack input for each attribute (the data type mapped to the input that fits it) and the fields it reads. */
function ticketForm(
  type: TicketType,
  prefill: { title?: string | undefined; description?: string | undefined; permalink?: string | undefined },
): { blocks: KnownBlock[]; fields: TicketField[]; unfillable: string[] } {
  const blocks: KnownBlock[] = [];
  const fields: TicketField[] = [];
  const unfillable: string[] = [];
  const description = prefilledDescription(prefill.description, prefill.permalink);
  for (const attribute of creatableAttributes(type)) {
    const required = attribute.required_to_create === true;
    const element = attributeElement(attribute, { title: prefill.title, description });
    if (!element || blocks.length >= MAX_ATTRIBUTE_BLOCKS) {
      // no input, so nothing to put an error on: the form says so instead, and refuses to send such a ticket
      if (required) unfillable.push(attributeLabel(attribute.name));
      continue;
    }
    blocks.push(attributeInput(attribute, element, required));
    fields.push([attribute.id, attribute.name, attribute.data_type ?? 'string', required]);
  }
  return { blocks, fields, unfillable };
}

/**
 * The description a ticket made from a Slack message starts with: the message's text, then its link. The link goes
 * last, and the text gives way so that the link is never the part cut off. Undefined when there is neither.
 */
export function prefilledDescription(
  description: string | undefined,
  permalink: string | undefined,
): string | undefined {
  const link = permalink ? `From Slack: ${permalink}` : '';
  const room = 3000 - (link ? link.length + 2 : 0);
  return [description ? truncate(description, room, '…') : '', link].filter(Boolean).join('\n\n') || undefined;
}

const attributeLabel = (name: string): string => DEFAULT_LABELS.get(name) ?? name;

function attributeInput(attribute: TicketTypeAttribute, element: InputBlock['element'], required: boolean): InputBlock {
  return input(attributeBlockId(attribute.id), {
    label: plain(attributeLabel(attribute.name), LIMITS.label),
    // a checkbox left unticked is an answer (false), so it is never marked required
    optional: !required || attribute.data_type === 'boolean',
    ...(attribute.description ? { hint: plain(attribute.description, LIMITS.label) } : {}),
    element,
  });
}

function attributeElement(
  attribute: TicketTypeAttribute,
  prefill: { title?: string | undefined; description?: string | undefined },
): InputBlock['element'] | undefined {
  switch (attribute.data_type) {
    case 'integer':
    case 'decimal':
      return { type: 'number_input', action_id: VALUE, is_decimal_allowed: attribute.data_type === 'decimal' };
    case 'boolean':
      return { type: 'checkboxes', action_id: VALUE, options: [option('Yes', 'true')] };
    case 'list': {
      const options = listOptions(attribute).slice(0, 100);
      if (options.length === 0) return undefined;
      return {
        type: 'static_select',
        action_id: VALUE,
        options: options.map((o) => option(o.label, cut(o.id, LIMITS.optionValue))),
      };
    }
    case 'datetime':
      return { type: 'datetimepicker', action_id: VALUE };
    default:
      return textElement(attribute, prefill);
  }
}

/** Text, on one line or several; the default title and description are prefilled from the message. */
function textElement(
  attribute: TicketTypeAttribute,
  prefill: { title?: string | undefined; description?: string | undefined },
): InputBlock['element'] {
  const multiline =
    attribute.name === '_default_description_' ||
    (attribute.input_options as { multiline?: unknown } | undefined)?.multiline === true;
  const initial =
    attribute.name === '_default_title_'
      ? prefill.title
      : attribute.name === '_default_description_'
        ? prefill.description
        : undefined;
  return {
    type: 'plain_text_input',
    action_id: VALUE,
    multiline,
    max_length: multiline ? 3000 : 255,
    ...(initial ? { initial_value: truncate(initial, multiline ? 3000 : 255, '…') } : {}),
  };
}

/** One input per attribute, each data type as the Slack input that fits it; required ones are not optional. */
export function attributeBlocks(
  type: TicketType,
  prefill: { title?: string | undefined; description?: string | undefined; permalink?: string | undefined },
): KnownBlock[] {
  return ticketForm(type, prefill).blocks;
}

/** What the form of this type reads back, and the required attributes it cannot offer. */
export function ticketFields(type: TicketType): { fields: TicketField[]; unfillable: string[] } {
  const { fields, unfillable } = ticketForm(type, {});
  return { fields, unfillable };
}

/** The sentence for a type whose required attributes the form cannot offer. */
export function unfillableProblem(names: readonly string[]): string {
  const list = names.map((n) => `“${n}”`).join(', ');
  return `This type requires ${list}, which cannot be filled in from Slack (a list with no options, or more fields than a Slack form can hold). Choose another type, or ask an Intercom admin to fix the type.`;
}

/** A link Slack made, safe inside `<…|…>`. */
const SAFE_LINK = /^https:\/\/[^\s<>|]+$/;

/**
 * The ticket modal. Without a type it asks for one first (choosing it redraws the modal with that type's fields,
 * keeping what was already entered); `typeId` and `fields` in the context say which fields are shown. `problem`
 * is a sentence shown above the fields (Intercom could not list the type), with a Try again button for `retry`.
 */
export function ticketModal(
  context: ContactModalContext,
  contact: Initial,
  type?: TicketType,
  problem?: { text: string; retryTypeId?: string | undefined },
): ModalForm {
  const blocks: KnownBlock[] = [contactBlock(contact), ticketTypeBlock(type), ...ticketNotices(context, problem)];
  const form = type ? ticketForm(type, context) : undefined;
  if (form) {
    // the names come from Intercom: many, or long, would pass Slack's 3,000 characters (`contextBlock` cuts them)
    if (form.unfillable.length > 0) blocks.push(contextBlock(`⚠️ ${escapeMrkdwn(unfillableProblem(form.unfillable))}`));
    blocks.push(...form.blocks);
  } else if (!problem) {
    blocks.push(contextBlock('Choose a type to see its fields.'));
  }
  return modal(
    CONTACT_CALLBACK.ticket,
    fitMetadata({
      ...context,
      typeId: type?.id,
      fields: form?.fields,
      unfillable: form?.unfillable.length ? form.unfillable : undefined,
    }),
    'Create ticket',
    'Create',
    blocks.slice(0, 100),
  );
}

function ticketTypeBlock(type: TicketType | undefined): InputBlock {
  return input(CONTACT_FIELD.ticketType, {
    dispatch_action: true,
    label: plain('Ticket type'),
    element: externalSelect(
      CONTACT_FIELD.ticketType,
      0,
      'Choose a type',
      type ? option(type.name ?? type.id, type.id) : undefined,
    ),
  });
}

/**
 * What the ticket modal says above the fields, in this order: the Slack message it is made from, the conversation
 * it links, and a problem with a Try again button.
 */
function ticketNotices(
  context: ContactModalContext,
  problem: { text: string; retryTypeId?: string | undefined } | undefined,
): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  if (context.source || context.permalink) blocks.push(contextBlock(sourceLine(context)));
  if (context.conversationId) {
    blocks.push(contextBlock(`Linked to conversation ${escapeMrkdwn(context.conversationId)} in Intercom.`));
  }
  if (problem) {
    const retry = problem.retryTypeId
      ? button(TICKET_RETRY, 'Try again', { value: cut(problem.retryTypeId, 150) })
      : undefined;
    blocks.push(section(`⚠️ ${escapeMrkdwn(problem.text)}`, { blockId: 'ticket_type_problem', accessory: retry }));
  }
  return blocks;
}

/** "From a Slack message: its title", the message linked when Slack's link is safe inside `<…|…>`. */
function sourceLine(context: ContactModalContext): string {
  const from =
    context.permalink && SAFE_LINK.test(context.permalink)
      ? `<${context.permalink}|a Slack message>`
      : 'a Slack message';
  const title = context.title ? `: ${escapeMrkdwn(truncate(context.title, 200, '…'))}` : '';
  return `From ${from}${title}`;
}

/** The Try again button shown when Intercom could not list the chosen type. */
export const TICKET_RETRY = 'ticket_type_retry';

/** Slack allows 3,000 characters of private_metadata; the bridge's seal (modal-state.ts) takes some. */
const METADATA_ROOM = 3000 - SEAL_LENGTH;

/**
 * Slack allows 3,000 characters of private_metadata. A type's fields give way first (the submission can read them
 * from the bridge's cached ticket types); then a long message's description, then its title (nothing else has
 * them: what is cut is lost to later redraws of the modal).
 */
function fitMetadata(context: ContactModalContext): ContactModalContext {
  const fitted = { ...context };
  if (JSON.stringify(fitted).length > METADATA_ROOM) {
    fitted.fields = undefined;
    fitted.unfillable = undefined;
  }
  for (const field of ['description', 'title'] as const) {
    const over = JSON.stringify(fitted).length - METADATA_ROOM;
    const text = fitted[field];
    if (over <= 0) break;
    // escaping can make the JSON longer than the text: cut with room to spare
    if (text) fitted[field] = cut(text, Math.max(0, text.length - over - 20)) || undefined;
  }
  return fitted;
}

/** Options for the ticket type select. */
export function ticketTypeOptions(query: string, types: readonly TicketType[]): { options: PlainTextOption[] } {
  const wanted = query.trim().toLowerCase();
  return {
    options: types
      .filter((t) => !wanted || (t.name ?? '').toLowerCase().includes(wanted))
      .slice(0, 100)
      .map((t) => option(`${t.name ?? t.id}${t.category ? ` · ${t.category}` : ''}`, t.id)),
  };
}
