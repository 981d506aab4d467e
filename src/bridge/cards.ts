import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import type { Identity } from './identity.ts';
import { syncJob } from './jobs.ts';
import type { SlackPort } from './ports.ts';
import type { Enqueue } from './worker.ts';

export interface CardsDeps {
  store: Pick<Store, 'cardAt' | 'getCard'>;
  enqueue: Enqueue;
  identity: Pick<Identity, 'actor'>;
  slack: Pick<SlackPort, 'permalink'>;
  logger: Logger;
}

/** Posting a conversation's card to a channel: queued, refused (why), or the card it already has. */
export type PostHereResult =
  | { kind: 'queued' }
  | { kind: 'refused'; why: string }
  | { kind: 'has-card'; channel: string; permalink: string | undefined };

/** Where the conversations' cards are in Slack, as Slack requests ask about them. */
export class Cards {
  readonly #d: CardsDeps;

  constructor(deps: CardsDeps) {
    this.#d = deps;
  }

  /** Whether the message at channel/ts is this conversation's card (a button names its conversation: checked). */
  async isCardOf(channel: string, ts: string, conversationId: string): Promise<boolean> {
    return (await this.conversationAt(channel, ts)) === conversationId;
  }

  /** The conversation whose card (or card's thread, given its root) is at channel/ts. */
  async conversationAt(channel: string, ts: string): Promise<string | undefined> {
    return (await this.#d.store.cardAt(channel, ts))?.conversationId;
  }

  /**
   * A teammate asks for a conversation's card in a channel (from `/intercom conversation`'s preview). Publishing
   * a conversation is a teammate's act like any other; a conversation has one card, whose thread is where it is
   * followed, so one that has a card keeps it.
   */
  async postHere(slackUserId: string, conversationId: string, channel: string): Promise<PostHereResult> {
    const who = await this.#d.identity.actor(slackUserId, 'post_here', this.#d.logger);
    if ('refusal' in who) return { kind: 'refused', why: who.refusal };
    const card = await this.#d.store.getCard(conversationId);
    if (card) {
      const permalink = await this.#d.slack.permalink(card.channel, card.ts).catch(() => undefined);
      return { kind: 'has-card', channel: card.channel, permalink: permalink || undefined };
    }
    await this.#d.enqueue(syncJob(conversationId, { channel }));
    return { kind: 'queued' };
  }
}
