import { createHash } from 'node:crypto';
import type { IntercomClient } from '../intercom/client.ts';
import { type Contact, type Conversation, type ConversationPart, conversationParts } from '../intercom/schemas.ts';
import type { Notification } from '../intercom/webhooks.ts';
import type { Logger } from '../logger.ts';
import type { Card, Store } from '../store/store.ts';
import type { Directory } from './directory.ts';
import { fromIntercomError, MessageGone, outcomeOf } from './failures.ts';
import { CONVERSATION_TOPICS } from './jobs.ts';
import type { CardData, ThreadLine } from './model.ts';
import type { RouteDecision, SlackPort } from './ports.ts';
import type { RouteFacts } from './routing.ts';

// The webhook topics that drive cards and threads are job kinds: listed in jobs.ts, the job table, with the others.

/** The conversation a notification is about, if any (conversation topics carry it, part topics may). */
export function conversationIdOf(notification: Notification): string | null {
  const item = notification.data.item as Record<string, unknown>;
  if (typeof item.conversation_id === 'string' || typeof item.conversation_id === 'number') {
    return String(item.conversation_id);
  }
  if (item.type === 'conversation' && item.id !== undefined) return String(item.id);
  return null;
}

export type Router = (facts: RouteFacts) => Promise<RouteDecision>;

export interface ConversationSyncDeps {
  intercom: IntercomClient;
  slack: SlackPort;
  store: Store;
  directory: Directory;
  route: Router;
  logger: Logger;
  /** On a new card for a conversation that already has history, at most this many earlier parts are posted. */
  maxBackfill?: number;
}

/**
 * Brings a conversation's card and thread up to date with Intercom. Every event triggers the same sync: fetch
 * the conversation, post its card if it has none (routing it), update the card when what it shows changed, and
 * post each part the thread has not shown yet, oldest first. Because the sync reads Intercom's state rather than
 * the event, events that arrive twice, late or out of order, or never, all end in the same thread.
 */
export class ConversationSync {
  readonly #d: ConversationSyncDeps;
  readonly #maxBackfill: number;

  constructor(deps: ConversationSyncDeps) {
    this.#d = deps;
    this.#maxBackfill = deps.maxBackfill ?? 20;
  }

  /** Handles one notification; throws RetryLater or PermanentFailure when it could not. */
  async handle(notification: Notification): Promise<void> {
    const conversationId = conversationIdOf(notification);
    if (!conversationId || !CONVERSATION_TOPICS.has(notification.topic)) return;
    if (notification.topic === 'conversation.deleted') return this.#deleted(conversationId);
    await this.sync(conversationId, notification);
  }

  /**
   * Syncs one conversation; `cause` (the webhook, if any) adds the lines for events that are not parts.
   * `channel` posts a conversation that has no card there instead of routing it (someone asked for it in Slack).
   */
  async sync(
    conversationId: string,
    cause?: Notification,
    options: { channel?: string | undefined } = {},
  ): Promise<void> {
    const { store, logger } = this.#d;
    let conversation: Conversation;
    try {
      conversation = await this.#d.intercom.conversations.get(conversationId);
    } catch (error) {
      if (outcomeOf(error) === 'gone') return this.#deleted(conversationId);
      throw fromIntercomError(error);
    }
    const contact = await this.#contact(conversation);
    const data = await this.#cardData(conversation, contact);
    const fingerprint = digest(data);
    const parts = conversationParts(conversation).filter((p) => lineKind(p) !== undefined);

    let card = await store.getCard(conversationId);
    const shown = await store.shownParts(conversationId);
    if (!card) {
      const decision = await this.#route(conversation, contact, options.channel);
      if ('drop' in decision) {
        logger.info({ conversationId, rule: decision.rule }, 'conversation dropped by a routing rule');
        return;
      }
      card = await this.#newCard(conversationId, decision.channel, data, shown);
      card = { ...card, fingerprint: card.fingerprint ?? fingerprint };
      await store.saveCard(card);
      logger.info({ conversationId, channel: decision.channel, rule: decision.rule }, 'card posted');
      await this.#skipEarlierParts(conversationId, card, parts, shown);
      // tags already on the conversation are on the card; only ones applied from now on get a line
      for (const key of tagKeys(conversation)) await this.#mark(conversationId, key, shown);
    }
    if (card.fingerprint !== fingerprint) card = await this.#updateCard(conversationId, card, data, fingerprint);

    for (const part of parts) {
      if (shown.has(part.id)) continue;
      await this.#postLine(conversationId, card, part.id, await this.#partLine(part, conversation), shown);
    }
    await this.#tagLines(conversation, shown, card);
    if (cause) await this.#eventLine(cause, conversation, contact, card, shown);
  }

  /** Where a conversation without a card goes: the channel it was asked for in from Slack, else the routing rules'. */
  async #route(
    conversation: Conversation,
    contact: Contact | undefined,
    channel: string | undefined,
  ): Promise<RouteDecision> {
    if (channel) return { channel, rule: 'posted from Slack' };
    const { directory } = this.#d;
    return this.#d
      .route({
        conversation,
        contact,
        adminName: (id) => directory.adminName(id),
        teamName: (id) => directory.teamName(id),
        company: (id) => directory.company(id),
      })
      .catch((error: unknown) => {
        throw fromIntercomError(error);
      });
  }

  /** Makes the card show `data` (posting it again if it was deleted in Slack) and records what it shows. */
  async #updateCard(conversationId: string, card: Card, data: CardData, fingerprint: string): Promise<Card> {
    const { slack, store, logger } = this.#d;
    let updated = card;
    try {
      await slack.updateCard(card.channel, card.ts, data);
    } catch (error) {
      if (!(error instanceof MessageGone)) throw error;
      const { ts } = await slack.postCard(card.channel, data);
      logger.warn({ conversationId, channel: card.channel }, 'card was deleted in Slack: posted it again');
      updated = { ...card, ts };
    }
    updated = { ...updated, fingerprint };
    await store.saveCard(updated);
    return updated;
  }

  /**
   * Posts a conversation's first card — unless an earlier attempt already did and crashed before recording it:
   * a marker written before posting says an attempt was made, and then the channel is searched for the card by
   * its message metadata. Without this, a crash in that instant would leave two cards.
   */
  async #newCard(conversationId: string, channel: string, data: CardData, shown: Set<string>) {
    const marker = `posting-card:${channel}`;
    if (shown.has(marker)) {
      const ts = await this.#d.slack.findCard(channel, conversationId);
      if (ts) {
        this.#d.logger.warn({ conversationId, channel }, 'found the card an interrupted attempt posted: using it');
        // an unknown fingerprint makes the sync update it to what it should show now
        return { conversationId, channel, ts, fingerprint: '' };
      }
    }
    await this.#mark(conversationId, marker, shown);
    const { ts } = await this.#d.slack.postCard(channel, data);
    return { conversationId, channel, ts, fingerprint: undefined as string | undefined };
  }

  /**
   * Posts one thread line at most once: `pending:<key>` is recorded before posting and `<key>` after, and a line
   * still pending from an interrupted attempt is looked for in the thread (by its metadata) before posting again.
   */
  async #postLine(
    conversationId: string,
    card: { channel: string; ts: string },
    key: string,
    line: ThreadLine,
    shown: Set<string>,
  ): Promise<void> {
    if (shown.has(key)) return;
    const pending = `pending:${key}`;
    if (shown.has(pending) && (await this.#d.slack.findThreadLine(card.channel, card.ts, key))) {
      await this.#mark(conversationId, key, shown);
      return;
    }
    await this.#mark(conversationId, pending, shown);
    await this.#d.slack.postThreadLine(card.channel, card.ts, line, key);
    await this.#mark(conversationId, key, shown);
  }

  async #mark(conversationId: string, key: string, shown: Set<string>): Promise<void> {
    if (shown.has(key)) return;
    await this.#d.store.markPartShown(conversationId, key);
    shown.add(key);
  }

  /**
   * Tags are not conversation parts, so a tag applied since the last sync is found by its (tag, applied_at)
   * key instead: from a webhook, from catch-up or after a click in Slack, the line appears once.
   */
  async #tagLines(conversation: Conversation, shown: Set<string>, card: { channel: string; ts: string }) {
    const fresh = (conversation.tags?.tags ?? []).filter((t) => !shown.has(tagKey(t)));
    const byActor = new Map<string, typeof fresh>();
    for (const tag of fresh) {
      const actor = tag.applied_by?.type === 'admin' ? tag.applied_by.id : '';
      byActor.set(actor, [...(byActor.get(actor) ?? []), tag]);
    }
    for (const [actorId, tags] of byActor) {
      const names = tags.map((t) => t.name).filter(Boolean);
      if (names.length) {
        const actor = await this.#d.directory.adminName(actorId);
        const key = `tags:${tags.map(tagKey).join(',')}`;
        await this.#postLine(conversation.id, card, key, { kind: 'tag', actor, detail: names.join(', ') }, shown);
      }
      for (const tag of tags) await this.#mark(conversation.id, tagKey(tag), shown);
    }
  }

  /** What the conversation's card shows right now, for a preview; Intercom's errors are thrown as they are. */
  async cardData(conversationId: string): Promise<CardData> {
    const conversation = await this.#d.intercom.conversations.get(conversationId);
    return this.#cardData(conversation, await this.#contact(conversation));
  }

  /** A new card for a conversation with a long history shows only the latest parts, and says so. */
  async #skipEarlierParts(
    conversationId: string,
    card: { channel: string; ts: string },
    parts: ConversationPart[],
    shown: Set<string>,
  ) {
    const earlier = parts.slice(0, Math.max(0, parts.length - this.#maxBackfill));
    if (earlier.length === 0) return;
    const line: ThreadLine = { kind: 'earlier', actor: null, detail: String(earlier.length) };
    await this.#postLine(conversationId, card, 'earlier', line, shown);
    for (const part of earlier) await this.#mark(conversationId, part.id, shown);
  }

  /** Events that are neither parts nor tags (priority, rating) get a line of their own, once. */
  async #eventLine(
    cause: Notification,
    conversation: Conversation,
    contact: Contact | undefined,
    card: { channel: string; ts: string },
    shown: Set<string>,
  ) {
    let line: ThreadLine | undefined;
    if (cause.topic === 'conversation.priority.updated') {
      // the part Intercom records for the change names who made it
      const changed = conversationParts(conversation)
        .filter((p) => p.part_type === 'priority_changed')
        .at(-1);
      const actor = changed?.author?.name ?? null;
      line = { kind: 'priority', actor, detail: conversation.priority === 'priority' ? 'priority' : null };
    } else if (cause.topic === 'conversation.rating.added' && conversation.conversation_rating?.rating) {
      const { rating, remark } = conversation.conversation_rating;
      line = { kind: 'rating', actor: contact?.name ?? null, detail: `${rating}/5${remark ? `: “${remark}”` : ''}` };
    }
    if (line) await this.#postLine(conversation.id, card, `event:${cause.id}`, line, shown);
  }

  async #deleted(conversationId: string): Promise<void> {
    const card = await this.#d.store.getCard(conversationId);
    if (!card) return;
    const shown = await this.#d.store.shownParts(conversationId);
    if (shown.has('event:deleted')) return;
    await this.#postLine(conversationId, card, 'event:deleted', { kind: 'deleted', actor: null }, shown);
    this.#d.logger.info({ conversationId }, 'conversation deleted in Intercom');
  }

  async #contact(conversation: Conversation): Promise<Contact | undefined> {
    const id = conversation.contacts?.contacts[0]?.id;
    if (!id) return undefined;
    try {
      return await this.#d.intercom.contacts.get(id);
    } catch (error) {
      // a merged or deleted contact still leaves the conversation worth showing
      if (outcomeOf(error) === 'gone') return undefined;
      throw fromIntercomError(error);
    }
  }

  async #cardData(conversation: Conversation, contact: Contact | undefined): Promise<CardData> {
    const { directory } = this.#d;
    try {
      const [admin, team, company, workspaceId] = await Promise.all([
        directory.adminName(conversation.admin_assignee_id),
        directory.teamName(conversation.team_assignee_id),
        directory.companyName(contact?.companies?.data[0]?.id).catch(() => null),
        directory.workspaceId().catch(() => ''),
      ]);
      return cardDataOf(conversation, contact, { admin, team, company, workspaceId });
    } catch (error) {
      throw fromIntercomError(error);
    }
  }

  async #partLine(part: ConversationPart, conversation: Conversation): Promise<ThreadLine> {
    const kind = lineKind(part) ?? 'note';
    const actor = part.author?.name ?? part.author?.email ?? null;
    const base = { kind, actor, bodyHtml: part.body ?? null, attachments: attachmentsOf(part) };
    if (kind === 'assignment') {
      const to = part.assigned_to;
      const name =
        to?.type === 'team'
          ? await this.#d.directory.teamName(to.id)
          : to
            ? await this.#d.directory.adminName(to.id)
            : null;
      return { ...base, detail: to ? (name ?? `${to.type ?? 'admin'} ${to.id}`) : null };
    }
    if (kind === 'snooze') return { ...base, until: conversation.snoozed_until ?? null };
    return base;
  }
}

/** What a conversation's card shows, given the names the directory found (null for one it could not). */
export function cardDataOf(
  conversation: Conversation,
  contact: Contact | undefined,
  names: { admin: string | null; team: string | null; company: string | null; workspaceId: string },
): CardData {
  const source = conversation.source;
  const state = conversation.state === 'closed' || conversation.state === 'snoozed' ? conversation.state : 'open';
  return {
    conversationId: conversation.id,
    subject: source?.subject ?? null,
    bodyHtml: source?.body ?? null,
    attachments: (source?.attachments ?? []).map((a) => ({ name: a.name ?? null, url: a.url ?? null })),
    contact: { ...shownContact(conversation, contact), company: names.company },
    state,
    snoozedUntil: conversation.snoozed_until ?? null,
    assignee: { admin: names.admin, team: names.team },
    priority: conversation.priority === 'priority',
    tags: (conversation.tags?.tags ?? []).map((t) => t.name ?? '').filter(Boolean),
    createdAt: conversation.created_at ?? 0,
    intercomUrl: names.workspaceId ? intercomConversationUrl(names.workspaceId, conversation.id) : null,
  };
}

/** The contact's name and email; for a contact that is gone, the first message's author's (unless a teammate's). */
function shownContact(
  conversation: Conversation,
  contact: Contact | undefined,
): { name: string | null; email: string | null } {
  const author = conversation.source?.author;
  const fromContact = author && author.type !== 'admin' && author.type !== 'bot';
  // Intercom sends a lead without a name as `name: null` and `email: ""`: an empty one is no name at all
  return {
    name: present(contact?.name) ?? (fromContact ? present(author?.name) : null),
    email: present(contact?.email) ?? (fromContact ? present(author?.email) : null),
  };
}

function present(text: string | null | undefined): string | null {
  return text?.trim() ? text : null;
}

/** Which thread line a part becomes; undefined for parts not worth a line (attribute changes, workflows…). */
export function lineKind(part: ConversationPart): ThreadLine['kind'] | undefined {
  switch (part.part_type) {
    case 'comment': {
      const type = part.author?.type;
      if (type === 'admin') return 'teammate_reply';
      if (type === 'bot') return 'bot_reply';
      return 'customer_reply';
    }
    case 'note':
      return 'note';
    case 'assignment':
    case 'default_assignment':
    case 'away_mode_assignment':
    case 'assign_and_reopen':
      return 'assignment';
    case 'close':
      return 'close';
    case 'open':
      return 'open';
    case 'snoozed':
      return 'snooze';
    case 'timer_unsnooze':
    case 'unsnoozed':
      return 'unsnooze';
    default:
      return undefined;
  }
}

type AppliedTag = NonNullable<Conversation['tags']>['tags'][number];

function tagKey(tag: AppliedTag): string {
  return `tag:${tag.id}:${tag.applied_at ?? 0}`;
}

function tagKeys(conversation: Conversation): string[] {
  return (conversation.tags?.tags ?? []).map(tagKey);
}

function attachmentsOf(part: ConversationPart) {
  return (part.attachments ?? []).map((a) => ({ name: a.name ?? null, url: a.url ?? null }));
}

function digest(data: CardData): string {
  return createHash('sha1').update(JSON.stringify(data)).digest('hex');
}

/** Intercom Inbox link to a conversation (the format Intercom's own notifications use). */
export function intercomConversationUrl(workspaceId: string, conversationId: string): string {
  return `https://app.intercom.com/a/inbox/${encodeURIComponent(workspaceId)}/inbox/shared/all/conversation/${encodeURIComponent(conversationId)}`;
}
