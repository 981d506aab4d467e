import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/** How far a request's timestamp may be from our clock, either way (Slack's rule against replays). */
export const MAX_SKEW_SECONDS = 5 * 60;
const SIGNATURE = /^v0=([0-9a-f]{64})$/;
const TIMESTAMP = /^\d{1,12}$/;

/** The signing secret as a key object, made once: createHmac then skips re-checking the key on every request. */
export function signingKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/**
 * Why a Slack request's signature does not hold, or undefined when it does: `X-Slack-Signature` must be
 * `v0=` + the HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>` keyed with the signing secret, and the
 * timestamp within five minutes of `nowMs`. Compared in constant time. Bolt's own check does the same, but its
 * comparison (tsscmp) makes two more HMACs whose Buffer keys take Node 24's exception path in createHmac: about
 * a fifth of the bridge's CPU per click (docs/benchmarks.md).
 */
export function slackSignatureProblem(
  key: KeyObject,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Uint8Array,
  nowMs: number,
): string | undefined {
  const { signature, timestamp } = headers;
  if (signature === undefined || timestamp === undefined) return 'no signature headers';
  if (!TIMESTAMP.test(timestamp)) return 'timestamp not a number of seconds';
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) return 'timestamp over five minutes off';
  const hex = SIGNATURE.exec(signature)?.[1];
  if (hex === undefined) return 'not a v0 signature';
  const expected = createHmac('sha256', key).update(`v0:${timestamp}:`).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected) ? undefined : 'signature mismatch';
}
