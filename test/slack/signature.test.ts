import { createHmac } from 'node:crypto';
import { isValidSlackRequest } from '@slack/bolt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SKEW_SECONDS, signingKey, slackSignatureProblem } from '../../src/slack/signature.ts';
import { signSlack } from '../support/slack-requests.ts';

const NOW_MS = 1_780_000_000_000;
const NOW = NOW_MS / 1000;
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

function check(secret: string, body: string, headers: Record<string, string>) {
  return slackSignatureProblem(
    signingKey(secret),
    { signature: headers['x-slack-signature'], timestamp: headers['x-slack-request-timestamp'] },
    Buffer.from(body, 'utf8'),
    NOW_MS,
  );
}

/** Bolt's own verdict on the same request, with the same clock. */
function boltAccepts(secret: string, body: string, headers: Record<string, string>): boolean {
  return isValidSlackRequest({
    signingSecret: secret,
    body,
    headers: {
      'x-slack-signature': headers['x-slack-signature'] ?? '',
      'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
    },
    nowMilliseconds: NOW_MS,
  });
}

describe('slackSignatureProblem', () => {
  it('accepts a request signed as Slack signs it, and names what is wrong with one that is not', () => {
    const body = 'token=x&command=%2Fintercom&text=help';
    const signed = signSlack(SECRET, body, NOW);
    expect(check(SECRET, body, signed)).toBeUndefined();
    expect(check('another-secret', body, signed)).toBe('signature mismatch');
    expect(check(SECRET, `${body}&`, signed)).toBe('signature mismatch');
    expect(check(SECRET, body, { 'x-slack-request-timestamp': String(NOW) })).toBe('no signature headers');
    expect(check(SECRET, body, { 'x-slack-signature': signed['x-slack-signature'] })).toBe('no signature headers');
    expect(check(SECRET, body, { ...signed, 'x-slack-request-timestamp': 'soon' })).toBe(
      'timestamp not a number of seconds',
    );
    expect(check(SECRET, body, { ...signed, 'x-slack-signature': signed['x-slack-signature'].toUpperCase() })).toBe(
      'not a v0 signature',
    );
    expect(check(SECRET, body, { ...signed, 'x-slack-signature': 'v0=abc' })).toBe('not a v0 signature');
    // the whole header is the signature, and the whole timestamp a number: nothing before or after either
    const good = signed['x-slack-signature'];
    for (const padded of [`x${good}`, `${good}0`, ` ${good}`, `${good}\n`]) {
      expect(check(SECRET, body, { ...signed, 'x-slack-signature': padded }), padded).toBe('not a v0 signature');
    }
    // signed correctly for each timestamp as written: only the timestamp's form can refuse them
    const signSlackAt = (stamp: string) => ({
      'x-slack-request-timestamp': stamp,
      'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${stamp}:${body}`).digest('hex')}`,
    });
    for (const stamp of [`${NOW}s`, `+${NOW}`, ` ${NOW}`, `${NOW}.5`, '1234567890123']) {
      expect(check(SECRET, body, signSlackAt(stamp)), stamp).toBe('timestamp not a number of seconds');
    }
  });

  it('holds the timestamp to five minutes either way (Bolt only checks the past)', () => {
    const body = '{"type":"event_callback"}';
    for (const [offset, ok] of [
      [-MAX_SKEW_SECONDS, true],
      [-MAX_SKEW_SECONDS - 1, false],
      [MAX_SKEW_SECONDS, true],
      [MAX_SKEW_SECONDS + 1, false],
    ] as const) {
      const problem = check(SECRET, body, signSlack(SECRET, body, NOW + offset));
      expect(problem, String(offset)).toBe(ok ? undefined : 'timestamp over five minutes off');
    }
    // the one place the two differ: a timestamp from the future
    expect(boltAccepts(SECRET, body, signSlack(SECRET, body, NOW + MAX_SKEW_SECONDS + 60))).toBe(true);
  });

  it('agrees with Bolt on every request that is not from the future', () => {
    const request = fc.record({
      secret: fc.string({ minLength: 1 }),
      body: fc.string({ unit: 'grapheme' }),
      signedWith: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
      age: fc.integer({ min: 0, max: 2 * MAX_SKEW_SECONDS }),
      tamper: fc.constantFrom('none', 'body', 'signature', 'version', 'timestamp'),
    });
    fc.assert(
      fc.property(request, ({ secret, body, signedWith, age, tamper }) => {
        const sent = tamper === 'body' ? `${body}x` : body;
        const headers = signSlack(signedWith ?? secret, body, NOW - age);
        if (tamper === 'signature') headers['x-slack-signature'] = `v0=${'0'.repeat(64)}`;
        if (tamper === 'version') headers['x-slack-signature'] = headers['x-slack-signature'].replace('v0=', 'v1=');
        if (tamper === 'timestamp') headers['x-slack-request-timestamp'] = String(NOW - age + 1);
        const ours = check(secret, sent, headers) === undefined;
        expect(ours).toBe(boltAccepts(secret, sent, headers));
        return ours === (tamper === 'none' && (signedWith ?? secret) === secret && age <= MAX_SKEW_SECONDS);
      }),
      { numRuns: 500 },
    );
  });
});
