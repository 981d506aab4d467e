import { decodeHTMLStrict } from 'entities/decode';
import { z } from 'zod';

// Responses are parsed leniently: unknown fields pass through, ids arriving as numbers are kept as strings,
// and (see parseLenient) an odd value in a field we can do without reads as absent instead of failing.
// Schemas declare only the fields the product reads, as plain (stripping) zod objects: parseLenient writes the
// checked values back over the raw JSON, so everything else passes through untouched. That costs a fraction of
// zod's loose objects, which copy every undeclared key (measured in bench/intercom-client).

/** An Intercom id: a string in most places, a number in some (assignee ids, part ids). Always a string here. */
export const Id = z.union([z.string(), z.number().transform(String)]);

/** A field we can do without: missing or null read as absent (a malformed one is removed by parseLenient). */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish();

/** A list; a malformed item is removed by parseLenient, so one bad entry never hides the others. */
const listOf = <T extends z.ZodType>(item: T) => z.array(item);

/**
 * Parses `value` with `schema`; when that fails, removes what is wrong and tries again: the bad field if it is
 * optional, else the object holding it, up to the nearest list item (which is dropped) or an optional field.
 * Only a problem that reaches the root (a missing `id`, say) fails. Well-formed bodies take the fast path.
 * `value` must be a fresh object (a JSON.parse result): the repair mutates it.
 */
export function parseLenient<S extends z.ZodType>(
  schema: S,
  value: unknown,
  maxRepairs = 20,
): z.ZodSafeParseResult<z.output<S>> {
  let result = schema.safeParse(value);
  for (let repairs = 0; !result.success && repairs < maxRepairs; repairs++) {
    const issue = result.error.issues[0];
    if (!issue || !removeAt(value, issue.path, (candidate) => schema.safeParse(candidate).error?.issues[0]?.path))
      break;
    result = schema.safeParse(value);
  }
  if (result.success) result.data = mergeInto(value, result.data);
  return result;
}

/** Writes parsed (checked, normalised) values over the raw JSON they came from, keeping undeclared fields. */
function mergeInto<T>(raw: unknown, parsed: T): T {
  if (parsed === raw || parsed === null || typeof parsed !== 'object' || raw === null || typeof raw !== 'object') {
    return parsed;
  }
  if (Array.isArray(parsed)) {
    if (!Array.isArray(raw)) return parsed;
    for (let i = 0; i < parsed.length; i++) raw[i] = mergeInto(raw[i], parsed[i]);
    return raw as T;
  }
  if (Array.isArray(raw)) return parsed;
  const target = raw as Record<string, unknown>;
  const source = parsed as Record<string, unknown>;
  for (const key in source) target[key] = mergeInto(target[key], source[key]);
  return raw as T;
}

/** Removes the deepest removable node on `path` whose removal moves the first issue elsewhere. */
function removeAt(
  root: unknown,
  path: readonly PropertyKey[],
  firstIssuePath: (root: unknown) => readonly PropertyKey[] | undefined,
): boolean {
  for (let depth = path.length; depth >= 1; depth--) {
    const parent = path
      .slice(0, depth - 1)
      .reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown>)?.[key], root);
    const key = path[depth - 1];
    if (parent === null || typeof parent !== 'object' || key === undefined) continue;
    const container = parent as Record<PropertyKey, unknown>;
    if (!(key in container)) continue;
    const saved = container[key];
    const isItem = Array.isArray(parent) && typeof key === 'number';
    if (isItem) (parent as unknown[]).splice(key, 1);
    else delete container[key];
    const next = firstIssuePath(root);
    if (next === undefined || !samePath(next, path.slice(0, depth))) return true;
    // removing it did not help (the field is required): put it back and try its holder
    if (isItem) (parent as unknown[]).splice(key, 0, saved);
    else container[key] = saved;
  }
  return false;
}

function samePath(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

// scalars are one check each rather than zod's three nested wrappers (optional(nullable(string))): this is
// the hot path of every response, and a wrong type is dropped by parseLenient all the same
const scalar = <T>(type: 'string' | 'number' | 'boolean') =>
  z.custom<T | null | undefined>((v) => v === undefined || v === null || typeof v === type).optional();
const str = scalar<string>('string');
const num = scalar<number>('number');
const bool = scalar<boolean>('boolean');
/**
 * A name as people read it: Intercom sends some HTML-escaped (a team called "Phone &amp; SMS"); undone here, once,
 * so Slack's escaping is the only one applied. Strict: only entities with their semicolon ("AT&T" stays).
 */
const name = z
  .custom<string | null | undefined>((v) => v === undefined || v === null || typeof v === 'string')
  .transform((v) => (typeof v === 'string' && v.includes('&') ? decodeHTMLStrict(v) : v))
  .optional();
/** A free-form object (custom attributes, input options): checked to be an object, not walked key by key. */
const attributes = z
  .custom<Record<string, unknown> | null | undefined>(
    (v) => v === undefined || v === null || (typeof v === 'object' && !Array.isArray(v)),
  )
  .optional();

export const ErrorList = z.object({
  type: z.string().optional(),
  request_id: z.string().nullish(),
  errors: z.array(z.object({ code: z.string(), message: z.string().nullish(), field: z.string().nullish() })),
});

export const Pages = z.object({
  type: str,
  page: opt(z.coerce.number()),
  per_page: opt(z.coerce.number()),
  total_pages: opt(z.coerce.number()),
  /** Cursor styles put `{starting_after}` here; the link style a URL. */
  next: opt(z.union([z.string(), z.object({ page: opt(z.coerce.number()), starting_after: str })])),
});
export type Pages = z.output<typeof Pages>;

export const Reference = z.object({ type: str, id: Id });

/** `from_ai_agent` / `is_ai_answer` mark a part Fin wrote; its author may still read as an admin or a bot. */
export const Author = z.object({ type: str, id: opt(Id), name, email: str, from_ai_agent: bool, is_ai_answer: bool });

export const Attachment = z.object({ name: str, url: str, content_type: str });

export const Admin = z.object({
  type: str,
  id: Id,
  name,
  email: str,
  job_title: str,
  away_mode_enabled: bool,
  has_inbox_seat: bool,
  team_ids: opt(z.array(Id)),
});
export type Admin = z.output<typeof Admin>;

export const AdminList = z.object({ admins: listOf(Admin) });

export const AdminWithApp = Admin.extend({
  email_verified: bool,
  app: opt(
    z.object({
      id_code: z.string(),
      name: str,
      region: str,
      timezone: str,
    }),
  ),
});
export type AdminWithApp = z.output<typeof AdminWithApp>;

export const Team = z.object({ type: str, id: Id, name, admin_ids: opt(z.array(Id)) });
export type Team = z.output<typeof Team>;

export const TeamList = z.object({ teams: listOf(Team) });

export const Tag = z.object({ id: Id, name });
export type Tag = z.output<typeof Tag>;

export const TagList = z.object({ data: listOf(Tag) });

export const Company = z.object({
  type: str,
  id: Id,
  company_id: str,
  name,
  plan: opt(z.unknown()),
  size: num,
  website: str,
  industry: str,
  created_at: num,
  updated_at: num,
  custom_attributes: attributes,
});
export type Company = z.output<typeof Company>;

/** What contact cards and search results show; custom attributes and the rest pass through unchecked. */
export const Contact = z.object({
  id: Id,
  external_id: str,
  role: str,
  email: str,
  phone: str,
  name,
  last_seen_at: num,
  companies: opt(z.object({ data: listOf(Reference) })),
});
export type Contact = z.output<typeof Contact>;

export const ContactList = z.object({ data: listOf(Contact), total_count: num, pages: opt(Pages) });
export type ContactList = z.output<typeof ContactList>;

export const ContactDeleted = z.object({ id: Id, deleted: bool });

export const Note = z.object({
  type: str,
  id: Id,
  created_at: num,
  contact: opt(Reference),
  author: opt(Author),
  body: str,
});
export type Note = z.output<typeof Note>;

export const NoteList = z.object({ data: listOf(Note), total_count: num, pages: opt(Pages) });

export const ConversationPart = z.object({
  id: Id,
  part_type: str,
  body: str,
  created_at: num,
  author: opt(Author),
  assigned_to: opt(Reference),
  attachments: opt(listOf(Attachment)),
  /** A quick reply's choices: those offered (a teammate's or bot's part) or the one picked (the customer's). */
  reply_options: opt(listOf(z.object({ text: str, uuid: str }))),
  /** Set when the part was created through the API: how we recognise our own echoes. */
  app_package_code: str,
});
export type ConversationPart = z.output<typeof ConversationPart>;

export const Conversation = z.object({
  id: Id,
  title: str,
  created_at: num,
  updated_at: num,
  snoozed_until: num,
  /** When the customer began waiting for a reply (seconds); null once a teammate has answered. */
  waiting_since: num,
  open: bool,
  state: str,
  priority: str,
  admin_assignee_id: opt(Id),
  team_assignee_id: opt(Id),
  tags: opt(z.object({ tags: listOf(Tag.extend({ applied_at: num, applied_by: opt(Reference) })) })),
  conversation_rating: opt(z.object({ rating: num, remark: str, teammate: opt(Reference) })),
  source: opt(
    z.object({
      type: str,
      delivered_as: str,
      subject: str,
      body: str,
      author: opt(Author),
      attachments: opt(listOf(Attachment)),
      url: str,
    }),
  ),
  contacts: opt(z.object({ contacts: listOf(Reference) })),
  ai_agent_participated: bool,
  /** Fin's part in the conversation; null when it took none. */
  ai_agent: opt(z.object({ resolution_state: str })),
  statistics: opt(z.object({ first_admin_reply_at: num, last_admin_reply_at: num })),
  // parts are parsed when read (conversationParts): a GET answers up to 500, and most callers need none
  conversation_parts: opt(
    z.object({ conversation_parts: z.custom<unknown[]>((v) => Array.isArray(v)), total_count: num }),
  ),
});
export type Conversation = z.output<typeof Conversation>;

/** The conversation's parts, parsed leniently (a malformed part is dropped), oldest first as Intercom sends them. */
export function conversationParts(conversation: Conversation): ConversationPart[] {
  const raw = conversation.conversation_parts?.conversation_parts ?? [];
  return raw.flatMap((part) => {
    const parsed = parseLenient(ConversationPart, part);
    return parsed.success ? [parsed.data] : [];
  });
}

export const ConversationList = z.object({
  conversations: listOf(Conversation),
  total_count: num,
  pages: opt(Pages),
});
export type ConversationList = z.output<typeof ConversationList>;

export const Message = z.object({
  type: str,
  id: Id,
  created_at: num,
  subject: str,
  body: str,
  message_type: str,
  conversation_id: opt(Id),
});
export type Message = z.output<typeof Message>;

export const Article = z.object({
  type: str,
  id: Id,
  workspace_id: str,
  title: str,
  description: str,
  body: str,
  author_id: opt(Id),
  state: str,
  created_at: num,
  updated_at: num,
  url: str,
  parent_id: opt(Id),
  parent_type: str,
  default_locale: str,
});
export type Article = z.output<typeof Article>;

export const ArticleList = z.object({ data: listOf(Article), total_count: num, pages: opt(Pages) });

const HighlightRun = z.object({ type: str, text: z.string() });

export const ArticleSearchResponse = z.object({
  total_count: num,
  data: z
    .looseObject({
      articles: listOf(Article),
      highlights: opt(
        listOf(
          z.object({
            article_id: Id,
            highlighted_title: opt(listOf(HighlightRun)),
            highlighted_summary: opt(z.array(listOf(HighlightRun))),
          }),
        ),
      ),
    })
    .catch({ articles: [], highlights: [] }),
  pages: opt(Pages),
});
export type ArticleSearchResponse = z.output<typeof ArticleSearchResponse>;

export const HelpCenter = z.object({
  id: Id,
  workspace_id: str,
  identifier: str,
  website_turned_on: bool,
  display_name: str,
  url: str,
});
export const HelpCenterList = z.object({ data: listOf(HelpCenter) });

export const TicketTypeAttribute = z.object({
  id: Id,
  name: z.string(),
  description: str,
  data_type: str,
  input_options: attributes,
  order: num,
  required_to_create: bool,
  required_to_create_for_contacts: bool,
  visible_on_create: bool,
  visible_to_contacts: bool,
  archived: bool,
});
export type TicketTypeAttribute = z.output<typeof TicketTypeAttribute>;

export const TicketState = z.object({ id: Id, category: str, internal_label: str, external_label: str });

export const TicketType = z.object({
  type: str,
  id: Id,
  category: str,
  name: str,
  description: str,
  icon: str,
  archived: bool,
  is_internal: bool,
  // the schema says {ticket_type_attributes: [...]}, every example says {data: [...]}: accept both as one array
  ticket_type_attributes: opt(
    z
      .looseObject({ data: opt(listOf(TicketTypeAttribute)), ticket_type_attributes: opt(listOf(TicketTypeAttribute)) })
      .transform((v) => v.data ?? v.ticket_type_attributes ?? []),
  ),
  ticket_states: opt(z.object({ data: listOf(TicketState) })),
});
export type TicketType = z.output<typeof TicketType>;

export const TicketTypeList = z.object({ data: listOf(TicketType) });

export const Ticket = z.object({
  type: str,
  id: Id,
  /** The number people see in the Inbox (#123); never use it for API calls. */
  ticket_id: opt(Id),
  category: str,
  ticket_attributes: attributes,
  ticket_state: opt(z.union([z.string(), TicketState])),
  ticket_type: opt(z.object({ id: Id, name: str })),
  contacts: opt(z.object({ contacts: listOf(Reference) })),
  admin_assignee_id: opt(Id),
  team_assignee_id: opt(Id),
  created_at: num,
  updated_at: num,
  open: bool,
  snoozed_until: num,
  is_shared: bool,
});
export type Ticket = z.output<typeof Ticket>;

export const TicketList = z.object({ tickets: listOf(Ticket), total_count: num, pages: opt(Pages) });
export type TicketList = z.output<typeof TicketList>;

export const TicketPart = z.object({
  type: str,
  id: Id,
  part_type: str,
  body: str,
  created_at: num,
  author: opt(Author),
});
export type TicketPart = z.output<typeof TicketPart>;

/** For endpoints that answer 202 with no body (event tracking). */
export const Empty = z.unknown().transform(() => undefined);
