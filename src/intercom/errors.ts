/** Stable codes for every error the Intercom client throws; callers branch on these or on `instanceof`. */
export const IntercomErrorCode = {
  Api: 'intercom_api_error',
  RateLimited: 'intercom_rate_limited',
  Request: 'intercom_request_error',
  Timeout: 'intercom_timeout',
  InvalidResponse: 'intercom_invalid_response',
} as const;
export type IntercomErrorCode = (typeof IntercomErrorCode)[keyof typeof IntercomErrorCode];

/** One entry of Intercom's `error.list` envelope. */
export interface IntercomErrorDetail {
  code: string;
  message?: string | undefined;
  field?: string | undefined;
}

/** Which request failed: method and path without the query string (queries can hold customer text). */
export interface RequestLabel {
  method: string;
  path: string;
}

export abstract class IntercomError extends Error {
  abstract readonly code: IntercomErrorCode;
  readonly method: string;
  readonly path: string;

  constructor(message: string, request: RequestLabel, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.method = request.method;
    this.path = request.path;
  }
}

/** Intercom answered with a non-2xx status. */
export class IntercomApiError extends IntercomError {
  readonly code: IntercomErrorCode = IntercomErrorCode.Api;
  readonly status: number;
  readonly requestId: string | undefined;
  readonly errors: readonly IntercomErrorDetail[];

  constructor(
    request: RequestLabel,
    status: number,
    requestId: string | undefined,
    errors: readonly IntercomErrorDetail[],
  ) {
    const first = errors[0];
    const detail = first ? `${first.code}${first.message ? `: ${first.message}` : ''}` : 'no error details';
    super(`Intercom answered ${status} (${detail}) to ${request.method} ${request.path}`, request);
    this.status = status;
    this.requestId = requestId;
    this.errors = errors;
  }

  /** True when Intercom names this error code, e.g. `not_found` or `admin_not_found`. */
  has(code: string): boolean {
    return this.errors.some((e) => e.code === code);
  }
}

/** Intercom answered 429 and we gave up waiting; `retryAfterMs` says when it would accept calls again. */
export class IntercomRateLimitedError extends IntercomApiError {
  override readonly code: IntercomErrorCode = IntercomErrorCode.RateLimited;
  readonly retryAfterMs: number;

  constructor(
    request: RequestLabel,
    requestId: string | undefined,
    errors: readonly IntercomErrorDetail[],
    retryAfterMs: number,
  ) {
    super(request, 429, requestId, errors);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The request could not be completed at the network level; the undici error is the `cause`. */
export class IntercomRequestError extends IntercomError {
  readonly code: IntercomErrorCode = IntercomErrorCode.Request;
  /** False only when the request surely never reached Intercom (connection refused, DNS, connect timeout). */
  readonly maybeSent: boolean;

  constructor(request: RequestLabel, cause: unknown, maybeSent: boolean) {
    super(`Intercom request ${request.method} ${request.path} failed: ${describe(cause)}`, request, { cause });
    this.maybeSent = maybeSent;
  }
}

/** No answer within the per-request timeout; Intercom may still have processed the request. */
export class IntercomTimeoutError extends IntercomError {
  readonly code: IntercomErrorCode = IntercomErrorCode.Timeout;
  readonly timeoutMs: number;

  constructor(request: RequestLabel, timeoutMs: number, cause: unknown) {
    super(`Intercom did not answer ${request.method} ${request.path} within ${timeoutMs} ms`, request, { cause });
    this.timeoutMs = timeoutMs;
  }
}

/** Intercom answered 2xx with a body we cannot use (not JSON, or missing a field we rely on). */
export class IntercomInvalidResponseError extends IntercomError {
  readonly code: IntercomErrorCode = IntercomErrorCode.InvalidResponse;
  readonly status: number;

  constructor(request: RequestLabel, status: number, problem: string, options?: ErrorOptions) {
    super(`Intercom sent an unusable response to ${request.method} ${request.path}: ${problem}`, request, options);
    this.status = status;
  }
}

export type IntercomCallError =
  | IntercomApiError
  | IntercomRateLimitedError
  | IntercomRequestError
  | IntercomTimeoutError
  | IntercomInvalidResponseError;

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} ${cause.message}` : cause.message;
  }
  return String(cause);
}
