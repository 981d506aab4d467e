/** What a card shows, resolved from Intercom (names instead of ids). Built by bridge/, rendered by slack/blocks. */
export interface CardData {
  conversationId: string;
  /** The conversation's title (a ticket's title, or one a teammate gave it). */
  title?: string | null;
  subject: string | null;
  /** The first message, as Intercom's HTML. */
  bodyHtml: string | null;
  /** Quoted e-mail history or a signature was cut from the first message. */
  bodyTrimmed?: boolean;
  attachments: ReadonlyArray<{ name: string | null; url: string | null }>;
  contact: { name: string | null; email: string | null; phone?: string | null; company: string | null };
  /** Who started the conversation: the customer, or someone (or something) on the team's side. */
  origin?: Origin;
  state: 'open' | 'closed' | 'snoozed';
  snoozedUntil: number | null;
  assignee: { admin: string | null; team: string | null };
  priority: boolean;
  tags: readonly string[];
  createdAt: number;
  /** Link to the conversation in Intercom's Inbox (null when the workspace is unknown). */
  intercomUrl: string | null;
  /** Fin (Intercom's AI agent) is answering and no person has the conversation yet. */
  finHandling?: boolean;
  /** Set once Intercom says the conversation was deleted. */
  deleted?: boolean;
  /** The response clock, when targets are set (docs/targets.md). */
  clock?: ClockView | undefined;
}

/**
 * A response clock as the card's status line shows it. It changes only when its phase does (due soon at the
 * warning, overdue at the miss, answered), so a card is not updated every minute.
 */
export type ClockView =
  | { phase: 'waiting' | 'due_soon' | 'overdue'; target: 'first_response' | 'next_response'; dueAt: number }
  | { phase: 'answered'; target: 'first_response' | 'next_response'; tookMs: number; lateMs: number };

/** A missed target raised in the escalation channel, and later what became of it. */
export interface Escalation {
  conversationId: string;
  /** The card's title and contact, as the card says them. */
  title: string;
  contact: string;
  target: 'first_response' | 'next_response';
  targetMs: number;
  /** How far over the target it was when raised (this repeat's). */
  overdueMs: number;
  /** Link to the card in Slack (a permalink), and to the conversation in Intercom. */
  cardUrl: string | null;
  intercomUrl: string | null;
  /** Slack ids to ping: users (U…, W…) and user groups (S…). */
  mentions: readonly string[];
  /** Once the clock stopped: who answered (null: closed or snoozed without an answer), after how long. */
  resolved?: { by: string | null; how: 'answered' | 'closed' | 'snoozed'; tookMs: number; lateMs: number } | undefined;
}

/**
 * How a conversation began, from its source's `delivered_as` and author: a customer wrote in, a teammate wrote to
 * the customer, an automated or outbound message went out, or a bot (Fin, Operator, a custom bot) started it.
 */
export interface Origin {
  kind: 'customer' | 'teammate' | 'automated' | 'outbound' | 'bot';
  /** The author's name when it is not the customer's (the teammate the message was sent as, the bot's name). */
  by: string | null;
}

export type ThreadLineKind =
  | 'customer_reply'
  | 'teammate_reply'
  | 'bot_reply'
  | 'note'
  | 'assignment'
  | 'close'
  | 'open'
  | 'snooze'
  | 'unsnooze'
  | 'tag'
  | 'quick_reply'
  | 'priority'
  | 'rating'
  | 'deleted'
  | 'earlier'
  | 'clock_warning'
  | 'clock_miss';

/** One entry of a card's thread: who did what, with the text where there is text. */
export interface ThreadLine {
  kind: ThreadLineKind;
  /** Who did it (a customer's or teammate's name), when known. */
  actor: string | null;
  /** Message or note body, as Intercom's HTML. */
  bodyHtml?: string | null;
  /** Quoted e-mail history or a signature was cut from the body. */
  trimmed?: boolean;
  attachments?: ReadonlyArray<{ name: string | null; url: string | null }>;
  /** Kind-specific detail: the assignee, the tags, the rating and remark, how many earlier parts were skipped. */
  detail?: string | null;
  /** Snoozed until (UNIX seconds). */
  until?: number | null;
  /** A reply that also reopened the conversation (Intercom records it as an `open` part with a body). */
  reopened?: boolean;
  /** Who the actor is, for a reply or a quick reply: their side of the conversation. */
  side?: 'customer' | 'teammate' | 'bot';
  /** The choices of a quick reply (offered by the team, or the one a customer picked). */
  options?: readonly string[];
  /** A clock line's target, its length and how far over it the conversation is. */
  clock?: { target: 'first_response' | 'next_response'; targetMs: number; dueAt: number; overdueMs: number };
  /** Slack ids a clock line pings: users (U…, W…) and user groups (S…). */
  mentions?: readonly string[];
}
