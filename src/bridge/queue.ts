import type { IntercomClient } from '../intercom/client.ts';
import type { Conversation } from '../intercom/schemas.ts';
import type { SearchQuery } from '../intercom/search.ts';
import type { Card } from '../store/store.ts';
import type { BusinessHours } from './business-hours.ts';
import { type ClockTarget, clockOf, waitingSince } from './clock.ts';
import { intercomConversationUrl } from './conversation-view.ts';
import type { Directory } from './directory.ts';
import type { SlackPort } from './ports.ts';
import { type RoutesFileConfig, targetsFor } from './targets.ts';

// The waiting conversations, longest-waiting first, each with its response clock (`/intercom queue`, digests).
// Read from Intercom's conversation search (open, state open, waiting_since set), which has no sort in 2.14: the
// bridge sorts by waiting_since itself. Search results carry no parts, so each clock is read from the
// conversation's own fields (waiting_since, statistics): see clock.ts.

/** Whose conversations: the asker's teammate's, nobody's (no admin assignee), or everyone's. */
export type QueueScope = 'me' | 'unassigned' | 'all';

/** How a waiting conversation stands against its target. `ms` is working time (business hours when set). */
export type QueueClock =
  | { kind: 'overdue'; target: ClockTarget; ms: number }
  | { kind: 'due'; target: ClockTarget; ms: number }
  /** No target applies (or business hours never come): how long it has waited, wall time. */
  | { kind: 'waiting'; ms: number };

/** A conversation as the queue and the digest list it. Texts are plain (untrusted): escape before mrkdwn. */
export interface QueueItem {
  conversationId: string;
  /** The conversation's title, else subject, else the start of its first message. */
  title: string;
  /** The customer's name or email, when the search result names them. */
  customer: string | null;
  /** When the customer began waiting (epoch ms). */
  since: number;
  clock: QueueClock;
  /** The admin's name (or id), the team's name prefixed "team", or null when nobody is assigned. */
  assignee: string | null;
  /** A link to the conversation's card in Slack, when it has one. */
  cardUrl: string | null;
  intercomUrl: string | null;
}

/** One page of a queue: `items` are `offset`… of `total`; `capped` when there were more than the bridge reads. */
export interface QueuePage {
  scope: QueueScope;
  items: QueueItem[];
  offset: number;
  total: number;
  capped: boolean;
}

/** What the clocks are measured against: the routes file's targets and hours (undefined: no targets). */
export type RulesSource = () => RoutesFileConfig | undefined;

export interface QueueDeps {
  intercom: Pick<IntercomClient, 'conversations'>;
  directory: Pick<Directory, 'adminName' | 'teamName' | 'workspaceId'>;
  store: { getCard(conversationId: string): Promise<Card | undefined> };
  slack: Pick<SlackPort, 'permalink'>;
  rules: RulesSource;
  now?: () => number;
}

/** The most conversations one queue or digest reads from Intercom (about 7 search pages). */
export const MAX_WAITING = 1000;
const SEARCH_PAGE = 150;

/** A waiting conversation before it is dressed for display: what ordering, filtering and counting need. */
export interface Waiting {
  conversation: Conversation;
  since: number;
  clock: QueueClock;
  route: string | undefined;
}

export class Queue {
  readonly #d: QueueDeps & { now: () => number };

  constructor(deps: QueueDeps) {
    this.#d = { now: Date.now, ...deps };
  }

  /** Page `offset`… (`limit` long) of the scope's waiting conversations; `me` needs the asker's admin id. */
  async page(scope: QueueScope, adminId: string | undefined, page: { offset: number; limit: number }) {
    const found = await this.waiting(scopeQuery(scope, adminId));
    const listed = found.list.filter((w) => inScope(w.conversation, scope, adminId));
    const offset = Math.max(0, Math.min(page.offset, listed.length));
    const items = await this.describe(listed.slice(offset, offset + page.limit));
    return { scope, items, offset, total: listed.length, capped: found.capped } satisfies QueuePage;
  }

  /** Open, unsnoozed conversations matching `extra` with waiting_since set, longest-waiting first, with clocks. */
  async waiting(extra?: SearchQuery): Promise<{ list: Waiting[]; capped: boolean }> {
    const { conversations, capped } = await this.search(and([...OPEN, WAITING], extra));
    const list = await Promise.all(conversations.map((c) => this.measure(c)));
    const waiting = list.filter((w): w is Waiting => w !== undefined);
    return { list: waiting.sort((a, b) => a.since - b.since), capped };
  }

  /** Up to MAX_WAITING conversations matching `query`. */
  async search(query: SearchQuery): Promise<{ conversations: Conversation[]; capped: boolean }> {
    const conversations: Conversation[] = [];
    for await (const conversation of this.#d.intercom.conversations.searchAll(query, SEARCH_PAGE)) {
      if (conversations.length >= MAX_WAITING) return { conversations, capped: true };
      conversations.push(conversation);
    }
    return { conversations, capped: false };
  }

  /** The conversation's clock now, and the route its card was carried by; undefined when nobody waits. */
  async measure(conversation: Conversation): Promise<Waiting | undefined> {
    if (conversation.state !== 'open' || conversation.open === false) return undefined;
    const since = waitingSince(conversation, []);
    if (since === null) return undefined;
    const route = (await this.#d.store.getCard(conversation.id))?.route;
    const config = this.#d.rules();
    const clock = queueClock(conversation, since, this.#d.now(), config, route);
    return { conversation, since, clock, route };
  }

  /** The items as listed: names, card permalinks and Intercom links looked up for these only. */
  async describe(waiting: readonly Waiting[]): Promise<QueueItem[]> {
    const workspaceId = await this.#d.directory.workspaceId().catch(() => '');
    return Promise.all(waiting.map((w) => this.#item(w, workspaceId)));
  }

  async #item(w: Waiting, workspaceId: string): Promise<QueueItem> {
    const { conversation } = w;
    const [assignee, cardUrl] = await Promise.all([this.#assignee(conversation), this.#cardUrl(conversation.id)]);
    return {
      conversationId: conversation.id,
      title: titleOf(conversation),
      customer: customerOf(conversation),
      since: w.since,
      clock: w.clock,
      assignee,
      cardUrl,
      intercomUrl: workspaceId ? intercomConversationUrl(workspaceId, conversation.id) : null,
    };
  }

  async #assignee(conversation: Conversation): Promise<string | null> {
    const admin = assignedAdmin(conversation);
    if (admin) return (await this.#d.directory.adminName(admin).catch(() => null)) ?? admin;
    const team = conversation.team_assignee_id;
    if (!team || team === '0') return null;
    return `team ${(await this.#d.directory.teamName(team).catch(() => null)) ?? team}`;
  }

  async #cardUrl(conversationId: string): Promise<string | null> {
    const card = await this.#d.store.getCard(conversationId).catch(() => undefined);
    if (!card) return null;
    return this.#d.slack.permalink(card.channel, card.ts).catch(() => null);
  }
}

const OPEN: SearchQuery[] = [
  { field: 'open', operator: '=', value: true },
  { field: 'state', operator: '=', value: 'open' },
];
const WAITING: SearchQuery = { field: 'waiting_since', operator: '>', value: 0 };

/** Open conversations (state open, so not snoozed), with `extra` when given. */
export function openQuery(extra?: SearchQuery): SearchQuery {
  return and(OPEN, extra);
}

function and(filters: readonly SearchQuery[], extra: SearchQuery | undefined): SearchQuery {
  return { operator: 'AND', value: extra ? [...filters, extra] : [...filters] };
}

/** What the search itself can narrow: `me` by the admin assignee (an integer in Intercom's search). */
function scopeQuery(scope: QueueScope, adminId: string | undefined): SearchQuery | undefined {
  if (scope !== 'me' || !adminId || !/^\d{1,15}$/.test(adminId)) return undefined;
  return { field: 'admin_assignee_id', operator: '=', value: Number(adminId) };
}

/** The admin a conversation is assigned to, or undefined (Intercom writes none as null, or sometimes 0). */
export function assignedAdmin(conversation: Conversation): string | undefined {
  const id = conversation.admin_assignee_id;
  return id && id !== '0' ? id : undefined;
}

/** Whether the conversation belongs to the scope (`me` without an admin id matches nothing). */
export function inScope(conversation: Conversation, scope: QueueScope, adminId: string | undefined): boolean {
  switch (scope) {
    case 'all':
      return true;
    case 'unassigned':
      return assignedAdmin(conversation) === undefined;
    case 'me':
      return adminId !== undefined && assignedAdmin(conversation) === adminId;
  }
}

/** The clock as a person reads it: overdue by, due in, or (without a target) how long it has waited. */
export function queueClock(
  conversation: Conversation,
  since: number,
  now: number,
  config: RoutesFileConfig | undefined,
  route: string | undefined,
): QueueClock {
  const waited = { kind: 'waiting', ms: Math.max(0, now - since) } as const;
  if (!config) return waited;
  const hours: BusinessHours | undefined = config.businessHours;
  const clock = clockOf(conversation, [], { targets: targetsFor(config, route), hours }, now);
  if (!clock.running || !Number.isFinite(clock.dueAt)) return waited;
  if (clock.overdueMs > 0 || now >= clock.dueAt) return { kind: 'overdue', target: clock.target, ms: clock.overdueMs };
  return { kind: 'due', target: clock.target, ms: clock.dueAt - now };
}

const TITLE_LENGTH = 80;

/** Title, else subject, else the first words of the first message, as plain text. */
export function titleOf(conversation: Conversation): string {
  // the title and the subject are text; the first message is HTML
  const candidates = [
    oneLine(conversation.title ?? ''),
    oneLine(conversation.source?.subject ?? ''),
    plainText(conversation.source?.body ?? ''),
  ];
  for (const text of candidates) {
    if (text) return text.length > TITLE_LENGTH ? `${text.slice(0, TITLE_LENGTH - 1).trimEnd()}…` : text;
  }
  return `Conversation ${conversation.id}`;
}

const CUSTOMER_TYPES: ReadonlySet<string> = new Set(['user', 'lead', 'contact']);

function customerOf(conversation: Conversation): string | null {
  const author = conversation.source?.author;
  if (!author || !CUSTOMER_TYPES.has(author.type ?? '')) return null;
  return author.name || author.email || null;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

/** HTML as one line of plain text: tags dropped, common entities decoded, spaces collapsed. */
function plainText(html: string): string {
  return oneLine(
    html
      .replace(/<[^>]*>/g, ' ')
      .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_whole, name: string) => ENTITIES[name] ?? ''),
  );
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
