import { type Dispatcher, Pool } from 'undici';
import { header, queryString, requestText, type TextResponse } from '../http/request-text.ts';

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
  readonly #pool: Dispatcher;
  readonly #owns: boolean;
  readonly #origin: string;
  readonly #prefix: string;
  readonly #headers: Record<string, string>;
  readonly #jsonHeaders: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(
    token: string,
    options: { apiUrl?: string | undefined; timeoutMs?: number; dispatcher?: Dispatcher | undefined } = {},
  ) {
    const base = new URL(options.apiUrl ?? 'https://slack.com/api/');
    this.#origin = base.origin;
    this.#prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    this.#owns = !options.dispatcher;
    this.#pool = options.dispatcher ?? new Pool(base.origin, { connections: 32 });
    this.#headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    this.#jsonHeaders = { ...this.#headers, 'content-type': 'application/json; charset=utf-8' };
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** A method that changes something (chat.postMessage, reactions.add …): POST with a JSON body. */
  write(method: string, args: Record<string, unknown>): Promise<SlackAnswer> {
    return this.#send(method, { method: 'POST', path: this.#prefix + method, headers: this.#jsonHeaders }, args);
  }

  /** A method that only reads (users.info, conversations.history …): GET with the arguments in the query. */
  read(method: string, args: Record<string, string | number | boolean> = {}): Promise<SlackAnswer> {
    const path = this.#prefix + method + queryString(args);
    return this.#send(method, { method: 'GET', path, headers: this.#headers });
  }

  async close(): Promise<void> {
    if (this.#owns) await this.#pool.close();
  }

  async #send(
    method: string,
    request: { method: 'GET' | 'POST'; path: string; headers: Record<string, string> },
    args?: Record<string, unknown>,
  ): Promise<SlackAnswer> {
    let response: TextResponse;
    try {
      response = await requestText(this.#pool, {
        origin: this.#origin,
        ...request,
        body: args === undefined ? undefined : JSON.stringify(args),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
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

/** A Web API call that failed; `code` says how, stable for callers and metrics. */
export abstract class SlackCallError extends Error {
  abstract readonly code: string;
  readonly method: string;
  constructor(method: string, message: string, options?: ErrorOptions) {
    super(`${method} failed: ${message}`, options);
    this.name = new.target.name;
    this.method = method;
  }
}

/** Slack answered `ok: false`: `error` is its code (channel_not_found, not_in_channel …). */
export class SlackPlatformError extends SlackCallError {
  readonly code = 'slack_platform_error';
  readonly error: string;
  readonly data: SlackAnswer;
  constructor(method: string, error: string, data: SlackAnswer) {
    super(method, error);
    this.error = error;
    this.data = data;
  }
}

/** Slack answered 429: wait `retryAfterSeconds` before calling this method again. */
export class SlackRateLimitedError extends SlackCallError {
  readonly code = 'slack_rate_limited';
  readonly retryAfterSeconds: number;
  constructor(method: string, retryAfterSeconds: number) {
    super(method, `rate limited, retry after ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Slack answered with an HTTP status other than 200 and 429, or a body that is not a JSON object. */
export class SlackHttpError extends SlackCallError {
  readonly code = 'slack_http_error';
  readonly status: number;
  constructor(method: string, status: number) {
    super(method, `HTTP ${status}`);
    this.status = status;
  }
}

/** No answer came: connection refused or reset, or a timeout. The undici error is the cause. */
export class SlackRequestError extends SlackCallError {
  readonly code = 'slack_request_error';
  constructor(method: string, cause: unknown) {
    super(method, cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Retry-After in seconds; Slack always sends one with a 429, and a second is the floor when it does not. */
function retryAfterSeconds(value: string | undefined): number {
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 1;
}
