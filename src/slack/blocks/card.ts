import type { Button, ContextBlock, KnownBlock } from '@slack/types';
import type { CardData } from '../../bridge/model.ts';
import { escapeMrkdwn, htmlToMrkdwn, link, slackDate, truncate } from '../mrkdwn.ts';
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

/** The card of a conversation: header, who, the first message, attachments, status line and buttons. */
export function buildCard(card: CardData, options: { actions?: boolean } = {}): { text: string; blocks: KnownBlock[] } {
  const who = card.contact.name || card.contact.email || 'an unknown contact';
  const title = firstLine(card.subject) || firstLine(card.bodyHtml) || `Conversation ${card.conversationId}`;
  const blocks: KnownBlock[] = [header(title), section(contactLine(card.contact))];
  const body = card.bodyHtml ? htmlToMrkdwn(card.bodyHtml) : '';
  if (body) blocks.push(section(body));
  const files = card.attachments.filter((a) => a.url).map((a) => `📎 ${link(a.url, a.name || 'attachment')}`);
  if (files.length) blocks.push(section(files.join('\n')));
  blocks.push(statusContext(card));
  if (!card.deleted && options.actions !== false) blocks.push(cardActions(card));
  return {
    text: truncate(`New conversation from ${escapeMrkdwn(who)}: ${escapeMrkdwn(title)}`, LIMITS.section),
    blocks: blocks.slice(0, LIMITS.blocks),
  };
}

function contactLine(contact: CardData['contact']): string {
  const name = contact.name ? `*${escapeMrkdwn(contact.name)}*` : '*Unknown contact*';
  const parts = [name];
  if (contact.email) parts.push(escapeMrkdwn(contact.email));
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

/** The first line of a body, as plain text for the header (plain_text: no escaping needed, nothing parsed). */
function firstLine(html: string | null): string {
  if (!html) return '';
  const text = htmlToMrkdwn(html)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[*_~`]/g, '');
  return (
    text
      .split('\n')
      .find((line) => line.trim())
      ?.trim() ?? ''
  );
}
