import type { Dispatcher } from 'undici';
import { requestText } from '../net/request-text.ts';
import { keepAliveDispatcher } from '../net/transport.ts';

/** How long a response URL may take to answer before the post counts as failed. */
export const RESPONSE_URL_TIMEOUT_MS = 3_000;

/** What a response URL takes (https://api.slack.com/interactivity/handling#message_responses). */
export interface ResponseUrlMessage {
  text: string;
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
  delete_original?: boolean;
  thread_ts?: string;
  blocks?: readonly unknown[];
}

/**
 * How a post to a response URL went. `ok` says whether Slack took the message. Otherwise `status` is the HTTP
 * status Slack answered with, or `reason` says why no answer came: `not_allowed` (not a Slack response URL, so
 * nothing was sent), `TimeoutError`, or a connection error's code (`ECONNREFUSED` …). None of it quotes the URL,
 * so it can be logged as it is.
 */
export type ResponseUrlOutcome = { ok: boolean; status: number } | { ok: false; reason: string };

/**
 * Where the bridge may send a response URL's message: Slack's own hooks host (and, when SLACK_API_URL points the
 * bridge at another Slack — a proxy, or the fakes in tests — that origin). A response URL arrives in a request
 * payload, so it is checked before anything is posted to it: nothing in a payload may aim the bridge's HTTP
 * elsewhere.
 */
export class ResponseUrls {
  readonly #origins: ReadonlySet<string>;
  readonly #timeoutMs: number;
  #dispatcher: Dispatcher | undefined;
  readonly #ownsDispatcher: boolean;

  /**
   * `dispatcher` replaces the keep-alive Agent the posts go through (made on the first post, closed by `close`);
   * `timeoutMs` is how long a post may wait for Slack's answer.
   */
  constructor(slackApiUrl?: string, options: { dispatcher?: Dispatcher; timeoutMs?: number } = {}) {
    const origins = new Set(['https://hooks.slack.com', 'https://hooks.slack-gov.com']);
    const extra = slackApiUrl ? URL.parse(slackApiUrl)?.origin : undefined;
    if (extra && extra !== 'null') origins.add(extra);
    this.#origins = origins;
    this.#timeoutMs = options.timeoutMs ?? RESPONSE_URL_TIMEOUT_MS;
    this.#dispatcher = options.dispatcher;
    this.#ownsDispatcher = !options.dispatcher;
  }

  allows(url: unknown): url is string {
    if (typeof url !== 'string') return false;
    const parsed = URL.parse(url);
    return parsed !== null && parsed.username === '' && parsed.password === '' && this.#origins.has(parsed.origin);
  }

  /**
   * Posts `message` to a response URL, if it is one of Slack's (`allows`), waiting at most the timeout for the
   * answer. Never throws, and never logs: the URL lets whoever holds it post to the person for half an hour, so
   * it must not reach a log line, and what comes back never quotes it. Redirects are not followed.
   */
  async post(url: unknown, message: ResponseUrlMessage): Promise<ResponseUrlOutcome> {
    if (!this.allows(url)) return { ok: false, reason: 'not_allowed' };
    const target = new URL(url);
    this.#dispatcher ??= keepAliveDispatcher(8);
    try {
      const { statusCode: status } = await requestText(
        this.#dispatcher,
        {
          origin: target.origin,
          path: target.pathname + target.search,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(message),
        },
        AbortSignal.timeout(this.#timeoutMs),
      );
      return { ok: status >= 200 && status < 300, status };
    } catch (error) {
      return { ok: false, reason: failureReason(error) };
    }
  }

  /** Closes the connections the posts opened; an injected dispatcher is left to its owner. */
  async close(): Promise<void> {
    if (!this.#ownsDispatcher) return;
    const dispatcher = this.#dispatcher;
    this.#dispatcher = undefined;
    await dispatcher?.close();
  }
}

/** What kind of failure it was (`TimeoutError`, `ECONNREFUSED` …), never its message: that can quote the URL. */
function failureReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error || error instanceof DOMException ? error.name : 'unknown';
}
