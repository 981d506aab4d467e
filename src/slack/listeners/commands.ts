import type { App, BlockAction, RespondArguments, ViewOutput } from '@slack/bolt';
import type { ActionResult, ContactActions, ContactRef } from '../../bridge/contact-actions.ts';
import type { Directory } from '../../bridge/directory.ts';
import type { Identity } from '../../bridge/identity.ts';
import { syncJob } from '../../bridge/jobs.ts';
import type { Lookup } from '../../bridge/lookup.ts';
import type { CardData } from '../../bridge/model.ts';
import type { SlackPort } from '../../bridge/ports.ts';
import { explainIntercomError } from '../../bridge/triage.ts';
import { IntercomApiError, IntercomRateLimitedError } from '../../intercom/errors.ts';
import { textToHtml } from '../../intercom/html.ts';
import type { TicketType } from '../../intercom/schemas.ts';
import type { Logger } from '../../logger.ts';
import type { NewDelivery, Store } from '../../store/store.ts';
import {
  CONTACT_CALLBACK,
  CONTACT_FIELD,
  ContactModalContext,
  contactNoteModal,
  contactOptions,
  contactOptionValue,
  contactTagModal,
  parseContactOption,
  readAttributes,
  TICKET_RETRY,
  ticketFields,
  ticketModal,
  ticketTypeOptions,
  unfillableProblem,
} from '../blocks/contact-modals.ts';
import { FIELD, MAX_MESSAGE, refusalModal } from '../blocks/modals.ts';
import {
  articleResults,
  cardPreview,
  contactResults,
  notice,
  RESULT_ACTIONS,
  sharedArticle,
} from '../blocks/results.ts';
import { helpText, parseCommand } from '../commands/grammar.ts';
import type { ModalState } from '../modal-state.ts';
import { cut, escapeMrkdwn } from '../mrkdwn.ts';
import type { ResponseUrls } from '../response-urls.ts';
import { type AfterAck, withinBudget } from './scheduling.ts';
import { inputValue, pickedTagIds, UNREADABLE_TAGS, viewValues } from './view-state.ts';

export interface CommandListenerDeps {
  lookup: Lookup;
  actions: ContactActions;
  identity: Identity;
  directory: Directory;
  /** The conversation's card data, for `/intercom conversation <id>`. */
  cardData: (conversationId: string) => Promise<CardData>;
  slack: SlackPort;
  store: Store;
  enqueue: (job: NewDelivery) => Promise<boolean>;
  /** Where Intercom work goes once Slack has its answer. */
  afterAck: AfterAck;
  /** The hosts a response URL may point at. */
  responseUrls: ResponseUrls;
  /** Seals the state the modals carry, and reads back only what it sealed. */
  modalState: ModalState;
  logger: Logger;
}

/** Shortcuts' callback ids, as declared in the app manifest. */
export const SHORTCUTS = { messageTicket: 'ticket_from_message', newTicket: 'new_ticket' } as const;

/** Options must be answered within Slack's 3 s: Intercom gets this long before we answer without it. */
const OPTIONS_BUDGET_MS = 2_500;
/** How long a response URL may take to take a confirmation before it goes as a direct message instead. */
export const RESPONSE_URL_TIMEOUT_MS = 3_000;

type Respond = (message: RespondArguments) => Promise<unknown>;
type ModalView = ReturnType<typeof contactNoteModal>;

/**
 * `/intercom` and what hangs off it: contact and article search results with their buttons, the conversation
 * preview, the note / tag / ticket modals (from the command, the result buttons and the shortcuts), and the
 * select menus' options. Acknowledged first; results arrive through the response URL, only to the asker.
 */
export function registerCommandListeners(app: App, deps: CommandListenerDeps): void {
  const { lookup, identity, logger, modalState } = deps;
  const readContext = (metadata: string | undefined) => parseContext(modalState.open(metadata));

  /**
   * Whether `user` may read Intercom data here; if not, they are told why (through `respond`, when there is one)
   * and the caller stops.
   */
  const mayRead = async (user: string, respond?: Respond) => {
    const access = await identity.reader(user).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not check who asked');
      return { refusal: 'The bridge could not check who you are in Intercom; try again in a moment.' };
    });
    if ('ok' in access) return true;
    logger.info({ user }, 'refused: may not read Intercom data');
    await respond?.({ response_type: 'ephemeral', replace_original: false, ...notice(escapeMrkdwn(access.refusal)) });
    return false;
  };

  const failed = (respond: Respond, error: unknown, subject: 'conversation' | 'contact' = 'contact') => {
    logger.warn({ err: error }, 'command failed');
    return respond({
      response_type: 'ephemeral',
      ...notice(escapeMrkdwn(explainIntercomError(error, 'action', subject))),
    });
  };

  /**
   * Opens a modal at once (a trigger id expires in 3 s); then, if the opener may not act in Intercom, replaces it
   * with the reason, else with what `complete` makes of it (a lookup the modal could not wait for).
   */
  async function openModal(
    client: App['client'],
    triggerId: string,
    user: string,
    view: ModalView,
    complete?: () => Promise<ModalView>,
  ) {
    const opened = await client.views.open({ trigger_id: triggerId, view: modalState.sealView(view) });
    const [who, completed] = await Promise.all([
      identity.teammate(user).catch(() => undefined),
      complete?.().catch((error: unknown) => {
        logger.warn({ err: error }, 'could not complete the modal');
        return undefined;
      }),
    ]);
    const viewId = opened.view?.id;
    if (!viewId) return;
    if (who && 'refusal' in who) {
      await client.views.update({ view_id: viewId, view: refusalModal(view.title.text, who.refusal) });
    } else if (completed) {
      // with the hash, Slack refuses this once a chosen type has redrawn the modal; that redraw made this lookup too
      const hash = opened.view?.hash;
      await client.views
        .update({ view_id: viewId, ...(hash ? { hash } : {}), view: modalState.sealView(completed) })
        .catch((error: unknown) => logger.info({ err: error }, 'the modal changed before it could be completed'));
    }
  }

  /**
   * What a message shortcut's ticket modal looks up once it is open: the message's permalink (chat.getPermalink)
   * and the conversation whose card or thread the message is in, to link the ticket to. Done once: `source` goes.
   */
  async function resolveSource(context: ContactModalContext): Promise<ContactModalContext> {
    const { source, ...rest } = context;
    if (!source) return context;
    const [permalink, card] = await Promise.all([
      deps.slack.permalink(source.channel, source.ts).catch((error: unknown) => {
        logger.warn({ err: error, channel: source.channel }, 'could not get the message’s permalink');
        return undefined;
      }),
      deps.store.cardAt(source.channel, source.root).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not look up the card of the message');
        return undefined;
      }),
    ]);
    return {
      ...rest,
      ...(permalink ? { permalink } : {}),
      ...(card && !rest.conversationId ? { conversationId: card.conversationId } : {}),
    };
  }

  /** Redraws the ticket modal with this type's fields, or with a sentence saying why Intercom did not give them. */
  async function showTicketType(client: App['client'], view: ViewOutput, typeId: string) {
    const context = await resolveSource(readContext(view.private_metadata) ?? {});
    const picked = viewValues(view)[CONTACT_FIELD.contact]?.[CONTACT_FIELD.contact]?.selected_option;
    const contact = picked ? { text: picked.text.text, value: picked.value } : undefined;
    let type: TicketType | undefined;
    let problem: { text: string; retryTypeId?: string } | undefined;
    try {
      type = (await deps.directory.ticketTypes(typeId)).find((t) => t.id === typeId);
      if (!type) problem = { text: 'This ticket type is no longer available in Intercom; choose another.' };
    } catch (error) {
      logger.warn({ err: error, typeId }, 'could not load the ticket type');
      problem = { text: typeLoadProblem(error), retryTypeId: typeId };
    }
    const redrawn = modalState.sealView(ticketModal(context, contact, type, problem));
    try {
      await client.views.update({ view_id: view.id, hash: view.hash, view: redrawn });
    } catch (error) {
      // the message shortcut's own redraw (permalink, card) landed after this choice was made: this one already
      // holds what that one looked up, and the type the person chose, so it goes in over it
      if ((error as { data?: { error?: string } }).data?.error !== 'hash_conflict') throw error;
      await client.views.update({ view_id: view.id, view: redrawn });
    }
  }

  app.command('/intercom', async ({ ack, command, respond, client }) => {
    const parsed = parseCommand(command.text ?? '');
    const name = command.command || '/intercom';
    switch (parsed.kind) {
      case 'help':
        await ack({ response_type: 'ephemeral', text: helpText(name) });
        return;
      case 'unknown':
        await ack({
          response_type: 'ephemeral',
          text: `\`${escapeMrkdwn(parsed.word)}\` is not something ${name} knows.\n\n${helpText(name)}`,
        });
        return;
      case 'usage':
        await ack({ response_type: 'ephemeral', text: parsed.problem });
        return;
      case 'note':
      case 'tag':
      case 'ticket': {
        if (parsed.email && parsed.email.length > 144) {
          // the email travels in a select option's value, which Slack caps at 150 characters
          await ack({
            response_type: 'ephemeral',
            text: 'That email is too long to look up; pick the contact in the form instead.',
          });
          return;
        }
        await ack();
        const context = { responseUrl: command.response_url, channel: command.channel_id };
        const initial = parsed.email
          ? { text: parsed.email, value: contactOptionValue({ email: parsed.email }) }
          : undefined;
        const view =
          parsed.kind === 'note'
            ? contactNoteModal(context, initial)
            : parsed.kind === 'tag'
              ? contactTagModal(context, initial)
              : ticketModal(context, initial);
        await openModal(client, command.trigger_id, command.user_id, view);
        return;
      }
      case 'contacts':
        await ack();
        if (!(await mayRead(command.user_id, respond))) return;
        try {
          await respond({
            response_type: 'ephemeral',
            ...contactResults(parsed.query, await lookup.contacts(parsed.query)),
          });
        } catch (error) {
          await failed(respond, error);
        }
        return;
      case 'articles':
        await ack();
        if (!(await mayRead(command.user_id, respond))) return;
        try {
          await respond({
            response_type: 'ephemeral',
            ...articleResults(parsed.query, await lookup.articles(parsed.query)),
          });
        } catch (error) {
          await failed(respond, error);
        }
        return;
      case 'conversation':
        await ack();
        if (!(await mayRead(command.user_id, respond))) return;
        try {
          await respond({ response_type: 'ephemeral', ...cardPreview(await deps.cardData(parsed.id)) });
        } catch (error) {
          await failed(respond, error, 'conversation');
        }
        return;
    }
  });

  app.action<BlockAction>(RESULT_ACTIONS.moreContacts, async ({ ack, action, body, respond }) => {
    await ack();
    if (!(await mayRead(body.user.id, respond))) return;
    const { q, after } = parseJson<{ q?: string; after?: string }>('value' in action ? action.value : undefined);
    if (!q) return;
    try {
      await respond({
        replace_original: true,
        ...contactResults(q, await lookup.contacts(q, { startingAfter: after })),
      });
    } catch (error) {
      await failed(respond, error);
    }
  });

  app.action<BlockAction>(new RegExp(`^${RESULT_ACTIONS.shareArticle}:`), async ({ ack, action, body, respond }) => {
    await ack();
    if (!(await mayRead(body.user.id, respond))) return;
    const article = parseJson<{ title?: string; url?: string }>('value' in action ? action.value : undefined);
    if (!article.title || !article.url) return;
    await respond({
      response_type: 'in_channel',
      replace_original: false,
      ...sharedArticle({ title: article.title, url: article.url }, body.user.id),
    });
  });

  app.action(new RegExp(`^${RESULT_ACTIONS.openLink}:`), async ({ ack }) => {
    await ack();
  });

  app.action<BlockAction>(RESULT_ACTIONS.postConversation, async ({ ack, action, body, respond }) => {
    await ack();
    const conversationId = 'value' in action ? action.value : undefined;
    const channel = body.channel?.id;
    if (!conversationId || !channel) return;
    // publishing a conversation to a channel is a teammate's act, like any other
    const who = await identity.teammate(body.user.id).catch(() => undefined);
    if (!who || 'refusal' in who) {
      const why = who?.refusal ?? 'The bridge could not check who you are in Intercom; try again in a moment.';
      await respond({ response_type: 'ephemeral', replace_original: false, ...notice(escapeMrkdwn(why)) });
      return;
    }
    const card = await deps.store.getCard(conversationId);
    if (card) {
      // one card per conversation: its thread is where the conversation is followed
      const where = await deps.slack.permalink(card.channel, card.ts).catch(() => '');
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: `This conversation already has a card in <#${card.channel}>${where ? `: ${where}` : ''}`,
      });
      return;
    }
    await deps.enqueue(syncJob(conversationId, { channel }));
    await respond({ delete_original: true });
  });

  const contactButton = (kind: 'note' | 'tag' | 'ticket', prefix: string) =>
    app.action<BlockAction>(new RegExp(`^${prefix}:`), async ({ ack, action, body, client }) => {
      await ack();
      const contactId = 'value' in action ? action.value : undefined;
      if (!contactId) return;
      const label = contactLabel(body, contactId);
      const context = { responseUrl: body.response_url, channel: body.channel?.id };
      const initial = { text: label, value: contactOptionValue({ id: contactId }) };
      const view =
        kind === 'note'
          ? contactNoteModal(context, initial)
          : kind === 'tag'
            ? contactTagModal(context, initial)
            : ticketModal(context, initial);
      await openModal(client, body.trigger_id, body.user.id, view);
    });
  contactButton('note', RESULT_ACTIONS.contactNote);
  contactButton('tag', RESULT_ACTIONS.contactTag);
  contactButton('ticket', RESULT_ACTIONS.contactTicket);

  app.shortcut(SHORTCUTS.messageTicket, async ({ ack, shortcut, client }) => {
    await ack();
    if (shortcut.type !== 'message_action') return;
    const message = shortcut.message as { text?: string; ts: string; thread_ts?: string };
    const text = (message.text ?? '').trim();
    const context: ContactModalContext = {
      responseUrl: shortcut.response_url,
      channel: shortcut.channel.id,
      title: cut(firstLine(text), 200) || undefined,
      description: cut(text, 2900) || undefined,
      source: { channel: shortcut.channel.id, ts: message.ts, root: message.thread_ts ?? message.ts },
    };
    // open first: the permalink and the card are looked up after, and the modal redrawn with them
    await openModal(client, shortcut.trigger_id, shortcut.user.id, ticketModal(context, undefined), async () =>
      ticketModal(await resolveSource(context), undefined),
    );
  });

  app.shortcut(SHORTCUTS.newTicket, async ({ ack, shortcut, client }) => {
    await ack();
    await openModal(client, shortcut.trigger_id, shortcut.user.id, ticketModal({}, undefined));
  });

  app.options(CONTACT_FIELD.contact, async ({ ack, options, body }) => {
    if (!(await mayRead(body.user.id))) return ack({ options: [] });
    const contacts = await withinBudget(lookup.contactMatches(options.value ?? ''), OPTIONS_BUDGET_MS, logger);
    await ack(contactOptions(contacts ?? []));
  });

  app.options(CONTACT_FIELD.ticketType, async ({ ack, options, body }) => {
    if (!(await mayRead(body.user.id))) return ack({ options: [] });
    const types = await withinBudget(deps.directory.ticketTypes(), OPTIONS_BUDGET_MS, logger);
    await ack(ticketTypeOptions(options.value ?? '', types ?? []));
  });

  // choosing a ticket type redraws the modal with that type's fields; Slack keeps what was already entered
  app.action<BlockAction>(CONTACT_FIELD.ticketType, async ({ ack, action, body, client }) => {
    await ack();
    const typeId = action.type === 'external_select' ? action.selected_option?.value : undefined;
    if (!typeId || !body.view) return;
    await showTicketType(client, body.view, typeId);
  });

  app.action<BlockAction>(TICKET_RETRY, async ({ ack, action, body, client }) => {
    await ack();
    const typeId = action.type === 'button' ? action.value : undefined;
    if (!typeId || !body.view) return;
    await showTicketType(client, body.view, typeId);
  });

  app.view(CONTACT_CALLBACK.note, async ({ ack, view, body }) => {
    const values = viewValues(view);
    const contact = pickedContact(values);
    const text = inputValue(values, FIELD.message)?.trim() ?? '';
    const errors: Record<string, string> = {};
    if (!contact) errors[CONTACT_FIELD.contact] = 'Pick the contact.';
    if (!text) errors[FIELD.message] = 'Write the note first.';
    else if (text.length > MAX_MESSAGE) errors[FIELD.message] = `Keep it under ${MAX_MESSAGE} characters.`;
    if (!contact || Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    const user = body.user.id;
    confirmAfterAck('contact_note', view, user, () => deps.actions.note(user, contact, textToHtml(text)), text);
  });

  app.view(CONTACT_CALLBACK.tag, async ({ ack, view, body }) => {
    const values = viewValues(view);
    const contact = pickedContact(values);
    const tagIds = pickedTagIds(values);
    const newTag = inputValue(values, FIELD.newTag)?.trim() || undefined;
    const errors: Record<string, string> = {};
    if (!contact) errors[CONTACT_FIELD.contact] = 'Pick the contact.';
    if (!tagIds) errors[FIELD.tags] = UNREADABLE_TAGS;
    else if (tagIds.length === 0 && !newTag) errors[FIELD.tags] = 'Pick a tag, or name a new one below.';
    if (!contact || !tagIds || Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    const user = body.user.id;
    confirmAfterAck('contact_tag', view, user, () => deps.actions.tag(user, contact, tagIds, newTag));
  });

  // checked only against what the modal carries (or the bridge already holds): Slack wants its answer within 3 s,
  // and nothing may wait on Intercom before it
  app.view(CONTACT_CALLBACK.ticket, async ({ ack, view, body }) => {
    const values = viewValues(view);
    const context = readContext(view.private_metadata) ?? {};
    const contact = pickedContact(values);
    const typeId = values[CONTACT_FIELD.ticketType]?.[CONTACT_FIELD.ticketType]?.selected_option?.value;
    const errors: Record<string, string> = {};
    let read: ReturnType<typeof readAttributes> | undefined;
    if (!contact) errors[CONTACT_FIELD.contact] = 'Pick the contact.';
    if (!typeId) errors[CONTACT_FIELD.ticketType] = 'Choose a ticket type.';
    else if (typeId !== context.typeId) errors[CONTACT_FIELD.ticketType] = 'Wait for this type’s fields to appear.';
    else {
      // a type with too many fields for private_metadata leaves them to the cached ticket types
      const cached = context.fields ? undefined : deps.directory.cachedTicketType(typeId);
      const form = context.fields
        ? { fields: context.fields, unfillable: context.unfillable ?? [] }
        : cached && ticketFields(cached);
      if (!form) {
        errors[CONTACT_FIELD.ticketType] =
          'The bridge lost track of this type’s fields: choose another type, then this one again.';
      } else if (form.unfillable.length > 0) {
        errors[CONTACT_FIELD.ticketType] = unfillableProblem(form.unfillable);
      } else {
        read = readAttributes(form.fields, values);
        Object.assign(errors, read.errors);
      }
    }
    if (!contact || !typeId || !read || Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    const user = body.user.id;
    const request = {
      ticketTypeId: typeId,
      contact,
      attributes: read.attributes,
      conversationId: context.conversationId,
    };
    confirmAfterAck('ticket', view, user, () => deps.actions.ticket(user, request));
  });

  /** Once Slack has its answer, does `action` and tells the submitter how it went (keeps only the metadata). */
  function confirmAfterAck(
    what: string,
    view: ViewOutput,
    user: string,
    action: () => Promise<ActionResult>,
    typed?: string,
  ) {
    const metadata = view.private_metadata;
    deps.afterAck.run(what, async () => confirm(metadata, user, await action(), typed));
  }

  /**
   * Tells the submitter how it went: through the response URL it was opened from, else (none, or it did not take
   * the message for any reason) in a direct message.
   */
  async function confirm(metadata: string, user: string, result: ActionResult, typed?: string) {
    const keep = !result.ok && typed ? `\n\nWhat you wrote, so it is not lost:\n>>> ${escapeMrkdwn(typed)}` : '';
    const text = `${result.ok ? '✅' : '⚠️'} ${escapeMrkdwn(result.message)}${keep}`;
    const responseUrl = readContext(metadata)?.responseUrl;
    if (responseUrl && (await postToResponseUrl(responseUrl, text))) return;
    try {
      await deps.slack.dm(user, text);
    } catch (error) {
      logger.warn({ err: error }, 'could not tell the user how their request went');
    }
  }

  /** Posts an ephemeral message to a response URL; false when it did not arrive (an error status, no answer in time). */
  async function postToResponseUrl(responseUrl: string, text: string): Promise<boolean> {
    if (!deps.responseUrls.allows(responseUrl)) {
      logger.warn('a modal’s response URL is not Slack’s: sending the confirmation as a direct message');
      return false;
    }
    let failure: Record<string, unknown>;
    try {
      const res = await fetch(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
        signal: AbortSignal.timeout(RESPONSE_URL_TIMEOUT_MS),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return true;
      failure = { status: res.status };
    } catch (error) {
      // not the error itself: its message can quote the URL, which lets anyone post to the person for a while
      failure = { reason: errorCode(error) };
    }
    logger.info(failure, 'the response URL did not take the confirmation: sending it as a direct message');
    return false;
  }
}

function pickedContact(
  values: Record<string, Record<string, { selected_option?: { value: string } | null }>>,
): ContactRef | undefined {
  return parseContactOption(values[CONTACT_FIELD.contact]?.[CONTACT_FIELD.contact]?.selected_option?.value);
}

/** The contact's name as the result message shows it, for the modal's preselected option. */
function contactLabel(body: BlockAction, contactId: string): string {
  const blocks = (body.message?.blocks ?? []) as Array<{ type?: string; block_id?: string; text?: { text?: string } }>;
  const index = blocks.findIndex((b) => b.block_id === `contact:${contactId}`);
  const text = blocks[index - 1]?.text?.text ?? '';
  const name = text
    .split('\n')[0]
    ?.replace(/\*/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return name?.trim() || `Contact ${contactId}`;
}

/** Why a ticket type's fields could not be shown, as a sentence for the modal. */
function typeLoadProblem(error: unknown): string {
  if (error instanceof IntercomRateLimitedError) {
    return 'Intercom is rate-limiting the bridge right now, so this type’s fields could not be loaded. Try again in a minute.';
  }
  if (error instanceof IntercomApiError && error.status === 401) {
    return 'Intercom refused the bridge’s access token, so this type’s fields could not be loaded; whoever runs the bot must check INTERCOM_TOKEN.';
  }
  if (error instanceof IntercomApiError && error.status === 403) {
    return 'Intercom did not allow the bridge to read ticket types, so this type’s fields could not be loaded.';
  }
  return 'Intercom did not send this type’s fields just now. Try again in a moment.';
}

/** What kind of failure a fetch threw (`ECONNREFUSED`, `ERR_INVALID_URL`…), without its message. */
function errorCode(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'unknown';
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((line) => line.trim())
      ?.trim() ?? ''
  );
}

function parseContext(metadata: string | undefined): ContactModalContext | undefined {
  const parsed = ContactModalContext.safeParse(parseJson(metadata));
  return parsed.success ? parsed.data : undefined;
}

function parseJson<T extends object>(text: string | undefined): Partial<T> {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return value && typeof value === 'object' ? (value as Partial<T>) : {};
  } catch {
    return {};
  }
}
