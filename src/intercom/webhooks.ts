import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { Id } from './schemas.ts';

// One spelling only: Intercom sends `sha1=` and lower-case hex (as `digest('hex')` gives); any other is not theirs.
const SIGNATURE = /^sha1=([0-9a-f]{40})$/;

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
  // in every current example, but not in the oldest: refusing those would drop real events
  app_id: z.string().optional(),
  // required of what arrives (IncomingNotification); optional here, where the worker reads back what an older
  // version of the bridge stored
  created_at: z.number().int().nonnegative().optional(),
  delivery_attempts: z.number().int().optional().catch(undefined),
  first_sent_at: z.number().int().optional().catch(undefined),
  data: z.looseObject({
    type: z.string().optional().catch(undefined),
    item: z.looseObject({ type: z.string(), id: Id.optional() }),
  }),
});
export type Notification = z.output<typeof Notification>;

/** The longest notification or conversation id taken in; Intercom's are a few dozen characters. */
export const MAX_ID_LENGTH = 200;

/**
 * Whether an id can be a key in either store: PostgreSQL refuses a NUL in text (the insert fails), a lone
 * surrogate cannot be written as UTF-8 (two ids would be stored as one), and no real id has control characters or
 * runs long. Local to the envelope: the shared `Id` also reads Intercom's answers, which are not stored as keys.
 */
const storable = (id: string) =>
  id.length > 0 && id.length <= MAX_ID_LENGTH && !/\p{Cc}/u.test(id) && id.isWellFormed();
const NOT_STORABLE = `not an id to store: empty, over ${MAX_ID_LENGTH} characters, or with control characters`;
const StorableId = z.string().refine(storable, NOT_STORABLE);

/**
 * What the webhook endpoint takes in: the envelope, dated (Intercom documents `created_at` in the envelope and its
 * current examples carry it; the checks against replays and forged dates need it), with ids both stores can hold:
 * the notification id, and whichever of `data.item.conversation_id` and `data.item.id` becomes the conversation
 * id (see `conversationIdOf`).
 */
export const IncomingNotification = Notification.extend({
  id: StorableId,
  created_at: z.number().int().nonnegative(),
  data: z.looseObject({
    type: z.string().optional().catch(undefined),
    item: z.looseObject({
      type: z.string(),
      id: Id.pipe(StorableId).optional(),
      // only a string is taken for a conversation id (a number always fits); anything else is not read
      conversation_id: z
        .unknown()
        .refine((v) => typeof v !== 'string' || storable(v), NOT_STORABLE)
        .optional(),
    }),
  }),
});
export type IncomingNotification = z.output<typeof IncomingNotification>;

export type NotificationParse<T = Notification> = { ok: true; notification: T } | { ok: false; problems: string[] };

/**
 * The topic a body names, when it is a notification envelope at all, however the rest of it is shaped: a topic
 * nobody acts on is answered 2xx whatever its `data` holds.
 */
export function topicOf(rawBody: Uint8Array | string): string | undefined {
  try {
    const json = JSON.parse(typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8')) as unknown;
    const envelope = json as { type?: unknown; topic?: unknown } | null;
    return envelope?.type === 'notification_event' && typeof envelope.topic === 'string' ? envelope.topic : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a stored payload (already verified when it came in); problems name the fields, never their values. */
export function parseNotification(rawBody: Uint8Array | string): NotificationParse {
  return parseWith(Notification, rawBody);
}

/** Parses a verified body as it arrives, with the stricter rules of `IncomingNotification`. */
export function parseIncomingNotification(rawBody: Uint8Array | string): NotificationParse<IncomingNotification> {
  return parseWith(IncomingNotification, rawBody);
}

function parseWith<T>(schema: z.ZodType<T>, rawBody: Uint8Array | string): NotificationParse<T> {
  let json: unknown;
  try {
    json = JSON.parse(typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8'));
  } catch {
    return { ok: false, problems: ['body is not JSON'] };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, notification: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
  };
}
