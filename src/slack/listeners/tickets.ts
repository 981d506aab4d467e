import { type App, type BlockAction, type ViewOutput, type ViewSubmitAction, webApi } from '@slack/bolt';
import { explainLoadFailure } from '../../bridge/messages.ts';
import type { TicketType } from '../../intercom/schemas.ts';
import {
  CONTACT_CALLBACK,
  CONTACT_FIELD,
  type ContactModalContext,
  TICKET_RETRY,
  ticketFields,
  ticketModal,
  ticketTypeOptions,
  unfillableProblem,
} from '../blocks/contact-modals.ts';
import { optionsList } from './access.ts';
import type { ActionArgs, ViewArgs, WebClient } from './args.ts';
import { confirmAfterAck } from './contacts.ts';
import type { ListenerDeps } from './index.ts';
import { contactContext, pickedContact, readAttributes, viewValues } from './view-state.ts';

// The ticket modal: choosing a type (which redraws the modal with that type's fields), its retry button, the type
// select menu, and the submission. The modal is opened by `/intercom ticket`, a contact result and the shortcuts.

export function register(app: App, deps: ListenerDeps): void {
  app.options(CONTACT_FIELD.ticketType, ticketTypeList(deps));
  // choosing a ticket type redraws the modal with that type's fields; Slack keeps what was already entered
  app.action<BlockAction>(CONTACT_FIELD.ticketType, typeChosen(deps));
  app.action<BlockAction>(TICKET_RETRY, typeRetried(deps));
  app.view<ViewSubmitAction>(CONTACT_CALLBACK.ticket, ticketSubmitted(deps));
}

export const ticketTypeList = (deps: ListenerDeps) =>
  optionsList(
    deps,
    () => deps.directory.ticketTypes(),
    (query, types) => ticketTypeOptions(query, types ?? []),
  );

export const typeChosen =
  (deps: ListenerDeps) =>
  async ({ ack, action, body, client }: ActionArgs): Promise<void> => {
    await ack();
    const typeId = action.type === 'external_select' ? action.selected_option?.value : undefined;
    if (!typeId || !body.view) return;
    await showTicketType(deps, client, body.view, typeId);
  };

export const typeRetried =
  (deps: ListenerDeps) =>
  async ({ ack, action, body, client }: ActionArgs): Promise<void> => {
    await ack();
    const typeId = action.type === 'button' ? action.value : undefined;
    if (!typeId || !body.view) return;
    await showTicketType(deps, client, body.view, typeId);
  };

/**
 * What a message shortcut's ticket modal looks up once it is open: the message's permalink (chat.getPermalink)
 * and the conversation whose card or thread the message is in, to link the ticket to. Done once: `source` goes.
 */
export async function resolveSource(deps: ListenerDeps, context: ContactModalContext): Promise<ContactModalContext> {
  const { source, ...rest } = context;
  if (!source) return context;
  const [permalink, conversationId] = await Promise.all([
    deps.slack.permalink(source.channel, source.ts).catch((error: unknown) => {
      deps.logger.warn({ err: error, channel: source.channel }, 'could not get the message’s permalink');
      return undefined;
    }),
    deps.cards.conversationAt(source.channel, source.root).catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'could not look up the card of the message');
      return undefined;
    }),
  ]);
  return {
    ...rest,
    ...(permalink ? { permalink } : {}),
    ...(conversationId && !rest.conversationId ? { conversationId } : {}),
  };
}

/** Redraws the ticket modal with this type's fields, or with a sentence saying why Intercom did not give them. */
async function showTicketType(deps: ListenerDeps, client: WebClient, view: ViewOutput, typeId: string) {
  const context = await resolveSource(deps, contactContext(deps.modalState, view.private_metadata) ?? {});
  const picked = viewValues(view)[CONTACT_FIELD.contact]?.[CONTACT_FIELD.contact]?.selected_option;
  const contact = picked ? { text: picked.text.text, value: picked.value } : undefined;
  let type: TicketType | undefined;
  let problem: { text: string; retryTypeId?: string } | undefined;
  try {
    type = (await deps.directory.ticketTypes(typeId)).find((t) => t.id === typeId);
    if (!type) problem = { text: 'This ticket type is no longer available in Intercom; choose another.' };
  } catch (error) {
    deps.logger.warn({ err: error, typeId }, 'could not load the ticket type');
    problem = { text: explainLoadFailure(error, 'this type’s fields', 'ticket types'), retryTypeId: typeId };
  }
  const redrawn = deps.modalState.sealView(ticketModal(context, contact, type, problem));
  try {
    await client.views.update({ view_id: view.id, hash: view.hash, view: redrawn });
  } catch (error) {
    // the message shortcut's own redraw (permalink, card) landed after this choice was made: this one already
    // holds what that one looked up, and the type the person chose, so it goes in over it
    if (platformError(error) !== 'hash_conflict') throw error;
    await client.views.update({ view_id: view.id, view: redrawn });
  }
}

// checked only against what the modal carries (or the bridge already holds): Slack wants its answer within 3 s,
// and nothing may wait on Intercom before it
export const ticketSubmitted =
  (deps: ListenerDeps) =>
  async ({ ack, view, body }: ViewArgs): Promise<void> => {
    const values = viewValues(view);
    const context = contactContext(deps.modalState, view.private_metadata) ?? {};
    const contact = pickedContact(values);
    const typeId = values[CONTACT_FIELD.ticketType]?.[CONTACT_FIELD.ticketType]?.selected_option?.value;
    const errors: Record<string, string> = {};
    if (!contact) errors[CONTACT_FIELD.contact] = 'Pick the contact.';
    if (!typeId) errors[CONTACT_FIELD.ticketType] = 'Choose a ticket type.';
    const read = typeId ? readTicketForm(deps, context, typeId, values, errors) : undefined;
    if (!contact || !typeId || !read || Object.keys(errors).length > 0) {
      return ack({ response_action: 'errors', errors });
    }
    await ack();
    const user = body.user.id;
    const request = {
      ticketTypeId: typeId,
      contact,
      attributes: read.attributes,
      conversationId: context.conversationId,
    };
    confirmAfterAck(deps, 'ticket', view, user, () => deps.actions.ticket(user, request));
  };

/** The chosen type's fields as the form filled them; what is wrong goes into `errors`, by field. */
function readTicketForm(
  deps: ListenerDeps,
  context: ContactModalContext,
  typeId: string,
  values: ReturnType<typeof viewValues>,
  errors: Record<string, string>,
): ReturnType<typeof readAttributes> | undefined {
  if (typeId !== context.typeId) {
    errors[CONTACT_FIELD.ticketType] = 'Wait for this type’s fields to appear.';
    return undefined;
  }
  // a type with too many fields for private_metadata leaves them to the cached ticket types
  const cached = context.fields ? undefined : deps.directory.cachedTicketType(typeId);
  const form = context.fields
    ? { fields: context.fields, unfillable: context.unfillable ?? [] }
    : cached && ticketFields(cached);
  if (!form) {
    errors[CONTACT_FIELD.ticketType] =
      'The bridge lost track of this type’s fields: choose another type, then this one again.';
    return undefined;
  }
  if (form.unfillable.length > 0) {
    errors[CONTACT_FIELD.ticketType] = unfillableProblem(form.unfillable);
    return undefined;
  }
  const read = readAttributes(form.fields, values);
  Object.assign(errors, read.errors);
  return read;
}

/** The error Slack's Web API answered a Bolt client call with (`hash_conflict` …), checked by the SDK's own code. */
function platformError(error: unknown): string | undefined {
  const e = error as Partial<webApi.WebAPIPlatformError> | null;
  return e?.code === webApi.ErrorCode.PlatformError ? e.data?.error : undefined;
}
