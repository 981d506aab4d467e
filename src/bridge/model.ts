/** What a card shows, resolved from Intercom (names instead of ids). Built by bridge/, rendered by slack/blocks. */
export interface CardData {
  conversationId: string;
  subject: string | null;
  /** The first message, as Intercom's HTML. */
  bodyHtml: string | null;
  attachments: ReadonlyArray<{ name: string | null; url: string | null }>;
  contact: { name: string | null; email: string | null; company: string | null };
  state: 'open' | 'closed' | 'snoozed';
  snoozedUntil: number | null;
  assignee: { admin: string | null; team: string | null };
  priority: boolean;
  tags: readonly string[];
  createdAt: number;
  /** Link to the conversation in Intercom's Inbox (null when the workspace is unknown). */
  intercomUrl: string | null;
  /** Set once Intercom says the conversation was deleted. */
  deleted?: boolean;
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
  | 'priority'
  | 'rating'
  | 'deleted'
  | 'earlier';

/** One entry of a card's thread: who did what, with the text where there is text. */
export interface ThreadLine {
  kind: ThreadLineKind;
  /** Who did it (a customer's or teammate's name), when known. */
  actor: string | null;
  /** Message or note body, as Intercom's HTML. */
  bodyHtml?: string | null;
  attachments?: ReadonlyArray<{ name: string | null; url: string | null }>;
  /** Kind-specific detail: the assignee, the tags, the rating and remark, how many earlier parts were skipped. */
  detail?: string | null;
  /** Snoozed until (UNIX seconds). */
  until?: number | null;
}
