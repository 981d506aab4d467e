import { webApi } from '@slack/bolt';
import { MessageGone, PermanentFailure, RetryLater } from '../bridge/failures.ts';
import type { CardData, ThreadLine } from '../bridge/model.ts';
import type { EphemeralTarget, SlackPort, SlackUser } from '../bridge/ports.ts';
import type { Logger } from '../logger.ts';
import { buildCard } from './blocks/card.ts';
import { buildThreadLine } from './blocks/thread.ts';
import { toBoltLogger } from './bolt-logger.ts';

type WebClient = InstanceType<typeof webApi.WebClient>;

// Message metadata marks what the bridge posted, so an attempt interrupted between Slack's answer and the store's
// write can find its message instead of posting it twice (conversation-sync.ts).
const CARD_EVENT = 'intercom_bridge_card';
const LINE_EVENT = 'intercom_bridge_line';

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
]);

/**
 * A WebClient for background work: no retries of its own (it would sit in them for half an hour) and 429s
 * handed back, so the inbox — which survives restarts — schedules the retry instead.
 */
export function backgroundWebClient(
  token: string,
  options: { apiUrl?: string | undefined; logger: Logger },
): WebClient {
  return new webApi.WebClient(token, {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 15_000,
    logger: toBoltLogger(options.logger, 'slack-web-api'),
  });
}

/** The bridge's SlackPort on the Web API: cards and thread lines rendered with Block Kit, errors sorted. */
export class WebApiSlackPort implements SlackPort {
  readonly #client: WebClient;
  readonly #logger: Logger;

  readonly #onCall: ((method: string, status: string) => void) | undefined;

  /** `onCall` hears every Web API call's method and result (`ok` or Slack's error), e.g. to count them. */
  constructor(client: WebClient, logger: Logger, onCall?: (method: string, status: string) => void) {
    this.#client = client;
    this.#logger = logger;
    this.#onCall = onCall;
  }

  /** Every Web API call goes through here, so each is counted with its result. */
  async #api<T>(method: string, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.#onCall?.(method, 'ok');
      return result;
    } catch (error) {
      const code = (error as { code?: string }).code;
      this.#onCall?.(
        method,
        code === webApi.ErrorCode.RateLimitedError ? 'ratelimited' : (platformError(error) ?? 'request_error'),
      );
      throw error;
    }
  }

  async postCard(channel: string, card: CardData): Promise<{ ts: string }> {
    const message = buildCard(card);
    const metadata = { event_type: CARD_EVENT, event_payload: { conversation_id: card.conversationId } };
    const result = await this.#inChannel(channel, () =>
      this.#api('chat.postMessage', () =>
        this.#client.chat.postMessage({ channel, ...message, metadata, unfurl_links: false, unfurl_media: false }),
      ),
    );
    return { ts: String(result.ts) };
  }

  async findCard(channel: string, conversationId: string): Promise<string | undefined> {
    const result = await this.#call(() =>
      this.#api('conversations.history', () =>
        this.#client.conversations.history({ channel, limit: 200, include_all_metadata: true }),
      ),
    );
    const found = (result.messages ?? []).find(
      (m) =>
        m.metadata?.event_type === CARD_EVENT &&
        (m.metadata.event_payload as Record<string, unknown> | undefined)?.conversation_id === conversationId,
    );
    return found?.ts;
  }

  async findThreadLine(channel: string, threadTs: string, key: string): Promise<boolean> {
    const result = await this.#call(() =>
      this.#api('conversations.replies', () =>
        this.#client.conversations.replies({ channel, ts: threadTs, limit: 200, include_all_metadata: true }),
      ),
    );
    return (result.messages ?? []).some(
      (m) =>
        m.metadata?.event_type === LINE_EVENT &&
        (m.metadata.event_payload as Record<string, unknown> | undefined)?.key === key,
    );
  }

  async updateCard(channel: string, ts: string, card: CardData): Promise<void> {
    try {
      await this.#api('chat.update', () => this.#client.chat.update({ channel, ts, ...buildCard(card) }));
    } catch (error) {
      if (platformError(error) === 'message_not_found') throw new MessageGone();
      throw classify(error);
    }
  }

  async postThreadLine(channel: string, threadTs: string, line: ThreadLine, key?: string): Promise<void> {
    const message = buildThreadLine(line);
    const metadata = key ? { metadata: { event_type: LINE_EVENT, event_payload: { key } } } : {};
    await this.#inChannel(channel, () =>
      this.#api('chat.postMessage', () =>
        this.#client.chat.postMessage({
          channel,
          thread_ts: threadTs,
          ...message,
          ...metadata,
          unfurl_links: false,
          unfurl_media: false,
        }),
      ),
    );
  }

  async user(userId: string): Promise<SlackUser | null> {
    try {
      const { user } = await this.#api('users.info', () => this.#client.users.info({ user: userId }));
      if (!user) return null;
      return {
        id: userId,
        name: user.profile?.display_name || user.real_name || user.name || userId,
        email: user.profile?.email || null,
        timeZone: user.tz || null,
        isBot: Boolean(user.is_bot),
      };
    } catch (error) {
      if (platformError(error) === 'user_not_found') return null;
      throw classify(error);
    }
  }

  async tellUser(target: EphemeralTarget, text: string): Promise<void> {
    await this.#call(() =>
      this.#api('chat.postEphemeral', () =>
        this.#client.chat.postEphemeral({
          channel: target.channel,
          user: target.user,
          text,
          ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
        }),
      ),
    );
  }

  /** Checks the bot token: who the bot is, and the scopes Slack granted (from the response header). */
  async authTest(): Promise<{ team: string; botUserId: string; botId: string; scopes: string[] }> {
    const result = await this.#api('auth.test', () => this.#client.auth.test());
    const scopes = String(result.response_metadata?.scopes ?? '')
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

  async dm(userId: string, text: string): Promise<void> {
    await this.#call(() =>
      this.#api('chat.postMessage', () =>
        this.#client.chat.postMessage({ channel: userId, text, unfurl_links: false }),
      ),
    );
  }

  async permalink(channel: string, ts: string): Promise<string> {
    const result = await this.#call(() =>
      this.#api('chat.getPermalink', () => this.#client.chat.getPermalink({ channel, message_ts: ts })),
    );
    return String(result.permalink);
  }

  async react(channel: string, ts: string, emoji: string): Promise<void> {
    try {
      await this.#api('reactions.add', () => this.#client.reactions.add({ channel, timestamp: ts, name: emoji }));
    } catch (error) {
      if (platformError(error) !== 'already_reacted') throw classify(error);
    }
  }

  /** Runs a post; when the bot is not in the (public) channel, joins it and tries once more. */
  async #inChannel<T>(channel: string, post: () => Promise<T>): Promise<T> {
    try {
      return await post();
    } catch (error) {
      if (platformError(error) !== 'not_in_channel') throw classify(error);
    }
    try {
      await this.#api('conversations.join', () => this.#client.conversations.join({ channel }));
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
  const code = (error as { code?: string }).code;
  if (code === webApi.ErrorCode.RateLimitedError) {
    const retryAfter = Number((error as { retryAfter?: number }).retryAfter ?? 1);
    return new RetryLater(`Slack rate limit: retry after ${retryAfter} s`, {
      afterMs: retryAfter * 1000,
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

function platformError(error: unknown): string | undefined {
  if ((error as { code?: string }).code !== webApi.ErrorCode.PlatformError) return undefined;
  return (error as { data?: { error?: string } }).data?.error;
}
