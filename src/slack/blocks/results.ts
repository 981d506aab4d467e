import type { types } from '@slack/bolt';
import type { ArticleSummary, ContactSummary } from '../../bridge/lookup.ts';
import type { CardData } from '../../bridge/model.ts';
import { cut, escapeMrkdwn, link, slackDate, truncate } from '../mrkdwn.ts';
import { buildCard, LIMITS } from './card.ts';

type Block = types.KnownBlock;

/** Action ids of the buttons on `/intercom` results; each carries what it acts on in its value. */
export const RESULT_ACTIONS = {
  contactNote: 'contact_note',
  contactTag: 'contact_tag',
  contactTicket: 'contact_ticket',
  moreContacts: 'contacts_more',
  shareArticle: 'article_share',
  postConversation: 'conversation_post',
  openLink: 'open_link',
} as const;

const plain = (text: string) => ({
  type: 'plain_text' as const,
  text: truncate(text, LIMITS.button, '…'),
  emoji: true,
});
const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text: truncate(text, LIMITS.section) });

/** Up to 10 contacts, each with what a support person does next, and "More results" when there are more. */
export function contactResults(
  query: string,
  page: { contacts: readonly ContactSummary[]; total: number; next?: string | undefined },
): { text: string; blocks: Block[] } {
  if (page.contacts.length === 0) {
    const text = `No Intercom contact matches “${escapeMrkdwn(query)}”.`;
    return { text, blocks: [{ type: 'section', text: mrkdwn(text) }] };
  }
  const blocks: Block[] = [
    {
      type: 'context',
      elements: [mrkdwn(`${page.total} contact${page.total === 1 ? '' : 's'} for “${escapeMrkdwn(query)}”`)],
    },
  ];
  for (const contact of page.contacts.slice(0, 10)) {
    const name = contact.name ? `*${escapeMrkdwn(contact.name)}*` : '*Unnamed contact*';
    const details = [
      contact.email ? escapeMrkdwn(contact.email) : null,
      contact.company ? escapeMrkdwn(contact.company) : null,
      contact.role === 'lead' ? 'lead' : null,
      contact.lastSeenAt ? `last seen ${slackDate(contact.lastSeenAt, '{date_short_pretty}')}` : 'never seen',
    ].filter(Boolean);
    blocks.push({ type: 'section', text: mrkdwn(`${name}\n${details.join(' · ')}`) });
    const elements: types.Button[] = [
      {
        type: 'button',
        action_id: `${RESULT_ACTIONS.contactNote}:${contact.id}`,
        text: plain('Add note'),
        value: contact.id,
      },
      {
        type: 'button',
        action_id: `${RESULT_ACTIONS.contactTag}:${contact.id}`,
        text: plain('Tag'),
        value: contact.id,
      },
      {
        type: 'button',
        action_id: `${RESULT_ACTIONS.contactTicket}:${contact.id}`,
        text: plain('Create ticket'),
        value: contact.id,
      },
    ];
    if (contact.url) {
      elements.push({
        type: 'button',
        action_id: `${RESULT_ACTIONS.openLink}:${contact.id}`,
        text: plain('Open in Intercom'),
        url: contact.url,
      });
    }
    blocks.push({ type: 'actions', block_id: `contact:${contact.id}`, elements });
  }
  // the query and the cursor travel in the button; a button value holds up to 2,000 characters
  const more = page.next ? JSON.stringify({ q: cut(query, 200), after: page.next }) : '';
  if (more && more.length <= 2000) {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: RESULT_ACTIONS.moreContacts,
          text: plain('More results'),
          value: more,
        },
      ],
    });
  }
  return { text: `Contacts for “${escapeMrkdwn(query)}”`, blocks };
}

/** Articles with a snippet and a link; "Share in channel" posts the link where the command was run. */
export function articleResults(
  query: string,
  result: { articles: readonly ArticleSummary[]; total: number },
): { text: string; blocks: Block[] } {
  if (result.articles.length === 0) {
    const text = `No published article matches “${escapeMrkdwn(query)}”.`;
    return { text, blocks: [{ type: 'section', text: mrkdwn(text) }] };
  }
  const blocks: Block[] = [
    {
      type: 'context',
      elements: [mrkdwn(`${result.total} article${result.total === 1 ? '' : 's'} for “${escapeMrkdwn(query)}”`)],
    },
  ];
  for (const article of result.articles) {
    const title = `*${link(article.url, article.title)}*`;
    const snippet = article.snippet ? `\n${escapeMrkdwn(article.snippet)}` : '';
    const section: Block = { type: 'section', text: mrkdwn(`${title}${snippet}`) };
    const share = article.url ? JSON.stringify({ title: cut(article.title, 300), url: article.url }) : '';
    // a URL too long for a button's value (2,000) keeps its link, without the button
    if (share && share.length <= 2000) {
      section.accessory = {
        type: 'button',
        action_id: `${RESULT_ACTIONS.shareArticle}:${article.id}`,
        text: plain('Share in channel'),
        value: share,
      };
    }
    blocks.push(section);
  }
  return { text: `Articles for “${escapeMrkdwn(query)}”`, blocks };
}

/** The message "Share in channel" posts: the article's title as a link. */
export function sharedArticle(article: { title: string; url: string }, sharedBy: string) {
  const text = `📘 ${link(article.url, article.title)} — shared by <@${sharedBy}>`;
  return { text, blocks: [{ type: 'section' as const, text: mrkdwn(text) }] };
}

/** A conversation's card shown only to the asker: no triage buttons, and "Post to channel" instead. */
export function cardPreview(card: CardData): { text: string; blocks: Block[] } {
  const built = buildCard(card, { actions: false });
  const blocks = built.blocks as unknown as Block[];
  const elements: types.Button[] = [
    {
      type: 'button',
      action_id: RESULT_ACTIONS.postConversation,
      text: plain('Post to channel'),
      style: 'primary',
      value: card.conversationId,
    },
  ];
  if (card.intercomUrl) {
    elements.push({
      type: 'button',
      action_id: `${RESULT_ACTIONS.openLink}:${card.conversationId}`,
      text: plain('Open in Intercom'),
      url: card.intercomUrl,
    });
  }
  blocks.push({ type: 'actions', elements });
  return { text: built.text, blocks };
}

/** A plain message (help, an error, a confirmation) as blocks too, so it replaces a results message cleanly. */
export function notice(text: string): { text: string; blocks: Block[] } {
  return { text, blocks: [{ type: 'section', text: mrkdwn(text) }] };
}
