import { type CallOptions, path } from '../http.ts';
import { cursorPaginate, pagePaginate } from '../pagination.ts';
import { Company, Contact, ContactDeleted, ContactList, Note, NoteList, Tag } from '../schemas.ts';
import { type SearchPagination, type SearchQuery, searchBody } from '../search.ts';
import { Resource } from './resource.ts';

/** Fields of a contact as Intercom names them; create needs at least one of email, external_id or role. */
export interface ContactInput {
  role?: 'user' | 'lead';
  external_id?: string;
  email?: string;
  phone?: string | null;
  name?: string | null;
  avatar?: string | null;
  signed_up_at?: number | null;
  last_seen_at?: number | null;
  owner_id?: number | null;
  unsubscribed_from_emails?: boolean | null;
  custom_attributes?: Record<string, unknown> | null;
}

export class ContactsApi extends Resource {
  create(input: ContactInput, options?: CallOptions) {
    return this.http.call({ method: 'POST', path: '/contacts', body: input, schema: Contact }, options);
  }

  get(id: string, options?: CallOptions) {
    return this.http.call({ method: 'GET', path: path`/contacts/${id}`, schema: Contact }, options);
  }

  update(id: string, input: ContactInput, options?: CallOptions) {
    return this.http.call({ method: 'PUT', path: path`/contacts/${id}`, body: input, schema: Contact }, options);
  }

  delete(id: string, options?: CallOptions) {
    return this.http.call({ method: 'DELETE', path: path`/contacts/${id}`, schema: ContactDeleted }, options);
  }

  /** Newly created contacts can take a few minutes to become searchable; merged contacts never are. */
  search(query: SearchQuery, page?: SearchPagination, options?: CallOptions) {
    return this.http.call(
      {
        method: 'POST',
        path: '/contacts/search',
        body: searchBody(query, page),
        idempotent: true,
        schema: ContactList,
      },
      options,
    );
  }

  searchAll(query: SearchQuery, perPage?: number, options?: CallOptions) {
    return cursorPaginate(
      (startingAfter) => this.search(query, { perPage, startingAfter }, options),
      (page) => page.data,
    );
  }

  /** A note on the contact (not on a conversation); `adminId` becomes its author. */
  createNote(contactId: string, input: { body: string; adminId?: string }, options?: CallOptions) {
    return this.http.call(
      {
        method: 'POST',
        path: path`/contacts/${contactId}/notes`,
        body: { body: input.body, admin_id: input.adminId },
        schema: Note,
      },
      options,
    );
  }

  listNotes(contactId: string, page: { page?: number; perPage?: number } = {}, options?: CallOptions) {
    return this.http.call(
      {
        method: 'GET',
        path: path`/contacts/${contactId}/notes`,
        query: { page: page.page, per_page: page.perPage },
        schema: NoteList,
      },
      options,
    );
  }

  listAllNotes(contactId: string, perPage?: number, options?: CallOptions) {
    return pagePaginate(
      (page) => this.listNotes(contactId, { page, perPage }, options),
      (result) => result.data,
    );
  }

  tag(contactId: string, tagId: string, options?: CallOptions) {
    return this.http.call(
      { method: 'POST', path: path`/contacts/${contactId}/tags`, body: { id: tagId }, schema: Tag },
      options,
    );
  }

  untag(contactId: string, tagId: string, options?: CallOptions) {
    return this.http.call({ method: 'DELETE', path: path`/contacts/${contactId}/tags/${tagId}`, schema: Tag }, options);
  }

  /** `companyId` is Intercom's id of the company, not your `company_id`. */
  attachCompany(contactId: string, companyId: string, options?: CallOptions) {
    return this.http.call(
      { method: 'POST', path: path`/contacts/${contactId}/companies`, body: { id: companyId }, schema: Company },
      options,
    );
  }
}
