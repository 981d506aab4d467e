import type { App, BlockAction, ViewSubmitAction } from '@slack/bolt';
import type { SlackFileRef } from '../../bridge/attachments.ts';
import { modalMessageJob } from '../../bridge/jobs.ts';
import { checkSnoozeTime, snoozeChoices } from '../../bridge/snooze.ts';
import type { TriageRequest } from '../../bridge/triage.ts';
import { textToHtml } from '../../intercom/html.ts';
import { type CardAction, parseCardActionId } from '../blocks/card.ts';
import { homeButtonState } from '../blocks/home.ts';
import {
  assigneeOptions,
  assignModal,
  CALLBACK,
  FIELD,
  MAX_MESSAGE,
  ModalContext,
  messageModal,
  snoozeModal,
  tagModal,
  tagOptions,
} from '../blocks/modals.ts';
import { escapeMrkdwn } from '../mrkdwn.ts';
import { openModal, optionsList } from './access.ts';
import type { ActionArgs, ViewArgs } from './args.ts';
import type { ListenerDeps } from './index.ts';
import { type Outcome, tellFailure } from './tell.ts';
import {
  inputValue,
  modalContext,
  parseAssignee,
  pickedFiles,
  pickedTagIds,
  UNREADABLE_FILES,
  UNREADABLE_TAGS,
  viewValues,
} from './view-state.ts';

// The card's buttons and the triage modals behind them. Every request is acknowledged first; Intercom is called
// after, and its answer reaches the clicker as the card and thread changing (through a sync), or as an ephemeral
// sentence when something went wrong.

export function register(app: App, deps: ListenerDeps): void {
  // the URL button opens Intercom in the browser; Slack still reports the click and wants it acknowledged
  app.action(/^open:/, ackOnly);
  app.action<BlockAction>(/^(reply|note|assign|tag|close|reopen|snooze):/, cardButton(deps));
  app.options(FIELD.assignee, assigneeList(deps));
  app.options(FIELD.tags, tagList(deps));
  app.view<ViewSubmitAction>(CALLBACK.reply, messageSubmitted(deps, 'reply'));
  app.view<ViewSubmitAction>(CALLBACK.note, messageSubmitted(deps, 'note'));
  app.view<ViewSubmitAction>(CALLBACK.assign, assignSubmitted(deps));
  app.view<ViewSubmitAction>(CALLBACK.snooze, snoozeSubmitted(deps));
  app.view<ViewSubmitAction>(CALLBACK.tag, tagSubmitted(deps));
}

export async function ackOnly({ ack }: { ack: () => Promise<void> }): Promise<void> {
  await ack();
}

/**
 * Close and Reopen act at once; the others open their modal, refused in it for someone who may not act. A click
 * comes from the conversation's card, or from the Home tab (no card there: see `clickedOn`).
 */
export const cardButton =
  (deps: ListenerDeps) =>
  async ({ ack, body, action, client }: ActionArgs): Promise<void> => {
    await ack();
    const parsed = 'action_id' in action ? parseCardActionId(action.action_id) : undefined;
    const where = parsed && (await clickedOn(deps, body, action, parsed));
    if (!parsed || !where) return;
    const user = body.user.id;
    const { conversationId, kind } = parsed;
    const { channel, cardTs } = where;
    if (kind === 'close' || kind === 'reopen') {
      deps.afterAck.run(kind, async () => {
        await tellClicker(deps, { channel, user }, await deps.triage.perform(conversationId, user, { kind }));
      });
      return;
    }
    const view = modalFor(kind, { conversationId, channel, cardTs }, cardTitle(body.message));
    await openModal(deps, client, { triggerId: body.trigger_id, user }, view);
  };

/**
 * Where a card button was clicked: off the card (the Home tab), when its value is the conversation as the bridge
 * sealed it for that button — then the channel and card are empty, and failures are told in a direct message —;
 * else on a message, which must be the named conversation's card. Anything else is ignored.
 */
async function clickedOn(
  deps: ListenerDeps,
  body: BlockAction,
  action: ActionArgs['action'],
  parsed: { kind: CardAction; conversationId: string },
): Promise<{ channel: string; cardTs: string } | undefined> {
  const state = deps.modalState.open('value' in action ? action.value : undefined);
  if (state !== undefined && offCardStates(parsed.kind, parsed.conversationId).includes(state)) {
    return { channel: '', cardTs: '' };
  }
  const channel = body.channel?.id;
  const cardTs = body.message?.ts;
  if (!channel || !cardTs) return undefined;
  // the button names a conversation; the message it sits on must be that conversation's card
  if (await deps.cards.isCardOf(channel, cardTs, parsed.conversationId)) return { channel, cardTs };
  deps.logger.warn(
    { channel, cardTs, named: parsed.conversationId },
    'card button naming another conversation: ignored',
  );
  return undefined;
}

/** The sealed values a card button may carry away from its card: the Home tab's Reply and Close. */
function offCardStates(kind: CardAction, conversationId: string): string[] {
  return kind === 'reply' || kind === 'close' ? [homeButtonState(kind, conversationId)] : [];
}

/** A failure, told where the person acted: in the card's channel (ephemeral), or in a DM when no card was there. */
async function tellClicker(
  deps: ListenerDeps,
  where: { channel: string; user: string },
  outcome: Outcome,
  typed?: string,
): Promise<void> {
  if (where.channel || outcome.ok) return tellFailure(deps, where, outcome, typed);
  const kept = typed ? `\n\nWhat you wrote, so it is not lost:\n>>> ${escapeMrkdwn(typed)}` : '';
  await deps.slack.dm(where.user, `:warning: ${escapeMrkdwn(outcome.message)}${kept}`).catch((error: unknown) => {
    deps.logger.warn({ err: error }, 'could not tell the user what went wrong');
  });
}

export const assigneeList = (deps: ListenerDeps) =>
  optionsList(
    deps,
    () => Promise.all([deps.directory.admins(), deps.directory.teams()]),
    (query, lists) => assigneeOptions(query, lists?.[0] ?? [], lists?.[1] ?? []),
  );

export const tagList = (deps: ListenerDeps) =>
  optionsList(
    deps,
    () => deps.directory.tags(),
    (query, tags) => tagOptions(query, tags ?? []),
  );

export const messageSubmitted =
  (deps: ListenerDeps, kind: 'reply' | 'note') =>
  async ({ ack, view, body }: ViewArgs): Promise<void> => {
    const values = viewValues(view);
    const text = inputValue(values, FIELD.message)?.trim() ?? '';
    if (!text) return ack({ response_action: 'errors', errors: { [FIELD.message]: `Write the ${kind} first.` } });
    if (text.length > MAX_MESSAGE) {
      return ack({
        response_action: 'errors',
        errors: { [FIELD.message]: `Keep it under ${MAX_MESSAGE} characters.` },
      });
    }
    const files = pickedFiles(values);
    if (!files) return ack({ response_action: 'errors', errors: { [FIELD.files]: UNREADABLE_FILES } });
    if (files.length > 0) return submittedWithFiles(deps, ack, view, body.user.id, { kind, text, files });
    await submitted(deps, ack, view, body.user.id, { kind, bodyHtml: textToHtml(text) }, text);
  };

/**
 * A reply or note with files is a job: the worker fetches the files from Slack and sends them with it, and tells
 * the sender of any it could not attach (bridge/jobs.ts).
 */
async function submittedWithFiles(
  deps: ListenerDeps,
  ack: () => Promise<void>,
  view: { private_metadata: string },
  user: string,
  message: { kind: 'reply' | 'note'; text: string; files: SlackFileRef[] },
): Promise<void> {
  await ack();
  const metadata = view.private_metadata;
  deps.afterAck.run(message.kind, async () => {
    const context = modalContext(ModalContext, deps.modalState, metadata);
    if (!context) {
      deps.logger.warn({ callback: message.kind }, 'modal submitted without the state the bridge gave it: ignored');
      return;
    }
    const { kind, text, files } = message;
    const job = { kind, channel: context.channel, user, bodyHtml: textToHtml(text), typed: text, files };
    await deps.enqueue(modalMessageJob(context.conversationId, job));
  });
}

export const assignSubmitted =
  (deps: ListenerDeps) =>
  async ({ ack, view, body }: ViewArgs): Promise<void> => {
    const to = parseAssignee(viewValues(view)[FIELD.assignee]?.[FIELD.assignee]?.selected_option?.value);
    if (!to) return ack({ response_action: 'errors', errors: { [FIELD.assignee]: 'Pick someone, a team or nobody.' } });
    await submitted(deps, ack, view, body.user.id, { kind: 'assign', to });
  };

/** The snooze modal's preset options (its other one is `custom`), by value: the snooze choice each stands for. */
const SNOOZE_PRESETS = new Map<unknown, 'inAnHour' | 'tomorrowMorning' | 'nextMonday'>([
  ['hour', 'inAnHour'],
  ['tomorrow', 'tomorrowMorning'],
  ['monday', 'nextMonday'],
]);

export const snoozeSubmitted =
  (deps: ListenerDeps) =>
  async ({ ack, view, body }: ViewArgs): Promise<void> => {
    const now = deps.now ?? Date.now;
    const values = viewValues(view);
    const choice: unknown = values[FIELD.when]?.[FIELD.when]?.selected_option?.value;
    const user = body.user.id;
    const preset = SNOOZE_PRESETS.get(choice);
    if (preset) {
      await ack();
      const metadata = view.private_metadata;
      // a preset is a time in the person's own zone, which their Slack profile says (looked up after the ack)
      deps.afterAck.run('snooze', async () => {
        const zone = (await deps.identity.slackUser(user).catch(() => null))?.timeZone ?? undefined;
        await perform(deps, metadata, user, { kind: 'snooze', until: snoozeChoices(now(), zone)[preset] });
      });
      return;
    }
    if (choice !== 'custom') {
      return ack({ response_action: 'errors', errors: { [FIELD.when]: 'Choose how long to snooze.' } });
    }
    const picked = checkSnoozeTime(values[FIELD.at]?.[FIELD.at]?.selected_date_time, now());
    if ('problem' in picked) return ack({ response_action: 'errors', errors: { [FIELD.at]: picked.problem } });
    await submitted(deps, ack, view, user, { kind: 'snooze', until: picked.until });
  };

export const tagSubmitted =
  (deps: ListenerDeps) =>
  async ({ ack, view, body }: ViewArgs): Promise<void> => {
    const values = viewValues(view);
    const tagIds = pickedTagIds(values);
    const newTagName = inputValue(values, FIELD.newTag)?.trim() || undefined;
    if (!tagIds) return ack({ response_action: 'errors', errors: { [FIELD.tags]: UNREADABLE_TAGS } });
    if (tagIds.length === 0 && !newTagName) {
      return ack({ response_action: 'errors', errors: { [FIELD.tags]: 'Pick a tag, or name a new one below.' } });
    }
    await submitted(deps, ack, view, body.user.id, { kind: 'tag', tagIds, newTagName });
  };

/** Closes the modal, then does the request after the answer and tells the submitter if it failed. */
async function submitted(
  deps: ListenerDeps,
  ack: () => Promise<void>,
  view: { private_metadata: string },
  user: string,
  request: TriageRequest,
  typed?: string,
): Promise<void> {
  await ack();
  const metadata = view.private_metadata;
  deps.afterAck.run(request.kind, () => perform(deps, metadata, user, request, typed));
}

async function perform(deps: ListenerDeps, metadata: string, user: string, request: TriageRequest, typed?: string) {
  const context = modalContext(ModalContext, deps.modalState, metadata);
  if (!context) {
    deps.logger.warn({ callback: request.kind }, 'modal submitted without the state the bridge gave it: ignored');
    return;
  }
  const result = await deps.triage.perform(context.conversationId, user, request);
  await tellClicker(deps, { channel: context.channel, user }, result, typed);
}

function modalFor(kind: Exclude<CardAction, 'close' | 'reopen'>, context: ModalContext, title: string | undefined) {
  switch (kind) {
    case 'reply':
    case 'note':
      return messageModal(kind, context, title);
    case 'assign':
      return assignModal(context, title);
    case 'snooze':
      return snoozeModal(context, title);
    case 'tag':
      return tagModal(context, title);
  }
}

/** The card's header, to remind the modal's reader which conversation this is. */
function cardTitle(message: BlockAction['message']): string | undefined {
  const header = (message?.blocks as Array<{ type?: string; text?: { text?: string } }> | undefined)?.find(
    (b) => b.type === 'header',
  );
  return header?.text?.text;
}
