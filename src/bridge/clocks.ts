import type { Conversation, ConversationPart } from '../intercom/schemas.ts';
import type { Logger } from '../logger.ts';
import type { Card, Store } from '../store/store.ts';
import { type Clock, type ClockRules, clockOf, lastAnswer, runningView } from './clock.ts';
import { MessageGone } from './failures.ts';
import type { Identity } from './identity.ts';
import { type ClockTimer, clockJob } from './jobs.ts';
import type { CardData, ClockView, Escalation, ThreadLine } from './model.ts';
import type { Notifier } from './notifications.ts';
import type { SlackPort } from './ports.ts';
import { type RoutesFileConfig, targetsFor } from './targets.ts';
import type { Enqueue } from './worker.ts';

// Response clocks kept (docs/targets.md): each sync of a conversation reads its clock (clock.ts), shows it on the
// card, and queues its timers — the warning, the miss and each repeat — as inbox jobs due at their time, in a queue
// of the conversation's own. A timer that comes due syncs the conversation first, so it acts on Intercom's state
// then: one whose clock stopped or moved is dropped. Lines are posted once through the sync's keyed posting, and
// escalations once through a pending marker and their metadata, so restarts and replicas post each exactly once.

export interface ClockKeeperDeps {
  config: RoutesFileConfig;
  slack: Pick<SlackPort, 'postEscalation' | 'updateEscalation' | 'findEscalation' | 'permalink'>;
  identity: Pick<Identity, 'slackUserOf'>;
  store: Pick<Store, 'getValue' | 'setValue'>;
  enqueue: Enqueue;
  logger: Logger;
  metrics?: ClockMetrics | undefined;
  /** Personal notifications (docs/home.md): the assignee's DM at a warning. */
  notifier?: Pick<Notifier, 'dueSoon'> | undefined;
  now?: () => number;
}

/** What the clocks count (metrics.ts); `route` is the card's route, or "default". */
export interface ClockMetrics {
  warning(route: string, target: string): void;
  miss(route: string, target: string, repeat: boolean): void;
  answered(route: string, target: string, ms: number): void;
  waiting(conversationId: string, running: boolean): void;
}

/** What the sync lends the keeper for one conversation: its card and the thread's keyed, once-only posting. */
export interface ClockScene {
  conversation: Conversation;
  parts: readonly ConversationPart[];
  card: Card;
  data: CardData;
  /** Posts a thread line at most once per key (the sync's pending-marker posting). */
  postLine(key: string, line: ThreadLine): Promise<void>;
  has(key: string): boolean;
  mark(key: string): Promise<void>;
}

/** An escalation posted in a channel, remembered until its clock stops and it is rewritten. */
interface Raised {
  channel: string;
  ts: string;
  since: number;
  target: Escalation['target'];
  targetMs: number;
}

export class ClockKeeper {
  readonly #d: ClockKeeperDeps;
  readonly #now: () => number;

  constructor(deps: ClockKeeperDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  rulesFor(route: string | null | undefined): ClockRules {
    return { targets: targetsFor(this.#d.config, route), hours: this.#d.config.businessHours };
  }

  /** The clock of a conversation carried by `route`, and how its card shows it (undefined: no clock to show). */
  read(
    conversation: Conversation,
    parts: readonly ConversationPart[],
    route: string | null | undefined,
  ): { clock: Clock; view: ClockView | undefined } {
    const rules = this.rulesFor(route);
    const clock = clockOf(conversation, parts, rules, this.#now());
    if (clock.running) return { clock, view: runningView(clock, this.#now()) };
    if (clock.stop !== 'answered') return { clock, view: undefined };
    const answered = lastAnswer(conversation, parts, rules);
    const view: ClockView | undefined = answered && { phase: 'answered', ...answered };
    return {
      clock,
      view: view && { phase: 'answered', target: view.target, tookMs: view.tookMs, lateMs: view.lateMs },
    };
  }

  /**
   * After a sync: queues the running clock's timers (once per wait and due time), fires `timer` if it is the one
   * that came due, and rewrites the escalations of a wait that has ended.
   */
  async settle(scene: ClockScene, clock: Clock, timer?: ClockTimer): Promise<void> {
    this.#d.metrics?.waiting(scene.conversation.id, clock.running);
    if (!clock.running && clock.stop === 'answered') await this.#countAnswer(scene);
    if (clock.running) await this.#schedule(scene, clock);
    if (timer) await this.#fire(scene, clock, timer);
    await this.#resolveEnded(scene, clock);
  }

  async #schedule(scene: ClockScene, clock: Extract<Clock, { running: true }>): Promise<void> {
    const id = scene.conversation.id;
    const marker = `clock-queued:${clock.since}:${clock.target}:${clock.warnAt ?? '-'}:${clock.dueAt}`;
    if (scene.has(marker) || !Number.isFinite(clock.dueAt)) return;
    const base = { since: clock.since, target: clock.target };
    if (clock.warnAt !== null && clock.warnAt < clock.dueAt) {
      await this.#d.enqueue(clockJob(id, { ...base, kind: 'warning', n: 0, at: clock.warnAt }));
    }
    await this.#d.enqueue(clockJob(id, { ...base, kind: 'miss', n: 1, at: clock.dueAt }));
    await scene.mark(marker);
  }

  async #fire(scene: ClockScene, clock: Clock, timer: ClockTimer): Promise<void> {
    const rules = this.rulesFor(scene.card.route);
    const log = { conversationId: scene.conversation.id, timer: `${timer.kind}:${timer.n}` };
    if (
      !clock.running ||
      clock.since !== timer.since ||
      clock.target !== timer.target ||
      !this.#applies(clock, timer, rules)
    ) {
      this.#d.logger.debug(log, 'clock timer no longer applies: dropped');
      return;
    }
    const mentions = await this.#assignee(scene.conversation);
    const targetMs = this.#targetMs(clock, rules);
    const line: ThreadLine = {
      kind: timer.kind === 'warning' ? 'clock_warning' : 'clock_miss',
      actor: null,
      clock: { target: clock.target, targetMs, dueAt: Math.floor(clock.dueAt / 1000), overdueMs: clock.overdueMs },
      mentions,
    };
    const key = `clock:${clock.since}:${clock.target}:${timer.kind}:${timer.n}`;
    const first = !scene.has(key);
    await scene.postLine(key, line);
    if (first) this.#count(scene, clock.target, timer);
    // every time, not only the first: its own key keeps it once, and a retried timer still sends one a crash cut
    if (timer.kind === 'warning') await this.#d.notifier?.dueSoon(scene, clock);
    if (timer.kind === 'miss') await this.#raise(scene, clock, timer, rules, targetMs);
  }

  #count(scene: ClockScene, target: string, timer: ClockTimer): void {
    const route = scene.card.route ?? 'default';
    if (timer.kind === 'warning') this.#d.metrics?.warning(route, target);
    else this.#d.metrics?.miss(route, target, timer.n > 1);
  }

  /** A person's answer to a waiting customer, counted once (by when it was written). */
  async #countAnswer(scene: ClockScene): Promise<void> {
    const answer = lastAnswer(scene.conversation, scene.parts, this.rulesFor(scene.card.route));
    if (!answer || !this.#d.metrics || scene.has(`answered:${answer.at}`)) return;
    this.#d.metrics.answered(scene.card.route ?? 'default', answer.target, answer.tookMs);
    await scene.mark(`answered:${answer.at}`);
  }

  /** Whether the timer is the clock's current one (a changed target or business hours move its time). */
  #applies(clock: Extract<Clock, { running: true }>, timer: ClockTimer, rules: ClockRules): boolean {
    if (timer.kind === 'warning') return clock.warnAt === timer.at;
    const repeat = rules.targets.repeatEveryMs ?? 0;
    return timer.at === clock.dueAt + (timer.n - 1) * repeat && (timer.n === 1 || repeat > 0);
  }

  #targetMs(clock: Extract<Clock, { running: true }>, rules: ClockRules): number {
    const { firstResponseMs, nextResponseMs } = rules.targets;
    return (clock.target === 'first_response' ? firstResponseMs : nextResponseMs) ?? 0;
  }

  /** The assignee's Slack user, to mention; none when unassigned or not found in Slack. */
  async #assignee(conversation: Conversation): Promise<string[]> {
    const adminId = conversation.admin_assignee_id;
    if (!adminId || adminId === '0') return [];
    const user = await this.#d.identity.slackUserOf(String(adminId)).catch(() => null);
    return user ? [user] : [];
  }

  /** A miss: raised in the escalation channel (once), remembered, and its repeat queued. */
  async #raise(
    scene: ClockScene,
    clock: Extract<Clock, { running: true }>,
    timer: ClockTimer,
    rules: ClockRules,
    targetMs: number,
  ): Promise<void> {
    const escalate = rules.targets.escalate;
    if (escalate) {
      const key = `escalation:${scene.conversation.id}:${clock.since}:${clock.target}:${timer.n}`;
      const escalation = await this.#escalation(scene, clock, targetMs, escalate.mention);
      const ts = await this.#postOnce(scene, escalate.channel, key, escalation);
      await this.#remember(scene.conversation.id, {
        channel: escalate.channel,
        ts,
        since: clock.since,
        target: clock.target,
        targetMs,
      });
    }
    const every = rules.targets.repeatEveryMs;
    if (every) {
      const next = { since: clock.since, target: clock.target, kind: 'miss' as const, n: timer.n + 1 };
      await this.#d.enqueue(clockJob(scene.conversation.id, { ...next, at: clock.dueAt + timer.n * every }));
    }
  }

  async #postOnce(scene: ClockScene, channel: string, key: string, escalation: Escalation): Promise<string> {
    const pending = `pending:${key}`;
    if (scene.has(pending)) {
      const found = await this.#d.slack.findEscalation(channel, key);
      if (found) return found;
    }
    await scene.mark(pending);
    const { ts } = await this.#d.slack.postEscalation(channel, escalation, key);
    await scene.mark(key);
    return ts;
  }

  async #escalation(
    scene: ClockScene,
    clock: { target: Escalation['target']; overdueMs: number },
    targetMs: number,
    mentions: readonly string[],
  ): Promise<Escalation> {
    const cardUrl = await this.#d.slack.permalink(scene.card.channel, scene.card.ts).catch(() => null);
    const { contact } = scene.data;
    return {
      conversationId: scene.conversation.id,
      title: scene.data.title || scene.data.subject || `Conversation ${scene.conversation.id}`,
      contact: contact.name || contact.email || contact.phone || 'an unknown contact',
      target: clock.target,
      targetMs,
      overdueMs: clock.overdueMs,
      cardUrl: cardUrl || null,
      intercomUrl: scene.data.intercomUrl,
      mentions,
    };
  }

  async #remember(conversationId: string, raised: Raised): Promise<void> {
    const all = await this.#raised(conversationId);
    if (all.some((r) => r.channel === raised.channel && r.ts === raised.ts)) return;
    await this.#d.store.setValue(`escalations:${conversationId}`, JSON.stringify([...all, raised]));
  }

  async #raised(conversationId: string): Promise<Raised[]> {
    const stored = await this.#d.store.getValue(`escalations:${conversationId}`);
    try {
      const list = stored ? (JSON.parse(stored) as unknown) : [];
      return Array.isArray(list) ? (list as Raised[]) : [];
    } catch {
      return [];
    }
  }

  /** The escalations of a wait that is over are rewritten to say how it ended: who answered, after how long. */
  async #resolveEnded(scene: ClockScene, clock: Clock): Promise<void> {
    const id = scene.conversation.id;
    const raised = await this.#raised(id);
    const ended = raised.filter((r) => !clock.running || r.since !== clock.since || r.target !== clock.target);
    if (ended.length === 0) return;
    const rules = this.rulesFor(scene.card.route);
    const answer = lastAnswer(scene.conversation, scene.parts, rules);
    for (const r of ended) {
      const answered = answer && answer.at >= r.since ? answer : undefined;
      const how = answered ? 'answered' : clock.running || clock.stop !== 'snoozed' ? 'closed' : 'snoozed';
      const tookMs = answered ? answered.tookMs : Math.max(0, this.#now() - r.since);
      const lateMs = Math.max(0, tookMs - r.targetMs);
      const base = await this.#escalation(scene, { target: r.target, overdueMs: 0 }, r.targetMs, []);
      const resolved = { by: answered?.by ?? null, how, tookMs, lateMs } as const;
      await this.#d.slack.updateEscalation(r.channel, r.ts, { ...base, resolved }).catch((error: unknown) => {
        if (!(error instanceof MessageGone)) throw error;
      });
    }
    const left = raised.filter((r) => !ended.includes(r));
    await this.#d.store.setValue(`escalations:${id}`, JSON.stringify(left));
  }
}
