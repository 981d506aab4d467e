import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import packageJson from '../../package.json' with { type: 'json' };
import { header, type TextResponse } from '../net/request-text.ts';
import { Transport } from '../net/transport.ts';
import {
  IntercomApiError,
  type IntercomError,
  type IntercomErrorDetail,
  IntercomInvalidResponseError,
  IntercomRateLimitedError,
  IntercomRequestError,
  IntercomTimeoutError,
  type RequestLabel,
} from './errors.ts';
import { type PacerOptions, RateLimitPacer } from './pacer.ts';
import {
  type AttemptFailure,
  backoffDelayMs,
  idempotentRetryPolicy,
  type RetryPolicy,
  serverWaitMs,
  unprocessedOnlyRetryPolicy,
} from './retry.ts';
import { ErrorList, parseLenient } from './schemas.ts';

export const intercomRegions = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
} as const;
export type IntercomRegion = keyof typeof intercomRegions;

export const USER_AGENT = `intercom-slack-bridge/${packageJson.version} (+node ${process.versions.node})`;

export interface IntercomHttpOptions {
  token: string;
  /** Full base URL; wins over `region`. A path prefix (for a proxy) is kept. */
  baseUrl?: string | undefined;
  region?: IntercomRegion | undefined;
  /** Sent as `Intercom-Version`. */
  apiVersion?: string | undefined;
  /** Per attempt: longest wait for the answer's headers, and between chunks of its body (±0.5 s). */
  timeoutMs?: number | undefined;
  /** Replaces the keep-alive Pool, e.g. with an undici MockAgent in tests. The client then does not close it. */
  dispatcher?: Dispatcher | undefined;
  /** Policy for GET, PUT, DELETE and searches. */
  idempotentRetry?: RetryPolicy | undefined;
  /** Policy for writes that must not happen twice. */
  writeRetry?: RetryPolicy | undefined;
  logger?: Logger | undefined;
  /** Slowing down when X-RateLimit-Remaining runs low: on by default, `false` turns it off. */
  pacing?: false | PacerOptions | undefined;
  /** Told about every attempt (status undefined when no answer came), e.g. to count requests. */
  onAttempt?: ((attempt: { method: string; path: string; status: number | undefined; ms: number }) => void) | undefined;
  /** Clock and randomness, injectable so tests never depend on wall time. */
  now?: (() => number) | undefined;
  random?: (() => number) | undefined;
}

/** Per-call options every operation accepts. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

type Query = Record<string, string | number | boolean | undefined>;

export interface RequestSpec<S extends z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the base URL, with ids already encoded (use `path` below). */
  path: string;
  query?: Query | undefined;
  body?: unknown;
  /** Whether repeating the request is harmless; defaults to true for everything but POST. */
  idempotent?: boolean | undefined;
  schema: S;
}

/** Builds a path, percent-encoding every interpolated id: path`/conversations/${id}/reply`. */
export function path(strings: TemplateStringsArray, ...ids: Array<string | number>): string {
  return strings.reduce((out, s, i) => out + s + (i < ids.length ? segment(String(ids[i])) : ''), '');
}

/**
 * An id as one path segment. `.` and `..` are refused: URL resolution would walk up the path with them, even
 * percent-encoded (`%2E%2E` counts as `..`), and no Intercom id looks like that.
 */
function segment(id: string): string {
  if (id === '.' || id === '..') throw new RangeError(`"${id}" is not an Intercom id`);
  return encodeURIComponent(id);
}

/**
 * One keep-alive connection pool to Intercom, with the headers, timeouts, retries, pacing and error mapping
 * every operation shares. Operations live in `resources/` and only describe requests.
 */
export class IntercomHttp {
  readonly origin: string;
  readonly #transport: Transport;
  readonly #timeoutMs: number;
  readonly #idempotentRetry: RetryPolicy;
  readonly #writeRetry: RetryPolicy;
  readonly #onAttempt: IntercomHttpOptions['onAttempt'];
  readonly #log: Logger | undefined;
  readonly #debug: boolean;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #pacer: RateLimitPacer | undefined;

  constructor(options: IntercomHttpOptions) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#transport = new Transport({
      baseUrl: options.baseUrl ?? intercomRegions[options.region ?? 'us'],
      connections: 128,
      headers: {
        authorization: `Bearer ${options.token}`,
        accept: 'application/json',
        'intercom-version': options.apiVersion ?? '2.14',
        'user-agent': USER_AGENT,
      },
      jsonContentType: 'application/json',
      timeoutMs: this.#timeoutMs,
      dispatcher: options.dispatcher,
    });
    this.origin = this.#transport.origin;
    this.#idempotentRetry = options.idempotentRetry ?? idempotentRetryPolicy;
    this.#writeRetry = options.writeRetry ?? unprocessedOnlyRetryPolicy;
    this.#log = options.logger;
    this.#debug = options.logger?.isLevelEnabled('debug') ?? false;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#onAttempt = options.onAttempt;
    this.#pacer = options.pacing === false ? undefined : new RateLimitPacer({ now: this.#now, ...options.pacing });
  }

  /** Sends one request (retrying as its policy allows) and returns the body parsed by `spec.schema`. */
  async call<S extends z.ZodType>(spec: RequestSpec<S>, options: CallOptions = {}): Promise<z.output<S>> {
    const label: RequestLabel = { method: spec.method, path: spec.path };
    const policy = (spec.idempotent ?? spec.method !== 'POST') ? this.#idempotentRetry : this.#writeRetry;
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const signal = options.signal;
    const request = this.#transport.prepare(spec, timeoutMs);

    for (let retry = 0; ; retry++) {
      const paced = this.#pacer?.acquire(signal);
      if (paced) await paced;
      const started = performance.now();
      const outcome = await this.#attempt(request, label, spec.schema, timeoutMs, signal);
      if (this.#debug || this.#onAttempt) this.#observe(label, outcome.status, performance.now() - started);
      if (outcome.ok) return outcome.value;

      const { failure, error } = outcome;
      const delayMs = this.#retryDelay(policy, retry, failure);
      if (delayMs === undefined) throw error;
      this.#log?.warn(
        { method: label.method, path: label.path, retry: retry + 1, delayMs: Math.round(delayMs), err: error },
        'retrying Intercom request',
      );
      await sleep(delayMs, undefined, { signal });
    }
  }

  /** How long to wait before trying again, or undefined when the policy says not to (or not that long). */
  #retryDelay(policy: RetryPolicy, retry: number, failure: AttemptFailure): number | undefined {
    if (retry >= policy.maxRetries || !policy.isRetryable(failure)) return undefined;
    const delayMs = backoffDelayMs(policy, retry, failure, this.#random);
    return delayMs > policy.maxWaitMs ? undefined : delayMs;
  }

  /** Tells the metrics (and the debug log) how an attempt went. */
  #observe(label: RequestLabel, status: number | undefined, ms: number): void {
    this.#onAttempt?.({ method: label.method, path: label.path, status, ms });
    if (this.#debug) {
      this.#log?.debug({ method: label.method, path: label.path, status, ms: Math.round(ms) }, 'intercom request');
    }
  }

  async #attempt<S extends z.ZodType>(
    request: Dispatcher.DispatchOptions,
    label: RequestLabel,
    schema: S,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<
    | { ok: true; status: number; value: z.output<S> }
    | { ok: false; status: number | undefined; failure: AttemptFailure; error: IntercomError }
  > {
    let response: TextResponse;
    try {
      response = await this.#transport.send(request, signal);
    } catch (cause) {
      if (signal?.aborted) throw signal.reason ?? cause;
      return { ok: false, status: undefined, ...networkFailure(label, cause, timeoutMs) };
    }

    const { statusCode: status, headers, text } = response;
    this.#pacer?.observe({
      limit: header(headers, 'x-ratelimit-limit'),
      remaining: header(headers, 'x-ratelimit-remaining'),
      reset: header(headers, 'x-ratelimit-reset'),
    });

    if (status >= 200 && status < 300) {
      const parsed = parseBody(text);
      if (!parsed.ok) {
        return {
          ok: false,
          status,
          failure: { kind: 'status', status, waitMs: undefined },
          error: new IntercomInvalidResponseError(label, status, 'body is not JSON'),
        };
      }
      const result = parseLenient(schema, parsed.value);
      if (result.success) return { ok: true, status, value: result.data };
      // a 2xx with an unusable body is not worth repeating (no policy retries a 2xx): any write already happened
      return {
        ok: false,
        status,
        failure: { kind: 'status', status, waitMs: undefined },
        error: new IntercomInvalidResponseError(label, status, summarizeIssues(result.error), { cause: result.error }),
      };
    }

    const { requestId, errors } = parseErrorList(text);
    const retryAfter = header(headers, 'retry-after');
    if (status === 429) {
      const retryAfterMs = serverWaitMs(retryAfter, header(headers, 'x-ratelimit-reset'), this.#now()) ?? 1000;
      this.#pacer?.exhausted(this.#now() + retryAfterMs);
      return {
        ok: false,
        status,
        failure: { kind: 'status', status, waitMs: retryAfterMs },
        error: new IntercomRateLimitedError(label, requestId, errors, retryAfterMs),
      };
    }
    return {
      ok: false,
      status,
      failure: { kind: 'status', status, waitMs: serverWaitMs(retryAfter, undefined, this.#now()) },
      error: new IntercomApiError(label, status, requestId, errors),
    };
  }

  /** Closes the connection pool this client created; an injected dispatcher is left to its owner. */
  close(): Promise<void> {
    return this.#transport.close();
  }
}

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function networkFailure(
  label: RequestLabel,
  cause: unknown,
  timeoutMs: number,
): { failure: AttemptFailure; error: IntercomError } {
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return { failure: { kind: 'timeout' }, error: new IntercomTimeoutError(label, timeoutMs, cause) };
  }
  const notSent = typeof code === 'string' && NOT_SENT_CODES.has(code);
  return {
    failure: { kind: notSent ? 'not-sent' : 'network' },
    error: new IntercomRequestError(label, cause, !notSent),
  };
}

function parseBody(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function parseErrorList(text: string): { requestId: string | undefined; errors: IntercomErrorDetail[] } {
  const parsed = parseBody(text);
  const list = parsed.ok ? ErrorList.safeParse(parsed.value) : undefined;
  if (!list?.success) return { requestId: undefined, errors: [] };
  return {
    requestId: list.data.request_id ?? undefined,
    errors: list.data.errors.map((e) => ({
      code: e.code,
      message: e.message ?? undefined,
      field: e.field ?? undefined,
    })),
  };
}

function summarizeIssues(error: z.ZodError): string {
  const shown = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  const more = error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}
