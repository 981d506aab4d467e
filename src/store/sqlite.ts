import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { CLAIMABLE, hashedInteractionKey, migrations } from './migrations.ts';
import { cardFromRow, deliveryFromRow, notificationSettingsFromRow, notificationSettingsRow } from './rows.ts';
import type { Card, Delivery, NewDelivery, NotificationSettings, Store } from './store.ts';

type Row = Record<string, SQLInputValue>;

/**
 * The SQLite file could not be opened or created: its folder is missing and cannot be made, is not a folder, or is
 * not writable by the user the bridge runs as. The message names the path and what to do, for one line on stderr.
 */
export class StoreOpenError extends Error {}

/** Opens (creating it and its folder if need be) the file, in WAL mode; what fails is told as a `StoreOpenError`. */
function openDatabase(path: string): DatabaseSync {
  if (path === ':memory:') {
    const db = new DatabaseSync(path);
    db.exec('PRAGMA busy_timeout = 5000');
    return db;
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path);
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL'); // the first write: a read-only folder or file fails here
    return db;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StoreOpenError(
      `cannot open the SQLite database ${resolve(path)} (${reason}): its folder ${resolve(dirname(path))} must ` +
        `exist or be creatable, and be writable by the user the bridge runs as${userOf()}; or set DATABASE_URL ` +
        'to another sqlite:PATH',
      { cause: error },
    );
  }
}

/** ` (uid 1000)`: who that user is, where the platform says. */
function userOf(): string {
  return typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
}

/**
 * The default store: one SQLite file (node:sqlite, no native build), in WAL mode with synchronous=NORMAL: a delivery
 * acknowledged to Intercom survives a crash of the process; a power cut may lose the last commits, which catch-up
 * polling brings back. One process only; several replicas need the PostgreSQL store.
 */
export class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  /** Prepared once, reused: preparing is most of the cost of a small statement. */
  readonly #statements = new Map<string, StatementSync>();
  /** Writes waiting for the next batch: each inserts one row and says whether it was new. */
  readonly #pending: Array<{ write: () => boolean; resolve: (fresh: boolean) => void; reject: (e: unknown) => void }> =
    [];

  /** `path` is a file (its folder is created) or `:memory:`. */
  constructor(path: string) {
    this.#db = openDatabase(path);
    this.#db.exec('PRAGMA synchronous = NORMAL');
    this.#migrate();
    // one process per file, so any lease found at start belongs to a process that died: its work is due now,
    // not when the lease would have run out
    this.#db.exec(
      "UPDATE inbox SET lease_owner = NULL, lease_until = NULL WHERE state = 'pending' AND lease_owner IS NOT NULL",
    );
  }

  /** Schema versions applied, oldest first. */
  appliedMigrations(): number[] {
    return this.#db
      .prepare('SELECT version FROM schema_migrations ORDER BY version')
      .all()
      .map((row) => Number(row.version));
  }

  #migrate() {
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const applied = new Set(this.appliedMigrations());
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      this.#transaction(() => {
        for (const statement of migration.statements) this.#db.exec(statement);
        this.#db
          .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
          .run(migration.version, Date.now());
      });
    }
  }

  #sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #transaction<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Writes that arrive together (deliveries, interaction keys) are made in one transaction, in the order they
   * came (one WAL commit instead of one each): each caller still hears back only once its row is committed, one
   * event-loop turn later at most. A batch that fails fails every caller in it and records nothing.
   */
  #batched(write: () => boolean): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ write, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#flushPending());
    });
  }

  #flushPending(): void {
    const batch = this.#pending.splice(0);
    if (batch.length === 0) return;
    let fresh: boolean[];
    try {
      fresh = this.#transaction(() => batch.map(({ write }) => write()));
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      item.resolve(fresh[i] === true);
    });
  }

  enqueue(d: NewDelivery): Promise<boolean> {
    return this.#batched(() => {
      const insert = this.#sql(
        `INSERT INTO inbox (id, topic, conversation_id, queue_key, created_at, received_at, payload, state, attempts, next_attempt_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)
           ON CONFLICT (id) DO NOTHING`,
      );
      const key = d.queue ?? d.conversationId ?? `delivery:${d.id}`;
      const args = [d.id, d.topic, d.conversationId, key, d.createdAt, d.receivedAt, d.payload, d.receivedAt];
      return Number(insert.run(...args).changes) === 1;
    });
  }

  /** The key's SHA-256 is what is stored (see hashedInteractionKey); a repeat within one batch finds the first's row. */
  firstSeen(key: string, at: number): Promise<boolean> {
    const hashed = hashedInteractionKey(key);
    return this.#batched(() => {
      const insert = this.#sql(
        'INSERT INTO seen_interactions (key, seen_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
      );
      return Number(insert.run(hashed, at).changes) === 1;
    });
  }

  async claim(options: { owner: string; now: number; leaseMs: number; limit: number }): Promise<Delivery[]> {
    const { owner, now, leaseMs, limit } = options;
    return this.#transaction(() => {
      const rows = this.#sql(CLAIMABLE).all(now, now, now, limit) as Row[];
      const lease = this.#sql(
        `UPDATE inbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
         WHERE id = ? AND state = 'pending' AND (lease_until IS NULL OR lease_until <= ?)`,
      );
      return rows.flatMap((row) => {
        const changed = Number(lease.run(owner, now + leaseMs, String(row.id), now).changes);
        return changed === 1 ? [deliveryFromRow(row, Number(row.attempts) + 1)] : [];
      });
    });
  }

  async renewLeases(owner: string, ids: readonly string[], leaseUntil: number): Promise<number> {
    const renew = this.#sql("UPDATE inbox SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state = 'pending'");
    let renewed = 0;
    for (const id of ids) renewed += Number(renew.run(leaseUntil, id, owner).changes);
    return renewed;
  }

  async complete(id: string): Promise<void> {
    // the payload is no longer needed; the id stays, so a late duplicate is still recognised
    this.#sql(`UPDATE inbox SET state = 'done', payload = '', lease_owner = NULL, lease_until = NULL WHERE id = ?`).run(
      id,
    );
  }

  async retry(id: string, nextAttemptAt: number, error: string, options: { counted?: boolean } = {}): Promise<void> {
    this.#sql(
      `UPDATE inbox SET next_attempt_at = ?, last_error = ?, attempts = attempts - ?, lease_owner = NULL,
         lease_until = NULL WHERE id = ?`,
    ).run(nextAttemptAt, error, options.counted === false ? 1 : 0, id);
  }

  async park(id: string, error: string): Promise<void> {
    this.#sql(
      `UPDATE inbox SET state = 'parked', last_error = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?`,
    ).run(error, id);
  }

  async prune(before: number): Promise<number> {
    this.#sql('DELETE FROM seen_interactions WHERE seen_at < ?').run(before);
    const result = this.#sql(`DELETE FROM inbox WHERE state = 'done' AND received_at < ?`).run(before);
    return Number(result.changes);
  }

  async inboxStats(now: number) {
    const row = this.#sql(
      `SELECT
           SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending,
           SUM(CASE WHEN state = 'parked' THEN 1 ELSE 0 END) AS parked,
           MIN(CASE WHEN state = 'pending' THEN received_at END) AS oldest
         FROM inbox`,
    ).get() as Row;
    const oldest = row.oldest === null ? null : Number(row.oldest);
    return {
      pending: Number(row.pending ?? 0),
      parked: Number(row.parked ?? 0),
      oldestPendingMs: oldest === null ? null : Math.max(0, now - oldest),
    };
  }

  async getCard(conversationId: string): Promise<Card | undefined> {
    const row = this.#sql('SELECT channel, ts, fingerprint, shown, route FROM cards WHERE conversation_id = ?').get(
      conversationId,
    ) as Row | undefined;
    return row && cardFromRow(row, { conversationId, channel: String(row.channel), ts: String(row.ts) });
  }

  async cardAt(channel: string, ts: string): Promise<Card | undefined> {
    const row = this.#sql('SELECT conversation_id, fingerprint, route FROM cards WHERE channel = ? AND ts = ?').get(
      channel,
      ts,
    ) as Row | undefined;
    return row && cardFromRow(row, { conversationId: String(row.conversation_id), channel, ts });
  }

  async saveCard(card: Card): Promise<void> {
    this.#sql(
      `INSERT INTO cards (conversation_id, channel, ts, fingerprint, shown, route, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (conversation_id) DO UPDATE SET channel = excluded.channel, ts = excluded.ts,
           fingerprint = excluded.fingerprint, shown = excluded.shown, route = excluded.route,
           updated_at = excluded.updated_at`,
    ).run(
      card.conversationId,
      card.channel,
      card.ts,
      card.fingerprint ?? null,
      card.shown ?? null,
      card.route ?? null,
      Date.now(),
    );
  }

  async markPartShown(conversationId: string, partId: string): Promise<boolean> {
    const result = this.#sql(
      'INSERT INTO shown_parts (conversation_id, part_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
    ).run(conversationId, partId);
    return Number(result.changes) === 1;
  }

  async shownParts(conversationId: string): Promise<Set<string>> {
    const rows = this.#sql('SELECT part_id FROM shown_parts WHERE conversation_id = ?').all(conversationId) as Row[];
    return new Set(rows.map((row) => String(row.part_id)));
  }

  async getNotificationPrefs(slackUserId: string): Promise<NotificationSettings | undefined> {
    const row = this.#sql('SELECT assigned, replies, due FROM notification_prefs WHERE slack_user_id = ?').get(
      slackUserId,
    ) as Row | undefined;
    return row && notificationSettingsFromRow(row);
  }

  async setNotificationPrefs(slackUserId: string, prefs: NotificationSettings): Promise<void> {
    this.#sql(
      `INSERT INTO notification_prefs (slack_user_id, assigned, replies, due, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (slack_user_id) DO UPDATE SET assigned = excluded.assigned, replies = excluded.replies,
           due = excluded.due, updated_at = excluded.updated_at`,
    ).run(slackUserId, ...notificationSettingsRow(prefs), Date.now());
  }

  async getValue(key: string): Promise<string | undefined> {
    const row = this.#sql('SELECT value FROM kv WHERE key = ?').get(key) as Row | undefined;
    return row ? String(row.value) : undefined;
  }

  async setValue(key: string, value: string): Promise<void> {
    this.#sql('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
      key,
      value,
    );
  }

  async close(): Promise<void> {
    if (!this.#db.isOpen) return;
    this.#flushPending(); // nothing accepted is dropped on the way out
    this.#db.close();
  }
}
