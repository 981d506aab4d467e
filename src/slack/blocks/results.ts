import type { Button, KnownBlock } from '@slack/types';
import type { ArticleSummary, ContactSummary } from '../../bridge/lookup.ts';
import type { CardData } from '../../bridge/model.ts';
import { cut, escapeMrkdwn, link, slackDate } from '../mrkdwn.ts';
import { buildCard } from './card.ts';
import { actions, button, context, section } from './kit.ts';

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

/** Up to 10 contacts, each with what a support person does next, and "More results" when there are more. */
export function contactResults(
  query: string,
  page: { contacts: readonly ContactSummary[]; total: number; next?: string | undefined },
): { text: string; blocks: KnownBlock[] } {
  if (page.contacts.length === 0) return notice(`No Intercom contact matches “${escapeMrkdwn(query)}”.`);
  const blocks: KnownBlock[] = [
    context(`${page.total} contact${page.total === 1 ? '' : 's'} for “${escapeMrkdwn(query)}”`),
  ];
  for (const contact of page.contacts.slice(0, 10)) {
    blocks.push(section(contactText(contact)));
    const value = contact.id;
    const elements = [
      button(`${RESULT_ACTIONS.contactNote}:${contact.id}`, 'Add note', { value }),
      button(`${RESULT_ACTIONS.contactTag}:${contact.id}`, 'Tag', { value }),
      button(`${RESULT_ACTIONS.contactTicket}:${contact.id}`, 'Create ticket', { value }),
      ...openInIntercom(contact.id, contact.url),
    ];
    blocks.push(actions(elements, `contact:${contact.id}`));
  }
  // the query and the cursor travel in the button; a button value holds up to 2,000 characters
  const more = page.next ? JSON.stringify({ q: cut(query, 200), after: page.next }) : '';
  if (more && more.length <= 2000) {
    blocks.push(actions([button(RESULT_ACTIONS.moreContacts, 'More results', { value: more })]));
  }
  return { text: `Contacts for “${escapeMrkdwn(query)}”`, blocks };
}

/** A contact as a result shows it: the name in bold, then what tells it apart (email, company, lead, last seen). */
export function contactText(contact: ContactSummary): string {
  const name = contact.name ? `*${escapeMrkdwn(contact.name)}*` : '*Unnamed contact*';
  const details = [
    contact.email ? escapeMrkdwn(contact.email) : null,
    contact.company ? escapeMrkdwn(contact.company) : null,
    contact.role === 'lead' ? 'lead' : null,
    contact.lastSeenAt ? `last seen ${slackDate(contact.lastSeenAt, '{date_short_pretty}')}` : 'never seen',
  ].filter(Boolean);
  return `${name}\n${details.join(' · ')}`;
}

/** "Open in Intercom" for a contact or a conversation that has a link there; nothing for one without. */
function openInIntercom(id: string, url: string | null | undefined): Button[] {
  return url ? [button(`${RESULT_ACTIONS.openLink}:${id}`, 'Open in Intercom', { url })] : [];
}

/** Articles with a snippet and a link; "Share in channel" posts the link where the command was run. */
export function articleResults(
  query: string,
  result: { articles: readonly ArticleSummary[]; total: number },
): { text: string; blocks: KnownBlock[] } {
  if (result.articles.length === 0) return notice(`No published article matches “${escapeMrkdwn(query)}”.`);
  const blocks: KnownBlock[] = [
    context(`${result.total} article${result.total === 1 ? '' : 's'} for “${escapeMrkdwn(query)}”`),
  ];
  for (const article of result.articles) {
    const title = `*${link(article.url, article.title)}*`;
    const snippet = article.snippet ? `\n${escapeMrkdwn(article.snippet)}` : '';
    const share = article.url ? JSON.stringify({ title: cut(article.title, 300), url: article.url }) : '';
    // a URL too long for a button's value (2,000) keeps its link, without the button
    const accessory =
      share && share.length <= 2000
        ? button(`${RESULT_ACTIONS.shareArticle}:${article.id}`, 'Share in channel', { value: share })
        : undefined;
    blocks.push(section(`${title}${snippet}`, { accessory }));
  }
  return { text: `Articles for “${escapeMrkdwn(query)}”`, blocks };
}

/** The message "Share in channel" posts: the article's title as a link. */
export function sharedArticle(
  article: { title: string; url: string },
  sharedBy: string,
): { text: string; blocks: KnownBlock[] } {
  return notice(`📘 ${link(article.url, article.title)} — shared by <@${sharedBy}>`);
}

/** A conversation's card shown only to the asker: no triage buttons, and "Post to channel" instead. */
export function cardPreview(card: CardData): { text: string; blocks: KnownBlock[] } {
  const { text, blocks } = buildCard(card, { actions: false });
  const post = button(RESULT_ACTIONS.postConversation, 'Post to channel', {
    style: 'primary',
    value: card.conversationId,
  });
  blocks.push(actions([post, ...openInIntercom(card.conversationId, card.intercomUrl)]));
  return { text, blocks };
}

/** A plain message (help, an error, a confirmation) as blocks too, so it replaces a results message cleanly. */
export function notice(text: string): { text: string; blocks: KnownBlock[] } {
  return { text, blocks: [section(text)] };
}
