import { MessageGone, PermanentFailure, RetryLater } from '../bridge/failures.ts';
import type { CardData, Escalation, ThreadLine } from '../bridge/model.ts';
import type { Notice } from '../bridge/notifications.ts';
import type { EphemeralTarget, SlackPort, SlackUser, SlackWorkspace, ThreadFile } from '../bridge/ports.ts';
import type { Logger } from '../logger.ts';
import { buildCard } from './blocks/card.ts';
import { buildEscalation } from './blocks/clock.ts';
import { notificationMessage } from './blocks/notifications.ts';
import { buildThreadLine } from './blocks/thread.ts';
import { SlackHttpError, SlackPlatformError, SlackRateLimitedError } from './errors.ts';
import type { SlackAnswer, SlackWebApi } from './web-api.ts';

// Message metadata marks what the bridge posted, so an attempt interrupted between Slack's answer and the store's
// write can find its message instead of posting it twice (conversation-sync.ts).
const CARD_EVENT = 'intercom_bridge_card';
const LINE_EVENT = 'intercom_bridge_line';
const ESCALATION_EVENT = 'intercom_bridge_escalation';

/** What the bridge reads of the messages and users Slack returns. */
interface HistoryMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}
interface UserObject {
  name?: string;
  real_name?: string;
  tz?: string;
  is_bot?: boolean;
  team_id?: string;
  enterprise_user?: { enterprise_id?: string };
  profile?: { display_name?: string; email?: string };
}
const messagesOf = (answer: SlackAnswer) => (Array.isArray(answer.messages) ? answer.messages : []) as HistoryMessage[];

/** Slack errors that no retry will fix; the delivery is parked with the reason. */
const PERMANENT = new Set([
  'channel_not_found',
  'is_archived',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'restricted_action',
  'ekm_access_denied',
  'invalid_blocks',
  'invalid_arguments',
  'msg_too_long',
  'team_access_not_granted',
  // files.getUploadURLExternal and files.completeUploadExternal: the workspace will not take this file
  'file_uploads_disabled',
  'file_uploads_except_images_disabled',
  'file_upload_size_restricted',
  'file_type_not_allowed',
  'storage_limit_reached',
  'alt_txt_too_large',
  'missing_argument',
  'posting_to_channel_denied',
  'invalid_channel',
  'upload_url_not_slack',
]);

/** Slack caps alt text at 1000 characters and refuses the upload over it; a shorter description is still useful. */
const MAX_ALT_TEXT = 1000;

/** The bridge's SlackPort on the Web API: cards and thread lines rendered with Block Kit, errors sorted. */
export class WebApiSlackPort implements SlackPort {
  readonly #web: SlackWebApi;
  readonly #logger: Logger;
  readonly #onCall: ((method: string, status: string) => void) | undefined;
  /**
   * Until when Slack asked for no more posts in a channel (its 429's Retry-After): a post due before then is
   * refused here, without a call, so a burst held back by the limit does not keep knocking on it.
   */
  readonly #heldUntil = new Map<string, number>();

  /** `onCall` hears every Web API call's method and result (`ok` or Slack's error), e.g. to count them. */
  constructor(web: SlackWebApi, logger: Logger, onCall?: (method: string, status: string) => void) {
    this.#web = web;
    this.#logger = logger;
    this.#onCall = onCall;
  }

  /** Every Web API call goes through these, so each is counted with its result. */
  #write(method: string, args: Record<string, unknown>): Promise<SlackAnswer> {
    return this.#counted(method, () => this.#web.write(method, args));
  }

  #writeForm(method: string, args: Record<string, string | number | undefined>): Promise<SlackAnswer> {
    return this.#counted(method, () => this.#web.writeForm(method, args));
  }

  #read(method: string, args: Record<string, string | number | boolean>): Promise<SlackAnswer> {
    return this.#counted(method, () => this.#web.read(method, args));
  }

  async #counted(method: string, call: () => Promise<SlackAnswer>): Promise<SlackAnswer> {
    try {
      const result = await call();
      this.#onCall?.(method, 'ok');
      return result;
    } catch (error) {
      this.#onCall?.(method, callStatus(error));
      throw error;
    }
  }

  async postCard(channel: string, card: CardData): Promise<{ ts: string }> {
    const message = buildCard(card);
    const metadata = { event_type: CARD_EVENT, event_payload: { conversation_id: card.conversationId } };
    const result = await this.#inChannel(channel, () =>
      this.#write('chat.postMessage', { channel, ...message, metadata, unfurl_links: false, unfurl_media: false }),
    );
    return { ts: String(result.ts) };
  }

  findCard(channel: string, conversationId: string): Promise<string | undefined> {
    return this.#findByMetadata(channel, CARD_EVENT, (payload) => payload?.conversation_id === conversationId);
  }

  /** The latest of the channel's last 200 messages that carries `eventType` metadata whose payload `matches`. */
  async #findByMetadata(
    channel: string,
    eventType: string,
    matches: (payload: Record<string, unknown> | undefined) => boolean,
  ): Promise<string | undefined> {
    const result = await this.#call(() =>
      this.#read('conversations.history', { channel, limit: 200, include_all_metadata: true }),
    );
    return messagesOf(result).find((m) => m.metadata?.event_type === eventType && matches(m.metadata.event_payload))
      ?.ts;
  }

  async findThreadLine(channel: string, threadTs: string, key: string): Promise<boolean> {
    const result = await this.#call(() =>
      this.#read('conversations.replies', { channel, ts: threadTs, limit: 200, include_all_metadata: true }),
    );
    return messagesOf(result).some(
      (m) => m.metadata?.event_type === LINE_EVENT && m.metadata.event_payload?.key === key,
    );
  }

  async updateCard(channel: string, ts: string, card: CardData): Promise<void> {
    try {
      await this.#write('chat.update', { channel, ts, ...buildCard(card) });
    } catch (error) {
      if (platformError(error) === 'message_not_found') throw new MessageGone();
      throw classify(error);
    }
  }

  async postThreadLine(channel: string, threadTs: string, line: ThreadLine, key?: string): Promise<void> {
    const message = buildThreadLine(line);
    const metadata = key ? { metadata: { event_type: LINE_EVENT, event_payload: { key } } } : {};
    await this.#inChannel(channel, () =>
      this.#write('chat.postMessage', {
        channel,
        thread_ts: threadTs,
        ...message,
        ...metadata,
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
  }

  async user(userId: string): Promise<SlackUser | null> {
    try {
      const answer = await this.#read('users.info', { user: userId });
      const user = answer.user as UserObject | undefined;
      if (!user) return null;
      return {
        id: userId,
        name: user.profile?.display_name || user.real_name || user.name || userId,
        email: user.profile?.email || null,
        timeZone: user.tz || null,
        isBot: Boolean(user.is_bot),
        teamId: user.team_id || null,
        enterpriseId: user.enterprise_user?.enterprise_id || null,
      };
    } catch (error) {
      if (platformError(error) === 'user_not_found') return null;
      throw classify(error);
    }
  }

  async userIdByEmail(email: string): Promise<string | null> {
    try {
      const answer = await this.#read('users.lookupByEmail', { email });
      const user = answer.user as (UserObject & { id?: string; deleted?: boolean }) | undefined;
      return user?.id && !user.deleted && !user.is_bot ? user.id : null;
    } catch (error) {
      if (platformError(error) === 'users_not_found') return null;
      throw classify(error);
    }
  }

  async postEscalation(channel: string, escalation: Escalation, key: string): Promise<{ ts: string }> {
    const metadata = {
      event_type: ESCALATION_EVENT,
      event_payload: { conversation_id: escalation.conversationId, key },
    };
    const answer = await this.#inChannel(channel, () =>
      this.#write('chat.postMessage', {
        channel,
        ...buildEscalation(escalation),
        metadata,
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    return { ts: String(answer.ts) };
  }

  async updateEscalation(channel: string, ts: string, escalation: Escalation): Promise<void> {
    try {
      await this.#write('chat.update', { channel, ts, ...buildEscalation(escalation) });
    } catch (error) {
      if (platformError(error) === 'message_not_found') throw new MessageGone();
      throw classify(error);
    }
  }

  findEscalation(channel: string, key: string): Promise<string | undefined> {
    return this.#findByMetadata(channel, ESCALATION_EVENT, (payload) => payload?.key === key);
  }

  async tellUser(target: EphemeralTarget, text: string): Promise<void> {
    await this.#call(() =>
      this.#write('chat.postEphemeral', {
        channel: target.channel,
        user: target.user,
        text,
        ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
      }),
    );
  }

  /** Checks the bot token: who the bot is, and the scopes Slack granted (from the response header). */
  async authTest(): Promise<{ team: string; botUserId: string; botId: string; scopes: string[] }> {
    const result = await this.#write('auth.test', {});
    const scopes = String(result.scopes ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return {
      team: String(result.team ?? ''),
      botUserId: String(result.user_id ?? ''),
      botId: String(result.bot_id ?? ''),
      scopes,
    };
  }

  /**
   * The workspace and app the bot token belongs to. auth.test names the app only in newer answers; bots.info (the
   * bot's own record, users:read) names it too.
   */
  async workspace(): Promise<SlackWorkspace> {
    const result = await this.#write('auth.test', {});
    const botId = String(result.bot_id ?? '');
    let appId = typeof result.app_id === 'string' && result.app_id ? result.app_id : undefined;
    if (!appId && botId) {
      const bot = (await this.#read('bots.info', { bot: botId })).bot as { app_id?: unknown } | undefined;
      appId = typeof bot?.app_id === 'string' && bot.app_id ? bot.app_id : undefined;
    }
    const enterpriseId =
      typeof result.enterprise_id === 'string' && result.enterprise_id ? result.enterprise_id : undefined;
    return {
      teamId: String(result.team_id ?? ''),
      enterpriseId,
      appId,
      enterpriseInstall: result.is_enterprise_install === true,
      botId,
      botUserId: String(result.user_id ?? ''),
    };
  }

  async dm(userId: string, text: string): Promise<void> {
    await this.#call(() => this.#write('chat.postMessage', { channel: userId, text, unfurl_links: false }));
  }

  /** A personal notification (bridge/notifications.ts): a DM from the app, with the conversation's links and Reply. */
  async notify(userId: string, notice: Notice): Promise<void> {
    const message = notificationMessage(notice);
    await this.#call(() =>
      this.#write('chat.postMessage', { channel: userId, ...message, unfurl_links: false, unfurl_media: false }),
    );
  }

  /** Publishes a person's Home tab (views.publish; no scope needed). The view is rendered by blocks/home.ts. */
  async publishHome(userId: string, view: { type: 'home'; blocks: unknown[] }): Promise<void> {
    await this.#call(() => this.#write('views.publish', { user_id: userId, view }));
  }

  /** A message of the app's own in a channel (a digest): joins a public channel first when it must. */
  async postMessage(channel: string, message: { text: string; blocks?: unknown[] }): Promise<{ ts: string }> {
    const result = await this.#inChannel(channel, () =>
      this.#write('chat.postMessage', { channel, ...message, unfurl_links: false, unfurl_media: false }),
    );
    return { ts: String(result.ts) };
  }

  async permalink(channel: string, ts: string): Promise<string> {
    const result = await this.#call(() => this.#read('chat.getPermalink', { channel, message_ts: ts }));
    return String(result.permalink);
  }

  async react(channel: string, ts: string, emoji: string): Promise<void> {
    try {
      await this.#write('reactions.add', { channel, timestamp: ts, name: emoji });
    } catch (error) {
      if (platformError(error) !== 'already_reacted') throw classify(error);
    }
  }

  /**
   * Slack's external upload: ask for an upload URL (form fields only: the method takes no JSON), send the bytes
   * there, then share the file in the thread. A retry starts over: an upload never completed is dropped by Slack.
   */
  async uploadToThread(channel: string, threadTs: string, file: ThreadFile, key?: string): Promise<{ fileId: string }> {
    const ticket = await this.#call(() =>
      this.#writeForm('files.getUploadURLExternal', {
        filename: file.filename,
        length: file.bytes.length,
        alt_txt: file.altText?.slice(0, MAX_ALT_TEXT),
      }),
    );
    const fileId = String(ticket.file_id ?? '');
    const uploadUrl = String(ticket.upload_url ?? '');
    await this.#call(() =>
      this.#counted('upload_url', () => this.#web.upload(uploadUrl, file.bytes).then(() => ticket)),
    );
    await this.#inChannel(channel, () =>
      this.#write('files.completeUploadExternal', {
        files: [{ id: fileId, title: file.title ?? file.filename }],
        channel_id: channel,
        thread_ts: threadTs,
      }),
    );
    this.#logger.debug({ channel, threadTs, fileId, key, bytes: file.bytes.length }, 'shared a file in a thread');
    return { fileId };
  }

  /**
   * Runs a post; when the bot is not in the (public) channel, joins it and tries once more. While Slack's rate
   * limit holds the channel, a post fails at once as Slack itself would have answered it.
   */
  async #inChannel<T>(channel: string, post: () => Promise<T>): Promise<T> {
    const heldMs = (this.#heldUntil.get(channel) ?? 0) - Date.now();
    if (heldMs > 0) throw classify(new SlackRateLimitedError('chat.postMessage', Math.ceil(heldMs / 1000)));
    this.#heldUntil.delete(channel);
    try {
      return await post();
    } catch (error) {
      if (error instanceof SlackRateLimitedError)
        this.#heldUntil.set(channel, Date.now() + error.retryAfterSeconds * 1000);
      if (platformError(error) !== 'not_in_channel') throw classify(error);
    }
    try {
      await this.#write('conversations.join', { channel });
      this.#logger.info({ channel }, 'joined the channel to post there');
    } catch (error) {
      if (platformError(error) === 'method_not_supported_for_channel_type') {
        throw new PermanentFailure(`the bot is not in private channel ${channel}: invite it there (/invite @bot)`);
      }
      throw classify(error);
    }
    return this.#call(post);
  }

  /** Runs a Web API call, turning its failure into RetryLater or PermanentFailure. */
  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw classify(error);
    }
  }
}

/** Sorts a Web API failure: 429 and passing trouble → RetryLater; refusals no retry can fix → PermanentFailure. */
function classify(error: unknown): Error {
  if (error instanceof SlackRateLimitedError) {
    return new RetryLater(`Slack rate limit: retry after ${error.retryAfterSeconds} s`, {
      afterMs: error.retryAfterSeconds * 1000,
      cause: error,
    });
  }
  const platform = platformError(error);
  if (platform && PERMANENT.has(platform)) return new PermanentFailure(`Slack refused: ${platform}`, { cause: error });
  if (platform) return new RetryLater(`Slack answered ${platform}`, { cause: error });
  return new RetryLater(`Slack call failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}

/** How a failed call is counted: ratelimited, Slack's error code, http_<status>, or request_error (no answer). */
function callStatus(error: unknown): string {
  if (error instanceof SlackRateLimitedError) return 'ratelimited';
  if (error instanceof SlackHttpError) return `http_${error.status}`;
  return platformError(error) ?? 'request_error';
}

function platformError(error: unknown): string | undefined {
  return error instanceof SlackPlatformError ? error.error : undefined;
}
