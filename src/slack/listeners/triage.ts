import type { App, BlockAction } from '@slack/bolt';
import type { Directory } from '../../bridge/directory.ts';
import type { Identity } from '../../bridge/identity.ts';
import { reactionJob, threadNoteJob } from '../../bridge/jobs.ts';
import type { SlackPort } from '../../bridge/ports.ts';
import { checkSnoozeTime, snoozeChoices } from '../../bridge/snooze.ts';
import type { Triage, TriageRequest, TriageResult } from '../../bridge/triage.ts';
import { textToHtml } from '../../intercom/html.ts';
import type { Logger } from '../../logger.ts';
import type { NewDelivery, Store } from '../../store/store.ts';
import { type CardAction, parseCardActionId } from '../blocks/card.ts';
import {
  assigneeOptions,
  assignModal,
  CALLBACK,
  FIELD,
  MAX_MESSAGE,
  ModalContext,
  messageModal,
  parseAssignee,
  refusalModal,
  snoozeModal,
  tagModal,
  tagOptions,
} from '../blocks/modals.ts';
import type { ModalState } from '../modal-state.ts';
import { escapeMrkdwn, slackTextToHtml } from '../mrkdwn.ts';
import { type AfterAck, withinBudget } from './scheduling.ts';
import { inputValue, pickedTagIds, UNREADABLE_TAGS, viewValues } from './view-state.ts';

export interface TriageListenerDeps {
  triage: Triage;
  identity: Identity;
  directory: Directory;
  slack: SlackPort;
  store: Store;
  /** Stores a job in the inbox and wakes the worker; false when it was a duplicate. */
  enqueue: (job: NewDelivery) => Promise<boolean>;
  threadMessages: 'note' | 'off';
  reactions: boolean;
  /** Where Intercom work goes once Slack has its answer. */
  afterAck: AfterAck;
  /** Seals the state the modals carry, and reads back only what it sealed. */
  modalState: ModalState;
  logger: Logger;
  now?: () => number;
}

/** Reactions on a card that do something, by emoji name. */
const REACTION_ACTIONS: Record<string, 'assign_to_me' | 'close'> = {
  eyes: 'assign_to_me',
  white_check_mark: 'close',
  heavy_check_mark: 'close',
};

/** The snooze modal's preset options (its other one is `custom`), by value: the snooze choice each stands for. */
const SNOOZE_PRESETS = new Map<unknown, 'inAnHour' | 'tomorrowMorning' | 'nextMonday'>([
  ['hour', 'inAnHour'],
  ['tomorrow', 'tomorrowMorning'],
  ['monday', 'nextMonday'],
]);

/** Options must be answered within Slack's 3 s: a cold list gets this long before we answer without it. */
const OPTIONS_BUDGET_MS = 2_000;

/**
 * The card's buttons, the triage modals behind them, and the thread and reaction events. Every request is
 * acknowledged first; Intercom is called after, and its answer reaches the clicker as the card and thread
 * changing (through a sync), or as an ephemeral sentence when something went wrong.
 */
export function registerTriageListeners(app: App, deps: TriageListenerDeps): void {
  const now = deps.now ?? Date.now;
  const { triage, identity, slack, afterAck, logger } = deps;

  /** Option lists are Intercom data: only for those who may read it (a refusal reads as an empty list). */
  const mayRead = async (user: string) => {
    const access = await identity.reader(user).catch(() => undefined);
    return access !== undefined && 'ok' in access;
  };

  const report = async (target: { channel: string; user: string }, result: TriageResult, lost?: string) => {
    if (result.ok) return;
    const keep = lost ? `\n\nWhat you wrote, so it is not lost:\n>>> ${escapeMrkdwn(lost)}` : '';
    await slack.tellUser(target, `${escapeMrkdwn(result.message)}${keep}`).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not tell the user what went wrong');
    });
  };

  // the URL button opens Intercom in the browser; Slack still reports the click and wants it acknowledged
  app.action(/^open:/, async ({ ack }) => {
    await ack();
  });

  app.action<BlockAction>(/^(reply|note|assign|tag|close|reopen|snooze):/, async ({ ack, body, action, client }) => {
    await ack();
    const parsed = 'action_id' in action ? parseCardActionId(action.action_id) : undefined;
    const channel = body.channel?.id;
    const cardTs = body.message?.ts;
    if (!parsed || !channel || !cardTs) return;
    const context: ModalContext = { conversationId: parsed.conversationId, channel, cardTs };
    const user = body.user.id;
    // the button names a conversation; the message it sits on must be that conversation's card
    const card = await deps.store.cardAt(channel, cardTs);
    if (card?.conversationId !== parsed.conversationId) {
      logger.warn(
        { channel, cardTs, named: parsed.conversationId },
        'card button naming another conversation: ignored',
      );
      return;
    }
    if (parsed.kind === 'close' || parsed.kind === 'reopen') {
      const { conversationId, kind } = parsed;
      afterAck.run(kind, async () => {
        await report({ channel, user }, await triage.perform(conversationId, user, { kind }));
      });
      return;
    }
    const view = modalFor(parsed.kind, context, cardTitle(body.message));
    const opened = await client.views.open({ trigger_id: body.trigger_id, view: deps.modalState.sealView(view) });
    // who clicked is checked while they read the modal; if they may not act, it says why instead
    const who = await identity.teammate(user).catch(() => undefined);
    if (who && 'refusal' in who && opened.view?.id) {
      await client.views.update({ view_id: opened.view.id, view: refusalModal(view.title.text, who.refusal) });
    }
  });

  app.options(FIELD.assignee, async ({ ack, options, body }) => {
    if (!(await mayRead(body.user.id))) return ack({ options: [] });
    const lists = await withinBudget(
      Promise.all([deps.directory.admins(), deps.directory.teams()]),
      OPTIONS_BUDGET_MS,
      logger,
    );
    await ack(assigneeOptions(options.value ?? '', lists?.[0] ?? [], lists?.[1] ?? []));
  });

  app.options(FIELD.tags, async ({ ack, options, body }) => {
    if (!(await mayRead(body.user.id))) return ack({ options: [] });
    const tags = await withinBudget(deps.directory.tags(), OPTIONS_BUDGET_MS, logger);
    await ack(tagOptions(options.value ?? '', tags ?? []));
  });

  for (const kind of ['reply', 'note'] as const) {
    app.view(CALLBACK[kind], async ({ ack, view, body }) => {
      const text = inputValue(viewValues(view), FIELD.message)?.trim() ?? '';
      if (!text) {
        await ack({ response_action: 'errors', errors: { [FIELD.message]: `Write the ${kind} first.` } });
        return;
      }
      if (text.length > MAX_MESSAGE) {
        await ack({
          response_action: 'errors',
          errors: { [FIELD.message]: `Keep it under ${MAX_MESSAGE} characters.` },
        });
        return;
      }
      await submitted(ack, view.private_metadata, body.user.id, { kind, bodyHtml: textToHtml(text) }, text);
    });
  }

  app.view(CALLBACK.assign, async ({ ack, view, body }) => {
    const to = parseAssignee(viewValues(view)[FIELD.assignee]?.[FIELD.assignee]?.selected_option?.value);
    if (!to) {
      await ack({ response_action: 'errors', errors: { [FIELD.assignee]: 'Pick someone, a team or nobody.' } });
      return;
    }
    await submitted(ack, view.private_metadata, body.user.id, { kind: 'assign', to });
  });

  app.view(CALLBACK.snooze, async ({ ack, view, body }) => {
    const values = viewValues(view);
    const choice: unknown = values[FIELD.when]?.[FIELD.when]?.selected_option?.value;
    const user = body.user.id;
    const preset = SNOOZE_PRESETS.get(choice);
    if (preset) {
      await ack();
      const metadata = view.private_metadata;
      afterAck.run('snooze', async () => {
        const zone = (await identity.slackUser(user).catch(() => null))?.timeZone ?? undefined;
        await perform(metadata, user, { kind: 'snooze', until: snoozeChoices(now(), zone)[preset] });
      });
      return;
    }
    if (choice !== 'custom') {
      await ack({ response_action: 'errors', errors: { [FIELD.when]: 'Choose how long to snooze.' } });
      return;
    }
    const picked = checkSnoozeTime(values[FIELD.at]?.[FIELD.at]?.selected_date_time, now());
    if ('problem' in picked) {
      await ack({ response_action: 'errors', errors: { [FIELD.at]: picked.problem } });
      return;
    }
    await submitted(ack, view.private_metadata, user, { kind: 'snooze', until: picked.until });
  });

  app.view(CALLBACK.tag, async ({ ack, view, body }) => {
    const values = viewValues(view);
    const tagIds = pickedTagIds(values);
    const newTagName = inputValue(values, FIELD.newTag)?.trim() || undefined;
    if (!tagIds) {
      await ack({ response_action: 'errors', errors: { [FIELD.tags]: UNREADABLE_TAGS } });
      return;
    }
    if (tagIds.length === 0 && !newTagName) {
      await ack({ response_action: 'errors', errors: { [FIELD.tags]: 'Pick a tag, or name a new one below.' } });
      return;
    }
    await submitted(ack, view.private_metadata, body.user.id, { kind: 'tag', tagIds, newTagName });
  });

  /** Closes the modal, then does the request after the answer and tells the submitter if it failed. */
  async function submitted(
    ack: () => Promise<void>,
    metadata: string,
    user: string,
    request: TriageRequest,
    typed?: string,
  ) {
    await ack();
    afterAck.run(request.kind, () => perform(metadata, user, request, typed));
  }

  async function perform(metadata: string, user: string, request: TriageRequest, typed?: string) {
    const context = readContext(deps.modalState.open(metadata));
    if (!context) {
      logger.warn({ callback: request.kind }, 'modal submitted without the state the bridge gave it: ignored');
      return;
    }
    const result = await triage.perform(context.conversationId, user, request);
    await report({ channel: context.channel, user }, result, typed);
  }

  // Events are acknowledged by Bolt before these run; what they leave alone is logged at debug with the reason,
  // so "why did my message not become a note" has an answer in the logs (and tests can see the decision).
  const ignored = (what: 'message' | 'reaction', fields: Record<string, unknown>, reason: string) => {
    logger.debug({ ...fields, reason }, `Slack ${what} ignored`);
  };

  app.event('message', async ({ event }) => {
    const message = event as {
      subtype?: string;
      bot_id?: string;
      user?: string;
      channel: string;
      ts: string;
      thread_ts?: string;
      text?: string;
    };
    const where = { channel: message.channel, ts: message.ts };
    if (deps.threadMessages === 'off') return ignored('message', where, 'THREAD_MESSAGES=off');
    // edits, joins, bot posts and file shares are not notes; only a person's plain reply in a card's thread is
    if (message.subtype || message.bot_id || !message.user) {
      return ignored('message', where, message.subtype ? `subtype ${message.subtype}` : 'not written by a person');
    }
    if (!message.thread_ts || message.thread_ts === message.ts) return ignored('message', where, 'not a thread reply');
    const card = await deps.store.cardAt(message.channel, message.thread_ts);
    if (!card) return ignored('message', where, 'not in the thread of a card');
    const bodyHtml = slackTextToHtml(message.text ?? '');
    if (!bodyHtml) return ignored('message', where, 'no text');
    await deps.enqueue(
      threadNoteJob(card.conversationId, {
        channel: message.channel,
        ts: message.ts,
        threadTs: message.thread_ts,
        user: message.user,
        bodyHtml,
      }),
    );
  });

  app.event('reaction_added', async ({ event, body }) => {
    const where = { reaction: event.reaction, channel: event.item.channel, ts: event.item.ts };
    if (!deps.reactions) return ignored('reaction', where, 'REACTIONS=off');
    const action = REACTION_ACTIONS[event.reaction];
    if (!action) return ignored('reaction', where, 'not an emoji that acts');
    if (event.item.type !== 'message') return ignored('reaction', where, 'not on a message');
    const card = await deps.store.cardAt(event.item.channel, event.item.ts);
    if (!card) return ignored('reaction', where, 'not on a card');
    const eventId =
      (body as { event_id?: string }).event_id ?? `${event.item.channel}:${event.item.ts}:${event.event_ts}`;
    await deps.enqueue(
      reactionJob(card.conversationId, eventId, {
        channel: event.item.channel,
        ts: event.item.ts,
        user: event.user,
        action,
      }),
    );
  });
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

function readContext(metadata: string | undefined): ModalContext | undefined {
  if (metadata === undefined) return undefined;
  try {
    const result = ModalContext.safeParse(JSON.parse(metadata));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
