import type { ViewSubmitAction } from '@slack/bolt';
import type { ContactRef } from '../../bridge/contact-actions.ts';
import { CONTACT_FIELD, ContactModalContext, parseContactOption } from '../blocks/contact-modals.ts';
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

/** A text input's value: Slack always sends a string, but a request is not trusted to. */
export function inputValue(values: ViewState, field: string): string | undefined {
  const value: unknown = values[field]?.[field]?.value;
  return typeof value === 'string' ? value : undefined;
}

/** The contact picked in a contact modal (note, tag, ticket): an id, or an email still to be looked up. */
export function pickedContact(values: ViewState): ContactRef | undefined {
  return parseContactOption(values[CONTACT_FIELD.contact]?.[CONTACT_FIELD.contact]?.selected_option?.value);
}

/** The state a contact modal carries (sealed by the bridge when it opened it); undefined when it is not ours. */
export function contactContext(modalState: ModalState, metadata: string | undefined): ContactModalContext | undefined {
  let value: unknown;
  try {
    value = JSON.parse(modalState.open(metadata) ?? '');
  } catch {
    return undefined;
  }
  const parsed = ContactModalContext.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
