import type { Conversation } from '../intercom/schemas.ts';
import type { SearchQuery } from '../intercom/search.ts';
import type { Logger } from '../logger.ts';
import type { Directory } from './directory.ts';
import type { Identity } from './identity.ts';
import { assignedAdmin, openQuery, type Queue, type QueueClock, type QueueItem, type Waiting } from './queue.ts';

// The Home tab (docs/home.md, DESIGN.md "App Home and personal notifications"): a person's own queue — what is
// assigned to them (open and snoozed) and what is unassigned in their Intercom teams (or everywhere, without a
// team) —, longest-waiting first, and their notification settings. Read through the queue's search and clocks
// (queue.ts), so a row reads as `/intercom queue` does. Intercom is searched when the tab is opened, unless the
// person's lists are seconds old (CACHE_MS); a change to one of their conversations while they use the tab
// republishes it, debounced (DEBOUNCE_MS), so a burst of webhooks costs one search. slack/ renders and publishes.

/** Which personal DMs a person wants; the store keeps them (the same shape as the store's NotificationSettings). */
export interface NotificationChoice {
  assigned: boolean;
  replies: boolean;
  due: boolean;
}

/** Where the settings live: the store (issue #16 item 3); `get` answers the defaults for someone who never chose. */
export interface NotificationPrefs {
  get(slackUserId: string): Promise<NotificationChoice>;
  set(slackUserId: string, prefs: NotificationChoice): Promise<void>;
}

/** The defaults of bridge/notifications.ts (assignments and due targets on, customer replies off). */
const DEFAULT_CHOICE: NotificationChoice = { assigned: true, replies: false, due: true };

/** Settings kept in memory (tests, and a bridge whose store keeps none): lost on restart. */
export class MemoryNotificationPrefs implements NotificationPrefs {
  readonly #prefs = new Map<string, NotificationChoice>();
  readonly #defaults: NotificationChoice;

  constructor(defaults: NotificationChoice = DEFAULT_CHOICE) {
    this.#defaults = defaults;
  }

  async get(slackUserId: string): Promise<NotificationChoice> {
    return { ...(this.#prefs.get(slackUserId) ?? this.#defaults) };
  }

  async set(slackUserId: string, prefs: NotificationChoice): Promise<void> {
    this.#prefs.set(slackUserId, { ...prefs });
  }
}

export type HomeSectionName = 'assigned' | 'unassigned';

/** One conversation on the Home tab. Texts are plain (untrusted): escape before mrkdwn. */
export interface HomeRow extends Omit<QueueItem, 'clock' | 'since'> {
  state: 'open' | 'snoozed';
  /** Until when it is snoozed (epoch seconds), when it is. */
  snoozedUntil: number | null;
  /** The response clock while the customer waits; null when nobody waits (answered, snoozed). */
  clock: QueueClock | null;
}

/** A section: `rows` are the first of `total`; `capped` when there were more than the bridge reads (MAX_WAITING). */
export interface HomeSection {
  name: HomeSectionName;
  total: number;
  capped: boolean;
  rows: HomeRow[];
  /** Whether "Show more" can add rows: there are more, and the tab has room for them (ROW_BUDGET). */
  canShowMore: boolean;
}

/** What the Home tab shows; slack/blocks/home.ts renders it. */
export type HomeScreen =
  | {
      kind: 'queue';
      slackUserId: string;
      teammate: string;
      assigned: HomeSection;
      /** Unassigned in the person's teams (by name), or everywhere when `teams` is empty. */
      unassigned: HomeSection & { teams: string[] };
      notifications: NotificationChoice;
      /** When Intercom was read (epoch ms). */
      readAt: number;
    }
  /** No Intercom teammate: why (Identity's sentence: their email, ADMIN_OVERRIDES) and their Slack email. */
  | { kind: 'unmapped'; slackUserId: string; refusal: string; email: string | null }
  /** Intercom could not be read; the tab says so rather than keep an old list. */
  | { kind: 'unavailable'; slackUserId: string };

/** Publishes a screen as the person's Home tab (slack/listeners/home.ts renders and calls views.publish). */
export type HomePublisher = (slackUserId: string, screen: HomeScreen) => Promise<void>;

export interface HomeTiming {
  /** Lists this young are shown again without asking Intercom (a person flicking between tabs). */
  cacheMs: number;
  /** Changes to a person's conversations within this are published together, once. */
  debounceMs: number;
  /** A Home opened this recently is kept fresh when its conversations change; older ones wait for the next open. */
  recentMs: number;
}

export const HOME_TIMING: HomeTiming = { cacheMs: 10_000, debounceMs: 5_000, recentMs: 30 * 60_000 };

/** Conversations the tab lists at most (two blocks each, within Slack's 100 blocks a view). */
export const ROW_BUDGET = 40;
/** Rows a section shows before "Show more", and how many more each click adds. */
export const FIRST_ROWS: Readonly<Record<HomeSectionName, number>> = { assigned: 20, unassigned: 10 };
export const MORE_ROWS = 10;

export interface HomeDeps {
  queue: Pick<Queue, 'search' | 'measure' | 'describe'>;
  identity: Pick<Identity, 'member' | 'teammate' | 'slackUser' | 'slackUserOf'>;
  directory: Pick<Directory, 'adminById' | 'teamName'>;
  prefs: NotificationPrefs;
  publish: HomePublisher;
  logger: Logger;
  timing?: Partial<HomeTiming>;
  now?: () => number;
}

/** A listed conversation: the search result, and its clock when the customer waits. */
export interface Listed {
  conversation: Conversation;
  waiting: Waiting | undefined;
}

/** What Intercom said about one person's conversations, when. */
interface Lists {
  at: number;
  adminId: string;
  teammate: string;
  teams: string[];
  assigned: { list: Listed[]; capped: boolean };
  unassigned: { list: Listed[]; capped: boolean };
  /** Rows already dressed (names, card permalinks), so a cached open asks Slack for no permalink again. */
  described: Map<string, Promise<QueueItem>>;
}

/** One person who opened the tab: when, how much they asked to see, and what they were last shown. */
interface Viewer {
  openedAt: number;
  wanted: Record<HomeSectionName, number>;
  lists?: Lists | undefined;
  /** Every conversation in their lists: a change to one of these republishes their tab. */
  listed: Set<string>;
  /** The publish under way; another request waits for it, then publishes again if it asked for fresh lists. */
  running?: Promise<void> | undefined;
  timer?: NodeJS.Timeout | undefined;
}

export class Home {
  readonly #d: HomeDeps;
  readonly #t: HomeTiming;
  readonly #now: () => number;
  readonly #viewers = new Map<string, Viewer>();

  constructor(deps: HomeDeps) {
    this.#d = deps;
    this.#t = { ...HOME_TIMING, ...deps.timing };
    this.#now = deps.now ?? Date.now;
  }

  /** `app_home_opened` on the Home tab: publish their queue, from lists seconds old if there are any. */
  async opened(slackUserId: string): Promise<void> {
    this.#forgetOld();
    const viewer = this.#viewer(slackUserId);
    viewer.openedAt = this.#now();
    await this.#publish(slackUserId, { fresh: false });
  }

  /** "Show more" under a section: more of its rows, from the same lists. */
  async showMore(slackUserId: string, section: HomeSectionName): Promise<void> {
    const viewer = this.#viewer(slackUserId);
    viewer.wanted[section] = Math.min(ROW_BUDGET, viewer.wanted[section] + MORE_ROWS);
    await this.#publish(slackUserId, { fresh: false });
  }

  /** The Notifications checkboxes: stored, then the tab shows what was stored. */
  async setNotifications(slackUserId: string, choice: NotificationChoice): Promise<void> {
    if (!(await this.#isMember(slackUserId))) return;
    await this.#d.prefs.set(slackUserId, choice);
    await this.#publish(slackUserId, { fresh: false });
  }

  /** Something the person did from the tab changed their lists (Take): republish from Intercom now. */
  async refresh(slackUserId: string): Promise<void> {
    await this.#publish(slackUserId, { fresh: true });
  }

  /**
   * The sync saw a conversation change (assignment, reply, close): the tabs that list it, and its assignee's, are
   * republished once the changes settle, if their Home was opened recently. Never throws (the sync goes on).
   */
  async conversationChanged(conversationId: string, assigneeAdminId: string | null | undefined): Promise<void> {
    try {
      const people = new Set<string>();
      for (const [user, viewer] of this.#viewers) if (viewer.listed.has(conversationId)) people.add(user);
      const assignee = assigneeAdminId && assigneeAdminId !== '0' ? assigneeAdminId : undefined;
      const user = assignee ? await this.#d.identity.slackUserOf(assignee) : null;
      if (user) people.add(user);
      for (const person of people) this.#schedule(person);
    } catch (error) {
      this.#d.logger.warn({ err: error, conversationId }, 'could not find whose Home tab to refresh');
    }
  }

  /** Stops the pending republishes (shutdown). */
  stop(): void {
    for (const viewer of this.#viewers.values()) clearTimeout(viewer.timer);
  }

  /** Republishes a recent viewer's tab after DEBOUNCE_MS; changes meanwhile join it. */
  #schedule(slackUserId: string): void {
    const viewer = this.#viewers.get(slackUserId);
    if (!viewer || this.#now() - viewer.openedAt > this.#t.recentMs || viewer.timer) return;
    viewer.timer = setTimeout(() => {
      viewer.timer = undefined;
      this.#publish(slackUserId, { fresh: true }).catch((error: unknown) => {
        this.#d.logger.warn({ err: error, slackUserId }, 'could not republish a Home tab');
      });
    }, this.#t.debounceMs);
    viewer.timer.unref();
  }

  #viewer(slackUserId: string): Viewer {
    let viewer = this.#viewers.get(slackUserId);
    if (!viewer) {
      viewer = { openedAt: this.#now(), wanted: { ...FIRST_ROWS }, listed: new Set() };
      this.#viewers.set(slackUserId, viewer);
    }
    return viewer;
  }

  /** Keeps memory to the people using the tab: lists past their window, and viewers gone quiet, are dropped. */
  #forgetOld(): void {
    const now = this.#now();
    for (const [user, viewer] of this.#viewers) {
      if (viewer.lists && now - viewer.lists.at > this.#t.cacheMs) viewer.lists = undefined;
      if (now - viewer.openedAt > this.#t.recentMs && !viewer.running && !viewer.timer) this.#viewers.delete(user);
    }
  }

  /** One publish at a time per person: a request during one waits for it (and a fresh one then reads again). */
  async #publish(slackUserId: string, options: { fresh: boolean }): Promise<void> {
    const viewer = this.#viewer(slackUserId);
    while (viewer.running) await viewer.running.catch(() => undefined);
    const running = this.#build(slackUserId, viewer, options).then((screen) =>
      screen ? this.#d.publish(slackUserId, screen) : undefined,
    );
    viewer.running = running;
    try {
      await running;
    } finally {
      if (viewer.running === running) viewer.running = undefined;
    }
  }

  async #build(slackUserId: string, viewer: Viewer, options: { fresh: boolean }): Promise<HomeScreen | undefined> {
    // a guest from another organization (Slack Connect), a bot, or someone Slack does not know: nothing at all
    if (!(await this.#isMember(slackUserId))) return undefined;
    const who = await this.#d.identity.teammate(slackUserId, 'read');
    if ('refusal' in who) {
      const email = (await this.#d.identity.slackUser(slackUserId).catch(() => null))?.email ?? null;
      return { kind: 'unmapped', slackUserId, refusal: who.refusal, email };
    }
    const { adminId, name } = who.teammate;
    try {
      const cached = viewer.lists;
      const usable = !options.fresh && cached?.adminId === adminId && this.#now() - cached.at <= this.#t.cacheMs;
      const lists = usable && cached ? cached : await this.#read(adminId, name);
      viewer.lists = lists;
      viewer.listed = new Set([...lists.assigned.list, ...lists.unassigned.list].map((l) => l.conversation.id));
      return await this.#screen(slackUserId, viewer, lists);
    } catch (error) {
      this.#d.logger.warn({ err: error, slackUserId }, 'could not read the Home tab’s conversations');
      return { kind: 'unavailable', slackUserId };
    }
  }

  async #isMember(slackUserId: string): Promise<boolean> {
    const member = await this.#d.identity.member(slackUserId).catch(() => ({ refusal: 'unknown' }));
    if ('ok' in member) return true;
    this.#d.logger.info({ slackUserId }, 'Home tab of someone not of this workspace: nothing published');
    return false;
  }

  /** Both sections from Intercom, searched at once: by admin assignee, and by team assignee (or all unassigned). */
  async #read(adminId: string, teammate: string): Promise<Lists> {
    const admin = await this.#d.directory.adminById(adminId);
    const teamIds = (admin?.team_ids ?? []).filter((id) => id !== '0');
    const [assigned, unassigned, teams] = await Promise.all([
      this.#section(assignedQuery(adminId), (c) => isAssignedTo(c, adminId)),
      this.#section(unassignedQuery(teamIds), (c) => isUnassignedIn(c, teamIds)),
      Promise.all(teamIds.map(async (id) => (await this.#d.directory.teamName(id).catch(() => null)) ?? id)),
    ]);
    return { at: this.#now(), adminId, teammate, teams, assigned, unassigned, described: new Map() };
  }

  async #section(query: SearchQuery, keep: (c: Conversation) => boolean) {
    const { conversations, capped } = await this.#d.queue.search(query);
    const kept = conversations.filter(keep);
    const list = await Promise.all(
      kept.map(async (conversation) => ({ conversation, waiting: await this.#d.queue.measure(conversation) })),
    );
    return { list: orderListed(list), capped };
  }

  async #screen(slackUserId: string, viewer: Viewer, lists: Lists): Promise<HomeScreen> {
    const totals = { assigned: lists.assigned.list.length, unassigned: lists.unassigned.list.length };
    const shown = allocate(totals, viewer.wanted);
    const [assignedRows, unassignedRows, notifications] = await Promise.all([
      this.#rows(lists, lists.assigned.list.slice(0, shown.assigned)),
      this.#rows(lists, lists.unassigned.list.slice(0, shown.unassigned)),
      this.#d.prefs.get(slackUserId),
    ]);
    const room = shown.assigned + shown.unassigned < ROW_BUDGET;
    const section = (name: HomeSectionName, rows: HomeRow[]): HomeSection => ({
      name,
      total: totals[name],
      capped: lists[name].capped,
      rows,
      canShowMore: room && rows.length < totals[name],
    });
    return {
      kind: 'queue',
      slackUserId,
      teammate: lists.teammate,
      assigned: section('assigned', assignedRows),
      unassigned: { ...section('unassigned', unassignedRows), teams: lists.teams },
      notifications,
      readAt: lists.at,
    };
  }

  /** The rows shown, dressed once per lists (names, card permalinks, Intercom links: queue.describe). */
  #rows(lists: Lists, shown: Listed[]): Promise<HomeRow[]> {
    return Promise.all(
      shown.map(async (listed) => {
        const id = listed.conversation.id;
        let item = lists.described.get(id);
        if (!item) {
          item = this.#describe(listed);
          lists.described.set(id, item);
        }
        return homeRow(listed, await item);
      }),
    );
  }

  async #describe(listed: Listed): Promise<QueueItem> {
    // describe dresses waiting conversations; one nobody waits on is dressed the same, its clock left out after
    const waiting: Waiting = listed.waiting ?? {
      conversation: listed.conversation,
      since: 0,
      clock: { kind: 'waiting', ms: 0 },
      route: undefined,
    };
    const [item] = await this.#d.queue.describe([waiting]);
    if (!item) throw new Error(`conversation ${listed.conversation.id} could not be described`);
    return item;
  }
}

/** How many rows each section shows: what the person asked for, within what there is and ROW_BUDGET. */
export function allocate(
  totals: Record<HomeSectionName, number>,
  wanted: Record<HomeSectionName, number>,
  budget = ROW_BUDGET,
): Record<HomeSectionName, number> {
  const unassigned = Math.max(0, Math.min(totals.unassigned, wanted.unassigned, budget));
  const assigned = Math.max(0, Math.min(totals.assigned, wanted.assigned, budget - unassigned));
  return { assigned, unassigned };
}

/**
 * Longest-waiting first: customers waiting (oldest wait first), then open conversations nobody waits on (least
 * recently updated first), then snoozed ones (waking soonest first).
 */
export function orderListed<T extends Listed>(list: readonly T[]): T[] {
  const rank = (l: Listed) => (l.waiting ? 0 : l.conversation.state === 'snoozed' ? 2 : 1);
  const key = (l: Listed) =>
    l.waiting
      ? l.waiting.since
      : l.conversation.state === 'snoozed'
        ? (l.conversation.snoozed_until ?? Number.MAX_SAFE_INTEGER)
        : (l.conversation.updated_at ?? 0);
  return [...list].sort((a, b) => rank(a) - rank(b) || key(a) - key(b));
}

/** A row from a listed conversation and how queue.describe dressed it. */
export function homeRow(listed: Listed, item: QueueItem): HomeRow {
  const { clock: _clock, since: _since, ...rest } = item;
  const snoozed = listed.conversation.state === 'snoozed';
  return {
    ...rest,
    state: snoozed ? 'snoozed' : 'open',
    snoozedUntil: snoozed ? (listed.conversation.snoozed_until ?? null) : null,
    clock: listed.waiting?.clock ?? null,
  };
}

const NUMERIC_ID = /^\d{1,15}$/;

/** Open conversations (snoozed included: Intercom keeps them open) assigned to the admin. */
export function assignedQuery(adminId: string): SearchQuery {
  const open: SearchQuery = { field: 'open', operator: '=', value: true };
  if (!NUMERIC_ID.test(adminId)) return open;
  return { operator: 'AND', value: [open, { field: 'admin_assignee_id', operator: '=', value: Number(adminId) }] };
}

/**
 * Open, unsnoozed conversations of the teams (team_assignee_id, an integer in Intercom's search), or all of them
 * without a team. Whether an admin is assigned is checked on each result: Intercom writes "none" as null (≤ 2.15)
 * or 0 (2.16), and a search for either misses the other.
 */
export function unassignedQuery(teamIds: readonly string[]): SearchQuery {
  const numeric = teamIds.filter((id) => NUMERIC_ID.test(id)).map(Number);
  return numeric.length ? openQuery({ field: 'team_assignee_id', operator: 'IN', value: numeric }) : openQuery();
}

function isAssignedTo(conversation: Conversation, adminId: string): boolean {
  const state = conversation.state;
  return assignedAdmin(conversation) === adminId && (state === 'open' || state === 'snoozed');
}

function isUnassignedIn(conversation: Conversation, teamIds: readonly string[]): boolean {
  if (assignedAdmin(conversation) !== undefined || conversation.state !== 'open') return false;
  return teamIds.length === 0 || teamIds.includes(conversation.team_assignee_id ?? '');
}
