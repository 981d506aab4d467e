import type { App, BlockAction, ViewSubmitAction } from '@slack/bolt';
import type { ActionResult } from '../../bridge/contact-actions.ts';
import { textToHtml } from '../../intercom/html.ts';
import {
  CONTACT_CALLBACK,
  CONTACT_FIELD,
  contactNoteModal,
  contactOptions,
  contactOptionValue,
  contactTagModal,
  ticketModal,
} from '../blocks/contact-modals.ts';
import { FIELD, MAX_MESSAGE } from '../blocks/modals.ts';
import { RESULT_ACTIONS } from '../blocks/results.ts';
import { unescapeMrkdwn } from '../mrkdwn.ts';
import { openModal, optionsList } from './access.ts';
import type { ActionArgs, ViewArgs } from './args.ts';
import type { ListenerDeps } from './index.ts';
import { confirm } from './tell.ts';
import { contactContext, inputValue, pickedContact, pickedTagIds, UNREADABLE_TAGS, viewValues } from './view-state.ts';

// The contact modals (note, tag; tickets are in tickets.ts) opened from a contact search result, and the contact
// select menu they share with the ticket modal. Submissions are checked against what the modal holds; Intercom is
// called after the ack, and the submitter told how it went.

export function register(app: App, deps: ListenerDeps): void {
  app.action<BlockAction>(new RegExp(`^${RESULT_ACTIONS.contactNote}:`), contactButton(deps, 'note'));
  app.action<BlockAction>(new RegExp(`^${RESULT_ACTIONS.contactTag}:`), contactButton(deps, 'tag'));
  app.action<BlockAction>(new RegExp(`^${RESULT_ACTIONS.contactTicket}:`), contactButton(deps, 'ticket'));
  app.options(CONTACT_FIELD.contact, contactList(deps));
  app.view<ViewSubmitAction>(CONTACT_CALLBACK.note, noteSubmitted(deps));
  app.view<ViewSubmitAction>(CONTACT_CALLBACK.tag, tagSubmitted(deps));
}

/** The three contact modals by kind, for the command and the result buttons. */
export const CONTACT_MODALS = { note: contactNoteModal, tag: contactTagModal, ticket: ticketModal } as const;

/** A result's Add note / Tag / Create ticket button: the modal, with that contact already picked. */
export const contactButton =
  (deps: ListenerDeps, kind: keyof typeof CONTACT_MODALS) =>
  async ({ ack, action, body, client }: ActionArgs): Promise<void> => {
    await ack();
    const contactId = 'value' in action ? action.value : undefined;
    if (!contactId) return;
    const context = { responseUrl: body.response_url, channel: body.channel?.id };
    const initial = { text: contactLabel(body, contactId), value: contactOptionValue({ id: contactId }) };
    const view = CONTACT_MODALS[kind](context, initial);
    await openModal(deps, client, { triggerId: body.trigger_id, user: body.user.id }, view);
  };

export const contactList = (deps: ListenerDeps) =>
  optionsList(
    deps,
    (query) => deps.lookup.contactMatches(query),
    (_query, contacts) => contactOptions(contacts ?? []),
  );

export const noteSubmitted =
  (deps: ListenerDeps) =>
  async ({ ack, view, body }: ViewArgs): Promise<void> => {
    const values = viewValues(view);
    const contact = pickedContact(values);
    const text = inputValue(values, FIELD.message)?.trim() ?? '';
    const errors: Record<string, string> = {};
    if (!contact) errors[CONTACT_FIELD.contact] = 'Pick the contact.';
    if (!text) errors[FIELD.message] = 'Write the note first.';
    else if (text.length > MAX_MESSAGE) errors[FIELD.message] = `Keep it under ${MAX_MESSAGE} characters.`;
    if (!contact || Object.keys(errors).length > 0) return ack({ response_action: 'errors', errors });
    await ack();
    const user = body.user.id;
    confirmAfterAck(deps, 'contact_note', view, user, () => deps.actions.note(user, contact, textToHtml(text)), text);
  };

export const tagSubmitted =
  (deps: ListenerDeps) =>
  async ({ ack, view, body }: ViewArgs): Promise<void> => {
    const values = viewValues(view);
    const contact = pickedContact(values);
    const tagIds = pickedTagIds(values);
    const newTag = inputValue(values, FIELD.newTag)?.trim() || undefined;
    const errors: Record<string, string> = {};
    if (!contact) errors[CONTACT_FIELD.contact] = 'Pick the contact.';
    if (!tagIds) errors[FIELD.tags] = UNREADABLE_TAGS;
    else if (tagIds.length === 0 && !newTag) errors[FIELD.tags] = 'Pick a tag, or name a new one below.';
    if (!contact || !tagIds || Object.keys(errors).length > 0) return ack({ response_action: 'errors', errors });
    await ack();
    const user = body.user.id;
    confirmAfterAck(deps, 'contact_tag', view, user, () => deps.actions.tag(user, contact, tagIds, newTag));
  };

/** Once Slack has its answer, does `action` and tells the submitter how it went (keeps only the metadata). */
export function confirmAfterAck(
  deps: ListenerDeps,
  what: string,
  view: { private_metadata: string },
  user: string,
  action: () => Promise<ActionResult>,
  typed?: string,
): void {
  const metadata = view.private_metadata;
  deps.afterAck.run(what, async () => {
    const result = await action();
    const responseUrl = contactContext(deps.modalState, metadata)?.responseUrl;
    await confirm(deps, { user, responseUrl }, result, typed);
  });
}

/** The contact's name as the result message shows it, for the modal's preselected option. */
function contactLabel(body: BlockAction, contactId: string): string {
  const blocks = (body.message?.blocks ?? []) as Array<{ type?: string; block_id?: string; text?: { text?: string } }>;
  const index = blocks.findIndex((b) => b.block_id === `contact:${contactId}`);
  const text = blocks[index - 1]?.text?.text ?? '';
  const name = unescapeMrkdwn(text.split('\n')[0]?.replace(/\*/g, '') ?? '');
  return name?.trim() || `Contact ${contactId}`;
}
