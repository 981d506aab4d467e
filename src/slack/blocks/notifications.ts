import type { Button, KnownBlock } from '@slack/types';
import type { Notice } from '../../bridge/notifications.ts';
import { escapeMrkdwn, htmlFirstLine, htmlToMrkdwn, link, slackDate, truncate } from '../mrkdwn.ts';
import { cardActionId } from './card.ts';
import { actions, button, context, header, LIMITS, plainText, section } from './kit.ts';

// A personal notification (bridge/notifications.ts) as a DM: the conversation's title as its header — which the
// Reply modal shows, as it does a card's —, why the person is told, what the customer wrote when they replied, and
// links to the card and Intercom. Its Reply button has the card's action id, so it opens the card's Reply modal,
// and carries the bridge's sealed value instead of a card message to be checked against.

const TARGET_NAME = { first_response: 'first response', next_response: 'next response' } as const;
/** How much of a customer's reply a DM quotes; the rest is in the thread and in Intercom. */
const QUOTE_MAX = 600;
/** How many characters of a first message name a conversation that has no title. */
const FIRST_WORDS = 80;

/** The DM for a notice: `text` is the push notification and screen readers' line, `blocks` what Slack shows. */
export function notificationMessage(notice: Notice): { text: string; blocks: KnownBlock[] } {
  const name = conversationName(notice);
  const why = reason(notice);
  const blocks: KnownBlock[] = [header(name), section(`${why}\n👤 ${escapeMrkdwn(notice.contact)}`)];
  const quote = notice.kind === 'replied' ? quoted(notice.bodyHtml) : '';
  if (quote) blocks.push(section(quote));
  const where = [notice.cardUrl ? link(notice.cardUrl, 'card in Slack') : '']
    .concat(notice.intercomUrl ? link(notice.intercomUrl, 'Intercom') : '')
    .filter(Boolean);
  if (where.length) blocks.push(context(where.join(' · ')));
  blocks.push(actions(buttons(notice), `notify:${notice.conversationId}`));
  return { text: truncate(`${plainReason(notice)}: ${escapeMrkdwn(name)}`, LIMITS.section), blocks };
}

/** The conversation's name as plain text: its title or subject, else its first words, else its id. */
function conversationName(notice: Notice): string {
  const title = htmlFirstLine(notice.title);
  if (title) return title;
  const opening = htmlFirstLine(notice.opening);
  if (opening) return truncate(opening, FIRST_WORDS, '…');
  return `Conversation ${notice.conversationId}`;
}

/** Why this person is told, in mrkdwn (names escaped). */
function reason(notice: Notice): string {
  const by = notice.by ? escapeMrkdwn(notice.by) : null;
  switch (notice.kind) {
    case 'assigned':
      return `📥 Assigned to you${by ? ` by *${by}*` : ''}`;
    case 'replied':
      return `💬 ${by ? `*${by}*` : 'The customer'} replied on a conversation assigned to you`;
    case 'due':
      return notice.due
        ? `⏳ Its ${TARGET_NAME[notice.due.target]} is due ${slackDate(notice.due.dueAt, '{time}')}: it is assigned to you`
        : '⏳ It is about to miss its response target: it is assigned to you';
  }
}

/** The same, for the notification line (and screen readers): no bold, names escaped. */
function plainReason(notice: Notice): string {
  switch (notice.kind) {
    case 'assigned':
      return `Assigned to you${notice.by ? ` by ${escapeMrkdwn(notice.by)}` : ''}`;
    case 'replied':
      return `${notice.by ? escapeMrkdwn(notice.by) : 'The customer'} replied`;
    case 'due':
      return 'Due soon';
  }
}

/** What the customer wrote, cut short (htmlToMrkdwn escapes it). */
function quoted(bodyHtml: string | null): string {
  const text = bodyHtml ? htmlToMrkdwn(bodyHtml).trim() : '';
  return text ? truncate(text, QUOTE_MAX, '…') : '';
}

function buttons(notice: Notice): Button[] {
  const reply = button(cardActionId('reply', notice.conversationId), plainText('Reply'), {
    value: notice.replyValue,
    style: 'primary',
  });
  const open = notice.intercomUrl
    ? [button(`open:${notice.conversationId}`, plainText('Open in Intercom'), { url: notice.intercomUrl })]
    : [];
  return [reply, ...open];
}
