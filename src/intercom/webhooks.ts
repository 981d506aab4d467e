import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { Id } from './schemas.ts';

const SIGNATURE = /^sha1=([0-9a-f]{40})$/i;

/** `sha1=<hex>` for a raw body: what Intercom sends as X-Hub-Signature (and what tests sign with). */
export function signWebhook(rawBody: Uint8Array | string, clientSecret: string): string {
  return `sha1=${createHmac('sha1', clientSecret).update(rawBody).digest('hex')}`;
}

/**
 * Checks `X-Hub-Signature: sha1=…` against an HMAC-SHA1 of the exact bytes received, keyed with the app's
 * client secret, in constant time. Verify before parsing: re-serialised JSON would not match.
 */
export function verifyWebhookSignature(
  rawBody: Uint8Array | string,
  signatureHeader: string | undefined,
  clientSecret: string,
): boolean {
  const match = signatureHeader ? SIGNATURE.exec(signatureHeader.trim()) : null;
  if (!match?.[1]) return false;
  const expected = createHmac('sha1', clientSecret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(match[1], 'hex'), expected);
}

/** The notification envelope; `data.item` is the object of the topic (a Conversation for conversation.*). */
export const Notification = z.looseObject({
  type: z.literal('notification_event'),
  id: z.string().min(1),
  topic: z.string().min(1),
  // both are in every current example, but not in older ones: rejecting those would drop real events
  app_id: z.string().optional(),
  created_at: z.number().int().nonnegative().optional(),
  delivery_attempts: z.number().int().optional().catch(undefined),
  first_sent_at: z.number().int().optional().catch(undefined),
  data: z.looseObject({
    type: z.string().optional().catch(undefined),
    item: z.looseObject({ type: z.string(), id: Id.optional() }),
  }),
});
export type Notification = z.output<typeof Notification>;

export type NotificationParse = { ok: true; notification: Notification } | { ok: false; problems: string[] };

/** Parses an already-verified body; problems name the fields, never their values. */
export function parseNotification(rawBody: Uint8Array | string): NotificationParse {
  let json: unknown;
  try {
    json = JSON.parse(typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8'));
  } catch {
    return { ok: false, problems: ['body is not JSON'] };
  }
  const result = Notification.safeParse(json);
  if (result.success) return { ok: true, notification: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
  };
}
