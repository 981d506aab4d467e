/** What went wrong with one attempt, as far as retrying cares. */
export type AttemptFailure =
  /** Intercom answered with this status; `waitMs` comes from Retry-After or X-RateLimit-Reset when present. */
  | { kind: 'status'; status: number; waitMs: number | undefined }
  /** The connection was never made (refused, DNS, connect timeout): Intercom surely did not see the request. */
  | { kind: 'not-sent' }
  /** The connection broke after the request may have been sent. */
  | { kind: 'network' }
  /** No answer in time: Intercom may have processed the request. */
  | { kind: 'timeout' };

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** First backoff delay; doubles each retry, with jitter. */
  readonly baseDelayMs: number;
  /** Cap for one backoff delay. */
  readonly maxDelayMs: number;
  /** Longest server-requested wait (Retry-After, X-RateLimit-Reset) we sit out; longer → give up. */
  readonly maxWaitMs: number;
  isRetryable(failure: AttemptFailure): boolean;
}

const transientStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** Reads and other requests that change nothing when repeated (GET, PUT, DELETE, search): 408, 429, 5xx, network errors. */
export const idempotentRetryPolicy: RetryPolicy = Object.freeze({
  maxRetries: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxWaitMs: 60_000,
  isRetryable: (f: AttemptFailure) => (f.kind === 'status' ? transientStatus(f.status) : true),
});

/**
 * Writes that must never happen twice (reply, note, create): only when Intercom surely did not process them —
 * a 429, or a connection that was never made. Never after a timeout, a broken connection or a 5xx.
 */
export const unprocessedOnlyRetryPolicy: RetryPolicy = Object.freeze({
  maxRetries: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxWaitMs: 60_000,
  isRetryable: (f: AttemptFailure) => (f.kind === 'status' ? f.status === 429 : f.kind === 'not-sent'),
});

/** Never retries: for callers that handle failure themselves. */
export const noRetryPolicy: RetryPolicy = Object.freeze({
  maxRetries: 0,
  baseDelayMs: 0,
  maxDelayMs: 0,
  maxWaitMs: 0,
  isRetryable: () => false,
});

/** The same policy with tiny delays, so tests exercise retries without sleeping. */
export function withFastDelays(policy: RetryPolicy, delayMs = 1): RetryPolicy {
  return Object.freeze({ ...policy, baseDelayMs: delayMs, maxDelayMs: delayMs });
}

/**
 * Delay before retry number `retry` (0-based): the server's wait when it named one, else exponential backoff
 * with "equal jitter" (half fixed, half random) so that many clients do not retry in lockstep.
 */
export function backoffDelayMs(
  policy: RetryPolicy,
  retry: number,
  failure: AttemptFailure,
  random: () => number = Math.random,
): number {
  if (failure.kind === 'status' && failure.waitMs !== undefined) return failure.waitMs;
  return equalJitterBackoffMs(retry, policy.baseDelayMs, policy.maxDelayMs, random);
}

/**
 * The one backoff formula, also the inbox worker's (bridge/worker.ts, which passes 1 s and 10 min): `baseMs` doubled
 * `retry` times (0-based), capped at `maxMs`, then "equal jitter": half of it fixed, half random.
 */
export function equalJitterBackoffMs(
  retry: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry));
  return exp / 2 + (random() * exp) / 2;
}

/** Milliseconds to wait according to Retry-After (seconds or HTTP date) or X-RateLimit-Reset (UNIX seconds). */
export function serverWaitMs(
  retryAfter: string | undefined,
  rateLimitReset: string | undefined,
  nowMs: number,
): number | undefined {
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  if (rateLimitReset) {
    const reset = Number(rateLimitReset);
    if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - nowMs);
  }
  return undefined;
}
