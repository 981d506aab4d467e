import type { IntercomClient } from '../intercom/client.ts';
import type { Contact } from '../intercom/schemas.ts';
import type { SearchQuery } from '../intercom/search.ts';
import type { Directory } from './directory.ts';

/** A contact as search results show it. */
export interface ContactSummary {
  id: string;
  name: string | null;
  email: string | null;
  company: string | null;
  /** UNIX seconds; null when never seen. */
  lastSeenAt: number | null;
  role: string | null;
  /** The contact's page in Intercom (null when the workspace is unknown). */
  url: string | null;
}

export interface ArticleSummary {
  id: string;
  title: string;
  snippet: string;
  url: string | null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The search an `/intercom contacts` query means: an email exactly, anything else by name or email fragment. */
export function contactQuery(text: string): SearchQuery {
  const query = text.trim();
  if (EMAIL.test(query)) return { field: 'email', operator: '=', value: query.toLowerCase() };
  return {
    operator: 'OR',
    value: [
      { field: 'name', operator: '~', value: query },
      { field: 'email', operator: '~', value: query },
    ],
  };
}

/** Read-only lookups behind `/intercom` and the modals' contact picker. */
export class Lookup {
  readonly #intercom: IntercomClient;
  readonly #directory: Directory;

  constructor(intercom: IntercomClient, directory: Directory) {
    this.#intercom = intercom;
    this.#directory = directory;
  }

  /** One page of contacts (`perPage` at most 150); `next` is the cursor of the following page. */
  async contacts(text: string, page: { perPage?: number; startingAfter?: string | undefined } = {}) {
    const result = await this.#intercom.contacts.search(contactQuery(text), {
      perPage: page.perPage ?? 10,
      startingAfter: page.startingAfter,
    });
    const next = result.pages?.next;
    const cursor = typeof next === 'object' && next?.starting_after ? next.starting_after : undefined;
    const workspaceId = await this.#directory.workspaceId().catch(() => '');
    const contacts = await Promise.all(result.data.map((c) => this.#summary(c, workspaceId)));
    return { contacts, total: result.total_count ?? contacts.length, next: cursor };
  }

  /** Contacts matching what was typed in a contact picker, as Intercom returns them (no extra lookups). */
  async contactMatches(text: string, limit = 20): Promise<Contact[]> {
    if (text.trim().length < 2) return [];
    return (await this.#intercom.contacts.search(contactQuery(text), { perPage: limit })).data;
  }

  /** The contact with this email (the first, if Intercom holds several), or undefined. */
  async contactByEmail(email: string): Promise<Contact | undefined> {
    const result = await this.#intercom.contacts.search(contactQuery(email), { perPage: 1 });
    return result.data[0];
  }

  /** Published articles matching the words, with Intercom's highlighted snippet when it sends one. */
  async articles(words: string, limit = 5): Promise<{ articles: ArticleSummary[]; total: number }> {
    const result = await this.#intercom.articles.search({ phrase: words, state: 'published', highlight: true });
    const highlights = new Map((result.data.highlights ?? []).map((h) => [h.article_id, h]));
    const articles = result.data.articles.slice(0, limit).map((a) => {
      const summary = highlights.get(a.id)?.highlighted_summary?.map((runs) => runs.map((r) => r.text).join(''));
      return {
        id: a.id,
        title: a.title || `Article ${a.id}`,
        snippet: summary?.join(' … ') || a.description || '',
        url: a.url ?? null,
      };
    });
    return { articles, total: result.total_count ?? articles.length };
  }

  async #summary(contact: Contact, workspaceId: string): Promise<ContactSummary> {
    const company = await this.#directory.companyName(contact.companies?.data[0]?.id).catch(() => null);
    return {
      id: contact.id,
      name: contact.name ?? null,
      email: contact.email ?? null,
      company,
      lastSeenAt: contact.last_seen_at ?? null,
      role: contact.role ?? null,
      url: workspaceId ? intercomContactUrl(workspaceId, contact.id) : null,
    };
  }
}

export function intercomContactUrl(workspaceId: string, contactId: string): string {
  return `https://app.intercom.com/a/apps/${encodeURIComponent(workspaceId)}/users/${encodeURIComponent(contactId)}/all-conversations`;
}
