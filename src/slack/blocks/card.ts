import type { Button, ContextBlock, KnownBlock } from '@slack/types';
import type { CardData, Origin } from '../../bridge/model.ts';
import {
  escapeMrkdwn,
  htmlFirstLine,
  htmlToMrkdwn,
  link,
  slackDate,
  stripInvisible,
  truncate,
  unescapeMrkdwn,
} from '../mrkdwn.ts';
import { clockStatus } from './clock.ts';
import { actions, type ButtonFields, button, context, header, LIMITS, plainText, section } from './kit.ts';

export type { CardData } from '../../bridge/model.ts';
export { LIMITS } from './kit.ts';

/** Kinds of card buttons; an action id is `<kind>:<conversation id>`, stable across card updates. */
export const CARD_ACTIONS = ['reply', 'note', 'assign', 'tag', 'close', 'reopen', 'snooze'] as const;
export type CardAction = (typeof CARD_ACTIONS)[number];

export function cardActionId(kind: CardAction, conversationId: string): string {
  return `${kind}:${conversationId}`;
}

/** Reads an action id back; undefined for anything that is not one of ours. */
export function parseCardActionId(actionId: string): { kind: CardAction; conversationId: string } | undefined {
  const [kind, conversationId] = actionId.split(':', 2);
  if (!conversationId || !(CARD_ACTIONS as readonly string[]).includes(kind ?? '')) return undefined;
  return { kind: kind as CardAction, conversationId };
}

/** The card of a conversation: header, who, how it began, the first message, attachments, status line and buttons. */
export function buildCard(card: CardData, options: { actions?: boolean } = {}): { text: string; blocks: KnownBlock[] } {
  const who = card.contact.name || card.contact.email || card.contact.phone || 'an unknown contact';
  const body = card.bodyHtml ? htmlToMrkdwn(card.bodyHtml) : '';
  const title = titleOf(card, body);
  const blocks: KnownBlock[] = [
    header(title ?? `Conversation with ${stripInvisible(who)}`),
    section(contactLine(card.contact)),
  ];
  const began = originLine(card.origin);
  if (began) blocks.push(context(began));
  if (body) blocks.push(section(withTrimNote(body, card)));
  const files = card.attachments.filter((a) => a.url).map((a) => `📎 ${link(a.url, a.name || 'attachment')}`);
  if (files.length) blocks.push(section(files.join('\n')));
  blocks.push(statusContext(card));
  if (!card.deleted && options.actions !== false) blocks.push(cardActions(card));
  const gist = title ?? htmlFirstLine(card.bodyHtml);
  return {
    text: truncate(notificationText(card.origin, who, gist), LIMITS.section),
    blocks: blocks.slice(0, LIMITS.blocks),
  };
}

/** Says, at the end of a first message cut short of its quoted history, where the rest is. */
function withTrimNote(body: string, card: CardData): string {
  if (!card.bodyTrimmed) return body;
  const rest = card.intercomUrl ? link(card.intercomUrl, 'full message in Intercom') : 'full message in Intercom';
  return `${truncate(body, LIMITS.section - 80)}\n_… (${rest})_`;
}

/**
 * The card's title: the conversation's own (a ticket's title), else its subject, unless the subject only repeats
 * the message (Twitter and some e-mail send the body as the subject). None: the header names the contact rather
 * than repeat the message's first line just above the message.
 */
function titleOf(card: CardData, bodyMrkdwn: string): string | null {
  const title = htmlFirstLine(card.title ?? null);
  if (title) return title;
  const subject = htmlFirstLine(card.subject);
  if (!subject) return null;
  return plain(htmlToMrkdwn(card.subject ?? '')) === plain(bodyMrkdwn) ? null : subject;
}

/** What a notification (and a screen reader) says: who began the conversation, with whom, about what. */
function notificationText(origin: Origin | undefined, who: string, gist: string): string {
  const about = gist ? `: ${escapeMrkdwn(gist)}` : '';
  const contact = escapeMrkdwn(who);
  const by = origin?.by ? escapeMrkdwn(origin.by) : null;
  switch (origin?.kind ?? 'customer') {
    case 'customer':
      return `New conversation from ${contact}${about}`;
    case 'teammate':
      return `${by ?? 'A teammate'} wrote to ${contact}${about}`;
    case 'automated':
      return `Automated message to ${contact}${about}`;
    case 'outbound':
      return `Outbound message to ${contact}${about}`;
    case 'bot':
      return `${by ?? 'A bot'} started a conversation with ${contact}${about}`;
  }
}

const TEAMS_WORDS = "the first message is the team's, not the customer's";

/** The card's line saying the team's side began the conversation, and as whom; none when the customer did. */
function originLine(origin: Origin | undefined): string | null {
  if (!origin || origin.kind === 'customer') return null;
  const by = origin.by ? `*${escapeMrkdwn(origin.by)}*` : null;
  switch (origin.kind) {
    case 'teammate':
      return `↩️ Started by ${by ?? 'a teammate'}: ${TEAMS_WORDS}`;
    case 'automated':
      return `⚙️ Automated message${by ? `, sent as ${by}` : ''}: ${TEAMS_WORDS}`;
    case 'outbound':
      return `📣 Outbound message${by ? `, sent as ${by}` : ''}: ${TEAMS_WORDS}`;
    case 'bot':
      return `🤖 Started by ${by ?? 'a bot'}: the first message is the bot's, not the customer's`;
  }
}

function contactLine(contact: CardData['contact']): string {
  const name = contact.name ? `*${escapeMrkdwn(contact.name)}*` : '*Unknown contact*';
  const parts = [name];
  if (contact.email) parts.push(escapeMrkdwn(contact.email));
  if (contact.phone) parts.push(escapeMrkdwn(contact.phone));
  if (contact.company) parts.push(escapeMrkdwn(contact.company));
  return parts.join(' · ');
}

const STATE_LABEL = { open: '🟢 Open', closed: '⚪ Closed', snoozed: '💤 Snoozed' } as const;

function statusContext(card: CardData): ContextBlock {
  const assignee = [card.assignee.admin, card.assignee.team].filter(Boolean).map((n) => escapeMrkdwn(String(n)));
  const elements = [
    card.deleted
      ? '🗑️ Deleted in Intercom'
      : card.state === 'snoozed' && card.snoozedUntil
        ? `${STATE_LABEL.snoozed} until ${slackDate(card.snoozedUntil)}`
        : STATE_LABEL[card.state],
    assignee.length ? `👤 ${assignee.join(' / ')}` : '👤 Unassigned',
    ...(card.finHandling && !card.deleted ? ['🤖 Fin is handling it'] : []),
    ...(card.clock && !card.deleted ? [clockStatus(card.clock)] : []),
    ...(card.priority ? ['⭐ Priority'] : []),
    ...(card.tags.length ? [`🏷️ ${card.tags.map(escapeMrkdwn).join(', ')}`] : []),
    `🕒 ${slackDate(card.createdAt)}`,
  ];
  return context(...elements);
}

/** The card's buttons; their labels are sent without an `emoji` flag, as cards always were. */
function cardActions(card: CardData) {
  const id = card.conversationId;
  const cardButton = (kind: CardAction, label: string, fields: ButtonFields = {}) =>
    button(cardActionId(kind, id), plainText(label), { value: id, ...fields });
  const elements: Button[] = [
    cardButton('reply', 'Reply', { style: 'primary' }),
    cardButton('note', 'Note'),
    cardButton('assign', 'Assign'),
    cardButton('tag', 'Tag'),
  ];
  if (card.state === 'closed') elements.push(cardButton('reopen', 'Reopen'));
  else {
    if (card.state === 'open') elements.push(cardButton('snooze', 'Snooze'));
    else elements.push(cardButton('reopen', 'Reopen'));
    elements.push(
      cardButton('close', 'Close', {
        confirm: {
          title: plainText('Close this conversation?'),
          text: plainText('It is closed in Intercom for everyone.'),
          confirm: plainText('Close'),
          deny: plainText('Cancel'),
        },
      }),
    );
  }
  if (card.intercomUrl) elements.push(button(`open:${id}`, plainText('Open in Intercom'), { url: card.intercomUrl }));
  return actions(elements, `card:${id}`);
}

/** Text as compared for repetition: no marks, escapes or differences in spacing and case. */
function plain(mrkdwn: string): string {
  return unescapeMrkdwn(mrkdwn)
    .replace(/[*_~`]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}
