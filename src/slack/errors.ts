import type { SlackAnswer } from './web-api.ts';

/** How a Web API call failed: stable codes for callers and metrics (as undici's and Intercom's errors have). */
export const SlackErrorCode = {
  PlatformError: 'slack_platform_error',
  RateLimited: 'slack_rate_limited',
  Http: 'slack_http_error',
  Request: 'slack_request_error',
} as const;
export type SlackErrorCode = (typeof SlackErrorCode)[keyof typeof SlackErrorCode];

/** A Web API call that failed; `code` says how, stable for callers and metrics. */
export abstract class SlackCallError extends Error {
  abstract readonly code: SlackErrorCode;
  readonly method: string;
  constructor(method: string, message: string, options?: ErrorOptions) {
    super(`${method} failed: ${message}`, options);
    this.name = new.target.name;
    this.method = method;
  }
}

/** Slack answered `ok: false`: `error` is its code (channel_not_found, not_in_channel …). */
export class SlackPlatformError extends SlackCallError {
  readonly code = SlackErrorCode.PlatformError;
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
  readonly code = SlackErrorCode.RateLimited;
  readonly retryAfterSeconds: number;
  constructor(method: string, retryAfterSeconds: number) {
    super(method, `rate limited, retry after ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Slack answered with an HTTP status other than 200 and 429, or a body that is not a JSON object. */
export class SlackHttpError extends SlackCallError {
  readonly code = SlackErrorCode.Http;
  readonly status: number;
  constructor(method: string, status: number) {
    super(method, `HTTP ${status}`);
    this.status = status;
  }
}

/** No answer came: connection refused or reset, or a timeout. The undici error is the cause. */
export class SlackRequestError extends SlackCallError {
  readonly code = SlackErrorCode.Request;
  constructor(method: string, cause: unknown) {
    super(method, cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Any failure of a Web API call through SlackWebApi. */
export type SlackCallFailure = SlackPlatformError | SlackRateLimitedError | SlackHttpError | SlackRequestError;
