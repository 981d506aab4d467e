import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cards } from '../../../src/bridge/cards.ts';
import type { ContactActions } from '../../../src/bridge/contact-actions.ts';
import type { Directory } from '../../../src/bridge/directory.ts';
import type { Identity, Teammate } from '../../../src/bridge/identity.ts';
import type { Lookup } from '../../../src/bridge/lookup.ts';
import type { CardData } from '../../../src/bridge/model.ts';
import type { SlackPort } from '../../../src/bridge/ports.ts';
import type { ThreadEvents } from '../../../src/bridge/thread-events.ts';
import type { Triage } from '../../../src/bridge/triage.ts';
import type {
  ActionArgs,
  CommandArgs,
  MessageArgs,
  OptionsArgs,
  ReactionArgs,
  ShortcutArgs,
  ViewArgs,
} from '../../../src/slack/listeners/args.ts';
import type { ListenerDeps } from '../../../src/slack/listeners/index.ts';
import { AfterAck } from '../../../src/slack/listeners/scheduling.ts';
import { ModalState } from '../../../src/slack/modal-state.ts';
import type { ResponseUrls } from '../../../src/slack/response-urls.ts';
import { logSink } from '../../support/log-sink.ts';
import { SHARED_DIR } from '../../support/shared.ts';

// Unit tests of the Slack listeners: each handler is called directly with the Bolt arguments it reads, against
// hand-written fakes of the bridge that record every call. Work after the ack runs on a real AfterAck, so a
// test awaits `settle()` (its drain) instead of waiting for time to pass.

export const USER = 'U1';
const TEAMMATE: Teammate = { slackUserId: USER, adminId: '7', name: 'Ann Lee', timeZone: null };
/** The time the listeners see (deps.now): 2025-01-15 12:00 UTC, a Wednesday. */
export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
export const RESPONSE_URL = 'https://hooks.slack.com/commands/T1/1/abc';

/** One call a fake received. */
export interface Call {
  to: string;
  args: unknown[];
}

type ViewsOpen = (request: { trigger_id: string; view: unknown }) => Promise<{ view?: { id?: string; hash?: string } }>;
type ViewsUpdate = (request: { view_id?: string; hash?: string; view: unknown }) => Promise<unknown>;

/** What each fake answers; a test changes only what it is about. */
export interface Answers {
  perform: Triage['perform'];
  isCardOf: Cards['isCardOf'];
  conversationAt: Cards['conversationAt'];
  postHere: Cards['postHere'];
  message: ThreadEvents['message'];
  reaction: ThreadEvents['reaction'];
  contacts: Lookup['contacts'];
  articles: Lookup['articles'];
  contactMatches: Lookup['contactMatches'];
  note: ContactActions['note'];
  tag: ContactActions['tag'];
  ticket: ContactActions['ticket'];
  reader: Identity['reader'];
  teammate: Identity['teammate'];
  slackUser: Identity['slackUser'];
  admins: Directory['admins'];
  teams: Directory['teams'];
  tags: Directory['tags'];
  ticketTypes: Directory['ticketTypes'];
  cachedTicketType: Directory['cachedTicketType'];
  cardData: ListenerDeps['cardData'];
  tellUser: SlackPort['tellUser'];
  dm: SlackPort['dm'];
  permalink: SlackPort['permalink'];
  post: ResponseUrls['post'];
  viewsOpen: ViewsOpen;
  viewsUpdate: ViewsUpdate;
}

const card = (conversationId: string): CardData => ({
  conversationId,
  subject: 'Refund please',
  bodyHtml: '<p>My order never came.</p>',
  attachments: [],
  contact: { name: 'Bo Customer', email: 'bo@example.com', company: null },
  state: 'open',
  snoozedUntil: null,
  assignee: { admin: null, team: null },
  priority: false,
  tags: [],
  createdAt: 1_736_900_000,
  intercomUrl: `https://app.intercom.com/a/inbox/w1/inbox/conversation/${conversationId}`,
});

const DEFAULTS: Answers = {
  perform: async () => ({ ok: true, teammate: TEAMMATE }),
  isCardOf: async () => true,
  conversationAt: async () => undefined,
  postHere: async () => ({ kind: 'queued' }),
  message: async () => {},
  reaction: async () => {},
  contacts: async () => ({ contacts: [], total: 0, next: undefined }),
  articles: async () => ({ articles: [], total: 0 }),
  contactMatches: async () => [],
  note: async () => ({ ok: true, message: 'Note added.' }),
  tag: async () => ({ ok: true, message: 'Contact tagged.' }),
  ticket: async () => ({ ok: true, message: 'Ticket created.' }),
  reader: async () => ({ ok: true }),
  teammate: async () => ({ teammate: TEAMMATE }),
  slackUser: async () => null,
  admins: async () => [],
  teams: async () => [],
  tags: async () => [],
  ticketTypes: async () => [],
  cachedTicketType: () => undefined,
  cardData: async (conversationId) => card(conversationId),
  tellUser: async () => {},
  dm: async () => {},
  permalink: async (channel, ts) => `https://acme.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
  post: async () => ({ ok: true, status: 200 }),
  viewsOpen: async () => ({ view: { id: 'V1', hash: 'H1' } }),
  viewsUpdate: async () => ({}),
};

export type Harness = ReturnType<typeof listenerHarness>;

/**
 * ListenerDeps made of recording fakes, a real AfterAck and ModalState, and a logger into memory; with `ack`,
 * `respond` and a `client` (views.open / views.update) that record into the same list, so the order is seen.
 */
export function listenerHarness(answers: Partial<Answers> = {}) {
  const a: Answers = { ...DEFAULTS, ...answers };
  const log: Call[] = [];
  const record =
    <A extends unknown[], R>(to: string, answer: (...args: A) => R) =>
    (...args: A): R => {
      log.push({ to, args });
      return answer(...args);
    };
  const sink = logSink();
  const afterAck = new AfterAck(sink.logger);
  const modalState = new ModalState('xoxb-listener-tests');
  const deps = {
    triage: { perform: record('triage.perform', a.perform) },
    cards: {
      isCardOf: record('cards.isCardOf', a.isCardOf),
      conversationAt: record('cards.conversationAt', a.conversationAt),
      postHere: record('cards.postHere', a.postHere),
    },
    threadEvents: {
      message: record('threadEvents.message', a.message),
      reaction: record('threadEvents.reaction', a.reaction),
    },
    lookup: {
      contacts: record('lookup.contacts', a.contacts),
      articles: record('lookup.articles', a.articles),
      contactMatches: record('lookup.contactMatches', a.contactMatches),
    },
    actions: {
      note: record('actions.note', a.note),
      tag: record('actions.tag', a.tag),
      ticket: record('actions.ticket', a.ticket),
    },
    identity: {
      reader: record('identity.reader', a.reader),
      teammate: record('identity.teammate', a.teammate),
      slackUser: record('identity.slackUser', a.slackUser),
    },
    directory: {
      admins: record('directory.admins', a.admins),
      teams: record('directory.teams', a.teams),
      tags: record('directory.tags', a.tags),
      ticketTypes: record('directory.ticketTypes', a.ticketTypes),
      cachedTicketType: record('directory.cachedTicketType', a.cachedTicketType),
    },
    cardData: record('cardData', a.cardData),
    slack: {
      tellUser: record('slack.tellUser', a.tellUser),
      dm: record('slack.dm', a.dm),
      permalink: record('slack.permalink', a.permalink),
    },
    afterAck,
    enqueue: record('enqueue', async (_job: unknown) => true),
    responseUrls: { post: record('responseUrls.post', a.post) },
    modalState,
    logger: sink.logger,
    now: () => NOW,
  } as unknown as ListenerDeps;
  return {
    deps,
    log,
    sink,
    afterAck,
    modalState,
    ack: record('ack', async (..._response: unknown[]) => {}),
    respond: record('respond', async (_message: unknown) => {}),
    client: {
      views: { open: record('views.open', a.viewsOpen), update: record('views.update', a.viewsUpdate) },
    },
    /** The arguments of each call to `to`, in order. */
    calls: (to: string): unknown[][] => log.filter((c) => c.to === to).map((c) => c.args),
    /** Which fakes were called, in order. */
    order: (): string[] => log.map((c) => c.to),
    /** Lets the work started after an ack finish. */
    settle: () => afterAck.drain(),
    /** The log lines with this message. */
    logged: (msg: string) => sink.lines().filter((l) => l.msg === msg),
  };
}

// Bolt's arguments for each kind of handler: what a test builds is the part of the payload the handler reads.

export function actionArgs(h: Harness, body: object, action: object): ActionArgs {
  return { ack: h.ack, respond: h.respond, client: h.client, body, action } as unknown as ActionArgs;
}

export function optionsArgs(h: Harness, body: object, value: string | undefined): OptionsArgs {
  return { ack: h.ack, body, options: { ...body, value } } as unknown as OptionsArgs;
}

export function viewArgs(h: Harness, view: object, user = USER): ViewArgs {
  return { ack: h.ack, view, body: { type: 'view_submission', user: { id: user }, view } } as unknown as ViewArgs;
}

export function commandArgs(h: Harness, command: object): CommandArgs {
  return { ack: h.ack, respond: h.respond, client: h.client, command } as unknown as CommandArgs;
}

export function shortcutArgs(h: Harness, shortcut: object): ShortcutArgs {
  return { ack: h.ack, client: h.client, shortcut } as unknown as ShortcutArgs;
}

export function messageArgs(event: object): MessageArgs {
  return { event } as unknown as MessageArgs;
}

export function reactionArgs(event: object, body: object): ReactionArgs {
  return { event, body } as unknown as ReactionArgs;
}

/** A submitted modal: its (sealed) private_metadata and `state.values`, as Slack sends them. */
export function submittedView(privateMetadata: string, values: Record<string, Record<string, object>>) {
  return { id: 'V1', hash: 'H1', type: 'modal', private_metadata: privateMetadata, state: { values } };
}

/** A view as the fakes recorded it: what the tests read of it. */
export interface RecordedView {
  callback_id?: string;
  private_metadata?: string;
  submit?: unknown;
  title: { text: string };
  blocks: Array<Record<string, unknown>>;
}

/** The view a fake recorded in a views.open / views.update call. */
export function viewOf(call: unknown[] | undefined): RecordedView {
  if (!call) throw new Error('expected a recorded views call, there was none');
  return (call[0] as { view: RecordedView }).view;
}

/** A real Slack payload from ../shared/slack-samples (tests using it run only where ../shared exists). */
export function slackSample(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SHARED_DIR, 'slack-samples', 'payloads', name), 'utf8'));
}
