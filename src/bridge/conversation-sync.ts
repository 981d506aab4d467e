import { createHash } from 'node:crypto';
import type { IntercomClient } from '../intercom/client.ts';
import { type Contact, type Conversation, type ConversationPart, conversationParts } from '../intercom/schemas.ts';
import type { Notification } from '../intercom/webhooks.ts';
import type { Logger } from '../logger.ts';
import type { Card, Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { ClockKeeper, ClockScene } from './clocks.ts';
import { cardDataOf, lineKind, type PartContext, partContext, partLineOf, sideOf } from './conversation-view.ts';
import type { Directory } from './directory.ts';
import { fromIntercomError, MessageGone, outcomeOf } from './failures.ts';
import { type FinState, finState } from './fin.ts';
import { type ClockTimer, CONVERSATION_TOPICS, copyFileJob } from './jobs.ts';
import type { CardData, ThreadLine } from './model.ts';
import type { Notifier } from './notifications.ts';
import type { RouteDecision, SlackPort } from './ports.ts';
import type { RouteFacts } from './routing.ts';
import type { Enqueue } from './worker.ts';

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
  /** Told after a sync that changed what the card or its thread show (the Home tabs listing it republish). */
  onChanged?: ((conversation: Conversation) => void) | undefined;
  /** Personal notifications (docs/home.md): told of each part the thread shows. */
  notifier?: Pick<Notifier, 'partPosted'> | undefined;
  /** Response clocks (docs/targets.md); absent when the routes file sets no targets. */
  clocks?: ClockKeeper | undefined;
  /** FIN_CONVERSATIONS: `handoff` posts a card only once a person has the conversation (default `show`). */
  finConversations?: 'show' | 'handoff';
  /** FILES=upload: queues the copy of a customer's attachment into the thread (else the line's links only). */
  copyFiles?: Enqueue | undefined;
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
    options: { channel?: string | undefined; timer?: ClockTimer | undefined } = {},
  ): Promise<void> {
    const conversation = await this.#fetch(conversationId);
    if (!conversation) return this.#deleted(conversationId);
    const contact = await this.#contact(conversation);
    const allParts = conversationParts(conversation);
    const fin = finState(conversation, allParts);
    const base = { ...(await this.#cardData(conversation, contact)), finHandling: fin.involved && !fin.handedOff };
    // the card shows the clock of the route that carried it (read again once a new card is routed)
    const show = (route: string | undefined) => {
      const read = this.#d.clocks?.read(conversation, allParts, route);
      return { read, data: read?.view ? { ...base, clock: read.view } : base };
    };
    const parts = allParts.filter((p) => lineKind(p) !== undefined);
    const shown = await this.#d.store.shownParts(conversationId);
    let card = await this.#d.store.getCard(conversationId);
    const fresh = !card;
    if (!card) {
      if (!options.channel && this.#heldForFin(conversationId, fin)) return;
      card = await this.#firstCard(conversation, contact, (route) => show(route).data, parts, shown, options.channel);
      if (!card) return;
    }
    const { read, data } = show(card.route);
    const fingerprint = digest(data);
    const changed = card.fingerprint !== fingerprint;
    if (changed) card = await this.#updateCard(conversationId, card, data, fingerprint);
    const posted = await this.#partLines(conversation, parts, data, card, shown);
    if (fresh || changed || posted > 0) this.#d.onChanged?.(conversation);
    await this.#tagLines(conversation, shown, card);
    if (cause) await this.#eventLine(cause, conversation, contact, card, shown);
    if (read) await this.#settleClock({ conversation, parts: allParts, card, data }, read.clock, shown, options.timer);
  }

  /** Hands the clock its scene: the thread's once-only posting, keyed in this conversation's shown parts. */
  async #settleClock(
    scene: Pick<ClockScene, 'conversation' | 'parts' | 'card' | 'data'>,
    clock: Clock,
    shown: Set<string>,
    timer: ClockTimer | undefined,
  ): Promise<void> {
    const id = scene.conversation.id;
    await this.#d.clocks?.settle(
      {
        ...scene,
        postLine: (key, line) => this.#postLine(id, scene.card, key, line, shown),
        has: (key) => shown.has(key),
        mark: (key) => this.#mark(id, key, shown),
      },
      clock,
      timer,
    );
  }

  /** Posts each part the thread has not shown, oldest first, with a customer's files; says how many. */
  async #partLines(
    conversation: Conversation,
    parts: ConversationPart[],
    data: CardData,
    card: { channel: string; ts: string },
    shown: Set<string>,
  ): Promise<number> {
    const context = partContext(conversation, parts, data);
    let posted = 0;
    for (const part of parts) {
      if (shown.has(part.id)) continue;
      posted += 1;
      const line = await this.#partLine(part, context);
      await this.#postLine(conversation.id, card, part.id, line, shown);
      await this.#d.notifier?.partPosted({ conversation, data, card }, part);
      if (sideOf(part.author?.type) === 'customer') {
        await this.#copyFiles(conversation.id, card, part.id, line.attachments ?? [], shown);
      }
    }
    return posted;
  }

  /** The conversation, or undefined when Intercom says it is gone (deleted). */
  async #fetch(conversationId: string): Promise<Conversation | undefined> {
    try {
      return await this.#d.intercom.conversations.get(conversationId);
    } catch (error) {
      if (outcomeOf(error) === 'gone') return undefined;
      throw fromIntercomError(error);
    }
  }

  /**
   * FIN_CONVERSATIONS=handoff: no card until a person has the conversation (assigned to a teammate or team, a
   * teammate replied, or Fin routed or escalated it). Its later events, or catch-up, post the card then, with
   * what Fin said in its thread.
   */
  #heldForFin(conversationId: string, fin: FinState): boolean {
    if (this.#d.finConversations !== 'handoff' || fin.handedOff) return false;
    this.#d.logger.debug({ conversationId, fin: fin.involved }, 'no card yet: waiting for a handoff to a person');
    return true;
  }

  /** Routes a conversation that has no card and posts it; undefined when a routing rule drops it. */
  async #firstCard(
    conversation: Conversation,
    contact: Contact | undefined,
    dataFor: (route: string | undefined) => CardData,
    parts: ConversationPart[],
    shown: Set<string>,
    channel: string | undefined,
  ): Promise<Card | undefined> {
    const { store, logger } = this.#d;
    const conversationId = conversation.id;
    const decision = await this.#route(conversation, contact, channel);
    if ('drop' in decision) {
      logger.info({ conversationId, rule: decision.rule }, 'conversation dropped by a routing rule');
      return undefined;
    }
    // the rule that carried it picks its response targets (one asked for from Slack has none of its own)
    const route = channel ? undefined : decision.rule;
    const data = dataFor(route);
    const posted = await this.#newCard(conversationId, decision.channel, data, shown);
    const card: Card = { ...posted, fingerprint: posted.fingerprint ?? digest(data), shown: JSON.stringify(data) };
    if (route) card.route = route;
    await store.saveCard(card);
    logger.info({ conversationId, channel: decision.channel, rule: decision.rule }, 'card posted');
    if (data.origin?.kind === 'customer')
      await this.#copyFiles(conversationId, card, 'source', data.attachments, shown);
    await this.#skipEarlierParts(conversationId, card, parts, shown);
    // tags already on the conversation are on the card; only ones applied from now on get a line
    for (const key of tagKeys(conversation)) await this.#mark(conversationId, key, shown);
    return card;
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
  async #updateCard(
    conversationId: string,
    card: Card,
    data: CardData,
    fingerprint: string,
    options: { repost?: boolean } = {},
  ): Promise<Card> {
    const { slack, store, logger } = this.#d;
    let updated = card;
    try {
      await slack.updateCard(card.channel, card.ts, data);
    } catch (error) {
      if (!(error instanceof MessageGone)) throw error;
      // a card deleted in Slack is posted again, unless there is nothing left to act on
      if (options.repost === false) return card;
      const { ts } = await slack.postCard(card.channel, data);
      logger.warn({ conversationId, channel: card.channel }, 'card was deleted in Slack: posted it again');
      updated = { ...card, ts };
    }
    updated = { ...updated, fingerprint, shown: JSON.stringify(data) };
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

  /**
   * Queues a copy of each of a customer's attachments into the thread (Intercom's links expire), each once; the
   * copies run in a queue of their own (customer-files.ts), so a slow file holds up no card or line.
   */
  async #copyFiles(
    conversationId: string,
    card: { channel: string; ts: string },
    owner: string,
    attachments: ReadonlyArray<{ name: string | null; url: string | null }>,
    shown: Set<string>,
  ): Promise<void> {
    const enqueue = this.#d.copyFiles;
    if (!enqueue) return;
    for (const [index, { name, url }] of attachments.entries()) {
      const key = `file:${owner}:${index}`;
      if (shown.has(key) || !url) continue;
      await enqueue(copyFileJob({ conversationId, channel: card.channel, threadTs: card.ts, key, name, url }));
      await this.#mark(conversationId, key, shown);
    }
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

  /**
   * A conversation deleted in Intercom can no longer be fetched: its card is redrawn from what it last showed,
   * marked deleted and without buttons, and the thread says so, once.
   */
  async #deleted(conversationId: string): Promise<void> {
    const card = await this.#d.store.getCard(conversationId);
    if (!card) return;
    const shown = await this.#d.store.shownParts(conversationId);
    const data = shownCardData(card.shown);
    if (data && !data.deleted) {
      const deleted = { ...data, deleted: true };
      await this.#updateCard(conversationId, card, deleted, digest(deleted), { repost: false });
    } else if (!data) {
      this.#d.logger.info({ conversationId }, 'card of a deleted conversation not redrawn: it predates stored cards');
    }
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

  async #partLine(part: ConversationPart, context: PartContext): Promise<ThreadLine> {
    const line = partLineOf(part, context);
    if (line.kind !== 'assignment') return line;
    const to = part.assigned_to;
    if (!to) return { ...line, detail: null };
    const { directory } = this.#d;
    const name = to.type === 'team' ? await directory.teamName(to.id) : await directory.adminName(to.id);
    return { ...line, detail: name ?? `${to.type ?? 'admin'} ${to.id}` };
  }
}

/** The card data stored with a card, read back; undefined when there is none or it is not readable. */
function shownCardData(shown: string | undefined): CardData | undefined {
  if (!shown) return undefined;
  try {
    return JSON.parse(shown) as CardData;
  } catch {
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

function digest(data: CardData): string {
  return createHash('sha1').update(JSON.stringify(data)).digest('hex');
}
