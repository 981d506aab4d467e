import { webApi } from '@slack/bolt';
import { MessageGone, PermanentFailure, RetryLater } from '../bridge/failures.ts';
import type { CardData, ThreadLine } from '../bridge/model.ts';
import type { SlackPort } from '../bridge/ports.ts';
import type { Logger } from '../logger.ts';
import { buildCard } from './blocks/card.ts';
import { buildThreadLine } from './blocks/thread.ts';
import { toBoltLogger } from './bolt-logger.ts';

type WebClient = InstanceType<typeof webApi.WebClient>;

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

  constructor(client: WebClient, logger: Logger) {
    this.#client = client;
    this.#logger = logger;
  }

  async postCard(channel: string, card: CardData): Promise<{ ts: string }> {
    const message = buildCard(card);
    const result = await this.#inChannel(channel, () =>
      this.#client.chat.postMessage({ channel, ...message, unfurl_links: false, unfurl_media: false }),
    );
    return { ts: String(result.ts) };
  }

  async updateCard(channel: string, ts: string, card: CardData): Promise<void> {
    try {
      await this.#client.chat.update({ channel, ts, ...buildCard(card) });
    } catch (error) {
      if (platformError(error) === 'message_not_found') throw new MessageGone();
      throw classify(error);
    }
  }

  async postThreadLine(channel: string, threadTs: string, line: ThreadLine): Promise<void> {
    const message = buildThreadLine(line);
    await this.#inChannel(channel, () =>
      this.#client.chat.postMessage({
        channel,
        thread_ts: threadTs,
        ...message,
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
  }

  /** Runs a post; when the bot is not in the (public) channel, joins it and tries once more. */
  async #inChannel<T>(channel: string, post: () => Promise<T>): Promise<T> {
    try {
      return await post();
    } catch (error) {
      if (platformError(error) !== 'not_in_channel') throw classify(error);
    }
    try {
      await this.#client.conversations.join({ channel });
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
