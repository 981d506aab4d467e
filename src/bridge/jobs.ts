import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AttachmentSource } from '../intercom/attachments.ts';
import type { IntercomClient } from '../intercom/client.ts';
import { conversationParts } from '../intercom/schemas.ts';
import { Notification } from '../intercom/webhooks.ts';
import type { Logger } from '../logger.ts';
import type { Delivery, NewDelivery, Store } from '../store/store.ts';
import {
  bodyWithFiles,
  escapeText,
  type Gathered,
  gatherAttachments,
  missedSentence,
  SlackFileRef,
  type SlackFiles,
} from './attachments.ts';
import type { ConversationSync } from './conversation-sync.ts';
import { copyCustomerFile, type FileCopy } from './customer-files.ts';
import { outcomeOf, PermanentFailure, RetryLater } from './failures.ts';
import type { Identity } from './identity.ts';
import { explainIntercomError } from './messages.ts';
import type { SlackPort } from './ports.ts';
import type { Triage } from './triage.ts';

// The job table: every kind of job the inbox carries, by the topic stored with it (graphile-worker's TaskList):
// the schema of its payload, what runs it, and next to it the builder that makes one to enqueue
// (`worker.enqueue(syncJob(id))`). Intercom's webhooks are kinds too, one per topic the bridge takes in. Jobs of
// one conversation run in its queue, one at a time, in order; each builder keys its job by what makes it unique,
// so a repeat (Slack retrying an event, catch-up seeing the same update) is a duplicate the store drops.
// A topic nobody registered here is parked, never guessed at. Topics and ids are stored: never rename one, or
// what an earlier version left in the inbox no longer runs.

export interface JobDeps {
  sync: ConversationSync;
  triage: Triage;
  identity: Identity;
  intercom: IntercomClient;
  slack: SlackPort;
  store: Store;
  logger: Logger;
  /** Fetches the Slack files a reply or note carries; without it, each file is named as not attached. */
  files?: SlackFiles | undefined;
  /** FILES=upload: fetches customers' Intercom attachments, to copy into threads. */
  attachments?: AttachmentSource | undefined;
}

/** One kind of job: what its stored payload must be, and what runs it. */
export interface JobKind<P = unknown> {
  /** Checked before `run`: a stored payload that does not match is parked (retrying cannot fix it). */
  readonly payload: z.ZodType<P>;
  /** Runs one job; throws RetryLater or PermanentFailure (anything else is retried too: see worker.ts). */
  run(deps: JobDeps, payload: P, delivery: Delivery): Promise<void>;
}

// ── bridge.sync: bring a conversation up to date, e.g. after a teammate changed it from Slack ──

export const SYNC_TOPIC = 'bridge.sync';
const SyncRequest = z.object({ channel: z.string().optional() });

/** A sync of the conversation; with `channel`, a conversation without a card gets one there. */
export function syncJob(conversationId: string, options: { channel?: string } = {}, now = Date.now()): NewDelivery {
  return job(`sync:${conversationId}:${randomUUID()}`, SYNC_TOPIC, conversationId, options, now);
}

// ── bridge.catch_up: sync a conversation that catch-up found updated (catch-up.ts) ──

export const CATCH_UP_TOPIC = 'bridge.catch_up';
// nothing in it is read (the sync reads Intercom); versions before the job table stored an envelope there
const CatchUpRequest = z.object({});

/**
 * One per conversation and version (`updatedAt`, Intercom's seconds): the same update seen again is a duplicate.
 * Dated by the update, so it takes its place among the conversation's webhooks.
 */
export function catchUpJob(conversationId: string, updatedAt: number, now = Date.now()): NewDelivery {
  return job(`catch-up:${conversationId}:${updatedAt}`, CATCH_UP_TOPIC, conversationId, {}, now, updatedAt);
}

// ── bridge.copy_file: a customer's Intercom attachment, copied into its card's thread (customer-files.ts) ──

export const COPY_FILE_TOPIC = 'bridge.copy_file';
const FileCopyRequest = z.object({
  channel: z.string(),
  threadTs: z.string(),
  key: z.string(),
  name: z.string().nullable(),
  url: z.string(),
});

/** The queue every file copy waits in: one file in memory at a time, and no conversation held up by one. */
export const FILE_QUEUE = 'files';

/** One per attachment (`copy.key` names it within its conversation): seen again, it is a duplicate. */
export function copyFileJob(copy: FileCopy, now = Date.now()): NewDelivery {
  const { conversationId, ...request } = copy;
  const id = `copy-file:${conversationId}:${copy.key}`;
  return { ...job(id, COPY_FILE_TOPIC, conversationId, request, now), queue: FILE_QUEUE };
}

const copyFile: JobKind<z.infer<typeof FileCopyRequest>> = {
  payload: FileCopyRequest,
  run: async (deps, request, { conversationId, attempts }) => {
    if (conversationId) await copyCustomerFile(deps, { ...request, conversationId }, attempts);
  },
};

// ── bridge.clock: a response clock's warning, miss or repeat, due at its time (clocks.ts) ──

export const CLOCK_TOPIC = 'bridge.clock';
const ClockTimerPayload = z.object({
  since: z.number(),
  target: z.enum(['first_response', 'next_response']),
  kind: z.enum(['warning', 'miss']),
  /** 0 for a warning; 1 for the miss, 2… for its repeats. */
  n: z.number().int().nonnegative(),
  /** When it is due (epoch ms): what it was computed for, checked again when it fires. */
  at: z.number(),
});
export type ClockTimer = z.infer<typeof ClockTimerPayload>;

/**
 * A timer due at `timer.at`, in the conversation's clock queue (not its event queue, which a job due later would
 * hold up). One per wait, kind, repeat and due time: queued again, it is a duplicate.
 */
export function clockJob(conversationId: string, timer: ClockTimer): NewDelivery {
  const id = `clock:${conversationId}:${timer.since}:${timer.target}:${timer.kind}:${timer.n}:${timer.at}`;
  const due = Number.isFinite(timer.at) ? timer.at : Date.now();
  return { ...job(id, CLOCK_TOPIC, conversationId, timer, due), queue: `clock:${conversationId}` };
}

// ── slack.thread_note: a message in a card's thread, to add as an internal note ──

export const THREAD_NOTE_TOPIC = 'slack.thread_note';
const ThreadNote = z.object({
  channel: z.string(),
  ts: z.string(),
  threadTs: z.string(),
  user: z.string(),
  /** Empty when the message is files only. */
  bodyHtml: z.string(),
  /** A `file_share` message's files (where to fetch them: jobs are stored rows, never file bytes). */
  files: z.array(SlackFileRef).optional(),
});
export type ThreadNote = z.infer<typeof ThreadNote>;

/** One per Slack message: a retried event, or the same message seen twice, is a duplicate. */
export function threadNoteJob(conversationId: string, note: ThreadNote, now = Date.now()): NewDelivery {
  return job(`slack-message:${note.channel}:${note.ts}`, THREAD_NOTE_TOPIC, conversationId, note, now);
}

// ── slack.modal_message: a reply or note from the card's modal, with files attached ──

export const MODAL_MESSAGE_TOPIC = 'slack.modal_message';
const ModalMessage = z.object({
  kind: z.enum(['reply', 'note']),
  /** Where the modal was opened from: where its sender is told how it went. */
  channel: z.string(),
  user: z.string(),
  bodyHtml: z.string(),
  /** What was typed, handed back when Intercom did not take it. */
  typed: z.string(),
  files: z.array(SlackFileRef),
});
export type ModalMessage = z.infer<typeof ModalMessage>;

/**
 * One per submission. Only a submission with files is a job (its files are fetched by the worker, which may take
 * a while); one without is done straight after the answer to Slack, as every other modal is.
 */
export function modalMessageJob(conversationId: string, message: ModalMessage, now = Date.now()): NewDelivery {
  return job(`modal-message:${randomUUID()}`, MODAL_MESSAGE_TOPIC, conversationId, message, now);
}

// ── slack.reaction: an emoji on a card that assigns or closes ──

export const REACTION_TOPIC = 'slack.reaction';
const Reaction = z.object({
  channel: z.string(),
  ts: z.string(),
  user: z.string(),
  action: z.enum(['assign_to_me', 'close']),
});
export type Reaction = z.infer<typeof Reaction>;

/** One per Slack event: Slack's retries of it are duplicates. */
export function reactionJob(
  conversationId: string,
  eventId: string,
  reaction: Reaction,
  now = Date.now(),
): NewDelivery {
  return job(`slack-event:${eventId}`, REACTION_TOPIC, conversationId, reaction, now);
}

// ── Intercom's webhooks: the payload is the notification as it came in (http/intercom-webhooks.ts stores it) ──

/** The webhook topics that drive cards and threads. Everything else is acknowledged and ignored (not stored). */
export const CONVERSATION_TOPICS = new Set([
  'conversation.user.created',
  'conversation.admin.single.created',
  'conversation.user.replied',
  'conversation.admin.replied',
  'conversation.operator.replied',
  'conversation.admin.noted',
  'conversation.admin.assigned',
  'conversation.admin.open.assigned',
  'conversation.admin.closed',
  'conversation.admin.opened',
  'conversation.admin.snoozed',
  'conversation.admin.unsnoozed',
  'conversation_part.tag.created',
  'conversation.priority.updated',
  'conversation.rating.added',
  'conversation.deleted',
]);

const webhook: JobKind<Notification> = {
  payload: Notification,
  run: (deps, notification) => deps.sync.handle(notification),
};

/** Every kind of job, by topic. A Map: a stored topic such as `constructor` must not find anything. */
export const JOBS: ReadonlyMap<string, JobKind> = new Map<string, JobKind>([
  [SYNC_TOPIC, inConversation(SyncRequest, (deps, id, request) => deps.sync.sync(id, undefined, request))],
  [CATCH_UP_TOPIC, inConversation(CatchUpRequest, (deps, id) => deps.sync.sync(id))],
  [THREAD_NOTE_TOPIC, inConversation(ThreadNote, addThreadNote)],
  [MODAL_MESSAGE_TOPIC, inConversation(ModalMessage, sendModalMessage)],
  [REACTION_TOPIC, inConversation(Reaction, react)],
  [COPY_FILE_TOPIC, copyFile as JobKind],
  [CLOCK_TOPIC, inConversation(ClockTimerPayload, (deps, id, timer) => deps.sync.sync(id, undefined, { timer }))],
  ...[...CONVERSATION_TOPICS].map((topic): [string, JobKind] => [topic, webhook]),
]);

/**
 * What the worker runs for each delivery: the kind its topic names, given the payload its schema read. A topic
 * nobody registered (a kind from a newer version, an Intercom topic the bridge does not take) is parked, and
 * the worker logs it with the topic.
 */
export function createJobHandler(deps: JobDeps): (delivery: Delivery) => Promise<void> {
  return async (delivery) => {
    const kind = JOBS.get(delivery.topic);
    if (!kind) throw new PermanentFailure(`no job kind "${delivery.topic}": nothing runs it (see bridge/jobs.ts)`);
    await kind.run(deps, readPayload(kind, delivery), delivery);
  };
}

/** A kind done on its delivery's conversation; a delivery without one has nothing to do. */
function inConversation<P>(
  payload: z.ZodType<P>,
  run: (deps: JobDeps, conversationId: string, payload: P) => Promise<void>,
): JobKind<P> {
  return {
    payload,
    run: async (deps, parsed, { conversationId }) => {
      if (conversationId) await run(deps, conversationId, parsed);
    },
  };
}

/** The stored payload, read with its kind's schema; problems name the fields, never their values. */
function readPayload<P>(kind: JobKind<P>, delivery: Delivery): P {
  let json: unknown;
  try {
    json = JSON.parse(delivery.payload);
  } catch {
    throw new PermanentFailure(`stored ${delivery.topic} job is malformed: not JSON`);
  }
  const result = kind.payload.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`,
  );
  throw new PermanentFailure(`stored ${delivery.topic} job is malformed: ${problems.join('; ')}`);
}

function job(
  id: string,
  topic: string,
  conversationId: string,
  payload: unknown,
  now: number,
  createdAt = Math.floor(now / 1000),
): NewDelivery {
  return { id, topic, conversationId, createdAt, payload: JSON.stringify(payload), receivedAt: now };
}

/**
 * A message written in a card's thread becomes an internal note (never a reply), as the writer's teammate. The
 * note's part is marked shown, so Intercom's webhook for it does not echo the message back into the thread.
 */
async function addThreadNote(deps: JobDeps, conversationId: string, note: ThreadNote): Promise<void> {
  const { slack, logger } = deps;
  const tell = (text: string) =>
    slack.tellUser({ channel: note.channel, user: note.user, threadTs: note.threadTs }, text);
  const who = await deps.identity.actor(note.user, 'note', logger);
  // a job can wait: not knowing who wrote is asked again later, rather than told
  if ('lookupFailed' in who) throw new RetryLater('could not look up the Slack user', { cause: who.lookupFailed });
  if ('refusal' in who) {
    await tell(`This message was not added to Intercom as a note. ${who.refusal}`);
    return;
  }
  const adminId = who.teammate.adminId;
  let sent: Awaited<ReturnType<typeof sendWithFiles>>;
  try {
    sent = await sendWithFiles(deps, conversationId, 'note', { adminId, bodyHtml: note.bodyHtml, files: note.files });
  } catch (error) {
    // safe to try again only when Intercom surely did not take the note; never risk a second one
    const outcome = outcomeOf(error);
    if (outcome === 'rate-limited' || outcome === 'not-done') {
      throw new RetryLater('Intercom did not take the note yet', { cause: error });
    }
    logger.warn({ err: error, conversationId }, 'thread message not added as a note');
    await slack.react(note.channel, note.ts, 'warning');
    await tell(`This message may not be in Intercom. ${explainIntercomError(error, 'note')}`);
    return;
  }
  const { conversation, gathered } = sent;
  const mine = conversationParts(conversation).filter((p) => p.part_type === 'note' && p.author?.id === adminId);
  const part = mine.at(-1);
  if (part) await deps.store.markPartShown(conversationId, part.id);
  await slack.react(note.channel, note.ts, 'memo');
  await tellMissed(deps, gathered, 'note', tell);
  logger.info({ conversationId, adminId, files: gathered.files.length }, 'thread message added as a note');
}

/**
 * A reply or note with the files it names fetched from Slack and attached; a file that could not be is named in
 * the body. Throws what the Intercom client threw; a retried job fetches the files again.
 */
async function sendWithFiles(
  deps: JobDeps,
  conversationId: string,
  kind: 'reply' | 'note',
  message: { adminId: string; bodyHtml: string; files?: readonly SlackFileRef[] | undefined },
): Promise<{ conversation: Awaited<ReturnType<IntercomClient['conversations']['note']>>; gathered: Gathered }> {
  const gathered = await gatherAttachments(message.files ?? [], deps.files);
  const body = bodyWithFiles(message.bodyHtml, gathered, kind, deps.files?.maxBytes ?? 0);
  const input = {
    adminId: message.adminId,
    body,
    ...(gathered.files.length ? { attachmentFiles: gathered.files } : {}),
  };
  const conversation =
    kind === 'reply'
      ? await deps.intercom.conversations.reply(conversationId, input)
      : await deps.intercom.conversations.note(conversationId, input);
  return { conversation, gathered };
}

/** Tells the sender which files did not go (the reply or note itself went, and names them too). */
async function tellMissed(
  deps: JobDeps,
  gathered: Gathered,
  kind: 'reply' | 'note',
  tell: (text: string) => Promise<void>,
): Promise<void> {
  const sentence = missedSentence(gathered.missed, kind, deps.files?.maxBytes ?? 0);
  if (!sentence) return;
  deps.logger.info({ missed: gathered.missed.map((m) => m.reason) }, 'files not attached');
  await tell(sentence).catch((error: unknown) => {
    deps.logger.warn({ err: error }, 'could not tell the sender which files were not attached');
  });
}

/**
 * A reply or note from the card's modal, with its files. Done as the sender's teammate, retried only while
 * Intercom surely did not take it (as a thread note); the card and thread are then synced, as after any action.
 */
async function sendModalMessage(deps: JobDeps, conversationId: string, message: ModalMessage): Promise<void> {
  const { logger } = deps;
  // never thrown: once Intercom may have the message, a retry of the job could send it twice
  const tell = (text: string) =>
    deps.slack.tellUser({ channel: message.channel, user: message.user }, text).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not tell the sender how their message went');
    });
  const who = await deps.identity.actor(message.user, message.kind, logger);
  if ('lookupFailed' in who) throw new RetryLater('could not look up the Slack user', { cause: who.lookupFailed });
  if ('refusal' in who) return tell(`${escapeText(who.refusal)}${handBack(message.typed)}`);
  const adminId = who.teammate.adminId;
  let gathered: Gathered;
  try {
    ({ gathered } = await sendWithFiles(deps, conversationId, message.kind, { adminId, ...message }));
  } catch (error) {
    const outcome = outcomeOf(error);
    if (outcome === 'rate-limited' || outcome === 'not-done') {
      throw new RetryLater(`Intercom did not take the ${message.kind} yet`, { cause: error });
    }
    logger.warn({ err: error, conversationId, action: message.kind }, 'action failed');
    return tell(`${escapeText(explainIntercomError(error, message.kind))}${handBack(message.typed)}`);
  }
  logger.info({ conversationId, action: message.kind, adminId, files: gathered.files.length }, 'action done');
  await tellMissed(deps, gathered, message.kind, tell);
  // the card and thread line come from Intercom's record; a failed sync is caught up by the next one
  await deps.sync.sync(conversationId).catch((error: unknown) => {
    logger.warn({ err: error, conversationId }, 'could not sync the conversation after the action');
  });
}

/** What the sender typed, quoted back under a failure so it is not lost (as slack/listeners/tell.ts does). */
function handBack(typed: string): string {
  return typed ? `\n\nWhat you wrote, so it is not lost:\n>>> ${escapeText(typed)}` : '';
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
