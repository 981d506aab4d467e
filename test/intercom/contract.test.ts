import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntercomClient } from '../../src/intercom/client.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';
import { OpenApiContract } from '../support/openapi-contract.ts';
import { SHARED_DIR, sharedAvailable } from '../support/shared.ts';

// Every operation of the client, sent to the fake, must produce a request that Intercom's published 2.14
// OpenAPI document accepts: method and path, path and query parameters, the version header and the JSON body.

const run = sharedAvailable('the OpenAPI contract tests');

describe.runIf(run)('requests match the Intercom 2.14 OpenAPI document', () => {
  let contract: OpenApiContract;
  let fake: FakeIntercom;
  let client: IntercomClient;

  beforeAll(async () => {
    contract = new OpenApiContract(join(SHARED_DIR, 'intercom-openapi', '2.14', 'api.intercom.io.yaml'));
    fake = await FakeIntercom.start();
    client = new IntercomClient({ token: fake.token, baseUrl: fake.url });
  });

  afterAll(async () => {
    await client?.close();
    await fake?.close();
  });

  /** Runs every client operation once (each against state the fake has), in the order a team might. */
  async function exerciseEveryOperation() {
    const admin = fake.addAdmin({ name: 'Alice', email: 'alice@example.com' });
    const adminId = String(admin.id);
    const team = fake.addTeam({ name: 'Billing' });
    const contact = fake.addContact({ email: 'dana@example.com', name: 'Dana' });
    const contactId = String(contact.id);
    const conversation = fake.addConversation({ contactId });
    const conversationId = String(conversation.id);
    const tag = fake.addTag('vip');
    const tagId = String(tag.id);
    fake.addArticle({ title: 'Refunds', body: 'How refunds work' });
    const ticketType = fake.addTicketType({ name: 'Bug' });
    const c = client;

    await c.admins.list();
    await c.admins.me();
    await c.teams.list();

    const created = await c.contacts.create({ email: 'new@example.com', name: 'New Person', role: 'lead' });
    await c.contacts.get(contactId);
    await c.contacts.update(created.id, { name: 'Renamed', custom_attributes: { plan: 'pro' } });
    await c.contacts.search({ field: 'email', operator: '=', value: 'dana@example.com' }, { perPage: 10 });
    await c.contacts.search({
      operator: 'OR',
      value: [
        { field: 'email', operator: '~', value: 'dana' },
        { field: 'name', operator: '~', value: 'dana' },
      ],
    });
    await c.contacts.createNote(contactId, { body: 'Called about billing', adminId });
    await c.contacts.listNotes(contactId, { page: 1, perPage: 5 });
    await c.contacts.tag(contactId, tagId);
    await c.contacts.untag(contactId, tagId);
    const company = await c.companies.createOrUpdate({ company_id: 'acme-1', name: 'Acme', plan: 'pro', size: 12 });
    await c.contacts.attachCompany(contactId, company.id);
    await c.companies.get(company.id);
    await c.contacts.delete(created.id);

    await c.conversations.list({ perPage: 5 });
    await c.conversations.get(conversationId);
    await c.conversations.get(conversationId, { plaintext: true });
    await c.conversations.search(
      {
        operator: 'AND',
        value: [
          { field: 'updated_at', operator: '>', value: 1_700_000_000 },
          { field: 'state', operator: '=', value: 'open' },
        ],
      },
      { perPage: 20, startingAfter: 'WzE3MDAwMDAwMDBd' },
    );
    await c.conversations.reply(conversationId, {
      adminId,
      body: 'On it',
      attachmentUrls: ['https://example.com/a.png'],
    });
    await c.conversations.note(conversationId, {
      adminId,
      body: 'Internal',
      attachmentFiles: [{ contentType: 'text/plain', data: Buffer.from('log line').toString('base64'), name: 'a.log' }],
    });
    await c.conversations.assign(conversationId, { adminId, assignee: { type: 'admin', id: adminId } });
    await c.conversations.assign(conversationId, { adminId, assignee: { type: 'team', id: String(team.id) } });
    await c.conversations.unassign(conversationId, { adminId });
    await c.conversations.snooze(conversationId, { adminId, until: 1_900_000_000 });
    await c.conversations.open(conversationId, { adminId });
    await c.conversations.close(conversationId, { adminId, body: 'Closing' });
    await c.conversations.tag(conversationId, { adminId, tagId });
    await c.conversations.untag(conversationId, { adminId, tagId });

    await c.messages.create({
      messageType: 'in_app',
      body: 'Hello from support',
      fromAdminId: adminId,
      to: { type: 'user', id: contactId },
    });
    await c.messages.create({
      messageType: 'email',
      subject: 'Your refund',
      template: 'plain',
      body: 'Refunded',
      fromAdminId: adminId,
      to: { type: 'user', id: contactId },
    });

    const articles = await c.articles.list({ page: 1, perPage: 10 });
    await c.articles.get(String(articles.data[0]?.id));
    await c.articles.search({ phrase: 'refund', highlight: true });
    await c.helpCenters.list();

    await c.tags.list();
    await c.tags.create('priority-customer');
    await c.events.track({
      eventName: 'slack-escalation',
      createdAt: 1_700_000_000,
      contact: { id: contactId },
      metadata: { channel: 'support' },
    });

    await c.ticketTypes.list();
    await c.ticketTypes.get(String(ticketType.id));
    const ticket = await c.tickets.create({
      ticketTypeId: String(ticketType.id),
      contact: { id: contactId },
      attributes: { _default_title_: 'Broken export', _default_description_: 'CSV is empty' },
      conversationToLinkId: conversationId,
    });
    await c.tickets.get(ticket.id);
    const states = (ticketType.ticket_states as { data: Array<{ id: string }> }).data;
    await c.tickets.updateState(ticket.id, { stateId: String(states[1]?.id), adminId });
    await c.tickets.reply(ticket.id, { adminId, body: 'Looking into it', messageType: 'note' });
    await c.tickets.search({ field: 'ticket_type_id', operator: '=', value: String(ticketType.id) }, { perPage: 5 });
  }

  it('every request the client sends is one the document accepts', async () => {
    await exerciseEveryOperation();
    expect(fake.requests.every((r) => r.status !== undefined && r.status < 300)).toBe(true);
    const failures = fake.requests
      .map((r) => ({ request: `${r.method} ${r.path}`, ...contract.validate(r) }))
      .filter((r) => r.errors.length > 0);
    expect(failures).toEqual([]);

    const covered = new Set(fake.requests.map((r) => contract.validate(r).operationId));
    expect([...covered].sort()).toEqual(
      [
        'listAdmins',
        'identifyAdmin',
        'listTeams',
        'CreateContact',
        'ShowContact',
        'UpdateContact',
        'DeleteContact',
        'SearchContacts',
        'createNote',
        'listNotes',
        'attachTagToContact',
        'detachTagFromContact',
        'attachContactToACompany',
        'createOrUpdateCompany',
        'RetrieveACompanyById',
        'listConversations',
        'retrieveConversation',
        'searchConversations',
        'replyConversation',
        'manageConversation',
        'attachTagToConversation',
        'detachTagFromConversation',
        'createMessage',
        'listArticles',
        'retrieveArticle',
        'searchArticles',
        'listHelpCenters',
        'listTags',
        'createTag',
        'createDataEvent',
        'listTicketTypes',
        'getTicketType',
        'createTicket',
        'getTicket',
        'updateTicket',
        'replyTicket',
        'searchTickets',
      ].sort(),
    );
  });

  describe('the validator rejects what Intercom would not accept', () => {
    const headers = { 'intercom-version': '2.14' };
    const reject = (req: { method: string; path: string; query?: Record<string, string>; body?: unknown }) =>
      contract.validate({ query: {}, headers, body: undefined, ...req }).errors;

    it('a reply without admin_id', () => {
      expect(
        reject({
          method: 'POST',
          path: '/conversations/1/reply',
          body: { message_type: 'comment', type: 'admin', body: 'x' },
        }),
      ).not.toEqual([]);
    });

    it('more than 10 attachment_files, or a file with a field the document does not list (the fake refuses both)', async () => {
      const file = { content_type: 'text/plain', data: 'aGk=', name: 'a.txt' };
      const eleven = {
        message_type: 'note',
        type: 'admin',
        admin_id: '1',
        body: 'x',
        attachment_files: Array(11).fill(file),
      };
      expect(reject({ method: 'POST', path: '/conversations/1/reply', body: eleven }).join('\n')).toMatch(/10/);
      const misspelt = { ...eleven, attachment_files: [{ contentType: 'text/plain', data: 'aGk=', name: 'a.txt' }] };
      expect(reject({ method: 'POST', path: '/conversations/1/reply', body: misspelt }).join('\n')).toContain(
        'contentType',
      );
      expect(
        reject({ method: 'POST', path: '/conversations/1/reply', body: { ...eleven, attachment_files: [file] } }),
      ).toEqual([]);

      const admin = fake.addAdmin({ name: 'Ann', email: 'ann@example.com' });
      const conversation = fake.addConversation({});
      const post = (body: unknown) =>
        fetch(`${fake.url}/conversations/${conversation.id}/reply`, {
          method: 'POST',
          headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const asAnn = { ...eleven, admin_id: String(admin.id) };
      expect((await post(asAnn)).status).toBe(400);
      expect((await post({ ...asAnn, attachment_files: [{ ...file, data: 'not base64!' }] })).status).toBe(400);
      expect(
        (await post({ ...asAnn, attachment_files: [{ contentType: 'text/plain', data: 'aGk=', name: 'a' }] })).status,
      ).toBe(400);
      expect((await post({ ...asAnn, attachment_files: Array(10).fill(file) })).status).toBe(200);
    });

    it('a misspelt body field', () => {
      const errors = reject({
        method: 'POST',
        path: '/conversations/1/parts',
        body: { message_type: 'snoozed', admin_id: '1', snoozed_untill: 1 },
      });
      expect(errors).not.toEqual([]);
    });

    it('a misspelt field of a ticket (a body built with allOf)', () => {
      const errors = reject({
        method: 'POST',
        path: '/tickets',
        body: { ticket_type_id: '1', contacts: [{ id: 'a' }], ticket_atributes: {} },
      });
      expect(errors.join('\n')).toContain('ticket_atributes');
    });

    it('a number where the document wants a string id', () => {
      const errors = reject({ method: 'POST', path: '/conversations/1/tags', body: { id: 5, admin_id: '1' } });
      expect(errors.join('\n')).toMatch(/must be string/);
    });

    it('an unknown query parameter and a path that does not exist', () => {
      expect(reject({ method: 'GET', path: '/articles/search', query: { phrase: 'x', q: 'y' } })).not.toEqual([]);
      expect(reject({ method: 'POST', path: '/conversations/1/close', body: {} })).toEqual([
        'no operation POST /conversations/1/close in the document',
      ]);
    });

    it('an unsupported API version and a non-numeric page', () => {
      expect(
        contract.validate({
          method: 'GET',
          path: '/admins',
          query: {},
          headers: { 'intercom-version': '3.0' },
          body: undefined,
        }).errors,
      ).not.toEqual([]);
      expect(reject({ method: 'GET', path: '/articles', query: { page: 'two' } })).toEqual([
        'query page must be a whole number',
      ]);
    });

    it('a ticket-state change with admin_id as a string (the document wants an integer here)', () => {
      const errors = reject({ method: 'PUT', path: '/tickets/1', body: { ticket_state_id: '2', admin_id: '3' } });
      expect(errors.join('\n')).toMatch(/must be integer/);
    });
  });
});
