import type { CardData, ThreadLine } from './model.ts';

/** What the bridge needs from Slack; slack/slack-port.ts implements it with the Web API and Block Kit. */
export interface SlackPort {
  postCard(channel: string, card: CardData): Promise<{ ts: string }>;
  /** Throws MessageGone when the card was deleted in Slack. */
  updateCard(channel: string, ts: string, card: CardData): Promise<void>;
  postThreadLine(channel: string, threadTs: string, line: ThreadLine): Promise<void>;
}

/** Where a conversation's card goes: a channel id, or nowhere (a routing rule dropped it). */
export type RouteDecision = { channel: string; rule?: string | undefined } | { drop: true; rule?: string | undefined };
