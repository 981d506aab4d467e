import { type CallOptions, path } from '../http.ts';
import { Company, Empty, Message, Tag, TagList } from '../schemas.ts';
import { Resource } from './resource.ts';

export class TagsApi extends Resource {
  async list(options?: CallOptions) {
    const result = await this.http.call({ method: 'GET', path: '/tags', schema: TagList }, options);
    return result.data;
  }

  /** Creates the tag, or answers the existing one: names are case-insensitive, so repeating is harmless. */
  create(name: string, options?: CallOptions) {
    return this.http.call({ method: 'POST', path: '/tags', body: { name }, idempotent: true, schema: Tag }, options);
  }
}

export interface MessageInput {
  messageType: 'in_app' | 'email';
  /** Email messages need a subject and a template (`plain` or `personal`). */
  subject?: string;
  template?: 'plain' | 'personal';
  body: string;
  fromAdminId: string;
  to: { type: 'user' | 'lead'; id: string };
  createConversationWithoutContactReply?: boolean;
}

export class MessagesApi extends Resource {
  /** An outbound message from an admin to one contact. */
  create(input: MessageInput, options?: CallOptions) {
    return this.http.call(
      {
        method: 'POST',
        path: '/messages',
        body: {
          message_type: input.messageType,
          subject: input.subject,
          template: input.template,
          body: input.body,
          from: { type: 'admin', id: Number(input.fromAdminId) },
          to: input.to,
          create_conversation_without_contact_reply: input.createConversationWithoutContactReply,
        },
        schema: Message,
      },
      options,
    );
  }
}

/** Fields of a company as Intercom names them; `company_id` (yours) finds the company to update. */
export interface CompanyInput {
  company_id?: string;
  name?: string;
  plan?: string;
  size?: number;
  website?: string;
  industry?: string;
  custom_attributes?: Record<string, string>;
  remote_created_at?: number;
  monthly_spend?: number;
}

export class CompaniesApi extends Resource {
  /** By Intercom's id of the company (not your `company_id`). */
  get(id: string, options?: CallOptions) {
    return this.http.call({ method: 'GET', path: path`/companies/${id}`, schema: Company }, options);
  }

  /** Creates the company, or updates the one with the same `company_id`. */
  createOrUpdate(input: CompanyInput, options?: CallOptions) {
    return this.http.call({ method: 'POST', path: '/companies', body: input, schema: Company }, options);
  }
}

export interface EventInput {
  eventName: string;
  /** UNIX seconds. */
  createdAt: number;
  /** Who did it: Intercom's contact id, your user_id, or an email. */
  contact: { id: string } | { user_id: string } | { email: string };
  metadata?: Record<string, string>;
}

export class EventsApi extends Resource {
  /** Records an event on a contact's timeline; Intercom answers 202 with no body. */
  async track(input: EventInput, options?: CallOptions): Promise<void> {
    await this.http.call(
      {
        method: 'POST',
        path: '/events',
        body: { event_name: input.eventName, created_at: input.createdAt, ...input.contact, metadata: input.metadata },
        schema: Empty,
      },
      options,
    );
  }
}
