import { z } from 'zod';

// Responses are parsed leniently: unknown fields pass through, ids arrive as strings or numbers and are kept as
// strings, and an odd value in a field we do not depend on becomes `undefined` rather than failing the object.

/** An Intercom id: a string in most places, a number in some (assignee ids, part ids). Always a string here. */
export const Id = z.union([z.string(), z.number()]).transform(String);

/** A field we can do without: missing, null or malformed all read as absent. */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().catch(undefined);

/** A list whose malformed items are dropped, so one bad entry never hides the others. */
const listOf = <T extends z.ZodType>(item: T) =>
  z.array(z.unknown()).transform((items) =>
    items.flatMap((raw) => {
      const parsed = item.safeParse(raw);
      return parsed.success ? [parsed.data as z.output<T>] : [];
    }),
  );

const str = opt(z.string());
const num = opt(z.number());
const bool = opt(z.boolean());
const attributes = opt(z.record(z.string(), z.unknown()));

export const ErrorList = z.looseObject({
  type: z.string().optional(),
  request_id: z.string().nullish(),
  errors: z.array(z.looseObject({ code: z.string(), message: z.string().nullish(), field: z.string().nullish() })),
});

export const Pages = z.looseObject({
  type: str,
  page: opt(z.coerce.number()),
  per_page: opt(z.coerce.number()),
  total_pages: opt(z.coerce.number()),
  /** Cursor styles put `{starting_after}` here; the link style a URL. */
  next: opt(z.union([z.string(), z.looseObject({ page: opt(z.coerce.number()), starting_after: str })])),
});
export type Pages = z.output<typeof Pages>;

export const Reference = z.looseObject({ type: str, id: Id });

export const Author = z.looseObject({ type: str, id: opt(Id), name: str, email: str });

export const Attachment = z.looseObject({
  type: str,
  name: str,
  url: str,
  content_type: str,
  filesize: num,
});

export const Admin = z.looseObject({
  type: str,
  id: Id,
  name: str,
  email: str,
  job_title: str,
  away_mode_enabled: bool,
  has_inbox_seat: bool,
  team_ids: opt(z.array(Id)),
});
export type Admin = z.output<typeof Admin>;

export const AdminList = z.looseObject({ admins: listOf(Admin) });

export const AdminWithApp = Admin.extend({
  email_verified: bool,
  app: opt(
    z.looseObject({
      id_code: z.string(),
      name: str,
      region: str,
      timezone: str,
    }),
  ),
});
export type AdminWithApp = z.output<typeof AdminWithApp>;

export const Team = z.looseObject({ type: str, id: Id, name: str, admin_ids: opt(z.array(Id)) });
export type Team = z.output<typeof Team>;

export const TeamList = z.looseObject({ teams: listOf(Team) });

export const Tag = z.looseObject({ type: str, id: Id, name: str, applied_at: num, applied_by: opt(Reference) });
export type Tag = z.output<typeof Tag>;

export const TagList = z.looseObject({ data: listOf(Tag) });

export const Company = z.looseObject({
  type: str,
  id: Id,
  company_id: str,
  name: str,
  plan: opt(z.unknown()),
  size: num,
  website: str,
  industry: str,
  created_at: num,
  updated_at: num,
  custom_attributes: attributes,
});
export type Company = z.output<typeof Company>;

export const Contact = z.looseObject({
  type: str,
  id: Id,
  external_id: str,
  workspace_id: str,
  role: str,
  email: str,
  phone: str,
  name: str,
  owner_id: opt(Id),
  created_at: num,
  updated_at: num,
  signed_up_at: num,
  last_seen_at: num,
  custom_attributes: attributes,
  location: opt(z.looseObject({ country: str, region: str, city: str })),
  tags: opt(z.looseObject({ data: listOf(Reference) })),
  companies: opt(z.looseObject({ data: listOf(Reference) })),
});
export type Contact = z.output<typeof Contact>;

export const ContactList = z.looseObject({ data: listOf(Contact), total_count: num, pages: opt(Pages) });
export type ContactList = z.output<typeof ContactList>;

export const ContactDeleted = z.looseObject({ id: Id, deleted: bool });

export const Note = z.looseObject({
  type: str,
  id: Id,
  created_at: num,
  contact: opt(Reference),
  author: opt(Author),
  body: str,
});
export type Note = z.output<typeof Note>;

export const NoteList = z.looseObject({ data: listOf(Note), total_count: num, pages: opt(Pages) });

export const ConversationPart = z.looseObject({
  type: str,
  id: Id,
  part_type: str,
  body: str,
  created_at: num,
  updated_at: num,
  author: opt(Author),
  assigned_to: opt(Reference),
  attachments: opt(listOf(Attachment)),
  external_id: str,
  redacted: bool,
  /** Set when the part was created through the API: how we recognise our own echoes. */
  app_package_code: str,
});
export type ConversationPart = z.output<typeof ConversationPart>;

export const Conversation = z.looseObject({
  type: str,
  id: Id,
  title: str,
  created_at: num,
  updated_at: num,
  waiting_since: num,
  snoozed_until: num,
  open: bool,
  state: str,
  read: bool,
  priority: str,
  admin_assignee_id: opt(Id),
  team_assignee_id: opt(Id),
  tags: opt(z.looseObject({ tags: listOf(Tag) })),
  conversation_rating: opt(
    z.looseObject({ rating: num, remark: str, created_at: num, contact: opt(Reference), teammate: opt(Reference) }),
  ),
  source: opt(
    z.looseObject({
      type: str,
      id: opt(Id),
      delivered_as: str,
      subject: str,
      body: str,
      author: opt(Author),
      attachments: opt(listOf(Attachment)),
      url: str,
    }),
  ),
  contacts: opt(z.looseObject({ contacts: listOf(Reference) })),
  teammates: opt(z.looseObject({ teammates: opt(listOf(Reference)) })),
  custom_attributes: attributes,
  conversation_parts: opt(z.looseObject({ conversation_parts: listOf(ConversationPart), total_count: num })),
});
export type Conversation = z.output<typeof Conversation>;

export const ConversationList = z.looseObject({
  conversations: listOf(Conversation),
  total_count: num,
  pages: opt(Pages),
});
export type ConversationList = z.output<typeof ConversationList>;

export const Message = z.looseObject({
  type: str,
  id: Id,
  created_at: num,
  subject: str,
  body: str,
  message_type: str,
  conversation_id: opt(Id),
});
export type Message = z.output<typeof Message>;

export const Article = z.looseObject({
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

export const ArticleList = z.looseObject({ data: listOf(Article), total_count: num, pages: opt(Pages) });

const HighlightRun = z.looseObject({ type: str, text: z.string() });

export const ArticleSearchResponse = z.looseObject({
  total_count: num,
  data: z
    .looseObject({
      articles: listOf(Article),
      highlights: opt(
        listOf(
          z.looseObject({
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

export const HelpCenter = z.looseObject({
  id: Id,
  workspace_id: str,
  identifier: str,
  website_turned_on: bool,
  display_name: str,
  url: str,
});
export const HelpCenterList = z.looseObject({ data: listOf(HelpCenter) });

export const TicketTypeAttribute = z.looseObject({
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

export const TicketState = z.looseObject({ id: Id, category: str, internal_label: str, external_label: str });

export const TicketType = z.looseObject({
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
  ticket_states: opt(z.looseObject({ data: listOf(TicketState) })),
});
export type TicketType = z.output<typeof TicketType>;

export const TicketTypeList = z.looseObject({ data: listOf(TicketType) });

export const Ticket = z.looseObject({
  type: str,
  id: Id,
  /** The number people see in the Inbox (#123); never use it for API calls. */
  ticket_id: opt(Id),
  category: str,
  ticket_attributes: attributes,
  ticket_state: opt(z.union([z.string(), TicketState])),
  ticket_type: opt(z.looseObject({ id: Id, name: str })),
  contacts: opt(z.looseObject({ contacts: listOf(Reference) })),
  admin_assignee_id: opt(Id),
  team_assignee_id: opt(Id),
  created_at: num,
  updated_at: num,
  open: bool,
  snoozed_until: num,
  is_shared: bool,
});
export type Ticket = z.output<typeof Ticket>;

export const TicketList = z.looseObject({ tickets: listOf(Ticket), total_count: num, pages: opt(Pages) });
export type TicketList = z.output<typeof TicketList>;

export const TicketPart = z.looseObject({
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
