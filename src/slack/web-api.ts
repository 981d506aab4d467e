import type { webApi } from '@slack/bolt';
import type { Dispatcher } from 'undici';
import { header, requestText, type TextResponse } from '../net/request-text.ts';
import { keepAliveDispatcher, type OutboundRequest, Transport } from '../net/transport.ts';
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
  readonly #injected: Dispatcher | undefined;
  /** For upload URLs, which are on another origin than the API's; made on first use. */
  #uploads: Dispatcher | undefined;

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
    this.#injected = options.dispatcher;
  }

  /** A method that changes something (chat.postMessage, reactions.add …): POST with a JSON body. */
  write(method: string, args: Record<string, unknown>): Promise<SlackAnswer> {
    return this.#send(method, { method: 'POST', path: `/${method}`, body: args });
  }

  /** A method that only reads (users.info, conversations.history …): GET with the arguments in the query. */
  read(method: string, args: Record<string, string | number | boolean> = {}): Promise<SlackAnswer> {
    return this.#send(method, { method: 'GET', path: `/${method}`, query: args });
  }

  /** A method that takes no JSON (files.getUploadURLExternal): POST with form fields; undefined ones are left out. */
  writeForm(method: string, args: Record<string, string | number | undefined>): Promise<SlackAnswer> {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(args)) if (value !== undefined) form.set(key, String(value));
    const request = this.#transport.prepare({ method: 'POST', path: `/${method}` });
    const headers = { ...(request.headers as Record<string, string>), 'content-type': FORM };
    return this.#answer(method, () => this.#transport.send({ ...request, headers, body: form.toString() }));
  }

  /**
   * POSTs a file's bytes to the `upload_url` files.getUploadURLExternal gave. The URL itself authorizes the upload,
   * so the bot token is not sent; and only to Slack's own hosts (or the API base's origin, a fake in tests), so a
   * tampered answer cannot send the bytes elsewhere. Failures are SlackCallErrors of the method `upload_url`.
   */
  async upload(uploadUrl: string, bytes: Buffer): Promise<void> {
    const target = this.#uploadTarget(uploadUrl);
    this.#uploads ??= this.#injected ?? keepAliveDispatcher(4);
    let response: TextResponse;
    try {
      response = await requestText(this.#uploads, {
        origin: target.origin,
        path: target.pathname + target.search,
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
        headersTimeout: UPLOAD_TIMEOUT_MS,
        bodyTimeout: UPLOAD_TIMEOUT_MS,
      });
    } catch (cause) {
      throw new SlackRequestError(UPLOAD, cause);
    }
    if (response.statusCode === 429) {
      throw new SlackRateLimitedError(UPLOAD, retryAfterSeconds(header(response.headers, 'retry-after')));
    }
    if (response.statusCode !== 200) throw new SlackHttpError(UPLOAD, response.statusCode);
  }

  async close(): Promise<void> {
    await this.#transport.close();
    if (this.#uploads && this.#uploads !== this.#injected) await this.#uploads.close();
  }

  #uploadTarget(uploadUrl: string): URL {
    const target = URL.canParse(uploadUrl) ? new URL(uploadUrl) : undefined;
    const slacks = target?.protocol === 'https:' && /(^|\.)slack\.com$/.test(target.hostname);
    if (!target || !(slacks || target.origin === this.#transport.origin)) {
      // the URL stays out of the error: it is a credential for one upload
      throw new SlackPlatformError(UPLOAD, 'upload_url_not_slack', { ok: false, error: 'upload_url_not_slack' });
    }
    return target;
  }

  #send(method: string, request: OutboundRequest): Promise<SlackAnswer> {
    return this.#answer(method, () => this.#transport.send(this.#transport.prepare(request)));
  }

  async #answer(method: string, send: () => Promise<TextResponse>): Promise<SlackAnswer> {
    let response: TextResponse;
    try {
      response = await send();
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

const FORM = 'application/x-www-form-urlencoded';
/** How failures of the upload step are named: it is no Web API method, but it fails like one. */
const UPLOAD = 'upload_url';
/** The bytes of an attachment (up to ATTACHMENT_MAX_BYTES) can take longer than one API answer. */
const UPLOAD_TIMEOUT_MS = 60_000;

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
