import { describe, expect, it } from 'vitest';
import {
  type AttemptFailure,
  backoffDelayMs,
  idempotentRetryPolicy,
  noRetryPolicy,
  serverWaitMs,
  unprocessedOnlyRetryPolicy,
  withFastDelays,
} from '../../src/intercom/retry.ts';

const status = (s: number, waitMs?: number): AttemptFailure => ({ kind: 'status', status: s, waitMs });

describe('which failures each policy retries', () => {
  const cases: Array<[string, AttemptFailure, boolean, boolean]> = [
    // failure, idempotent retries?, write retries?
    ['408', status(408), true, false],
    ['429', status(429), true, true],
    ['500', status(500), true, false],
    ['503', status(503), true, false],
    ['503 with Retry-After', status(503, 1000), true, false],
    ['400', status(400), false, false],
    ['404', status(404), false, false],
    ['409', status(409), false, false],
    ['connection refused', { kind: 'not-sent' }, true, true],
    ['connection broke', { kind: 'network' }, true, false],
    ['timeout', { kind: 'timeout' }, true, false],
  ];
  it.each(cases)('%s', (_name, failure, idempotent, write) => {
    expect(idempotentRetryPolicy.isRetryable(failure)).toBe(idempotent);
    expect(unprocessedOnlyRetryPolicy.isRetryable(failure)).toBe(write);
    expect(noRetryPolicy.isRetryable(failure)).toBe(false);
  });
});

describe('backoffDelayMs', () => {
  it('doubles from the base delay with equal jitter, capped', () => {
    const p = idempotentRetryPolicy;
    expect(backoffDelayMs(p, 0, { kind: 'network' }, () => 0)).toBe(p.baseDelayMs / 2);
    expect(backoffDelayMs(p, 0, { kind: 'network' }, () => 1)).toBe(p.baseDelayMs);
    expect(backoffDelayMs(p, 2, { kind: 'network' }, () => 1)).toBe(p.baseDelayMs * 4);
    expect(backoffDelayMs(p, 30, { kind: 'network' }, () => 1)).toBe(p.maxDelayMs);
  });

  it('uses the wait the server named', () => {
    expect(backoffDelayMs(idempotentRetryPolicy, 3, status(429, 2500))).toBe(2500);
    // and a zero wait is a wait named too (retry at once), not "none named"
    expect(backoffDelayMs(idempotentRetryPolicy, 3, status(429, 0))).toBe(0);
  });

  it('backs off as for a network failure when a 5xx names no wait', () => {
    const p = idempotentRetryPolicy;
    expect(backoffDelayMs(p, 2, status(503), () => 1)).toBe(p.baseDelayMs * 4);
    expect(backoffDelayMs(p, 0, status(500), () => 0)).toBe(p.baseDelayMs / 2);
  });

  it('withFastDelays keeps the rules and shrinks the delays', () => {
    const fast = withFastDelays(unprocessedOnlyRetryPolicy, 2);
    expect(fast.isRetryable(status(503))).toBe(false);
    expect(backoffDelayMs(fast, 5, { kind: 'not-sent' }, () => 1)).toBe(2);
  });
});

describe('serverWaitMs', () => {
  const now = 1_700_000_000_000;
  it('reads Retry-After in seconds and as an HTTP date', () => {
    expect(serverWaitMs('2', undefined, now)).toBe(2000);
    // an empty Retry-After names no wait: the reset header is read instead
    expect(serverWaitMs('', String(now / 1000 + 10), now)).toBe(10_000);
    expect(serverWaitMs(new Date(now + 5000).toUTCString(), undefined, now)).toBe(5000);
  });
  it('falls back to X-RateLimit-Reset (UNIX seconds)', () => {
    expect(serverWaitMs(undefined, String(now / 1000 + 7), now)).toBe(7000);
    expect(serverWaitMs(undefined, String(now / 1000 - 7), now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(serverWaitMs('soon', 'later', now)).toBeUndefined();
    expect(serverWaitMs(undefined, undefined, now)).toBeUndefined();
    // no negative or endless waits ('-1' is not seconds; as a date it is long past: no wait), and a reset of 0 is
    // no time at all
    expect(serverWaitMs('-1', undefined, now)).toBe(0);
    expect(serverWaitMs('Infinity', undefined, now)).toBeUndefined();
    expect(serverWaitMs(undefined, '0', now)).toBeUndefined();
    expect(serverWaitMs(undefined, '-5', now)).toBeUndefined();
    expect(serverWaitMs(undefined, 'Infinity', now)).toBeUndefined();
  });
  it('takes Retry-After: 0 as "now", and prefers Retry-After to the reset', () => {
    expect(serverWaitMs('0', undefined, now)).toBe(0);
    expect(serverWaitMs('3', String(now / 1000 + 60), now)).toBe(3000);
  });
});
