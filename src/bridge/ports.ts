import type { CardData, Escalation, ThreadLine } from './model.ts';

/** A Slack user as the bridge needs them: who they are, their email (to find their Intercom teammate) and zone. */
export interface SlackUser {
  id: string;
  name: string;
  email: string | null;
  /** IANA time zone from their Slack profile, for "tomorrow at 9:00". */
  timeZone: string | null;
  isBot: boolean;
  /** The user's own workspace (a Slack Connect guest's is not ours), and org when in one. */
  teamId: string | null;
  enterpriseId: string | null;
}

/** The one Slack workspace (or org, for an org-wide install) and app the bridge serves: the bot token's. */
export interface SlackWorkspace {
  teamId: string;
  enterpriseId: string | undefined;
  /** From auth.test, else bots.info; undefined when Slack named neither (then app ids are not compared). */
  appId: string | undefined;
  enterpriseInstall: boolean;
  botId: string;
  botUserId: string;
}

/** Where to tell one person something only they see: a channel, and a thread in it when there is one. */
export interface EphemeralTarget {
  channel: string;
  user: string;
  threadTs?: string | undefined;
}

/** What the bridge needs from Slack; slack/slack-port.ts implements it with the Web API and Block Kit. */
export interface SlackPort {
  postCard(channel: string, card: CardData): Promise<{ ts: string }>;
  /** Throws MessageGone when the card was deleted in Slack. */
  updateCard(channel: string, ts: string, card: CardData): Promise<void>;
  /** `key` (a part id, a tag or event key) goes into the message's metadata, so findThreadLine can find it. */
  postThreadLine(channel: string, threadTs: string, line: ThreadLine, key?: string): Promise<void>;
  /** The ts of the conversation's card among the channel's recent messages (by metadata), if it is there. */
  findCard(channel: string, conversationId: string): Promise<string | undefined>;
  /** Whether the thread holds the line posted with this key. */
  findThreadLine(channel: string, threadTs: string, key: string): Promise<boolean>;
  /** The user, or null when Slack does not know them. */
  user(userId: string): Promise<SlackUser | null>;
  /** An ephemeral message: a refusal or an error only the person who acted should see. */
  tellUser(target: EphemeralTarget, text: string): Promise<void>;
  /** A direct message from the app to one person (a confirmation with no channel to answer in). */
  dm(userId: string, text: string): Promise<void>;
  /** A link to a message. */
  permalink(channel: string, ts: string): Promise<string>;
  /** Adds an emoji reaction (by name, without colons) to a message; already there counts as done. */
  react(channel: string, ts: string, emoji: string): Promise<void>;
  /** The Slack user with this email (users.lookupByEmail), or null when there is none (or only a bot). */
  userIdByEmail(email: string): Promise<string | null>;
  /** Raises a missed target in the escalation channel; `key` goes into its metadata, for findEscalation. */
  postEscalation(channel: string, escalation: Escalation, key: string): Promise<{ ts: string }>;
  /** Rewrites an escalation (its clock stopped); throws MessageGone when it was deleted in Slack. */
  updateEscalation(channel: string, ts: string, escalation: Escalation): Promise<void>;
  /** The ts of the escalation posted with `key` among the channel's recent messages, if it is there. */
  findEscalation(channel: string, key: string): Promise<string | undefined>;
  /**
   * Shares a file in a thread as its own message (needs files:write). Slack's file messages carry no metadata, so
   * findThreadLine cannot find one: `key` only names the upload in the log, and the returned fileId is what to keep.
   * A refusal no retry fixes (uploads disabled, file too large for the workspace, no files:write) is a
   * PermanentFailure: post a link instead.
   */
  uploadToThread(channel: string, threadTs: string, file: ThreadFile, key?: string): Promise<{ fileId: string }>;
}

/** A file to share in a thread: its bytes, the name Slack shows, and optionally a title and alt text for images. */
export interface ThreadFile {
  filename: string;
  bytes: Buffer;
  title?: string | undefined;
  altText?: string | undefined;
}

/** Where a conversation's card goes: a channel id, or nowhere (a routing rule dropped it). */
export type RouteDecision = { channel: string; rule?: string | undefined } | { drop: true; rule?: string | undefined };
