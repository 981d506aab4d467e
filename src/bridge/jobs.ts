import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { IntercomClient } from '../intercom/client.ts';
import { IntercomRateLimitedError, IntercomRequestError } from '../intercom/errors.ts';
import { conversationParts } from '../intercom/schemas.ts';
import { parseNotification } from '../intercom/webhooks.ts';
import type { Logger } from '../logger.ts';
import type { Delivery, NewDelivery, Store } from '../store/store.ts';
import { CATCH_UP_TOPIC } from './catch-up.ts';
import { type ConversationSync, SYNC_TOPIC } from './conversation-sync.ts';
import { PermanentFailure, RetryLater } from './failures.ts';
import type { Identity } from './identity.ts';
import type { SlackPort } from './ports.ts';
import { explainIntercomError, type Triage } from './triage.ts';

// Besides Intercom's webhooks, the inbox carries work that must run in a conversation's queue, one at a time
// with its syncs: a sync after a change made from Slack, a thread message to turn into a note, a reaction.
// Keyed by what makes them unique, so Slack's retries of an event are duplicates the store drops.

export const THREAD_NOTE_TOPIC = 'slack.thread_note';
export const REACTION_TOPIC = 'slack.reaction';

const ThreadNote = z.object({
  channel: z.string(),
  ts: z.string(),
  threadTs: z.string(),
  user: z.string(),
  bodyHtml: z.string(),
});
export type ThreadNote = z.infer<typeof ThreadNote>;

const Reaction = z.object({
  channel: z.string(),
  ts: z.string(),
  user: z.string(),
  action: z.enum(['assign_to_me', 'close']),
});
export type Reaction = z.infer<typeof Reaction>;

function job(id: string, topic: string, conversationId: string, payload: unknown, now: number): NewDelivery {
  return {
    id,
    topic,
    conversationId,
    createdAt: Math.floor(now / 1000),
    payload: JSON.stringify(payload),
    receivedAt: now,
  };
}

const SyncRequest = z.object({ channel: z.string().optional() });

/** A sync of the conversation; with `channel`, a conversation without a card gets one there. */
export function syncJob(conversationId: string, options: { channel?: string } = {}, now = Date.now()): NewDelivery {
  return job(`sync:${conversationId}:${randomUUID()}`, SYNC_TOPIC, conversationId, options, now);
}

/** One per Slack message: a retried event, or the same message seen twice, is a duplicate. */
export function threadNoteJob(conversationId: string, note: ThreadNote, now = Date.now()): NewDelivery {
  return job(`slack-message:${note.channel}:${note.ts}`, THREAD_NOTE_TOPIC, conversationId, note, now);
}

export function reactionJob(conversationId: string, eventId: string, reaction: Reaction, now = Date.now()) {
  return job(`slack-event:${eventId}`, REACTION_TOPIC, conversationId, reaction, now);
}

export interface JobDeps {
  sync: ConversationSync;
  triage: Triage;
  identity: Identity;
  intercom: IntercomClient;
  slack: SlackPort;
  store: Store;
  logger: Logger;
}

/** What the worker runs for each delivery, by topic. */
export function createJobHandler(deps: JobDeps): (delivery: Delivery) => Promise<void> {
  return async (delivery) => {
    const conversationId = delivery.conversationId;
    switch (delivery.topic) {
      case CATCH_UP_TOPIC:
        if (conversationId) await deps.sync.sync(conversationId);
        return;
      case SYNC_TOPIC:
        if (conversationId) await deps.sync.sync(conversationId, undefined, parseJob(SyncRequest, delivery));
        return;
      case THREAD_NOTE_TOPIC:
        if (conversationId) await addThreadNote(deps, conversationId, parseJob(ThreadNote, delivery));
        return;
      case REACTION_TOPIC:
        if (conversationId) await react(deps, conversationId, parseJob(Reaction, delivery));
        return;
      default: {
        const parsed = parseNotification(delivery.payload);
        if (!parsed.ok) {
          throw new PermanentFailure(`stored payload is not a notification: ${parsed.problems.join('; ')}`);
        }
        await deps.sync.handle(parsed.notification);
      }
    }
  };
}

function parseJob<T>(schema: z.ZodType<T>, delivery: Delivery): T {
  const result = schema.safeParse(JSON.parse(delivery.payload));
  if (!result.success) throw new PermanentFailure(`stored ${delivery.topic} job is malformed`);
  return result.data;
}

/**
 * A message written in a card's thread becomes an internal note (never a reply), as the writer's teammate. The
 * note's part is marked shown, so Intercom's webhook for it does not echo the message back into the thread.
 */
async function addThreadNote(deps: JobDeps, conversationId: string, note: ThreadNote): Promise<void> {
  const { slack, logger } = deps;
  const tell = (text: string) =>
    slack.tellUser({ channel: note.channel, user: note.user, threadTs: note.threadTs }, text);
  const who = await deps.identity.teammate(note.user).catch((error: unknown) => {
    throw new RetryLater('could not look up the Slack user', { cause: error });
  });
  if ('refusal' in who) {
    await tell(`This message was not added to Intercom as a note. ${who.refusal}`);
    return;
  }
  const adminId = who.teammate.adminId;
  let conversation: Awaited<ReturnType<IntercomClient['conversations']['note']>>;
  try {
    conversation = await deps.intercom.conversations.note(conversationId, { adminId, body: note.bodyHtml });
  } catch (error) {
    // safe to try again only when Intercom surely did not take the note; never risk a second one
    if (error instanceof IntercomRateLimitedError || (error instanceof IntercomRequestError && !error.maybeSent)) {
      throw new RetryLater('Intercom did not take the note yet', { cause: error });
    }
    logger.warn({ err: error, conversationId }, 'thread message not added as a note');
    await slack.react(note.channel, note.ts, 'warning');
    await tell(`This message may not be in Intercom. ${explainIntercomError(error, 'note')}`);
    return;
  }
  const mine = conversationParts(conversation).filter((p) => p.part_type === 'note' && p.author?.id === adminId);
  const part = mine.at(-1);
  if (part) await deps.store.markPartShown(conversationId, part.id);
  await slack.react(note.channel, note.ts, 'memo');
  logger.info({ conversationId, adminId }, 'thread message added as a note');
}

async function react(deps: JobDeps, conversationId: string, reaction: Reaction): Promise<void> {
  const request =
    reaction.action === 'close' ? { kind: 'close' as const } : { kind: 'assign' as const, to: 'me' as const };
  const result = await deps.triage.perform(conversationId, reaction.user, request);
  if (!result.ok) {
    await deps.slack.tellUser(
      { channel: reaction.channel, user: reaction.user, threadTs: reaction.ts },
      result.message,
    );
  }
}
