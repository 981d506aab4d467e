import type { Card, Delivery, NotificationSettings } from './store.ts';

/**
 * An inbox row as either engine returns it, read as a Delivery. `leases` is how many times it has been handed out,
 * this time included: PostgreSQL's claim has already counted it, SQLite's counts it after reading.
 */
export function deliveryFromRow(row: Record<string, unknown>, leases: number): Delivery {
  return {
    id: String(row.id),
    topic: String(row.topic),
    conversationId: row.conversation_id === null ? null : String(row.conversation_id),
    createdAt: Number(row.created_at),
    receivedAt: Number(row.received_at),
    payload: String(row.payload),
    attempts: leases,
    lastError: row.last_error === null ? null : String(row.last_error),
  };
}

/** A cards row as either engine returns it; `fingerprint`, `shown` and `route` only when the row has them. */
export function cardFromRow(
  row: Record<string, unknown>,
  where: Pick<Card, 'conversationId' | 'channel' | 'ts'>,
): Card {
  const card: Card = { ...where };
  if (row.fingerprint != null) card.fingerprint = String(row.fingerprint);
  if (row.shown != null) card.shown = String(row.shown);
  if (row.route != null) card.route = String(row.route);
  return card;
}

/** A notification_prefs row as either engine returns it (its flags are 0 or 1; PostgreSQL may give strings). */
export function notificationSettingsFromRow(row: Record<string, unknown>): NotificationSettings {
  return { assigned: Number(row.assigned) === 1, replies: Number(row.replies) === 1, due: Number(row.due) === 1 };
}

/** The flags as stored: 0 or 1, portable across both engines. */
export function notificationSettingsRow(prefs: NotificationSettings): [number, number, number] {
  return [prefs.assigned ? 1 : 0, prefs.replies ? 1 : 0, prefs.due ? 1 : 0];
}
