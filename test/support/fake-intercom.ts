import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Gate } from './gate.ts';

/**
 * A stateful stand-in for Intercom's REST API on loopback, shaped like the 2.14 responses: ids are strings except
 * where Intercom sends numbers (assignee ids), errors are `error.list`, lists paginate the way Intercom's do.
 * Every request is recorded; knobs add latency, gates (answers held until the test opens them), faults (429, 5xx,
 * hangs) and rate-limit headers.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
  at: number;
  /** The status the fake answered (unset while pending or when the connection was dropped). */
  status?: number;
}

export interface Fault {
  method?: string;
  /** Matches the path (without query); a string must equal it. */
  path?: string | RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests get this fault (default 1). */
  times?: number;
  /** Process the request as usual (state changes), then answer with the fault: "Intercom did it but said 5xx". */
  afterProcessing?: boolean;
  /** Answer this text as-is (e.g. an HTML error page from a proxy) instead of a JSON body. */
  rawBody?: string;
  /** Drop the connection instead of answering (with `afterProcessing`: after doing the work). */
  drop?: boolean;
}

/** Which requests a gate holds: all that match method and path, or only the first `times` of them. */
export interface HoldMatch {
  method?: string;
  /** Matches the path (without query); a string must equal it. */
  path?: string | RegExp;
  times?: number;
}

export interface FakeIntercomOptions {
  token?: string;
  /** Delay before each answer, after the request was processed (so a timed-out write still happened). */
  latencyMs?: number | ((req: RecordedRequest) => number);
  /** Emit X-RateLimit-* headers for a budget of `limit` calls per `windowMs`, and answer 429 beyond it. */
  rateLimit?: { limit: number; windowMs: number };
}

type Json = Record<string, unknown>;
type Handler = (req: RecordedRequest, params: string[]) => Reply;
interface Reply {
  status: number;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

export const WORKSPACE_ID = 'wsp1test';
const now = () => Math.floor(Date.now() / 1000);

export class FakeIntercom {
  readonly token: string;
  readonly requests: RecordedRequest[] = [];
  latencyMs: number | ((req: RecordedRequest) => number);
  rateLimit: { limit: number; windowMs: number } | undefined;
  readonly #faults: Array<Fault & { left: number }> = [];
  readonly #gates: Array<{ match: HoldMatch; gate: Gate<RecordedRequest> }> = [];
  readonly #server: Server;
  #url = '';
  #window = { startMs: 0, count: 0 };
  #seq = 1000;

  readonly admins: Json[] = [];
  readonly teams: Json[] = [];
  readonly contacts = new Map<string, Json>();
  readonly conversations = new Map<string, Json>();
  readonly tags: Json[] = [];
  readonly notes: Json[] = [];
  readonly companies: Json[] = [];
  readonly articles: Json[] = [];
  readonly helpCenters: Json[] = [];
  readonly ticketTypes: Json[] = [];
  readonly tickets = new Map<string, Json>();
  readonly messages: Json[] = [];
  readonly events: Json[] = [];

  private constructor(options: FakeIntercomOptions) {
    this.token = options.token ?? 'test-intercom-token';
    this.latencyMs = options.latencyMs ?? 0;
    this.rateLimit = options.rateLimit;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(errorList('server_error', String(err))));
      });
    });
    this.#server.keepAliveTimeout = 10_000;
  }

  static async start(options: FakeIntercomOptions = {}): Promise<FakeIntercom> {
    const fake = new FakeIntercom(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.#server.address() as AddressInfo;
    fake.#url = `http://127.0.0.1:${port}`;
    return fake;
  }

  get url(): string {
    return this.#url;
  }

  /** Opens every gate, then closes every connection: nothing the fake holds outlives it. */
  async close(): Promise<void> {
    this.openGates();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Queues a fault for the next matching request(s). */
  fail(fault: Fault): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /**
   * Holds the answers of matching requests until the gate opens. A held request was processed as usual (a write
   * has taken effect); only its answer waits, after any latency. A request goes through the first gate that takes
   * it. `close` opens every gate.
   */
  hold(match: HoldMatch = {}): Gate<RecordedRequest> {
    const gate = new Gate<RecordedRequest>(match.times);
    this.#gates.push({ match, gate });
    return gate;
  }

  /** Opens every gate `hold` made: what they held is answered, and nothing more waits. */
  openGates(): void {
    for (const { gate } of this.#gates) gate.open();
  }

  /** Recorded requests, optionally filtered by method and path. */
  calls(method?: string, path?: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => (!method || r.method === method) && (!path || matches(path, r.path)));
  }

  nextId(): string {
    this.#seq += 1;
    return String(this.#seq);
  }

  // ---- seeding -------------------------------------------------------------------------------------------

  addAdmin(fields: { name: string; email: string; id?: string; teamIds?: number[] }): Json {
    const admin = {
      type: 'admin',
      id: fields.id ?? this.nextId(),
      name: fields.name,
      email: fields.email,
      job_title: null,
      away_mode_enabled: false,
      away_mode_reassign: false,
      has_inbox_seat: true,
      team_ids: fields.teamIds ?? [],
      avatar: null,
    };
    this.admins.push(admin);
    return admin;
  }

  addTeam(fields: { name: string; id?: string; adminIds?: number[] }): Json {
    const team = { type: 'team', id: fields.id ?? this.nextId(), name: fields.name, admin_ids: fields.adminIds ?? [] };
    this.teams.push(team);
    return team;
  }

  addContact(fields: Partial<Json> & { email?: string; name?: string }): Json {
    const id = typeof fields.id === 'string' ? fields.id : randomUUID().replaceAll('-', '').slice(0, 24);
    const contact: Json = {
      type: 'contact',
      id,
      workspace_id: WORKSPACE_ID,
      external_id: null,
      role: 'user',
      email: null,
      phone: null,
      name: null,
      owner_id: null,
      created_at: now(),
      updated_at: now(),
      signed_up_at: null,
      last_seen_at: null,
      custom_attributes: {},
      location: { type: 'location', country: null, region: null, city: null },
      tags: { type: 'list', data: [], has_more: false, total_count: 0 },
      companies: { type: 'list', data: [], has_more: false, total_count: 0 },
      ...fields,
    };
    this.contacts.set(id, contact);
    return contact;
  }

  addConversation(fields: {
    id?: string;
    contactId?: string;
    subject?: string;
    body?: string;
    author?: Json;
    createdAt?: number;
    state?: 'open' | 'closed' | 'snoozed';
    adminAssigneeId?: number | null;
    teamAssigneeId?: number | null;
    priority?: 'priority' | 'not_priority';
    tags?: string[];
  }): Json {
    const id = fields.id ?? this.nextId();
    const contact = fields.contactId ? this.contacts.get(fields.contactId) : undefined;
    const created = fields.createdAt ?? now();
    const conversation: Json = {
      type: 'conversation',
      id,
      title: null,
      created_at: created,
      updated_at: created,
      waiting_since: created,
      snoozed_until: null,
      open: (fields.state ?? 'open') !== 'closed',
      state: fields.state ?? 'open',
      read: false,
      priority: fields.priority ?? 'not_priority',
      admin_assignee_id: fields.adminAssigneeId ?? null,
      team_assignee_id: fields.teamAssigneeId ?? null,
      tags: {
        type: 'tag.list',
        tags: (fields.tags ?? []).map((name) => ({ ...this.#tagNamed(name), applied_at: created })),
      },
      conversation_rating: null,
      source: {
        type: 'conversation',
        id: this.nextId(),
        delivered_as: 'customer_initiated',
        subject: fields.subject ?? '',
        body: fields.body ?? '<p>Hello</p>',
        author: fields.author ?? {
          type: 'user',
          id: contact?.id ?? 'unknown',
          name: contact?.name ?? null,
          email: contact?.email ?? null,
        },
        attachments: [],
        url: null,
        redacted: false,
      },
      contacts: {
        type: 'contact.list',
        contacts: contact ? [{ type: 'contact', id: contact.id, external_id: contact.external_id }] : [],
      },
      teammates: { type: 'admin.list', teammates: [] },
      custom_attributes: {},
      statistics: null,
      conversation_parts: { type: 'conversation_part.list', conversation_parts: [] as Json[], total_count: 0 },
    };
    this.conversations.set(id, conversation);
    return conversation;
  }

  /** Appends a part as Intercom would (a customer reply, an admin note made in Intercom…). */
  /** Tags a conversation as a teammate would in Intercom (the tag is created if new). */
  applyTag(conversationId: string, name: string, adminId?: string): Json {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) throw new Error(`no conversation ${conversationId}`);
    const tag = this.#tagNamed(name);
    const holder = conversation.tags as { tags: Json[] };
    const applied = {
      ...tag,
      applied_at: now(),
      applied_by: adminId ? { type: 'admin', id: adminId } : { type: 'contact', id: 'unknown' },
    };
    holder.tags = [...holder.tags.filter((t) => t.id !== tag.id), applied];
    conversation.updated_at = now();
    return applied;
  }

  addPart(conversationId: string, part: Partial<Json> & { part_type: string }): Json {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) throw new Error(`no conversation ${conversationId}`);
    const created = typeof part.created_at === 'number' ? part.created_at : now();
    const full: Json = {
      type: 'conversation_part',
      id: this.nextId(),
      body: null,
      created_at: created,
      updated_at: created,
      notified_at: created,
      assigned_to: null,
      author: null,
      attachments: [],
      external_id: null,
      redacted: false,
      app_package_code: null,
      ...part,
    };
    const parts = conversation.conversation_parts as { conversation_parts: Json[]; total_count: number };
    parts.conversation_parts.push(full);
    parts.total_count = parts.conversation_parts.length;
    conversation.updated_at = created;
    return full;
  }

  addTag(name: string): Json {
    const tag = { type: 'tag', id: this.nextId(), name };
    this.tags.push(tag);
    return tag;
  }

  addArticle(fields: { title: string; body?: string; state?: 'published' | 'draft' }): Json {
    const id = this.nextId();
    const article = {
      type: 'article',
      id,
      workspace_id: WORKSPACE_ID,
      title: fields.title,
      description: '',
      body: fields.body ?? '',
      author_id: Number(this.admins[0]?.id ?? 1),
      state: fields.state ?? 'published',
      created_at: now(),
      updated_at: now(),
      url: fields.state === 'draft' ? null : `https://help.example.com/articles/${id}`,
      parent_id: null,
      parent_type: null,
      default_locale: 'en',
    };
    this.articles.push(article);
    return article;
  }

  addTicketType(fields: {
    name: string;
    category?: 'Customer' | 'Back-office' | 'Tracker';
    archived?: boolean;
    attributes?: Json[];
  }): Json {
    const id = this.nextId();
    const states = ['submitted', 'in_progress', 'waiting_on_customer', 'resolved'].map((category) => ({
      type: 'ticket_state',
      id: this.nextId(),
      category,
      internal_label: category.replaceAll('_', ' '),
      external_label: category.replaceAll('_', ' '),
    }));
    const defaults = [
      { name: '_default_title_', data_type: 'string', required_to_create: false, visible_on_create: true },
      { name: '_default_description_', data_type: 'string', required_to_create: false, visible_on_create: true },
    ];
    const attributes = [...defaults, ...(fields.attributes ?? [])].map((a, order) => ({
      type: 'ticket_type_attribute',
      id: this.nextId(),
      workspace_id: WORKSPACE_ID,
      description: '',
      input_options: null,
      order,
      required_to_create: false,
      required_to_create_for_contacts: false,
      visible_on_create: true,
      visible_to_contacts: true,
      default: false,
      ticket_type_id: Number(id),
      archived: false,
      ...a,
    }));
    const type = {
      type: 'ticket_type',
      id,
      category: fields.category ?? 'Customer',
      name: fields.name,
      description: '',
      icon: '🎟️',
      workspace_id: WORKSPACE_ID,
      archived: fields.archived ?? false,
      is_internal: false,
      created_at: now(),
      updated_at: now(),
      ticket_type_attributes: { type: 'list', data: attributes },
      ticket_states: { type: 'list', data: states },
    };
    this.ticketTypes.push(type);
    return type;
  }

  // ---- HTTP ----------------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      at: Date.now(),
    };
    this.requests.push(recorded);

    let reply: Reply;
    const fault = this.#takeFault(recorded);
    const limited = this.#rateLimitHeaders();
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      reply = { status: 401, body: errorList('unauthorized', 'Access Token Invalid') };
    } else if (limited.exceeded) {
      reply = { status: 429, body: errorList('rate_limit_exceeded', 'Exceeded rate limit') };
    } else if (fault && !fault.afterProcessing) {
      reply = faultReply(fault);
    } else {
      reply = this.#route(recorded);
      if (fault) reply = faultReply(fault);
    }

    recorded.status = reply.status;
    if (fault?.drop) {
      recorded.status = undefined;
      req.socket.destroy();
      return;
    }
    const latency = typeof this.latencyMs === 'function' ? this.latencyMs(recorded) : this.latencyMs;
    if (latency > 0) await sleep(latency);
    const gate = this.#gates.find(
      (candidate) =>
        (!candidate.match.method || candidate.match.method === recorded.method) &&
        (!candidate.match.path || matches(candidate.match.path, recorded.path)) &&
        candidate.gate.takes(),
    )?.gate;
    if (gate) await gate.pass(recorded);
    if (res.destroyed) return;
    const headers: Record<string, string> = { ...limited.headers, ...reply.headers };
    if (reply.raw !== undefined) {
      res.writeHead(reply.status, { 'content-type': 'text/html', ...headers });
      res.end(reply.raw);
      return;
    }
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(reply.body));
  }

  #takeFault(req: RecordedRequest): Fault | undefined {
    const index = this.#faults.findIndex(
      (f) => (!f.method || f.method === req.method) && (!f.path || matches(f.path, req.path)),
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index];
    if (!fault) return undefined;
    fault.left -= 1;
    if (fault.left <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  #rateLimitHeaders(): { headers: Record<string, string>; exceeded: boolean } {
    if (!this.rateLimit) return { headers: {}, exceeded: false };
    // counted per request received, as Intercom does
    const { limit, windowMs } = this.rateLimit;
    const nowMs = Date.now();
    if (nowMs - this.#window.startMs >= windowMs) this.#window = { startMs: nowMs, count: 0 };
    this.#window.count += 1;
    const remaining = Math.max(0, limit - this.#window.count);
    return {
      exceeded: this.#window.count > limit,
      headers: {
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': String(Math.ceil((this.#window.startMs + windowMs) / 1000)),
      },
    };
  }

  #route(req: RecordedRequest): Reply {
    for (const [method, pattern, handler] of this.#routes) {
      if (method !== req.method) continue;
      const m = pattern.exec(req.path);
      if (m) return handler(req, m.slice(1).map(decodeURIComponent));
    }
    return { status: 404, body: errorList('not_found', 'Resource Not Found') };
  }

  readonly #routes: Array<[string, RegExp, Handler]> = [
    ['GET', /^\/me$/, () => this.#me()],
    ['GET', /^\/admins$/, () => ok({ type: 'admin.list', admins: this.admins })],
    ['GET', /^\/teams$/, () => ok({ type: 'team.list', teams: this.teams })],
    ['POST', /^\/contacts$/, (req) => this.#createContact(asJson(req.body))],
    ['POST', /^\/contacts\/search$/, (req) => this.#search(req, [...this.contacts.values()], contactField, 50, 'list')],
    ['GET', /^\/contacts\/([^/]+)$/, (_req, [id]) => this.#withContact(id, (c) => ok(c))],
    [
      'PUT',
      /^\/contacts\/([^/]+)$/,
      (req, [id]) => this.#withContact(id, (c) => ok(Object.assign(c, asJson(req.body)))),
    ],
    ['DELETE', /^\/contacts\/([^/]+)$/, (_req, [id]) => this.#deleteContact(id)],
    ['POST', /^\/contacts\/([^/]+)\/notes$/, (req, [id]) => this.#createNote(id, asJson(req.body))],
    ['GET', /^\/contacts\/([^/]+)\/notes$/, (req, [id]) => this.#listNotes(req, id)],
    ['POST', /^\/contacts\/([^/]+)\/tags$/, (req, [id]) => this.#tagContact(id, String(asJson(req.body).id))],
    ['DELETE', /^\/contacts\/([^/]+)\/tags\/([^/]+)$/, (_req, [id, tagId]) => this.#untagContact(id, tagId)],
    ['POST', /^\/contacts\/([^/]+)\/companies$/, (req, [id]) => this.#attachCompany(id, String(asJson(req.body).id))],
    ['GET', /^\/conversations$/, (req) => this.#listConversations(req)],
    [
      'POST',
      /^\/conversations\/search$/,
      (req) =>
        this.#search(
          req,
          [...this.conversations.values()].map(withoutParts),
          conversationField,
          20,
          'conversation.list',
        ),
    ],
    ['GET', /^\/conversations\/([^/]+)$/, (_req, [id]) => this.#withConversation(id, (c) => ok(c))],
    ['POST', /^\/conversations\/([^/]+)\/reply$/, (req, [id]) => this.#reply(id, asJson(req.body))],
    ['POST', /^\/conversations\/([^/]+)\/parts$/, (req, [id]) => this.#manage(id, asJson(req.body))],
    ['POST', /^\/conversations\/([^/]+)\/tags$/, (req, [id]) => this.#tagConversation(id, asJson(req.body))],
    [
      'DELETE',
      /^\/conversations\/([^/]+)\/tags\/([^/]+)$/,
      (req, [id, tagId]) => this.#untagConversation(id, tagId, asJson(req.body)),
    ],
    ['POST', /^\/messages$/, (req) => this.#createMessage(asJson(req.body))],
    ['POST', /^\/companies$/, (req) => this.#upsertCompany(asJson(req.body))],
    [
      'GET',
      /^\/companies\/([^/]+)$/,
      (_req, [id]) =>
        found(
          this.companies.find((c) => c.id === id),
          'company_not_found',
        ),
    ],
    ['GET', /^\/articles$/, (req) => this.#pageOf(req, this.articles, 'list')],
    ['GET', /^\/articles\/search$/, (req) => this.#searchArticles(req)],
    [
      'GET',
      /^\/articles\/([^/]+)$/,
      (_req, [id]) =>
        found(
          this.articles.find((a) => a.id === id),
          'not_found',
        ),
    ],
    ['GET', /^\/help_center\/help_centers$/, () => ok({ type: 'list', data: this.helpCenters })],
    ['GET', /^\/tags$/, () => ok({ type: 'list', data: this.tags })],
    ['POST', /^\/tags$/, (req) => this.#createTag(asJson(req.body))],
    ['POST', /^\/events$/, (req) => this.#trackEvent(asJson(req.body))],
    ['GET', /^\/ticket_types$/, () => ok({ type: 'list', data: this.ticketTypes })],
    [
      'GET',
      /^\/ticket_types\/([^/]+)$/,
      (_req, [id]) =>
        found(
          this.ticketTypes.find((t) => t.id === id),
          'not_found',
        ),
    ],
    ['POST', /^\/tickets$/, (req) => this.#createTicket(asJson(req.body))],
    [
      'POST',
      /^\/tickets\/search$/,
      (req) => this.#search(req, [...this.tickets.values()], ticketField, 20, 'ticket.list'),
    ],
    ['GET', /^\/tickets\/([^/]+)$/, (_req, [id]) => found(id ? this.tickets.get(id) : undefined, 'ticket_not_found')],
    ['PUT', /^\/tickets\/([^/]+)$/, (req, [id]) => this.#updateTicket(id, asJson(req.body))],
    ['POST', /^\/tickets\/([^/]+)\/reply$/, (req, [id]) => this.#replyTicket(id, asJson(req.body))],
  ];

  #me(): Reply {
    const admin = this.admins[0];
    if (!admin) return { status: 404, body: errorList('admin_not_found', 'Admin not found') };
    return ok({
      ...admin,
      email_verified: true,
      app: { type: 'app', id_code: WORKSPACE_ID, name: 'Test workspace', region: 'US', timezone: 'Europe/London' },
    });
  }

  #adminExists(id: unknown): boolean {
    return this.admins.some((a) => a.id === String(id));
  }

  #tagNamed(name: string): Json {
    return this.tags.find((t) => String(t.name).toLowerCase() === name.toLowerCase()) ?? this.addTag(name);
  }

  #withContact(id: string | undefined, then: (contact: Json) => Reply): Reply {
    const contact = id ? this.contacts.get(id) : undefined;
    return contact ? then(contact) : { status: 404, body: errorList('not_found', 'User Not Found') };
  }

  #withConversation(id: string | undefined, then: (conversation: Json) => Reply): Reply {
    const conversation = id ? this.conversations.get(id) : undefined;
    return conversation ? then(conversation) : { status: 404, body: errorList('not_found', 'Conversation not found') };
  }

  #createContact(body: Json): Reply {
    if (!body.email && !body.external_id && !body.role) {
      return { status: 400, body: errorList('parameter_invalid', 'email, external_id or role is required') };
    }
    const existing = [...this.contacts.values()].find((c) => body.email && c.email === body.email);
    if (existing) {
      return {
        status: 409,
        body: errorList('conflict', `A contact matching those details already exists with id=${existing.id}`),
      };
    }
    return ok(this.addContact({ ...body, role: body.role ?? 'user' }));
  }

  #deleteContact(id: string | undefined): Reply {
    return this.#withContact(id, (c) => {
      this.contacts.delete(String(c.id));
      return ok({ id: c.id, external_id: c.external_id, type: 'contact', deleted: true });
    });
  }

  #createNote(contactId: string | undefined, body: Json): Reply {
    if (typeof body.body !== 'string' || !body.body) {
      return { status: 400, body: errorList('parameter_invalid', 'Body is required') };
    }
    if (body.admin_id !== undefined && !this.#adminExists(body.admin_id)) {
      return { status: 404, body: errorList('not_found', 'Resource Not Found') };
    }
    return this.#withContact(contactId, (contact) => {
      const author = this.admins.find((a) => a.id === String(body.admin_id));
      const note = {
        type: 'note',
        id: this.nextId(),
        created_at: now(),
        contact: { type: 'contact', id: contact.id },
        author: author ?? null,
        body: `<p>${String(body.body)}</p>`,
      };
      this.notes.push(note);
      return ok(note);
    });
  }

  #listNotes(req: RecordedRequest, contactId: string | undefined): Reply {
    return this.#withContact(contactId, (contact) =>
      this.#pageOf(
        req,
        this.notes.filter((n) => (n.contact as Json).id === contact.id),
        'list',
      ),
    );
  }

  #tagContact(contactId: string | undefined, tagId: string): Reply {
    const tag = this.tags.find((t) => t.id === tagId);
    if (!tag) return { status: 404, body: errorList('tag_not_found', 'Tag not found') };
    return this.#withContact(contactId, (contact) => {
      const tags = contact.tags as { data: Json[]; total_count: number };
      if (!tags.data.some((t) => t.id === tagId)) tags.data.push({ type: 'tag', id: tagId, url: `/tags/${tagId}` });
      tags.total_count = tags.data.length;
      return ok(tag);
    });
  }

  #untagContact(contactId: string | undefined, tagId: string | undefined): Reply {
    const tag = this.tags.find((t) => t.id === tagId);
    if (!tag) return { status: 404, body: errorList('tag_not_found', 'Tag not found') };
    return this.#withContact(contactId, (contact) => {
      const tags = contact.tags as { data: Json[]; total_count: number };
      tags.data = tags.data.filter((t) => t.id !== tagId);
      tags.total_count = tags.data.length;
      return ok(tag);
    });
  }

  #attachCompany(contactId: string | undefined, companyId: string): Reply {
    const company = this.companies.find((c) => c.id === companyId);
    if (!company) return { status: 404, body: errorList('company_not_found', 'Company Not Found') };
    return this.#withContact(contactId, (contact) => {
      (contact.companies as { data: Json[] }).data.push({ type: 'company', id: company.id });
      return ok(company);
    });
  }

  #listConversations(req: RecordedRequest): Reply {
    const all = [...this.conversations.values()].sort((a, b) => Number(b.updated_at) - Number(a.updated_at));
    return ok({ type: 'conversation.list', ...cursorPage(all.map(withoutParts), req.query, 20, 'conversations') });
  }

  #reply(id: string | undefined, body: Json): Reply {
    if (body.type === 'admin' && !this.#adminExists(body.admin_id)) {
      return { status: 404, body: errorList('admin_not_found', 'Admin not found') };
    }
    if (!['comment', 'note', 'quick_reply'].includes(String(body.message_type))) {
      return { status: 400, body: errorList('parameter_invalid', 'message_type is invalid') };
    }
    const badAttachments = attachmentProblem(body);
    if (badAttachments) return { status: 400, body: errorList('parameter_invalid', badAttachments) };
    return this.#withConversation(id, (conversation) => {
      const author = this.admins.find((a) => a.id === String(body.admin_id));
      this.addPart(String(conversation.id), {
        part_type: body.message_type === 'note' ? 'note' : 'comment',
        body: `<p>${String(body.body ?? '')}</p>`,
        author: author ? { type: 'admin', id: author.id, name: author.name, email: author.email } : null,
        attachments: this.#attached(body.attachment_files),
        app_package_code: 'intercom-slack-bridge',
      });
      if (body.message_type === 'comment') conversation.waiting_since = null;
      return ok(conversation);
    });
  }

  /** A part's attachments, as Intercom lists the files a reply or note was sent with. */
  #attached(files: unknown): Json[] {
    if (!Array.isArray(files)) return [];
    return (files as Json[]).map((f) => ({
      type: 'upload',
      name: f.name,
      url: `${this.#url}/attachments/${this.nextId()}/${encodeURIComponent(String(f.name))}`,
      content_type: f.content_type,
      filesize: Buffer.from(String(f.data), 'base64').length,
      width: null,
      height: null,
    }));
  }

  #manage(id: string | undefined, body: Json): Reply {
    if (!this.#adminExists(body.admin_id)) {
      return { status: 404, body: errorList('admin_not_found', 'Admin not found') };
    }
    return this.#withConversation(id, (c) => {
      const author = this.admins.find((a) => a.id === String(body.admin_id));
      const by = author ? { type: 'admin', id: author.id, name: author.name, email: author.email } : null;
      const part = (part_type: string, extra: Json = {}) =>
        this.addPart(String(c.id), { part_type, author: by, app_package_code: 'intercom-slack-bridge', ...extra });
      switch (body.message_type) {
        case 'close':
          Object.assign(c, { state: 'closed', open: false, snoozed_until: null });
          part('close', { body: body.body ? `<p>${String(body.body)}</p>` : null });
          return ok(c);
        case 'open':
          Object.assign(c, { state: 'open', open: true, snoozed_until: null });
          part('open');
          return ok(c);
        case 'snoozed':
          if (typeof body.snoozed_until !== 'number') {
            return { status: 400, body: errorList('parameter_invalid', 'snoozed_until is required') };
          }
          Object.assign(c, { state: 'snoozed', open: true, snoozed_until: body.snoozed_until });
          part('snoozed');
          return ok(c);
        case 'assignment': {
          const assignee = String(body.assignee_id);
          if (body.type === 'team') {
            if (assignee !== '0' && !this.teams.some((t) => t.id === assignee)) {
              return { status: 404, body: errorList('team_not_found', 'Team not found') };
            }
            c.team_assignee_id = assignee === '0' ? null : Number(assignee);
          } else {
            if (assignee !== '0' && !this.#adminExists(assignee)) {
              return { status: 404, body: errorList('admin_not_found', 'Admin not found') };
            }
            c.admin_assignee_id = assignee === '0' ? null : Number(assignee);
          }
          part('assignment', { assigned_to: assignee === '0' ? null : { type: body.type, id: assignee } });
          return ok(c);
        }
        default:
          return { status: 400, body: errorList('parameter_invalid', 'message_type is invalid') };
      }
    });
  }

  #tagConversation(id: string | undefined, body: Json): Reply {
    const tag = this.tags.find((t) => t.id === String(body.id));
    if (!tag) return { status: 404, body: errorList('tag_not_found', 'Tag not found') };
    if (!this.#adminExists(body.admin_id))
      return { status: 404, body: errorList('admin_not_found', 'Admin not found') };
    return this.#withConversation(id, (c) => {
      const tags = (c.tags as { tags: Json[] }).tags;
      const applied = { ...tag, applied_at: now(), applied_by: { type: 'admin', id: String(body.admin_id) } };
      if (!tags.some((t) => t.id === tag.id)) {
        tags.push(applied);
        c.updated_at = now();
      }
      return ok(applied);
    });
  }

  #untagConversation(id: string | undefined, tagId: string | undefined, body: Json): Reply {
    if (!this.#adminExists(body.admin_id))
      return { status: 404, body: errorList('admin_not_found', 'Admin not found') };
    return this.#withConversation(id, (c) => {
      const holder = c.tags as { tags: Json[] };
      const tag = holder.tags.find((t) => t.id === tagId);
      if (!tag) return { status: 404, body: errorList('tag_not_found', 'Tag not found') };
      holder.tags = holder.tags.filter((t) => t.id !== tagId);
      return ok(tag);
    });
  }

  #createMessage(body: Json): Reply {
    const from = asJson(body.from);
    if (!this.#adminExists(from.id)) return { status: 404, body: errorList('admin_not_found', 'Admin not found') };
    const message = {
      type: 'admin_message',
      id: this.nextId(),
      created_at: now(),
      subject: body.subject ?? '',
      body: body.body,
      message_type: body.message_type === 'in_app' ? 'inapp' : body.message_type,
      conversation_id: this.nextId(),
    };
    this.messages.push(message);
    return ok(message);
  }

  #upsertCompany(body: Json): Reply {
    const existing = this.companies.find((c) => body.company_id && c.company_id === body.company_id);
    if (existing) return ok(Object.assign(existing, body));
    const company = { type: 'company', id: this.nextId(), created_at: now(), updated_at: now(), ...body };
    this.companies.push(company);
    return ok(company);
  }

  #searchArticles(req: RecordedRequest): Reply {
    const words = (req.query.phrase ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const state = req.query.state ?? 'all';
    const hits = this.articles.filter(
      (a) =>
        (state === 'all' || a.state === state) &&
        words.every((w) => `${String(a.title)} ${String(a.body)}`.toLowerCase().includes(w)),
    );
    const highlights =
      req.query.highlight === 'true'
        ? hits.map((a) => ({
            article_id: a.id,
            highlighted_title: [{ type: 'plain', text: a.title }],
            highlighted_summary: [[{ type: 'plain', text: String(a.body).slice(0, 120) }]],
          }))
        : [];
    return ok({
      type: 'list',
      total_count: hits.length,
      data: { articles: hits, highlights },
      pages: { type: 'pages', page: 1, per_page: 10, total_pages: 1 },
    });
  }

  #createTag(body: Json): Reply {
    if (typeof body.name !== 'string' || !body.name.trim()) {
      return { status: 400, body: errorList('parameter_invalid', 'invalid tag parameters') };
    }
    return ok(this.#tagNamed(body.name));
  }

  #trackEvent(body: Json): Reply {
    if (!body.event_name || !body.created_at) {
      return { status: 400, body: errorList('parameter_invalid', 'event_name and created_at are required') };
    }
    this.events.push(body);
    return { status: 202 };
  }

  #createTicket(body: Json): Reply {
    const type = this.ticketTypes.find((t) => t.id === String(body.ticket_type_id));
    if (!type) return { status: 404, body: errorList('not_found', 'Ticket type not found') };
    const given = asJson(body.ticket_attributes);
    const attributes = (type.ticket_type_attributes as { data: Json[] }).data;
    const missing = attributes.filter((a) => a.required_to_create && (given[String(a.name)] ?? '') === '');
    if (missing.length > 0) {
      return { status: 400, body: errorList('parameter_invalid', 'Missing required ticket attributes') };
    }
    const [who] = (body.contacts as Json[] | undefined) ?? [];
    let contact = who?.id ? this.contacts.get(String(who.id)) : undefined;
    if (!contact && typeof who?.email === 'string') {
      contact =
        [...this.contacts.values()].find((c) => c.email === who.email) ??
        this.addContact({ email: who.email, role: 'lead' });
    }
    if (!contact) return { status: 404, body: errorList('not_found', 'User Not Found') };
    const id = this.nextId();
    const state = (type.ticket_states as { data: Json[] }).data[0];
    const ticket = {
      type: 'ticket',
      id,
      ticket_id: String(this.tickets.size + 1),
      category: type.category,
      ticket_attributes: given,
      ticket_state: state,
      ticket_type: { type: 'ticket_type', id: type.id, name: type.name },
      contacts: { type: 'contact.list', contacts: [{ type: 'contact', id: contact.id }] },
      admin_assignee_id: '0',
      team_assignee_id: '0',
      created_at: now(),
      updated_at: now(),
      open: true,
      snoozed_until: null,
      linked_objects: { type: 'list', data: [], total_count: 0, has_more: false },
      is_shared: type.category === 'Customer',
      conversation_to_link_id: body.conversation_to_link_id ?? null,
    };
    this.tickets.set(id, ticket);
    return ok(ticket);
  }

  #updateTicket(id: string | undefined, body: Json): Reply {
    const ticket = id ? this.tickets.get(id) : undefined;
    if (!ticket) return { status: 404, body: errorList('ticket_not_found', 'Ticket not found') };
    if (body.ticket_state_id !== undefined) {
      const type = this.ticketTypes.find((t) => t.id === (ticket.ticket_type as Json).id);
      const state = (type?.ticket_states as { data: Json[] } | undefined)?.data.find(
        (s) => s.id === String(body.ticket_state_id),
      );
      if (!state) return { status: 400, body: errorList('ticket_state_id_invalid', 'Ticket state is invalid') };
      ticket.ticket_state = state;
      ticket.open = state.category !== 'resolved';
    }
    ticket.updated_at = now();
    return ok(ticket);
  }

  #replyTicket(id: string | undefined, body: Json): Reply {
    const ticket = id ? this.tickets.get(id) : undefined;
    if (!ticket) return { status: 404, body: errorList('ticket_not_found', 'Ticket not found') };
    const author = this.admins.find((a) => a.id === String(body.admin_id));
    if (!author) return { status: 404, body: errorList('admin_not_found', 'Admin not found') };
    return ok({
      type: 'ticket_part',
      id: this.nextId(),
      part_type: body.message_type,
      body: `<p>${String(body.body)}</p>`,
      created_at: now(),
      updated_at: now(),
      author: { type: 'admin', id: author.id, name: author.name, email: author.email },
      attachments: [],
      redacted: false,
    });
  }

  #pageOf(req: RecordedRequest, all: Json[], type: string): Reply {
    const perPage = Number(req.query.per_page ?? 15);
    const page = Number(req.query.page ?? 1);
    const totalPages = Math.max(1, Math.ceil(all.length / perPage));
    return ok({
      type,
      data: all.slice((page - 1) * perPage, page * perPage),
      total_count: all.length,
      pages: {
        type: 'pages',
        page,
        per_page: perPage,
        total_pages: totalPages,
        ...(page < totalPages ? { next: `${this.url}${req.path}?page=${page + 1}` } : {}),
      },
    });
  }

  #search(
    req: RecordedRequest,
    all: Json[],
    field: (item: Json, name: string) => unknown,
    defaultPerPage: number,
    type: string,
  ): Reply {
    const body = asJson(req.body);
    if (!body.query) return { status: 400, body: errorList('parameter_not_found', 'query is required') };
    const pagination = asJson(body.pagination);
    const query = {
      per_page: pagination.per_page === undefined ? undefined : String(pagination.per_page),
      starting_after: typeof pagination.starting_after === 'string' ? pagination.starting_after : undefined,
    };
    const hits = all.filter((item) => evaluate(asJson(body.query), (name) => field(item, name)));
    const key = type === 'list' ? 'data' : type === 'ticket.list' ? 'tickets' : 'conversations';
    return ok({ type, ...cursorPage(hits, query, defaultPerPage, key) });
  }
}

// ---- helpers -------------------------------------------------------------------------------------------------

export /** Attachments: Intercom's OpenAPI lists at most 10 URLs and 10 files of {content_type, data (base64), name}. */
const ATTACHMENT_FILE_FIELDS = ['content_type', 'data', 'name'];
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What Intercom would refuse in a reply's attachments (as a 400), or undefined. */
function attachmentProblem(body: Json): string | undefined {
  const urls = body.attachment_urls;
  if (urls !== undefined && (!Array.isArray(urls) || urls.length > 10)) return 'attachment_urls: at most 10 URLs';
  const files = body.attachment_files;
  if (files === undefined) return undefined;
  if (!Array.isArray(files)) return 'attachment_files must be a list';
  if (files.length > 10) return 'attachment_files: at most 10 files';
  for (const file of files as unknown[]) {
    if (typeof file !== 'object' || file === null) return 'attachment_files: each file is an object';
    const fields = file as Json;
    const unknown = Object.keys(fields).find((key) => !ATTACHMENT_FILE_FIELDS.includes(key));
    if (unknown) return `attachment_files: unknown field ${unknown}`;
    if (ATTACHMENT_FILE_FIELDS.some((key) => typeof fields[key] !== 'string')) {
      return 'attachment_files: content_type, data and name are strings';
    }
    if (!BASE64.test(String(fields.data))) return 'attachment_files: data is not base64';
  }
  return undefined;
}

function errorList(code: string, message: string) {
  return { type: 'error.list', request_id: randomUUID(), errors: [{ code, message }] };
}

function ok(body: unknown): Reply {
  return { status: 200, body };
}

function found(item: Json | undefined, code: string): Reply {
  return item ? ok(item) : { status: 404, body: errorList(code, 'Resource Not Found') };
}

function faultReply(fault: Fault): Reply {
  return {
    status: fault.status,
    headers: fault.headers,
    raw: fault.rawBody,
    body: fault.body ?? errorList(fault.status === 429 ? 'rate_limit_exceeded' : 'server_error', 'injected fault'),
  };
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

function asJson(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function withoutParts(conversation: Json): Json {
  const { conversation_parts: _parts, ...rest } = conversation;
  return rest;
}

function cursorPage(all: Json[], query: Record<string, string | undefined>, defaultPerPage: number, key: string) {
  const perPage = Number(query.per_page ?? defaultPerPage);
  const start = query.starting_after ? Number(Buffer.from(query.starting_after, 'base64url').toString()) : 0;
  const page = all.slice(start, start + perPage);
  const end = start + page.length;
  return {
    [key]: page,
    total_count: all.length,
    pages: {
      type: 'pages',
      page: Math.floor(start / perPage) + 1,
      per_page: perPage,
      total_pages: Math.max(1, Math.ceil(all.length / perPage)),
      ...(end < all.length
        ? {
            next: {
              page: Math.floor(end / perPage) + 1,
              starting_after: Buffer.from(String(end)).toString('base64url'),
            },
          }
        : {}),
    },
  };
}

/** Evaluates Intercom's search query language (the operators this product uses) against one item. */
function evaluate(query: Json, field: (name: string) => unknown): boolean {
  const op = String(query.operator);
  if (op === 'AND' || op === 'OR') {
    const parts = Array.isArray(query.value) ? (query.value as Json[]) : [];
    return op === 'AND' ? parts.every((q) => evaluate(q, field)) : parts.some((q) => evaluate(q, field));
  }
  const actual = field(String(query.field));
  const expected = query.value;
  const values = Array.isArray(actual) ? actual : [actual];
  const text = (v: unknown) => String(v ?? '').toLowerCase();
  switch (op) {
    case '=':
      return values.some((v) => text(v) === text(expected));
    case '!=':
      return values.every((v) => text(v) !== text(expected));
    case 'IN':
      return Array.isArray(expected) && values.some((v) => expected.map(text).includes(text(v)));
    case 'NIN':
      return Array.isArray(expected) && values.every((v) => !expected.map(text).includes(text(v)));
    case '~':
      return values.some((v) => text(v).includes(text(expected)));
    case '!~':
      return values.every((v) => !text(v).includes(text(expected)));
    case '^':
      return values.some((v) => text(v).startsWith(text(expected)));
    case '$':
      return values.some((v) => text(v).endsWith(text(expected)));
    case '>':
      return values.some((v) => Number(v) > Number(expected));
    case '>=':
      return values.some((v) => Number(v) >= Number(expected));
    case '<':
      return values.some((v) => Number(v) < Number(expected));
    case '<=':
      return values.some((v) => Number(v) <= Number(expected));
    default:
      return false;
  }
}

function dig(item: Json, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => asJson(v)[key], item);
}

function contactField(contact: Json, name: string): unknown {
  if (name === 'tag_id') return (asJson(contact.tags).data as Json[] | undefined)?.map((t) => t.id);
  return dig(contact, name);
}

function conversationField(conversation: Json, name: string): unknown {
  if (name === 'contact_ids') return (asJson(conversation.contacts).contacts as Json[] | undefined)?.map((c) => c.id);
  if (name === 'tag_ids') return (asJson(conversation.tags).tags as Json[] | undefined)?.map((t) => t.id);
  return dig(conversation, name);
}

function ticketField(ticket: Json, name: string): unknown {
  if (name === 'contact_ids') return (asJson(ticket.contacts).contacts as Json[] | undefined)?.map((c) => c.id);
  if (name === 'ticket_type_id') return asJson(ticket.ticket_type).id;
  if (name === 'state') return asJson(ticket.ticket_state).category;
  return dig(ticket, name);
}
