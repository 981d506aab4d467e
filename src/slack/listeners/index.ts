import type { App } from '@slack/bolt';
import type { Cards } from '../../bridge/cards.ts';
import type { ContactActions } from '../../bridge/contact-actions.ts';
import type { Digests } from '../../bridge/digests.ts';
import type { Directory } from '../../bridge/directory.ts';
import type { Home } from '../../bridge/home.ts';
import type { Identity } from '../../bridge/identity.ts';
import type { Lookup } from '../../bridge/lookup.ts';
import type { CardData } from '../../bridge/model.ts';
import type { SlackPort } from '../../bridge/ports.ts';
import type { Queue } from '../../bridge/queue.ts';
import type { ThreadEvents } from '../../bridge/thread-events.ts';
import type { Triage } from '../../bridge/triage.ts';
import type { Enqueue } from '../../bridge/worker.ts';
import type { Logger } from '../../logger.ts';
import type { ModalState } from '../modal-state.ts';
import type { ResponseUrls } from '../response-urls.ts';
import * as cards from './cards.ts';
import * as commands from './commands.ts';
import * as contacts from './contacts.ts';
import * as home from './home.ts';
import type { AfterAck } from './scheduling.ts';
import * as shortcuts from './shortcuts.ts';
import * as thread from './thread.ts';
import * as tickets from './tickets.ts';

/** What the listeners translate Slack requests into: `bridge/` use cases, and the few Slack-side helpers. */
export interface ListenerDeps {
  triage: Triage;
  cards: Cards;
  threadEvents: ThreadEvents;
  lookup: Lookup;
  actions: ContactActions;
  identity: Identity;
  directory: Directory;
  /** The conversation's card data, for `/intercom conversation <id>`. */
  cardData: (conversationId: string) => Promise<CardData>;
  slack: SlackPort;
  /** Where Intercom work goes once Slack has its answer. */
  afterAck: AfterAck;
  /** Puts a job in the inbox (a reply or note with files: the worker fetches them). */
  enqueue: Enqueue;
  /** The hosts a response URL may point at. */
  responseUrls: ResponseUrls;
  /** Seals the state the modals carry, and reads back only what it sealed. */
  modalState: ModalState;
  /** `/intercom queue` and `/intercom digest`; a bridge built without them says they are not available. */
  queue?: Queue | undefined;
  digests?: Pick<Digests, 'postNow'> | undefined;
  /** The Home tab (docs/home.md); a bridge built without it leaves the tab as Slack draws it. */
  home?: Pick<Home, 'opened' | 'showMore' | 'setNotifications' | 'refresh'> | undefined;
  logger: Logger;
  now?: () => number;
}

/**
 * Every Slack listener, by feature: the card's buttons and modals (`cards`), what happens in its thread
 * (`thread`), `/intercom` and its results (`commands`), the contact modals (`contacts`), tickets (`tickets`) and
 * the shortcuts (`shortcuts`). Each handler acknowledges first, reads the request, and calls `bridge/`.
 */
export function registerListeners(app: App, deps: ListenerDeps): void {
  cards.register(app, deps);
  thread.register(app, deps);
  commands.register(app, deps);
  contacts.register(app, deps);
  tickets.register(app, deps);
  shortcuts.register(app, deps);
  home.register(app, deps);
}
