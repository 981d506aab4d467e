import { DateTime } from 'luxon';
import type { Conversation } from '../intercom/schemas.ts';
import type { SearchQuery } from '../intercom/search.ts';
import type { Logger } from '../logger.ts';
import type { Card } from '../store/store.ts';
import { WEEKDAYS, workingMs } from './business-hours.ts';
import { waitingSince } from './clock.ts';
import { Periodic } from './periodic.ts';
import {
  assignedAdmin,
  openQuery,
  type Queue,
  type QueueItem,
  queueClock,
  type RulesSource,
  type Waiting,
} from './queue.ts';
import { type Digest, type RoutesFileConfig, targetsFor } from './targets.ts';

// Digests (../shared/DESIGN.md, "Response targets, queue and digests"): what is open and waiting in a channel's
// routes, the longest-waiting conversations, and how yesterday's first responses went. `Digests` builds and posts
// one (`/intercom digest` posts the channel's now); `DigestScheduler` posts each configured digest once a day at
// its time, in its zone, on its days — once per day and channel across restarts and replicas, claimed with the
// store's `firstSeen`. A bridge that was down at the digest's time posts it when it comes up, until the end of
// that day in the digest's zone.

/** A digest's content, for the Block Kit builder (slack/blocks/digest.ts). Texts in items are plain. */
export interface DigestData {
  channel: string;
  /** The day it is for, in its zone: YYYY-MM-DD, and as people read it ("Monday 7 December"). */
  day: string;
  dayLabel: string;
  timezone: string;
  /** Only conversations these routes carried; undefined: all. */
  routes: string[] | undefined;
  counts: { open: number; unassigned: number; waiting: number; overdue: number };
  /** The longest-waiting conversations, longest first (up to LONGEST). */
  longest: QueueItem[];
  yesterday: {
    day: string;
    /** Conversations whose first teammate reply was yesterday. */
    answered: number;
    /** Their median first-response time (working time with business hours), or null with none. */
    medianMs: number | null;
    /** How many of them took longer than their first_response target. */
    misses: number;
  };
  /** More conversations than the bridge reads were open: the counts are of the first MAX_WAITING. */
  capped: boolean;
}

/** What a digest is of: a channel, the zone its days are in, and the routes it covers. */
export type DigestScope = Pick<Digest, 'channel' | 'timezone'> & { routes?: string[] | undefined };

/** The longest-waiting conversations a digest lists. */
export const LONGEST = 10;

export interface DigestsDeps {
  queue: Queue;
  store: { getCard(conversationId: string): Promise<Card | undefined> };
  rules: RulesSource;
  /** Posts the digest in its channel (the Slack side renders it). */
  post: (channel: string, digest: DigestData) => Promise<void>;
  logger: Logger;
  now?: () => number;
}

export class Digests {
  readonly #d: DigestsDeps & { now: () => number };

  constructor(deps: DigestsDeps) {
    this.#d = { now: Date.now, ...deps };
  }

  /** The digest of a channel: the one configured for it, else everything, in the business hours' zone or UTC. */
  scopeOf(channel: string): DigestScope {
    const config = this.#d.rules();
    const configured = config?.digests.find((d) => d.channel === channel);
    if (configured) return configured;
    return { channel, timezone: config?.businessHours?.timezone ?? 'UTC' };
  }

  /** Builds and posts the channel's digest now (`/intercom digest`); not counted as the scheduled one. */
  async postNow(channel: string): Promise<void> {
    await this.post(this.scopeOf(channel));
  }

  async post(scope: DigestScope): Promise<void> {
    await this.#d.post(scope.channel, await this.build(scope));
  }

  async build(scope: DigestScope): Promise<DigestData> {
    const now = this.#d.now();
    const today = DateTime.fromMillis(now, { zone: scope.timezone }).startOf('day');
    const yesterday = today.minus({ days: 1 });
    const config = this.#d.rules();
    const [open, answered] = await Promise.all([
      this.#open(scope, config, now),
      this.#answered(scope, config, yesterday.toMillis(), today.toMillis()),
    ]);
    return {
      channel: scope.channel,
      day: today.toISODate() ?? '',
      dayLabel: today.setLocale('en-GB').toFormat('cccc d LLLL'),
      timezone: scope.timezone,
      routes: scope.routes,
      counts: open.counts,
      longest: await this.#d.queue.describe(open.waiting.slice(0, LONGEST)),
      yesterday: { day: yesterday.toISODate() ?? '', ...answered },
      capped: open.capped,
    };
  }

  /** The open conversations of the scope's routes: counted, and the waiting ones longest first. */
  async #open(scope: DigestScope, config: RoutesFileConfig | undefined, now: number) {
    const { conversations, capped } = await this.#d.queue.search(openQuery());
    const counts = { open: 0, unassigned: 0, waiting: 0, overdue: 0 };
    const waiting: Waiting[] = [];
    for (const conversation of conversations) {
      if (conversation.state !== 'open') continue;
      const route = await this.#routeIn(scope, conversation.id);
      if (route === OUTSIDE) continue;
      counts.open += 1;
      if (!assignedAdmin(conversation)) counts.unassigned += 1;
      const since = waitingSince(conversation, []);
      if (since === null) continue;
      const clock = queueClock(conversation, since, now, config, route);
      counts.waiting += 1;
      if (clock.kind === 'overdue') counts.overdue += 1;
      waiting.push({ conversation, since, clock, route });
    }
    return { counts, waiting: waiting.sort((a, b) => a.since - b.since), capped };
  }

  /** First responses whose first teammate reply fell in [from, to): their median and misses. */
  async #answered(scope: DigestScope, config: RoutesFileConfig | undefined, from: number, to: number) {
    const { conversations } = await this.#d.queue.search(firstRepliedBetween(from, to));
    const times: number[] = [];
    let misses = 0;
    for (const conversation of conversations) {
      const took = firstResponseMs(conversation, config, from, to);
      if (took === undefined) continue;
      const route = await this.#routeIn(scope, conversation.id);
      if (route === OUTSIDE) continue;
      times.push(took);
      const target = config ? targetsFor(config, route).firstResponseMs : undefined;
      if (target !== undefined && took > target) misses += 1;
    }
    return { answered: times.length, medianMs: median(times), misses };
  }

  /** The route that carried the conversation, or OUTSIDE when the scope names routes and it is not one of them. */
  async #routeIn(scope: DigestScope, conversationId: string): Promise<string | undefined | typeof OUTSIDE> {
    const route = (await this.#d.store.getCard(conversationId).catch(() => undefined))?.route;
    if (scope.routes === undefined) return route;
    return route !== undefined && scope.routes.includes(route) ? route : OUTSIDE;
  }
}

const OUTSIDE = Symbol('outside the digest’s routes');

/** Conversations whose first teammate reply is in [from, to) (Intercom's `>` and `<` include the bound). */
function firstRepliedBetween(from: number, to: number): SearchQuery {
  const field = 'statistics.first_admin_reply_at';
  return {
    operator: 'AND',
    value: [
      { field, operator: '>', value: Math.floor(from / 1000) },
      { field, operator: '<', value: Math.ceil(to / 1000) },
    ],
  };
}

/**
 * Intercom's `statistics.first_admin_reply_at` minus `created_at`, when the reply is in [from, to); working time
 * with business hours, as the targets count it.
 */
export function firstResponseMs(
  conversation: Conversation,
  config: RoutesFileConfig | undefined,
  from: number,
  to: number,
): number | undefined {
  const replied = conversation.statistics?.first_admin_reply_at;
  const created = conversation.created_at;
  if (typeof replied !== 'number' || typeof created !== 'number') return undefined;
  const at = replied * 1000;
  if (at < from || at >= to) return undefined;
  return workingMs(config?.businessHours, created * 1000, at);
}

/** The median (the mean of the middle two for an even count), or null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? 0) + upper) / 2;
}

/** A scheduled digest that is due at `now`: its once-a-day key, or undefined when it is not due. */
export function dueDigest(digest: Digest, now: number): { key: string; day: string } | undefined {
  const local = DateTime.fromMillis(now, { zone: digest.timezone });
  if (!local.isValid) return undefined;
  const weekday = WEEKDAYS[local.weekday - 1];
  if (!weekday || !digest.days.includes(weekday)) return undefined;
  const [hour, minute] = digest.at.split(':').map(Number);
  // a time the clocks skip (02:30 when they go forward) is taken as luxon moves it: on, by the gap's length
  const dueAt = local.startOf('day').set({ hour: hour ?? 0, minute: minute ?? 0 });
  // due from its time until the day ends there: a bridge down at that time posts it when it comes up that day
  if (now < dueAt.toMillis() || dueAt.toISODate() !== local.toISODate()) return undefined;
  const day = local.toISODate() ?? '';
  return { key: `digest:${digest.channel}:${day}`, day };
}

export interface SchedulerOptions {
  digests: Pick<Digests, 'post'>;
  rules: RulesSource;
  store: { firstSeen(key: string, at: number): Promise<boolean> };
  logger: Logger;
  now?: () => number;
  /** How often to look (ms); a minute unless told. */
  everyMs?: number;
}

/**
 * Posts each configured digest once per day and channel: every minute (and at start) it claims the due ones with
 * `firstSeen('digest:<channel>:<day>')` — one replica wins — and posts them. A post that fails is tried again at
 * each following tick on the replica that claimed it, until the digest's day ends.
 */
export class DigestScheduler {
  readonly #o: SchedulerOptions & { now: () => number; everyMs: number };
  /** Keys this replica has seen claimed (by itself or another), so it asks the store once. */
  readonly #settled = new Set<string>();
  /** Claimed here but not posted yet: tried again at each tick while due. */
  readonly #failed = new Map<string, Digest>();
  readonly #periodic: Periodic;

  constructor(options: SchedulerOptions) {
    this.#o = { now: Date.now, everyMs: 60_000, ...options };
    this.#periodic = new Periodic(
      this.#o.everyMs,
      () => this.#pass(),
      (error) => this.#o.logger.warn({ err: error }, 'digests: could not check what is due; trying again next minute'),
    );
  }

  start(): void {
    this.#periodic.start();
  }

  stop(): Promise<void> {
    return this.#periodic.stop();
  }

  /** One look; resolves to how many digests it posted. Overlapping calls share one look. */
  tick(): Promise<number> {
    return this.#periodic.run();
  }

  async #pass(): Promise<number> {
    const now = this.#o.now();
    if (this.#settled.size > 10_000) this.#settled.clear();
    let posted = 0;
    for (const digest of this.#o.rules()?.digests ?? []) {
      const due = dueDigest(digest, now);
      if (!due || (this.#settled.has(due.key) && !this.#failed.has(due.key))) continue;
      if (!this.#failed.has(due.key) && !(await this.#claim(due.key, now))) continue;
      if (await this.#post(due.key, digest)) posted += 1;
    }
    for (const key of this.#failed.keys()) if (!this.#stillDue(key, now)) this.#failed.delete(key);
    return posted;
  }

  async #claim(key: string, now: number): Promise<boolean> {
    const mine = await this.#o.store.firstSeen(key, now);
    this.#settled.add(key);
    return mine;
  }

  async #post(key: string, digest: Digest): Promise<boolean> {
    try {
      await this.#o.digests.post(digest);
      this.#failed.delete(key);
      this.#o.logger.info({ channel: digest.channel, key }, 'digest posted');
      return true;
    } catch (error) {
      this.#failed.set(key, digest);
      this.#o.logger.warn({ err: error, channel: digest.channel, key }, 'could not post the digest; trying again');
      return false;
    }
  }

  #stillDue(key: string, now: number): boolean {
    const digest = this.#failed.get(key);
    return digest !== undefined && dueDigest(digest, now)?.key === key;
  }
}
