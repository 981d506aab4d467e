import type { Contact, Conversation, ConversationPart } from '../intercom/schemas.ts';
import { trimEmail } from './email-trim.ts';
import type { CardData, Origin, ThreadLine } from './model.ts';

// What Slack shows of a conversation, read from Intercom's objects: the card's data and one thread line per part.
// Pure; conversation-sync.ts fetches, resolves names and posts.

export interface PartContext {
  /** The one snooze part whose `snoozed_until` is the conversation's (the latest, while still snoozed). */
  currentSnoozeId: string | null;
  snoozedUntil: number | null;
  /** How the card names the customer: a nameless customer's part is theirs all the same. */
  customer: string | null;
}

export function partContext(conversation: Conversation, parts: ConversationPart[], card: CardData): PartContext {
  // a snooze part does not carry its own time: only the latest one, not followed by a reopen or close, is current
  const lastStateChange = parts.filter((p) => STATE_PARTS.has(p.part_type ?? '')).at(-1);
  const current = conversation.state === 'snoozed' && lastStateChange?.part_type === 'snoozed';
  return {
    currentSnoozeId: current ? (lastStateChange?.id ?? null) : null,
    snoozedUntil: conversation.snoozed_until ?? null,
    customer: card.contact.name ?? card.contact.email ?? card.contact.phone ?? null,
  };
}

const STATE_PARTS = new Set(['snoozed', 'open', 'close', 'timer_unsnooze', 'unsnoozed', 'assign_and_reopen']);

export function partLineOf(part: ConversationPart, context: PartContext): ThreadLine {
  const kind = lineKind(part) ?? 'note';
  const side = sideOf(part.author?.type);
  // a nameless customer is named as the card names them; a part with no author at all is nobody's in particular
  const customer = CUSTOMER_TYPES.has(part.author?.type ?? '');
  const actor = present(part.author?.name) ?? present(part.author?.email) ?? (customer ? context.customer : null);
  const body = messageOf(kind === 'note' ? null : present(part.body));
  const line: ThreadLine = {
    kind,
    actor,
    bodyHtml: kind === 'note' ? present(part.body) : body.html,
    attachments: attachmentsOf(part),
    ...(body.trimmed ? { trimmed: true } : {}),
  };
  if (part.part_type === 'open' && line.bodyHtml) return { ...line, side, reopened: true };
  if (kind === 'quick_reply') {
    const options = (part.reply_options ?? []).map((o) => o.text?.trim() ?? '').filter(Boolean);
    return { ...line, side, options };
  }
  if (kind === 'snooze') return { ...line, until: part.id === context.currentSnoozeId ? context.snoozedUntil : null };
  return line;
}

const CUSTOMER_TYPES: ReadonlySet<string> = new Set(['user', 'lead', 'contact']);

export function sideOf(authorType: string | null | undefined): 'customer' | 'teammate' | 'bot' {
  if (authorType === 'admin') return 'teammate';
  if (authorType === 'bot') return 'bot';
  return 'customer';
}

export function cardDataOf(
  conversation: Conversation,
  contact: Contact | undefined,
  names: { admin: string | null; team: string | null; company: string | null; workspaceId: string },
): CardData {
  const source = conversation.source;
  const state = conversation.state === 'closed' || conversation.state === 'snoozed' ? conversation.state : 'open';
  const body = messageOf(source?.body ?? null);
  return {
    conversationId: conversation.id,
    title: present(conversation.title),
    subject: present(source?.subject),
    bodyHtml: body.html,
    ...(body.trimmed ? { bodyTrimmed: true } : {}),
    attachments: (source?.attachments ?? []).map((a) => ({ name: a.name ?? null, url: a.url ?? null })),
    contact: { ...shownContact(conversation, contact), company: names.company },
    origin: originOf(conversation),
    state,
    snoozedUntil: conversation.snoozed_until ?? null,
    assignee: { admin: names.admin, team: names.team },
    priority: conversation.priority === 'priority',
    tags: (conversation.tags?.tags ?? []).map((t) => t.name ?? '').filter(Boolean),
    createdAt: conversation.created_at ?? 0,
    intercomUrl: names.workspaceId ? intercomConversationUrl(names.workspaceId, conversation.id) : null,
  };
}

function shownContact(
  conversation: Conversation,
  contact: Contact | undefined,
): { name: string | null; email: string | null; phone: string | null } {
  const author = conversation.source?.author;
  const fromContact = author && author.type !== 'admin' && author.type !== 'bot';
  // Intercom sends a lead without a name as `name: null` and `email: ""`: an empty one is no name at all
  return {
    name: present(contact?.name) ?? (fromContact ? present(author?.name) : null),
    email: present(contact?.email) ?? (fromContact ? present(author?.email) : null),
    phone: present(contact?.phone),
  };
}

export function originOf(conversation: Conversation): Origin {
  const author = conversation.source?.author;
  const by = present(author?.name) ?? present(author?.email);
  switch (conversation.source?.delivered_as) {
    case 'customer_initiated':
      return { kind: 'customer', by: null };
    case 'admin_initiated':
      return { kind: 'teammate', by };
    case 'automated':
      return { kind: 'automated', by };
    case 'campaigns_initiated':
      return { kind: 'outbound', by };
    case 'operator_initiated':
      return { kind: 'bot', by };
  }
  const side = sideOf(author?.type);
  return side === 'customer' ? { kind: 'customer', by: null } : { kind: side, by };
}

function messageOf(html: string | null): { html: string | null; trimmed: boolean } {
  if (!html) return { html, trimmed: false };
  return trimEmail(html);
}

function present(text: string | null | undefined): string | null {
  return text?.trim() ? text : null;
}

export function lineKind(part: ConversationPart): ThreadLine['kind'] | undefined {
  switch (part.part_type) {
    case 'comment':
      return REPLY_KIND[sideOf(part.author?.type)];
    case 'quick_reply':
      return 'quick_reply';
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
      // a reply to a closed conversation reopens it: Intercom records the reply as the `open` part's body
      return part.body?.trim() ? REPLY_KIND[sideOf(part.author?.type)] : 'open';
    case 'snoozed':
      return 'snooze';
    case 'timer_unsnooze':
    case 'unsnoozed':
      return 'unsnooze';
    default:
      return undefined;
  }
}

const REPLY_KIND = { customer: 'customer_reply', teammate: 'teammate_reply', bot: 'bot_reply' } as const;

function attachmentsOf(part: ConversationPart) {
  return (part.attachments ?? []).map((a) => ({ name: a.name ?? null, url: a.url ?? null }));
}

export function intercomConversationUrl(workspaceId: string, conversationId: string): string {
  return `https://app.intercom.com/a/inbox/${encodeURIComponent(workspaceId)}/inbox/shared/all/conversation/${encodeURIComponent(conversationId)}`;
}
