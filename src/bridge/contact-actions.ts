import type { IntercomClient } from '../intercom/client.ts';
import type { TicketContact } from '../intercom/resources/tickets.ts';
import type { Logger } from '../logger.ts';
import { intercomConversationUrl } from './conversation-view.ts';
import type { Directory } from './directory.ts';
import type { Identity, Teammate } from './identity.ts';
import type { Lookup } from './lookup.ts';
import { explainIntercomError } from './messages.ts';

/** The contact a modal names: picked in the search select (an id), or typed after the command (an email). */
export type ContactRef = { id: string } | { email: string };

/** A sentence for the person who asked: what was done, or why nothing was. */
export type ActionResult = { ok: true; message: string } | { ok: false; message: string };

export interface TicketRequest {
  ticketTypeId: string;
  contact: ContactRef;
  /** By attribute name, as Intercom expects them. */
  attributes: Record<string, string | number | boolean>;
  /** The conversation the ticket is about, linked in Intercom. */
  conversationId?: string | undefined;
}

export interface ContactActionsDeps {
  intercom: IntercomClient;
  identity: Identity;
  directory: Directory;
  lookup: Lookup;
  logger: Logger;
}

/**
 * What the `/intercom` modals create: a note on a contact, tags on a contact, a ticket. Each is done as the
 * Slack user's Intercom teammate, and refused with the reason for someone who has none.
 */
export class ContactActions {
  readonly #d: ContactActionsDeps;

  constructor(deps: ContactActionsDeps) {
    this.#d = deps;
  }

  note(slackUserId: string, contact: ContactRef, bodyHtml: string): Promise<ActionResult> {
    return this.#as(slackUserId, 'note', async (teammate) => {
      const id = await this.#contactId(contact);
      if (!id) return notFound(contact);
      await this.#d.intercom.contacts.createNote(id.id, { body: bodyHtml, adminId: teammate.adminId });
      return { ok: true, message: `Note added to ${id.label}.` };
    });
  }

  tag(slackUserId: string, contact: ContactRef, tagIds: readonly string[], newTagName?: string): Promise<ActionResult> {
    return this.#as(slackUserId, 'tag', async () => {
      const id = await this.#contactId(contact);
      if (!id) return notFound(contact);
      const { tags } = this.#d.intercom;
      const ids = new Set(tagIds);
      const named = new Map((await this.#d.directory.tags()).map((t) => [t.id, t.name ?? t.id]));
      const name = newTagName?.trim();
      if (name) {
        const created = await tags.create(name);
        ids.add(created.id);
        named.set(created.id, created.name ?? name);
      }
      for (const tagId of ids) await this.#d.intercom.contacts.tag(id.id, tagId);
      const names = [...ids].map((tagId) => named.get(tagId) ?? tagId);
      return { ok: true, message: `Tagged ${id.label}: ${names.join(', ')}.` };
    });
  }

  ticket(slackUserId: string, request: TicketRequest): Promise<ActionResult> {
    return this.#as(slackUserId, 'ticket', async () => {
      // an email Intercom does not know is passed on: Intercom then creates the contact as a lead
      const known = 'id' in request.contact ? request.contact : await this.#contactId(request.contact);
      const contact: TicketContact = known ? { id: known.id } : request.contact;
      const ticket = await this.#d.intercom.tickets.create({
        ticketTypeId: request.ticketTypeId,
        contact,
        attributes: request.attributes,
        conversationToLinkId: request.conversationId,
      });
      const workspaceId = await this.#d.directory.workspaceId().catch(() => '');
      const number = ticket.ticket_id ?? ticket.id;
      const title = typeof request.attributes._default_title_ === 'string' ? request.attributes._default_title_ : '';
      const link = workspaceId ? ` ${intercomConversationUrl(workspaceId, ticket.id)}` : '';
      return {
        ok: true,
        message: `Ticket #${number}${ticket.ticket_type?.name ? ` (${ticket.ticket_type.name})` : ''} created${title ? `: ${title}` : ''}.${link}`,
      };
    });
  }

  async #as(
    slackUserId: string,
    action: 'note' | 'tag' | 'ticket',
    work: (teammate: Teammate) => Promise<ActionResult>,
  ): Promise<ActionResult> {
    const { logger } = this.#d;
    const who = await this.#d.identity.actor(slackUserId, action, logger);
    if ('refusal' in who) return { ok: false, message: who.refusal };
    try {
      const result = await work(who.teammate);
      if (result.ok) logger.info({ action, adminId: who.teammate.adminId }, 'contact action done');
      return result;
    } catch (error) {
      logger.warn({ err: error, action, adminId: who.teammate.adminId }, 'contact action failed');
      return { ok: false, message: explainIntercomError(error, action, 'contact') };
    }
  }

  async #contactId(contact: ContactRef): Promise<{ id: string; label: string } | undefined> {
    if ('id' in contact) {
      const found = await this.#d.intercom.contacts.get(contact.id);
      return { id: found.id, label: found.name ?? found.email ?? `contact ${found.id}` };
    }
    const found = await this.#d.lookup.contactByEmail(contact.email);
    return found && { id: found.id, label: found.name ? `${found.name} (${contact.email})` : contact.email };
  }
}

function notFound(contact: ContactRef): ActionResult {
  const who = 'email' in contact ? `the email ${contact.email}` : `the id ${contact.id}`;
  return { ok: false, message: `No Intercom contact has ${who}. Nothing was changed.` };
}
