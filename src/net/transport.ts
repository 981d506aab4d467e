import { Agent, type Dispatcher, Pool } from 'undici';
import { queryString, requestText, type TextResponse } from './request-text.ts';

/**
 * The undici dispatcher every outbound client builds: keep-alive connections, at most `connections` open at once
 * to each origin. Given an origin, a Pool bound to it (the Intercom and Slack API clients); without one, an Agent
 * that keeps such a pool for each origin it is sent to (Slack's response URLs).
 */
export function keepAliveDispatcher(connections: number, origin?: string): Dispatcher {
  return origin === undefined ? new Agent({ connections }) : new Pool(origin, { connections });
}

export interface TransportOptions {
  /** Where requests go: its origin, and its path (a prefix, e.g. a proxy's) put before every request's path. */
  baseUrl: string;
  /** Keep-alive connections to open at most. */
  connections: number;
  /** Sent with every request (authorization, accept …). */
  headers: Record<string, string>;
  /** The content-type sent with a JSON body. */
  jsonContentType: string;
  /** Per request: longest wait for the answer's headers, and between chunks of its body. */
  timeoutMs: number;
  /** Replaces the keep-alive Pool, e.g. with an undici MockAgent in tests. The transport then does not close it. */
  dispatcher?: Dispatcher | undefined;
}

export interface OutboundRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below the base URL's path, starting with `/`, with ids already encoded. */
  path: string;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  /** Sent as JSON when defined. */
  body?: unknown;
}

/**
 * One base URL behind one keep-alive pool: the setup the Intercom client (`intercom/http.ts`) and the Slack Web
 * API transport (`slack/web-api.ts`) share. It only sends: retries, pacing and what an answer means stay with
 * each client. `prepare` builds a request once (its body serialized once), so a client's retries reuse it.
 */
export class Transport {
  readonly origin: string;
  readonly #prefix: string;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #headers: Record<string, string>;
  readonly #jsonHeaders: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(options: TransportOptions) {
    const base = new URL(options.baseUrl);
    this.origin = base.origin;
    this.#prefix = base.pathname.replace(/\/+$/, '');
    this.#ownsDispatcher = !options.dispatcher;
    this.#dispatcher = options.dispatcher ?? keepAliveDispatcher(options.connections, base.origin);
    this.#headers = options.headers;
    this.#jsonHeaders = { ...options.headers, 'content-type': options.jsonContentType };
    this.#timeoutMs = options.timeoutMs;
  }

  /** The request as undici sends it, with the base URL's path, the query string, the headers and the timeouts. */
  prepare(request: OutboundRequest, timeoutMs = this.#timeoutMs): Dispatcher.DispatchOptions {
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    return {
      origin: this.origin,
      path: this.#prefix + request.path + queryString(request.query),
      method: request.method,
      headers: body === undefined ? this.#headers : this.#jsonHeaders,
      body,
      // undici's own timers: cheap, but coarse (they tick every half second), which is fine for seconds
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    };
  }

  /** Sends a prepared request; errors are undici's own (timeouts, connection errors), or the signal's reason. */
  send(request: Dispatcher.DispatchOptions, signal?: AbortSignal): Promise<TextResponse> {
    return requestText(this.#dispatcher, request, signal);
  }

  /** Closes the pool this transport created; an injected dispatcher is left to its owner. */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}
