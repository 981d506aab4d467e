import { describe, expect, it } from 'vitest';
import { fromIntercomError, MessageGone, outcomeOf, PermanentFailure, RetryLater } from '../../src/bridge/failures.ts';
import {
  IntercomApiError,
  IntercomInvalidResponseError,
  IntercomRateLimitedError,
  IntercomRequestError,
  IntercomTimeoutError,
} from '../../src/intercom/errors.ts';

const req = { method: 'GET', path: '/conversations/1' };

describe('fromIntercomError', () => {
  it.each([
    ['429 with a wait', new IntercomRateLimitedError(req, undefined, [], 4_000), RetryLater, 4_000],
    ['500', new IntercomApiError(req, 500, undefined, []), RetryLater, undefined],
    ['409', new IntercomApiError(req, 409, undefined, []), RetryLater, undefined],
    ['timeout', new IntercomTimeoutError(req, 1_000, new Error('slow')), RetryLater, undefined],
    ['network', new IntercomRequestError(req, new Error('reset'), true), RetryLater, undefined],
    ['401', new IntercomApiError(req, 401, undefined, [{ code: 'unauthorized' }]), PermanentFailure, undefined],
    ['403', new IntercomApiError(req, 403, undefined, []), PermanentFailure, undefined],
    ['400', new IntercomApiError(req, 400, undefined, []), PermanentFailure, undefined],
    ['unusable body', new IntercomInvalidResponseError(req, 200, 'id: missing'), PermanentFailure, undefined],
  ])('%s', (_name, error, kind, afterMs) => {
    const sorted = fromIntercomError(error);
    expect(sorted).toBeInstanceOf(kind);
    expect(sorted.cause).toBe(error);
    if (sorted instanceof RetryLater) expect(sorted.afterMs).toBe(afterMs);
  });

  it('names the token when Intercom refuses it', () => {
    expect(fromIntercomError(new IntercomApiError(req, 401, undefined, [])).message).toMatch(/INTERCOM_TOKEN/);
  });

  it('passes other errors through', () => {
    const plain = new TypeError('bug');
    expect(fromIntercomError(plain)).toBe(plain);
    expect(fromIntercomError('text').message).toBe('text');
  });
});

describe('outcomeOf: what a failure means for what was asked', () => {
  it.each([
    ['429', new IntercomRateLimitedError(req, undefined, [], 4_000), 'rate-limited'],
    ['a bare 429', new IntercomApiError(req, 429, undefined, []), 'rate-limited'],
    ['404', new IntercomApiError(req, 404, undefined, []), 'gone'],
    ['410', new IntercomApiError(req, 410, undefined, []), 'gone'],
    ['409', new IntercomApiError(req, 409, undefined, []), 'not-done'],
    ['408', new IntercomApiError(req, 408, undefined, []), 'maybe-done'],
    ['502', new IntercomApiError(req, 502, undefined, []), 'maybe-done'],
    ['401', new IntercomApiError(req, 401, undefined, []), 'refused'],
    ['422', new IntercomApiError(req, 422, undefined, []), 'refused'],
    ['timeout', new IntercomTimeoutError(req, 1_000, new Error('slow')), 'maybe-done'],
    ['lost after sending', new IntercomRequestError(req, new Error('reset'), true), 'maybe-done'],
    ['refused before sending', new IntercomRequestError(req, new Error('ECONNREFUSED'), false), 'not-done'],
    ['unusable body', new IntercomInvalidResponseError(req, 200, 'id: missing'), 'maybe-done'],
    ['Slack: try later', new RetryLater('ratelimited', { afterMs: 1_000 }), 'rate-limited'],
    ['Slack: a passing fault', new RetryLater('fatal_error'), 'not-done'],
    ['Slack: the message is gone', new MessageGone(), 'gone'],
    ['Slack: channel_not_found', new PermanentFailure('channel_not_found'), 'refused'],
    ['a bug', new TypeError('x is undefined'), 'unknown'],
  ])('%s → %s', (_name, error, outcome) => {
    expect(outcomeOf(error)).toBe(outcome);
  });
});
