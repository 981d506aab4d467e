import {
  IntercomApiError,
  IntercomError,
  IntercomInvalidResponseError,
  IntercomRateLimitedError,
  IntercomRequestError,
} from '../intercom/errors.ts';

/**
 * What a failure means for what was asked — the one reading of an Intercom or Slack failure, which the worker
 * (retry or park), the use cases and the sentences a person reads all start from:
 * - `rate-limited`: not done; it may be asked again once the wait is over;
 * - `not-done`: it surely did not happen, and may work if asked again (no connection, a conflict, a 5xx on a read…);
 * - `maybe-done`: it may have happened (no answer in time, the connection lost after sending, a 5xx, an answer
 *   that could not be read): a write must not simply be sent again;
 * - `refused`: Intercom or Slack will not do it as asked (a 4xx: the request, the bridge's token or permissions);
 * - `gone`: what it names is not there any more (deleted or merged).
 * Anything else (a bug) is `unknown`.
 */
export type FailureOutcome = 'rate-limited' | 'not-done' | 'maybe-done' | 'refused' | 'gone' | 'unknown';

export function outcomeOf(error: unknown): FailureOutcome {
  if (error instanceof IntercomApiError) return apiOutcome(error);
  if (error instanceof IntercomRequestError) return error.maybeSent ? 'maybe-done' : 'not-done';
  if (error instanceof IntercomError) return 'maybe-done'; // a timeout, or an answer that could not be read
  // the Slack port sorts Slack's failures into these
  if (error instanceof RetryLater) return error.afterMs !== undefined ? 'rate-limited' : 'not-done';
  if (error instanceof MessageGone) return 'gone';
  if (error instanceof PermanentFailure) return 'refused';
  return 'unknown';
}

/** Intercom answered with an error status. */
function apiOutcome(error: IntercomApiError): FailureOutcome {
  if (error instanceof IntercomRateLimitedError || error.status === 429) return 'rate-limited';
  if (error.status === 404 || error.status === 410) return 'gone';
  if (error.status === 409) return 'not-done';
  if (error.status === 408 || error.status >= 500) return 'maybe-done';
  return 'refused';
}

/** Whether Intercom refused the bridge itself (its token, the app's permissions) rather than what was asked. */
export function isAccessRefused(error: unknown): boolean {
  return error instanceof IntercomApiError && [401, 402, 403].includes(error.status);
}

/** The delivery should be tried again: the cause passes (a 429, a 5xx, a timeout, a network error). */
export class RetryLater extends Error {
  readonly afterMs: number | undefined;
  constructor(message: string, options: { afterMs?: number | undefined; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RetryLater';
    this.afterMs = options.afterMs;
  }
}

/** The delivery cannot succeed as things stand (a channel that is gone, a revoked token): it is parked. */
export class PermanentFailure extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'PermanentFailure';
  }
}

/** Slack says the card message no longer exists (deleted by someone): post a new one. */
export class MessageGone extends Error {
  constructor() {
    super('the card message is gone from Slack');
    this.name = 'MessageGone';
  }
}

/**
 * Sorts a failure into "try later" or "never", for a job that may be run again as a whole (a sync reads before it
 * writes, so one that may have happened is simply done again). An answer that could not be read is parked:
 * asking again reads the same answer.
 */
export function fromIntercomError(error: unknown): Error {
  if (!(error instanceof IntercomError)) return error instanceof Error ? error : new Error(String(error));
  const outcome = outcomeOf(error);
  if (outcome === 'rate-limited') {
    const afterMs = error instanceof IntercomRateLimitedError ? error.retryAfterMs : undefined;
    return new RetryLater(error.message, { afterMs, cause: error });
  }
  if (isAccessRefused(error)) {
    return new PermanentFailure(`${error.message}: check INTERCOM_TOKEN and the app's permissions`, { cause: error });
  }
  if (outcome === 'refused' || outcome === 'gone' || error instanceof IntercomInvalidResponseError) {
    return new PermanentFailure(error.message, { cause: error });
  }
  return new RetryLater(error.message, { cause: error });
}
