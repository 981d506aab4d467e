import { type CallOptions, path } from '../http.ts';
import { cursorPaginate } from '../pagination.ts';
import { Ticket, TicketList, TicketPart, TicketType, TicketTypeList } from '../schemas.ts';
import { type SearchPagination, type SearchQuery, searchBody } from '../search.ts';
import { Resource } from './resource.ts';

/** Who the ticket is for: Intercom takes exactly one contact; an unknown email creates a lead. */
export type TicketContact = { id: string } | { external_id: string } | { email: string };

export interface TicketInput {
  ticketTypeId: string;
  contact: TicketContact;
  /** By attribute name: `_default_title_`, `_default_description_` and the type's own; list attributes take the option id. */
  attributes?: Record<string, string | number | boolean | null>;
  conversationToLinkId?: string;
  companyId?: string;
  assignment?: { adminAssigneeId?: string; teamAssigneeId?: string };
}

export class TicketTypesApi extends Resource {
  async list(options?: CallOptions) {
    const result = await this.http.call({ method: 'GET', path: '/ticket_types', schema: TicketTypeList }, options);
    return result.data;
  }

  get(id: string, options?: CallOptions) {
    return this.http.call({ method: 'GET', path: path`/ticket_types/${id}`, schema: TicketType }, options);
  }
}

export class TicketsApi extends Resource {
  create(input: TicketInput, options?: CallOptions) {
    const assignment = input.assignment && {
      admin_assignee_id: input.assignment.adminAssigneeId,
      team_assignee_id: input.assignment.teamAssigneeId,
    };
    return this.http.call(
      {
        method: 'POST',
        path: '/tickets',
        body: {
          ticket_type_id: input.ticketTypeId,
          contacts: [input.contact],
          ticket_attributes: input.attributes,
          conversation_to_link_id: input.conversationToLinkId,
          company_id: input.companyId,
          assignment,
        },
        schema: Ticket,
      },
      options,
    );
  }

  /** By the API id (`ticket.id`), not the Inbox number (`ticket_id`). */
  get(id: string, options?: CallOptions) {
    return this.http.call({ method: 'GET', path: path`/tickets/${id}`, schema: Ticket }, options);
  }

  /** Moves the ticket to a state of its type; `adminId` is who does it. */
  updateState(id: string, input: { stateId: string; adminId?: string }, options?: CallOptions) {
    return this.http.call(
      {
        method: 'PUT',
        path: path`/tickets/${id}`,
        // the one place Intercom wants admin_id as an integer
        body: {
          ticket_state_id: input.stateId,
          admin_id: input.adminId === undefined ? undefined : Number(input.adminId),
        },
        schema: Ticket,
      },
      options,
    );
  }

  /** A reply (seen by the customer) or a note on the ticket; answers the new part, not the ticket. */
  reply(id: string, input: { adminId: string; body: string; messageType?: 'comment' | 'note' }, options?: CallOptions) {
    return this.http.call(
      {
        method: 'POST',
        path: path`/tickets/${id}/reply`,
        body: {
          message_type: input.messageType ?? 'comment',
          type: 'admin',
          admin_id: input.adminId,
          body: input.body,
        },
        schema: TicketPart,
      },
      options,
    );
  }

  search(query: SearchQuery, page?: SearchPagination, options?: CallOptions) {
    return this.http.call(
      { method: 'POST', path: '/tickets/search', body: searchBody(query, page), idempotent: true, schema: TicketList },
      options,
    );
  }

  searchAll(query: SearchQuery, perPage?: number, options?: CallOptions) {
    return cursorPaginate(
      (startingAfter) => this.search(query, { perPage, startingAfter }, options),
      (page) => page.tickets,
    );
  }
}
