import type { CardData } from '../../bridge/model.ts';
import { escapeMrkdwn, htmlToMrkdwn, link, slackDate, truncate } from '../mrkdwn.ts';

export type { CardData } from '../../bridge/model.ts';

/** Block Kit limits we build against (Slack rejects a message that exceeds them). */
export const LIMITS = { header: 150, section: 3000, button: 75, blocks: 50, contextElements: 10 } as const;

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

type Block = Record<string, unknown>;

/** The card of a conversation: header, who, the first message, attachments, status line and buttons. */
export function buildCard(card: CardData, options: { actions?: boolean } = {}): { text: string; blocks: Block[] } {
  const who = card.contact.name ?? card.contact.email ?? 'a customer';
  const title = firstLine(card.subject) || firstLine(card.bodyHtml) || `Conversation ${card.conversationId}`;
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title, LIMITS.header, '…'), emoji: false } },
    section(contactLine(card.contact)),
  ];
  const body = card.bodyHtml ? htmlToMrkdwn(card.bodyHtml) : '';
  if (body) blocks.push(section(truncate(body, LIMITS.section)));
  const files = card.attachments.filter((a) => a.url).map((a) => `📎 ${link(a.url, a.name || 'attachment')}`);
  if (files.length) blocks.push(section(truncate(files.join('\n'), LIMITS.section)));
  blocks.push(statusContext(card));
  if (!card.deleted && options.actions !== false) blocks.push(actions(card));
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
  return truncate(parts.join(' · '), LIMITS.section);
}

const STATE_LABEL = { open: '🟢 Open', closed: '⚪ Closed', snoozed: '💤 Snoozed' } as const;

function statusContext(card: CardData): Block {
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
  return {
    type: 'context',
    elements: elements
      .slice(0, LIMITS.contextElements)
      .map((text) => ({ type: 'mrkdwn', text: truncate(text, LIMITS.section) })),
  };
}

function actions(card: CardData): Block {
  const id = card.conversationId;
  const button = (kind: CardAction, text: string, extra: Block = {}) => ({
    type: 'button',
    action_id: cardActionId(kind, id),
    text: { type: 'plain_text', text },
    value: id,
    ...extra,
  });
  const elements: Block[] = [
    button('reply', 'Reply', { style: 'primary' }),
    button('note', 'Note'),
    button('assign', 'Assign'),
    button('tag', 'Tag'),
  ];
  if (card.state === 'closed') elements.push(button('reopen', 'Reopen'));
  else {
    if (card.state === 'open') elements.push(button('snooze', 'Snooze'));
    else elements.push(button('reopen', 'Reopen'));
    elements.push(
      button('close', 'Close', {
        confirm: {
          title: { type: 'plain_text', text: 'Close this conversation?' },
          text: { type: 'plain_text', text: 'It is closed in Intercom for everyone.' },
          confirm: { type: 'plain_text', text: 'Close' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      }),
    );
  }
  if (card.intercomUrl) {
    elements.push({
      type: 'button',
      action_id: `open:${id}`,
      text: { type: 'plain_text', text: 'Open in Intercom' },
      url: card.intercomUrl,
    });
  }
  return { type: 'actions', block_id: `card:${id}`, elements };
}

function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text } };
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
