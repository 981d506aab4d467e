import { IntercomHttp, type IntercomHttpOptions } from './http.ts';
import { AdminsApi, TeamsApi } from './resources/admins.ts';
import { ArticlesApi, HelpCentersApi } from './resources/articles.ts';
import { ContactsApi } from './resources/contacts.ts';
import { ConversationsApi } from './resources/conversations.ts';
import { TicketsApi, TicketTypesApi } from './resources/tickets.ts';
import { CompaniesApi, EventsApi, MessagesApi, TagsApi } from './resources/workspace.ts';

/**
 * The one typed Intercom client the whole product shares: `client.conversations.reply(...)`,
 * `client.contacts.search(...)`, and so on. Every call goes through one keep-alive pool with retries,
 * pacing and typed errors (see IntercomHttp).
 */
export class IntercomClient {
  readonly http: IntercomHttp;
  readonly admins: AdminsApi;
  readonly teams: TeamsApi;
  readonly contacts: ContactsApi;
  readonly conversations: ConversationsApi;
  readonly messages: MessagesApi;
  readonly companies: CompaniesApi;
  readonly articles: ArticlesApi;
  readonly helpCenters: HelpCentersApi;
  readonly tags: TagsApi;
  readonly events: EventsApi;
  readonly ticketTypes: TicketTypesApi;
  readonly tickets: TicketsApi;

  constructor(options: IntercomHttpOptions) {
    const http = new IntercomHttp(options);
    this.http = http;
    this.admins = new AdminsApi(http);
    this.teams = new TeamsApi(http);
    this.contacts = new ContactsApi(http);
    this.conversations = new ConversationsApi(http);
    this.messages = new MessagesApi(http);
    this.companies = new CompaniesApi(http);
    this.articles = new ArticlesApi(http);
    this.helpCenters = new HelpCentersApi(http);
    this.tags = new TagsApi(http);
    this.events = new EventsApi(http);
    this.ticketTypes = new TicketTypesApi(http);
    this.tickets = new TicketsApi(http);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
