import type { ViewStateValue, ViewSubmitAction } from '@slack/bolt';
import type { z } from 'zod';
import { readFileRefs, type SlackFileRef } from '../../bridge/attachments.ts';
import type { ContactRef } from '../../bridge/contact-actions.ts';
import type { TicketType } from '../../intercom/schemas.ts';
import {
  attributeBlockId,
  CONTACT_FIELD,
  ContactModalContext,
  type TicketField,
  ticketFields,
  VALUE,
} from '../blocks/contact-modals.ts';
import { FIELD } from '../blocks/modals.ts';
import type { ModalState } from '../modal-state.ts';

// Reading a submitted modal's state: what Slack sends, without trusting the request to be shaped as Slack's are.

export type ViewState = ViewSubmitAction['view']['state']['values'];

/**
 * A submitted modal's inputs (`{ block: { action: state } }`). Slack always sends `view.state.values` as an object,
 * but a request is not trusted to: anything else reads as nothing entered, so each handler blames its own fields.
 */
export function viewValues(view: { state?: { values?: unknown } | null }): ViewState {
  const values = view.state?.values;
  return typeof values === 'object' && values !== null ? (values as ViewState) : {};
}

/** What a tag modal says when its tag select holds something other than options. */
export const UNREADABLE_TAGS = 'The tags picked could not be read; pick them again.';

/**
 * The tag ids picked in a tag modal (conversation or contact): Slack sends `selected_options` as an array of options
 * with string values (none picked: empty, or absent). Anything else gives undefined, to be refused on the field,
 * so that nothing but a string reaches Intercom as a tag id.
 */
export function pickedTagIds(values: ViewState): string[] | undefined {
  const picked: unknown = values[FIELD.tags]?.[FIELD.tags]?.selected_options;
  if (picked === undefined || picked === null) return [];
  if (!Array.isArray(picked)) return undefined;
  const ids: string[] = [];
  for (const option of picked as unknown[]) {
    const value: unknown =
      typeof option === 'object' && option !== null ? (option as { value?: unknown }).value : undefined;
    if (typeof value !== 'string' || value === '') return undefined;
    ids.push(value);
  }
  return ids;
}

/** What a reply or note modal says when its file input holds something other than files. */
export const UNREADABLE_FILES = 'The files could not be read; attach them again.';

/**
 * The files attached in a reply or note modal (Slack sends `files`, the file objects uploaded; none attached:
 * empty or absent). Anything else gives undefined, to be refused on the field.
 */
export function pickedFiles(values: ViewState): SlackFileRef[] | undefined {
  const state: unknown = values[FIELD.files]?.[FIELD.files];
  return readFileRefs(typeof state === 'object' && state !== null ? (state as { files?: unknown }).files : undefined);
}

/** A text input's value: Slack always sends a string, but a request is not trusted to. */
export function inputValue(values: ViewState, field: string): string | undefined {
  const value: unknown = values[field]?.[field]?.value;
  return typeof value === 'string' ? value : undefined;
}

/** The contact picked in a contact modal (note, tag, ticket): an id, or an email still to be looked up. */
export function pickedContact(values: ViewState): ContactRef | undefined {
  return parseContactOption(values[CONTACT_FIELD.contact]?.[CONTACT_FIELD.contact]?.selected_option?.value);
}

/**
 * The state a modal carries (sealed by the bridge when it opened it, read by `schema`): the card's context for the
 * triage modals, `ContactModalContext` for the contact and ticket modals. Undefined when it is not ours.
 */
export function modalContext<T>(
  schema: z.ZodType<T>,
  modalState: ModalState,
  metadata: string | undefined,
): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(modalState.open(metadata) ?? '');
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The state a contact or ticket modal carries. */
export function contactContext(modalState: ModalState, metadata: string | undefined): ContactModalContext | undefined {
  return modalContext(ContactModalContext, modalState, metadata);
}

// ── what the options of the bridge's own selects carry ──

/** Reads an assignee option value back; undefined for anything we did not offer (a string is not trusted to come). */
export function parseAssignee(value: unknown): 'me' | 'nobody' | { type: 'admin' | 'team'; id: string } | undefined {
  // not a string: `exec` would read ['admin:1'] as "admin:1"
  if (typeof value !== 'string') return undefined;
  if (value === 'me' || value === 'nobody') return value;
  const match = /^(admin|team):(\d+)$/.exec(value);
  return match ? { type: match[1] as 'admin' | 'team', id: match[2] as string } : undefined;
}

/** Reads a contact option value back; undefined for anything else (a request is not trusted to send a string). */
export function parseContactOption(value: unknown): { id: string } | { email: string } | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.startsWith('id:') && value.length > 3) return { id: value.slice(3) };
  if (value.startsWith('email:') && value.includes('@')) return { email: value.slice(6) };
  return undefined;
}

// ── a submitted ticket form ──

/** The attribute values entered, by attribute name, or errors by block id (required, numbers). */
export function readAttributes(
  form: readonly TicketField[] | TicketType,
  values: ViewState,
): { attributes: Record<string, AttributeValue>; errors: Record<string, string> } {
  const fields = Array.isArray(form) ? form : ticketFields(form as TicketType).fields;
  // no prototype: an attribute named `__proto__` is kept as a value like any other
  const attributes: Record<string, AttributeValue> = Object.create(null);
  const errors: Record<string, string> = {};
  for (const [id, name, dataType, required] of fields) {
    const blockId = attributeBlockId(id);
    const read = readAttributeValue(dataType, values[blockId]?.[VALUE]);
    if ('error' in read) errors[blockId] = read.error;
    else if (read.value !== undefined) attributes[name] = read.value;
    else if (required) errors[blockId] = 'Required for this ticket type.';
  }
  return { attributes, errors };
}

export type AttributeValue = string | number | boolean;

/** What one input of a submitted ticket form holds: a value (undefined when left empty), or why it cannot be sent. */
export type AttributeRead = { value: AttributeValue | undefined } | { error: string };

/**
 * Reads one input of a submitted ticket form by the attribute's Intercom data type (the input `attributeElement`
 * made for it). Slack sends strings, arrays of options and numbers; a request that does not is read as nothing.
 */
export function readAttributeValue(dataType: string, state: ViewStateValue | undefined): AttributeRead {
  switch (dataType) {
    case 'integer':
    case 'decimal':
      return readNumber(state, dataType === 'integer');
    case 'boolean':
      return { value: readTicked(state) };
    case 'list':
      return { value: readPicked(state) };
    case 'datetime':
      return { value: typeof state?.selected_date_time === 'number' ? state.selected_date_time : undefined };
    default:
      return { value: (typeof state?.value === 'string' ? state.value.trim() : '') || undefined };
  }
}

function readNumber(state: ViewStateValue | undefined, integer: boolean): AttributeRead {
  const text = typeof state?.value === 'string' ? state.value.trim() : undefined;
  if (!text) return { value: undefined };
  const n = Number(text);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    return { error: integer ? 'Enter a whole number.' : 'Enter a number.' };
  }
  return { value: n };
}

/** A checkbox: ticked or not (an unticked box is an answer, false). */
function readTicked(state: ViewStateValue | undefined): boolean {
  const picked: unknown = state?.selected_options;
  return Array.isArray(picked) && picked.some((o: { value?: unknown } | null) => o?.value === 'true');
}

function readPicked(state: ViewStateValue | undefined): string | undefined {
  const picked: unknown = state?.selected_option?.value;
  return typeof picked === 'string' ? picked : undefined;
}
