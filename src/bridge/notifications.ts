import type { Conversation, ConversationPart } from '../intercom/schemas.ts';
import type { Logger } from '../logger.ts';
import type { NotificationSettings, Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { Identity } from './identity.ts';
import type { CardData } from './model.ts';
import type { SlackPort } from './ports.ts';

// Personal notifications (DESIGN.md "App Home and personal notifications", docs/home.md): a DM to the teammate a
// conversation is assigned to when it is assigned to them by anyone else, when its customer replies, and when it
// is about to miss its response target — each only when that person turned it on. The sync calls `partPosted` once
// a part's thread line is posted for the first time, the clocks call `dueSoon` when a warning fires; both may run
// on several replicas at once, and again after a retry, so each DM is sent after taking its key with `firstSeen`.
//
// A DM that fails after its key was taken is lost, and logged: the card's thread has the same news, and a retry
// (by the inbox, through a job kind) could not tell a DM Slack refused from one it posted before the answer was
// lost, so it would risk the duplicate the key is there to prevent. Notifying never fails the sync or the timer.

/** Which DMs a person gets until they change them on the Home tab. */
export const DEFAULT_NOTIFICATIONS: Readonly<NotificationSettings> = Object.freeze({
  // an assignment and a target about to be missed are rare and each asks something of that person now; a
  // customer's reply is frequent and already in the card's thread, so it is asked for rather than imposed
  assigned: true,
  replies: false,
  due: true,
});

/** Parts older than this when first posted (a backfill, catch-up after an outage) are old news: no DM. */
const DEFAULT_MAX_AGE_MS = 60 * 60_000;

/** What a DM tells; slack/blocks/notifications.ts renders it. Text from Intercom is as Intercom sent it. */
export interface Notice {
  kind: 'assigned' | 'replied' | 'due';
  conversationId: string;
  /** The conversation's title or subject (Intercom's HTML), else null. */
  title: string | null;
  /** The first message (Intercom's HTML), whose first words name a conversation that has no title. */
  opening: string | null;
  contact: string;
  /** Who assigned it (assigned), who wrote (replied). */
  by: string | null;
  /** What the customer wrote (replied), as Intercom's HTML. */
  bodyHtml: string | null;
  /** The target about to be missed and when (UNIX seconds) (due). */
  due: { target: 'first_response' | 'next_response'; dueAt: number } | null;
  cardUrl: string | null;
  intercomUrl: string | null;
  /** The Reply button's value: the conversation sealed by the bridge, since a DM is not its card (`sealReply`). */
  replyValue: string;
}

/** The conversation a notification is about, as the sync and the clocks hold it (ClockScene fits). */
export interface NoticeScene {
  conversation: Conversation;
  data: CardData;
  card: { channel: string; ts: string };
}

export interface NotifierDeps {
  store: Pick<Store, 'firstSeen' | 'getNotificationPrefs'>;
  /** `notify` is WebApiSlackPort's: a DM of the notice's blocks. */
  slack: Pick<SlackPort, 'permalink'> & { notify(userId: string, notice: Notice): Promise<void> };
  identity: Pick<Identity, 'slackUserOf' | 'slackUser' | 'isOurs'>;
  /**
   * The Reply button's value for a conversation: sealed as the card's Reply handler accepts a click away from the
   * card (the Home tab's: `modalState.seal(homeButtonState('reply', id))`, slack/blocks/home.ts).
   */
  sealReply: (conversationId: string) => string;
  logger: Logger;
  now?: () => number;
  maxAgeMs?: number;
}

type Kind = 'assigned' | 'replies' | 'due';

/** Who an event concerns and how it is keyed, before the person is known. */
interface Event {
  kind: Kind;
  adminId: string | null | undefined;
  /** The admin who did it, who is never told about their own action. */
  actorAdminId: string | null;
  /** The part id or the clock's key: with the kind, conversation and person, what makes the DM once-only. */
  eventKey: string;
}

const ASSIGNMENTS: ReadonlySet<string> = new Set([
  'assignment',
  'default_assignment',
  'assign_and_reopen',
  'away_mode_assignment',
]);
/** Authors who are the customer (sideOf would also count an author of no or an unknown type as one). */
const CUSTOMERS: ReadonlySet<string> = new Set(['user', 'lead', 'contact']);
const NOTICE_KIND = { assigned: 'assigned', replies: 'replied', due: 'due' } as const;

export class Notifier {
  readonly #d: NotifierDeps;
  readonly #now: () => number;
  readonly #maxAgeMs: number;

  constructor(deps: NotifierDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
    this.#maxAgeMs = deps.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  }

  /** After a part's thread line is posted for the first time: an assignment or a customer's reply may be news. */
  async partPosted(scene: NoticeScene, part: ConversationPart): Promise<void> {
    if (ASSIGNMENTS.has(part.part_type ?? '')) await this.assigned(scene, part);
    else await this.customerReplied(scene, part);
  }

  /** An assignment to a teammate by anyone but them (a workflow or bot counts as someone else). */
  async assigned(scene: NoticeScene, part: ConversationPart): Promise<void> {
    const to = part.assigned_to;
    if (!ASSIGNMENTS.has(part.part_type ?? '') || !to || (to.type && to.type !== 'admin') || this.#stale(part)) return;
    const actorAdminId = part.author?.type === 'admin' ? (part.author.id ?? null) : null;
    await this.#notify(scene, { kind: 'assigned', adminId: to.id, actorAdminId, eventKey: part.id }, (base) => ({
      ...base,
      by: part.author?.name ?? null,
    }));
  }

  /** A customer's message (a reply, or one that reopened it) on a conversation assigned to a teammate. */
  async customerReplied(scene: NoticeScene, part: ConversationPart): Promise<void> {
    if (!isCustomerMessage(part) || this.#stale(part)) return;
    const event = { kind: 'replies', adminId: scene.conversation.admin_assignee_id, actorAdminId: null } as const;
    await this.#notify(scene, { ...event, eventKey: part.id }, (base) => ({
      ...base,
      by: part.author?.name ?? null,
      bodyHtml: part.body ?? null,
    }));
  }

  /** The clock's warning: the conversation assigned to a teammate is about to miss its target. */
  async dueSoon(scene: NoticeScene, clock: Clock): Promise<void> {
    if (!clock.running) return;
    const eventKey = `${clock.since}:${clock.target}:warning`;
    const event = { kind: 'due', adminId: scene.conversation.admin_assignee_id, actorAdminId: null } as const;
    await this.#notify(scene, { ...event, eventKey }, (base) => ({
      ...base,
      due: { target: clock.target, dueAt: Math.floor(clock.dueAt / 1000) },
    }));
  }

  /** Finds whom to tell, checks they want it, takes the event's key, then sends; never throws. */
  async #notify(scene: NoticeScene, event: Event, fill: (base: Notice) => Notice): Promise<void> {
    const conversationId = scene.conversation.id;
    const log = { conversationId, notification: event.kind, event: event.eventKey };
    try {
      const user = await this.#recipient(event);
      if (!user || !(await this.#wants(user, event.kind))) return;
      const key = `notify:${event.kind}:${conversationId}:${event.eventKey}:${user}`;
      if (!(await this.#d.store.firstSeen(key, this.#now()))) return;
      const notice = fill(await this.#base(scene, event.kind));
      await this.#d.slack.notify(user, notice).catch((error: unknown) => {
        // the key is taken: this DM is lost (see the top of this file), the thread still has the news
        this.#d.logger.warn({ ...log, err: error, slackUserId: user }, 'personal notification not sent: lost');
      });
    } catch (error) {
      this.#d.logger.warn({ ...log, err: error }, 'could not work out a personal notification: none sent');
    }
  }

  /** The assignee's Slack user: none when unassigned, unmapped, the one who acted, a bot or not of our workspace. */
  async #recipient(event: Event): Promise<string | null> {
    const adminId = event.adminId ? String(event.adminId) : '';
    if (!adminId || adminId === '0' || adminId === event.actorAdminId) return null;
    const userId = await this.#d.identity.slackUserOf(adminId);
    if (!userId) return null;
    const user = await this.#d.identity.slackUser(userId);
    if (!user || user.isBot || !(await this.#d.identity.isOurs(user))) return null;
    return userId;
  }

  async #wants(slackUserId: string, kind: Kind): Promise<boolean> {
    const prefs = (await this.#d.store.getNotificationPrefs(slackUserId)) ?? DEFAULT_NOTIFICATIONS;
    return prefs[kind];
  }

  async #base(scene: NoticeScene, kind: Kind): Promise<Notice> {
    const { data, card } = scene;
    const cardUrl = await this.#d.slack.permalink(card.channel, card.ts).catch(() => null);
    const { contact } = data;
    return {
      kind: NOTICE_KIND[kind],
      conversationId: scene.conversation.id,
      title: data.title || data.subject || null,
      opening: data.bodyHtml,
      contact: contact.name || contact.email || contact.phone || 'an unknown contact',
      by: null,
      bodyHtml: null,
      due: null,
      cardUrl: cardUrl || null,
      intercomUrl: data.intercomUrl,
      replyValue: this.#d.sealReply(scene.conversation.id),
    };
  }

  #stale(part: ConversationPart): boolean {
    return typeof part.created_at === 'number' && this.#now() - part.created_at * 1000 > this.#maxAgeMs;
  }
}

/** A message the customer wrote: a comment, or the `open` part that carries a reply to a closed conversation. */
function isCustomerMessage(part: ConversationPart): boolean {
  if (part.part_type !== 'comment' && part.part_type !== 'open') return false;
  return Boolean(part.body?.trim()) && CUSTOMERS.has(part.author?.type ?? '');
}

/** The Home tab's NotificationPrefs (bridge/home.ts) over the store: a person who never chose has the defaults. */
export function notificationPrefs(store: Pick<Store, 'getNotificationPrefs' | 'setNotificationPrefs'>) {
  return {
    async get(slackUserId: string): Promise<NotificationSettings> {
      return { ...DEFAULT_NOTIFICATIONS, ...(await store.getNotificationPrefs(slackUserId)) };
    },
    async set(slackUserId: string, prefs: NotificationSettings): Promise<void> {
      const { assigned, replies, due } = prefs;
      await store.setNotificationPrefs(slackUserId, { assigned, replies, due });
    },
  };
}
