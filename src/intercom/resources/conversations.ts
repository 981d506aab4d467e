import { type CallOptions, path } from '../http.ts';
import { cursorPaginate } from '../pagination.ts';
import { Conversation, ConversationList, Tag } from '../schemas.ts';
import { type SearchPagination, type SearchQuery, searchBody } from '../search.ts';
import { Resource } from './resource.ts';

export type Assignee = { type: 'admin'; id: string } | { type: 'team'; id: string };

/** A file sent with a reply or note (Intercom's `attachment_files`: at most 10, the bytes base64-encoded). */
export interface AttachmentFile {
  contentType: string;
  /** The file's bytes, base64. */
  data: string;
  name: string;
}

/** What a reply or note carries besides its body. */
export interface MessageInput {
  adminId: string;
  body: string;
  attachmentUrls?: string[] | undefined;
  attachmentFiles?: readonly AttachmentFile[] | undefined;
}

export class ConversationsApi extends Resource {
  /** One page of conversations, newest first (cursor in the query; at most 150 per page). */
  list(page: SearchPagination = {}, options?: CallOptions) {
    return this.http.call(
      {
        method: 'GET',
        path: '/conversations',
        query: { per_page: page.perPage, starting_after: page.startingAfter },
        schema: ConversationList,
      },
      options,
    );
  }

  listAll(perPage?: number, options?: CallOptions) {
    return cursorPaginate(
      (startingAfter) => this.list({ perPage, startingAfter }, options),
      (page) => page.conversations,
    );
  }

  /** The conversation with its most recent parts (Intercom returns at most 500). */
  get(id: string, query: { plaintext?: boolean } = {}, options?: CallOptions) {
    return this.http.call(
      {
        method: 'GET',
        path: path`/conversations/${id}`,
        query: { display_as: query.plaintext ? 'plaintext' : undefined },
        schema: Conversation,
      },
      options,
    );
  }

  search(query: SearchQuery, page?: SearchPagination, options?: CallOptions) {
    return this.http.call(
      {
        method: 'POST',
        path: '/conversations/search',
        body: searchBody(query, page),
        idempotent: true,
        schema: ConversationList,
      },
      options,
    );
  }

  searchAll(query: SearchQuery, perPage?: number, options?: CallOptions) {
    return cursorPaginate(
      (startingAfter) => this.search(query, { perPage, startingAfter }, options),
      (page) => page.conversations,
    );
  }

  /** A reply the customer sees, sent as the admin. */
  reply(id: string, input: MessageInput, options?: CallOptions) {
    return this.#reply(id, 'comment', input, options);
  }

  /** An internal note, visible to teammates only. */
  note(id: string, input: MessageInput, options?: CallOptions) {
    return this.#reply(id, 'note', input, options);
  }

  #reply(id: string, messageType: 'comment' | 'note', input: MessageInput, options: CallOptions | undefined) {
    return this.http.call(
      {
        method: 'POST',
        path: path`/conversations/${id}/reply`,
        body: {
          message_type: messageType,
          type: 'admin',
          admin_id: input.adminId,
          body: input.body,
          attachment_urls: input.attachmentUrls,
          attachment_files: input.attachmentFiles?.length
            ? input.attachmentFiles.map((f) => ({ content_type: f.contentType, data: f.data, name: f.name }))
            : undefined,
        },
        schema: Conversation,
      },
      options,
    );
  }

  /** Assigns to an admin or a team; `adminId` is who does it. */
  assign(id: string, input: { adminId: string; assignee: Assignee; body?: string }, options?: CallOptions) {
    return this.#manage(
      id,
      {
        message_type: 'assignment',
        type: input.assignee.type,
        admin_id: input.adminId,
        assignee_id: input.assignee.id,
        body: input.body,
      },
      options,
    );
  }

  /** Removes the assignee (Intercom's `assignee_id: "0"`). */
  unassign(id: string, input: { adminId: string }, options?: CallOptions) {
    return this.assign(id, { adminId: input.adminId, assignee: { type: 'admin', id: '0' } }, options);
  }

  close(id: string, input: { adminId: string; body?: string }, options?: CallOptions) {
    return this.#manage(
      id,
      { message_type: 'close', type: 'admin', admin_id: input.adminId, body: input.body },
      options,
    );
  }

  /** Reopens a closed or snoozed conversation. */
  open(id: string, input: { adminId: string }, options?: CallOptions) {
    return this.#manage(id, { message_type: 'open', admin_id: input.adminId }, options);
  }

  /** Snoozes until `until` (UNIX seconds). */
  snooze(id: string, input: { adminId: string; until: number }, options?: CallOptions) {
    return this.#manage(
      id,
      { message_type: 'snoozed', admin_id: input.adminId, snoozed_until: Math.floor(input.until) },
      options,
    );
  }

  #manage(id: string, body: Record<string, unknown>, options: CallOptions | undefined) {
    return this.http.call(
      { method: 'POST', path: path`/conversations/${id}/parts`, body, schema: Conversation },
      options,
    );
  }

  tag(id: string, input: { adminId: string; tagId: string }, options?: CallOptions) {
    return this.http.call(
      {
        method: 'POST',
        path: path`/conversations/${id}/tags`,
        body: { id: input.tagId, admin_id: input.adminId },
        schema: Tag,
      },
      options,
    );
  }

  untag(id: string, input: { adminId: string; tagId: string }, options?: CallOptions) {
    return this.http.call(
      {
        method: 'DELETE',
        path: path`/conversations/${id}/tags/${input.tagId}`,
        body: { admin_id: input.adminId },
        schema: Tag,
      },
      options,
    );
  }
}
