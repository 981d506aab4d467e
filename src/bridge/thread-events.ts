import type { Logger } from '../logger.ts';
import type { SlackFileRef } from './attachments.ts';
import type { Cards } from './cards.ts';
import { reactionJob, threadNoteJob } from './jobs.ts';
import type { Enqueue } from './worker.ts';

/** A message event, as far as deciding whether it is a note goes. */
export interface SlackMessage {
  channel: string;
  ts: string;
  threadTs?: string | undefined;
  user?: string | undefined;
  subtype?: string | undefined;
  botId?: string | undefined;
  text?: string | undefined;
  /** A `file_share` message's files. */
  files?: readonly SlackFileRef[] | undefined;
}

/** A reaction_added event. */
export interface SlackReaction {
  reaction: string;
  /** What was reacted to: only a message can be a card. */
  itemType: string;
  channel: string;
  ts: string;
  user: string;
  /** Slack's id for the event (unique per delivery), else a key made from where and when. */
  eventId: string;
}

export interface ThreadEventsDeps {
  cards: Pick<Cards, 'conversationAt'>;
  enqueue: Enqueue;
  /** THREAD_MESSAGES: a person's reply in a card's thread becomes an internal note, or nothing. */
  threadMessages: 'note' | 'off';
  /** REACTIONS: whether the acting emoji act. */
  reactions: boolean;
  /** Slack message text → Intercom HTML (empty when nothing is left to say). */
  toHtml: (slackText: string) => string;
  logger: Logger;
}

/**
 * Why a message is not a person's own words or files: edits, joins, broadcasts and bot posts are not notes (the
 * bridge's own uploads into threads are bot posts, so they never come back as notes); a file share with files is.
 */
function notAPersonsReply(message: SlackMessage): string | undefined {
  const filesShared = message.subtype === 'file_share' && Boolean(message.files?.length);
  if (message.subtype && !filesShared) return `subtype ${message.subtype}`;
  return message.botId || !message.user ? 'not written by a person' : undefined;
}

/** Reactions on a card that do something, by emoji name (a Map: a custom emoji may be called `constructor`). */
export const REACTION_ACTIONS: ReadonlyMap<string, 'assign_to_me' | 'close'> = new Map([
  ['eyes', 'assign_to_me'],
  ['white_check_mark', 'close'],
  ['heavy_check_mark', 'close'],
]);

/**
 * What people do in Slack around a card without a button: a reply in its thread (a note in Intercom) and a
 * reaction on it (assign to me, close). Each becomes a job in the inbox, done as the person by the worker. What
 * is left alone is logged at debug with the reason, so "why did my message not become a note" has an answer.
 */
export class ThreadEvents {
  readonly #d: ThreadEventsDeps;

  constructor(deps: ThreadEventsDeps) {
    this.#d = deps;
  }

  async message(message: SlackMessage): Promise<void> {
    const where = { channel: message.channel, ts: message.ts };
    if (this.#d.threadMessages === 'off') return this.#ignored('message', where, 'THREAD_MESSAGES=off');
    const refused = notAPersonsReply(message);
    if (refused) return this.#ignored('message', where, refused);
    const { threadTs, user } = message;
    if (!threadTs || threadTs === message.ts || !user) return this.#ignored('message', where, 'not a thread reply');
    const conversationId = await this.#d.cards.conversationAt(message.channel, threadTs);
    if (!conversationId) return this.#ignored('message', where, 'not in the thread of a card');
    const bodyHtml = this.#d.toHtml(message.text ?? '');
    const files = message.subtype === 'file_share' ? [...(message.files ?? [])] : [];
    if (!bodyHtml && files.length === 0) return this.#ignored('message', where, 'no text');
    const note = {
      channel: message.channel,
      ts: message.ts,
      threadTs,
      user,
      bodyHtml,
      ...(files.length ? { files } : {}),
    };
    await this.#d.enqueue(threadNoteJob(conversationId, note));
  }

  async reaction(reaction: SlackReaction): Promise<void> {
    const where = { reaction: reaction.reaction, channel: reaction.channel, ts: reaction.ts };
    if (!this.#d.reactions) return this.#ignored('reaction', where, 'REACTIONS=off');
    const action = REACTION_ACTIONS.get(reaction.reaction);
    if (!action) return this.#ignored('reaction', where, 'not an emoji that acts');
    if (reaction.itemType !== 'message') return this.#ignored('reaction', where, 'not on a message');
    const conversationId = await this.#d.cards.conversationAt(reaction.channel, reaction.ts);
    if (!conversationId) return this.#ignored('reaction', where, 'not on a card');
    const { channel, ts, user } = reaction;
    await this.#d.enqueue(reactionJob(conversationId, reaction.eventId, { channel, ts, user, action }));
  }

  #ignored(what: 'message' | 'reaction', fields: Record<string, unknown>, reason: string): void {
    this.#d.logger.debug({ ...fields, reason }, `Slack ${what} ignored`);
  }
}
