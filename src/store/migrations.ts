import { createHash } from 'node:crypto';

/**
 * The schema, as numbered steps applied once each and recorded in schema_migrations. SQL stays portable
 * (SQLite and PostgreSQL): TEXT, INTEGER and BIGINT columns, no engine-specific functions.
 */
export const migrations: ReadonlyArray<{ version: number; statements: readonly string[] }> = [
  {
    version: 1,
    statements: [
      `CREATE TABLE inbox (
        id TEXT PRIMARY KEY,
        topic TEXT NOT NULL,
        conversation_id TEXT,
        queue_key TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        received_at BIGINT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        lease_owner TEXT,
        lease_until BIGINT,
        last_error TEXT
      )`,
      'CREATE INDEX inbox_queue ON inbox (queue_key, state, created_at)',
      'CREATE INDEX inbox_due ON inbox (state, next_attempt_at)',
      `CREATE TABLE cards (
        conversation_id TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        ts TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE TABLE shown_parts (
        conversation_id TEXT NOT NULL,
        part_id TEXT NOT NULL,
        PRIMARY KEY (conversation_id, part_id)
      )`,
      'CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    ],
  },
  {
    // what the card last showed, so it is updated only when that changes
    version: 2,
    statements: ['ALTER TABLE cards ADD COLUMN fingerprint TEXT'],
  },
  {
    // clicks, reactions and thread replies name the Slack message, not the conversation
    version: 3,
    statements: ['CREATE INDEX cards_message ON cards (channel, ts)'],
  },
  {
    // Slack interactions already acted on, so a replayed request is not acted on again; `key` is the SHA-256 (hex)
    // of the interaction's key, and prune forgets rows by seen_at
    version: 4,
    statements: [
      'CREATE TABLE seen_interactions (key TEXT PRIMARY KEY, seen_at BIGINT NOT NULL)',
      'CREATE INDEX seen_interactions_seen_at ON seen_interactions (seen_at)',
    ],
  },
  {
    // what each card shows, so a card can be redrawn after its conversation is deleted in Intercom
    version: 5,
    statements: ['ALTER TABLE cards ADD COLUMN shown TEXT'],
  },
  {
    // the route that carried each card, whose response targets and digests apply to it
    version: 6,
    statements: ['ALTER TABLE cards ADD COLUMN route TEXT'],
  },
  {
    // each Slack user's personal notifications (the Home tab's checkboxes), 0 or 1 each; no row: never set, so the
    // product's defaults apply
    version: 7,
    statements: [
      `CREATE TABLE notification_prefs (
        slack_user_id TEXT PRIMARY KEY,
        assigned INTEGER NOT NULL,
        replies INTEGER NOT NULL,
        due INTEGER NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
    ],
  },
];

/**
 * What a store keeps for an interaction key: its SHA-256 in hex. Any string hashes (a NUL, which PostgreSQL text
 * refuses; any length), every row is 64 characters, and the key is hashed as UTF-16 code units, so even keys that
 * differ only in an unpaired surrogate (which UTF-8 would turn into the same U+FFFD) stay distinct.
 */
export function hashedInteractionKey(key: string): string {
  return createHash('sha256').update(key, 'utf16le').digest('hex');
}

/**
 * The due deliveries that head their queue, with no delivery of the same queue leased. Parameters: now, now, now,
 * limit. Ordered by the inbox_due index alone, so SQLite stops at `limit` instead of sorting every pending row.
 */
export const CLAIMABLE = `
  SELECT id, topic, conversation_id, created_at, received_at, payload, attempts, last_error
  FROM inbox i
  WHERE i.state = 'pending'
    AND i.next_attempt_at <= ?
    AND (i.lease_until IS NULL OR i.lease_until <= ?)
    AND NOT EXISTS (
      SELECT 1 FROM inbox busy
      WHERE busy.queue_key = i.queue_key AND busy.state = 'pending' AND busy.lease_until > ?
    )
    AND NOT EXISTS (
      SELECT 1 FROM inbox earlier
      WHERE earlier.queue_key = i.queue_key AND earlier.state = 'pending' AND earlier.id <> i.id
        AND (earlier.created_at < i.created_at
          OR (earlier.created_at = i.created_at AND earlier.received_at < i.received_at)
          OR (earlier.created_at = i.created_at AND earlier.received_at = i.received_at AND earlier.id < i.id))
    )
  ORDER BY i.next_attempt_at
  LIMIT ?`;
