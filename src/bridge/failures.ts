import {
  IntercomApiError,
  IntercomError,
  IntercomInvalidResponseError,
  IntercomRateLimitedError,
} from '../intercom/errors.ts';

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

/** Sorts an Intercom failure into "try later" or "never". */
export function fromIntercomError(error: unknown): Error {
  if (error instanceof IntercomRateLimitedError) {
    return new RetryLater(error.message, { afterMs: error.retryAfterMs, cause: error });
  }
  if (error instanceof IntercomApiError && [401, 402, 403].includes(error.status)) {
    return new PermanentFailure(`${error.message}: check INTERCOM_TOKEN and the app's permissions`, { cause: error });
  }
  if (error instanceof IntercomApiError && error.status < 500 && ![408, 409, 429].includes(error.status)) {
    return new PermanentFailure(error.message, { cause: error });
  }
  if (error instanceof IntercomInvalidResponseError) return new PermanentFailure(error.message, { cause: error });
  if (error instanceof IntercomError) return new RetryLater(error.message, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}
