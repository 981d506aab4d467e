/**
 * What the bridge keeps between requests and across restarts: the webhook inbox, the conversation → Slack card
 * map, which conversation parts each thread has already shown, and which Slack interactions were acted on.
 * Implementations: SQLite (the default, one process) and, later, PostgreSQL (several replicas); both pass
 * test/store/store-contract.ts.
 */
export interface Store {
  /** Stores an accepted webhook delivery; false when this notification id was seen before (a duplicate). */
  enqueue(delivery: NewDelivery): Promise<boolean>;

  /**
   * Leases up to `limit` deliveries that are due, at most one per conversation and only the oldest pending one
   * of each (by created_at, then arrival), so one conversation's events are handled in order, one at a time.
   * A lease that is not completed, retried or parked by `leaseUntil` expires and the delivery is due again.
   */
  claim(options: { owner: string; now: number; leaseMs: number; limit: number }): Promise<Delivery[]>;

  /**
   * Extends the leases `owner` holds on these deliveries to `leaseUntil` (ms), while it works on them; a lease it no
   * longer holds (expired and taken by another, or finished) is left alone. Returns how many were extended.
   */
  renewLeases(owner: string, ids: readonly string[], leaseUntil: number): Promise<number>;

  /** Marks a leased delivery done. */
  complete(id: string): Promise<void>;

  /**
   * Releases a leased delivery to be tried again at `nextAttemptAt` (ms), recording why it failed. `counted: false`
   * gives back the attempt its claim counted: a rate limit is a wait the service asked for, not a failure of the
   * delivery, and must not bring it nearer to being parked.
   */
  retry(id: string, nextAttemptAt: number, error: string, options?: { counted?: boolean }): Promise<void>;

  /** Sets a delivery aside for good (it will never succeed), recording why. */
  park(id: string, error: string): Promise<void>;

  /**
   * Forgets finished deliveries accepted before `before` (ms), whose ids then no longer count as duplicates, and
   * the interaction keys first seen before `before` (see `firstSeen`). Returns how many deliveries it forgot
   * (forgotten keys are not counted).
   */
  prune(before: number): Promise<number>;

  /**
   * Records a Slack interaction's key (what Slack makes unique per interaction) the first time it is seen; false when
   * it was recorded before (a replay, or the same request reaching another replica). Atomic across replicas: of
   * simultaneous calls with one key exactly one is true (which one is not said).
   * `at` (ms) is when it was seen, which `prune` goes by. Any string is a key (NUL, any length): stores keep its
   * SHA-256, not the key itself. After a rejection the key may or may not be recorded (SQLite records nothing;
   * PostgreSQL may have committed before the answer was lost).
   */
  firstSeen(key: string, at: number): Promise<boolean>;

  /** Pending deliveries and the age of the oldest, for health and metrics. */
  inboxStats(now: number): Promise<{ pending: number; parked: number; oldestPendingMs: number | null }>;

  /** The Slack card of a conversation, if one was posted. */
  getCard(conversationId: string): Promise<Card | undefined>;

  /** The card posted as this Slack message (a click, a reaction or a thread reply names the message). */
  cardAt(channel: string, ts: string): Promise<Card | undefined>;

  /** Records (or moves) the card of a conversation. */
  saveCard(card: Card): Promise<void>;

  /** Records that a part was shown in the thread; false if it already was (so nothing is shown twice). */
  markPartShown(conversationId: string, partId: string): Promise<boolean>;

  /** The parts a conversation's thread has already shown (one read, however long the conversation). */
  shownParts(conversationId: string): Promise<Set<string>>;

  /**
   * A Slack user's personal notification settings, as last set; undefined when they never set any (the defaults
   * are the product's, bridge/notifications.ts, not the store's).
   */
  getNotificationPrefs(slackUserId: string): Promise<NotificationSettings | undefined>;

  /** Replaces a Slack user's personal notification settings (all three at once, so a row is never half-set). */
  setNotificationPrefs(slackUserId: string, prefs: NotificationSettings): Promise<void>;

  /** Small named values that must survive a restart (e.g. the catch-up cursor). */
  getValue(key: string): Promise<string | undefined>;
  setValue(key: string, value: string): Promise<void>;

  close(): Promise<void>;
}

export interface NewDelivery {
  /** Intercom's notification id: the key that makes duplicates harmless. */
  id: string;
  topic: string;
  /** The conversation the event belongs to, or null for events that belong to none. */
  conversationId: string | null;
  /**
   * The queue it waits in, one delivery at a time, in order: the conversation's unless named here (a queue of its
   * own, e.g. one for all file copies, so they neither run together nor hold up a conversation).
   */
  queue?: string | undefined;
  /** When Intercom created the event (UNIX seconds); orders one conversation's events. */
  createdAt: number;
  /** The raw body as received, to process later. */
  payload: string;
  /** When we accepted it (ms); also the first time it is due. */
  receivedAt: number;
}

export interface Delivery extends NewDelivery {
  /** Attempts so far, including the one this lease is for. */
  attempts: number;
  lastError: string | null;
}

export interface Card {
  conversationId: string;
  channel: string;
  /** The card message's ts: the thread's parent. */
  ts: string;
  /** A digest of what the card shows, to skip updates that would change nothing. */
  fingerprint?: string | undefined;
  /**
   * What the card shows, as the bridge serialised it (opaque here): once a conversation is deleted in Intercom it
   * can no longer be fetched, and this is what its card is redrawn from. Read by getCard only.
   */
  shown?: string | undefined;
  /** The routing rule that carried the conversation here (its name, or `routes[i]`): picks its targets. */
  route?: string | undefined;
}

/** Which personal DMs a Slack user wants (docs/home.md): each on or off, for themselves. */
export interface NotificationSettings {
  /** A conversation is assigned to them, by anyone but them. */
  assigned: boolean;
  /** A customer replies on a conversation assigned to them. */
  replies: boolean;
  /** A conversation assigned to them is about to miss its response target. */
  due: boolean;
}
