import type { webApi } from '@slack/bolt';
import type { Dispatcher } from 'undici';
import { header, type TextResponse } from '../net/request-text.ts';
import { type OutboundRequest, Transport } from '../net/transport.ts';
import { SlackHttpError, SlackPlatformError, SlackRateLimitedError, SlackRequestError } from './errors.ts';

/**
 * The Slack Web API as the bridge's background work uses it: one keep-alive undici Pool, writes sent as JSON,
 * reads as GET with a query string, the bot token in the Authorization header, and every failure handed back
 * at once — no retries and no queue of its own, since the inbox (which survives restarts) schedules retries.
 *
 * Why not Bolt's WebClient here: with retries and rate-limit waits turned off it is only a transport, and a
 * costly one — it form-encodes every body (blocks JSON-stringified, then percent-encoded), goes through fetch's
 * streams, and builds redacted JSON copies of every request and answer for debug lines even when debug is off.
 * An allocation profile of `bench:webhooks` put 43% of everything the bridge allocated per card in that client.
 * Listeners keep Bolt's client (views, responses), where its conveniences matter.
 */
export class SlackWebApi {
  readonly #transport: Transport;

  constructor(
    token: string,
    options: { apiUrl?: string | undefined; timeoutMs?: number; dispatcher?: Dispatcher | undefined } = {},
  ) {
    this.#transport = new Transport({
      baseUrl: options.apiUrl ?? 'https://slack.com/api/',
      connections: 32,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      jsonContentType: 'application/json; charset=utf-8',
      timeoutMs: options.timeoutMs ?? 15_000,
      dispatcher: options.dispatcher,
    });
  }

  /** A method that changes something (chat.postMessage, reactions.add …): POST with a JSON body. */
  write(method: string, args: Record<string, unknown>): Promise<SlackAnswer> {
    return this.#send(method, { method: 'POST', path: `/${method}`, body: args });
  }

  /** A method that only reads (users.info, conversations.history …): GET with the arguments in the query. */
  read(method: string, args: Record<string, string | number | boolean> = {}): Promise<SlackAnswer> {
    return this.#send(method, { method: 'GET', path: `/${method}`, query: args });
  }

  close(): Promise<void> {
    return this.#transport.close();
  }

  async #send(method: string, request: OutboundRequest): Promise<SlackAnswer> {
    let response: TextResponse;
    try {
      response = await this.#transport.send(this.#transport.prepare(request));
    } catch (cause) {
      throw new SlackRequestError(method, cause);
    }
    const { statusCode: status, headers, text } = response;
    if (status === 429) throw new SlackRateLimitedError(method, retryAfterSeconds(header(headers, 'retry-after')));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (status !== 200 || typeof body !== 'object' || body === null) throw new SlackHttpError(method, status);
    const answer = body as SlackAnswer;
    if (answer.ok !== true) throw new SlackPlatformError(method, String(answer.error ?? 'unknown_error'), answer);
    const scopes = header(headers, 'x-oauth-scopes');
    if (scopes !== undefined) answer.scopes = scopes;
    return answer;
  }
}

/** A successful answer: Slack's JSON (`ok: true` and the method's fields), plus the token's granted scopes. */
export interface SlackAnswer {
  ok: boolean;
  error?: string;
  scopes?: string;
  [field: string]: unknown;
}

/** Retry-After in seconds; Slack always sends one with a 429, and a second is the floor when it does not. */
function retryAfterSeconds(value: string | undefined): number {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 1;
}

/**
 * The retry policy of Bolt's own WebClient, which the listeners use (`client.views.open`, `views.update`): two
 * retries, 1 s and 2 s apart, then the error handler tells the person. Someone is waiting and a trigger_id lasts
 * 3 s, so the sdk's default (ten retries over about 30 minutes) only delays the answer; background work goes
 * through SlackWebApi above, and the inbox retries it.
 */
export const listenerRetryPolicy: webApi.RetryOptions = { retries: 2, factor: 2, minTimeout: 1_000, maxTimeout: 2_000 };
