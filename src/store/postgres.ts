import pg from 'pg';
import { CLAIMABLE, hashedInteractionKey, migrations } from './migrations.ts';
import { cardFromRow, deliveryFromRow, notificationSettingsFromRow, notificationSettingsRow } from './rows.ts';
import type { Card, Delivery, NewDelivery, NotificationSettings, Store } from './store.ts';

type Row = Record<string, unknown>;

/** How a PostgresStore connects; the defaults suit production. */
export interface PostgresStoreOptions {
  /** A schema of its own (created if missing) instead of the URL's search_path: tests isolate themselves so. */
  schema?: string | undefined;
  /** Connections in the pool (default 10). */
  max?: number | undefined;
  /** Longest any one statement may run, ms (default 15000). */
  statementTimeoutMs?: number | undefined;
}

/**
 * The store for several replicas sharing one PostgreSQL database. The constructor connects to nothing: the
 * first call (or `ready()`) migrates the schema under an advisory lock, so replicas starting together migrate
 * once, and a database that is down at start-up only fails calls until it is back.
 */
export class PostgresStore implements Store {
  readonly #pool: pg.Pool;
  readonly #schema: string | undefined;
  /** Advisory lock keys, per schema: one for migrating, one that serialises claims. */
  readonly #locks: { migrate: string; claim: string };
  #ready: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #pending: Array<{ delivery: NewDelivery; resolve: (fresh: boolean) => void; reject: (e: unknown) => void }> =
    [];

  /** `url` is postgres://… or postgresql://…; nothing is opened until the first call. */
  constructor(url: string, options: PostgresStoreOptions = {}) {
    const { schema } = options;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`PostgreSQL schema must be a plain lower-case name, not ${JSON.stringify(schema)}`);
    }
    this.#schema = schema;
    this.#locks = { migrate: lockKey(`migrate:${schema ?? ''}`), claim: lockKey(`claim:${schema ?? ''}`) };
    this.#pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      statement_timeout: options.statementTimeoutMs ?? 15_000,
      connectionTimeoutMillis: 10_000,
      application_name: 'intercom-slack-bridge',
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // an idle connection that drops (a server restart) is discarded by the pool; the next query opens another,
    // and without a listener the error would take the process down
    this.#pool.on('error', () => {});
  }

  /** Resolves once the schema is migrated; rejects if the database cannot be reached (the next call tries again). */
  ready(): Promise<void> {
    return this.#use(async () => {});
  }

  /** Schema versions applied, oldest first. */
  appliedMigrations(): Promise<number[]> {
    return this.#use(async () => {
      const { rows } = await this.#pool.query('SELECT version FROM schema_migrations ORDER BY version');
      return rows.map((row: Row) => Number(row.version));
    });
  }

  /** Runs `work` once migrated, counted as in flight so close() waits for it. */
  #use<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new Error('the PostgreSQL store is closed'));
    this.#ready ??= this.#migrate().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    const running = this.#ready.then(work);
    this.#inFlight.add(running);
    const settle = () => this.#inFlight.delete(running);
    running.then(settle, settle);
    return running;
  }

  async #migrate(): Promise<void> {
    await this.#transaction(async (db) => {
      // waits for a replica that is migrating right now, then sees what it applied
      await db.query('SELECT pg_advisory_xact_lock($1)', [this.#locks.migrate]);
      await db.query('SET LOCAL statement_timeout = 0'); // building an index on a long inbox may take a while
      if (this.#schema !== undefined) await db.query(`CREATE SCHEMA IF NOT EXISTS ${this.#schema}`);
      await db.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
      );
      const { rows } = await db.query('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((row: Row) => Number(row.version)));
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue;
        for (const statement of migration.statements) await db.query(statement);
        await db.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
          migration.version,
          Date.now(),
        ]);
      }
    });
  }

  async #transaction<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    const db = await this.#pool.connect();
    let broken = false;
    // a connection lost while checked out (a database restart, a cut network) emits 'error' on its client: with
    // no listener that would stop the process; here it only fails this transaction, and the client is discarded
    const lost = () => {
      broken = true;
    };
    db.on('error', lost);
    try {
      await db.query('BEGIN');
      const result = await work(db);
      await db.query('COMMIT');
      return result;
    } catch (error) {
      await db.query('ROLLBACK').catch(() => {
        broken = true; // a connection that cannot roll back is not handed out again
      });
      throw error;
    } finally {
      db.off('error', lost);
      db.release(broken);
    }
  }

  async #query(sql: string, params: unknown[] = []): Promise<pg.QueryResult<Row>> {
    return this.#use(() => this.#pool.query<Row>(sql, params));
  }

  /**
   * Deliveries that arrive together are written by one INSERT (one commit instead of one each): each caller
   * still hears back only once its row is committed.
   */
  enqueue(d: NewDelivery): Promise<boolean> {
    if (this.#closing) return Promise.reject(new Error('the PostgreSQL store is closed'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ delivery: d, resolve, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#flushEnqueued());
    });
  }

  #flushEnqueued(): void {
    const batch = this.#pending.splice(0);
    if (batch.length === 0) return;
    // a repeated id within the batch is a duplicate of its first occurrence, as if it came a moment later
    const firsts = new Map<string, number>();
    batch.forEach(({ delivery }, i) => {
      if (!firsts.has(delivery.id)) firsts.set(delivery.id, i);
    });
    const rows = batch.filter((item, i) => firsts.get(item.delivery.id) === i).map((item) => item.delivery);
    this.#use(async () => {
      const { rows: inserted } = await this.#pool.query<Row>(
        `INSERT INTO inbox (id, topic, conversation_id, queue_key, created_at, received_at, payload, state, attempts, next_attempt_at)
           SELECT id, topic, conversation_id, queue_key, created_at, received_at, payload, 'pending', 0, received_at
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::text[])
             AS d (id, topic, conversation_id, queue_key, created_at, received_at, payload)
           ON CONFLICT (id) DO NOTHING
           RETURNING id`,
        [
          rows.map((d) => d.id),
          rows.map((d) => d.topic),
          rows.map((d) => d.conversationId),
          rows.map((d) => d.queue ?? d.conversationId ?? `delivery:${d.id}`),
          rows.map((d) => d.createdAt),
          rows.map((d) => d.receivedAt),
          rows.map((d) => d.payload),
        ],
      );
      return new Set(inserted.map((row) => String(row.id)));
    }).then(
      (fresh) => {
        batch.forEach((item, i) => {
          item.resolve(firsts.get(item.delivery.id) === i && fresh.has(item.delivery.id));
        });
      },
      (error: unknown) => {
        for (const item of batch) item.reject(error);
      },
    );
  }

  /**
   * Claims are serialised by a transaction-scoped advisory lock, and the claiming statement runs after it is
   * granted, so it sees every lease committed before. Row locks alone would not do: two replicas could each
   * lease a different event of one conversation (one sees an event that arrived late, the other does not).
   * A claim is one short statement, so replicas wait on each other for milliseconds.
   */
  async claim(options: { owner: string; now: number; leaseMs: number; limit: number }): Promise<Delivery[]> {
    const { owner, now, leaseMs, limit } = options;
    const rows = await this.#use(() =>
      this.#transaction(async (db) => {
        await db.query('SELECT pg_advisory_xact_lock($1)', [this.#locks.claim]);
        const { rows } = await db.query<Row>(CLAIM, [owner, now + leaseMs, now, limit]);
        return rows;
      }),
    );
    return rows
      .sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at))
      .map((row) => deliveryFromRow(row, Number(row.attempts))); // the claim already counted this lease
  }

  async renewLeases(owner: string, ids: readonly string[], leaseUntil: number): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.#query(
      "UPDATE inbox SET lease_until = $1 WHERE id = ANY($2::text[]) AND lease_owner = $3 AND state = 'pending'",
      [leaseUntil, [...ids], owner],
    );
    return result.rowCount ?? 0;
  }

  async complete(id: string): Promise<void> {
    // the payload is no longer needed; the id stays, so a late duplicate is still recognised
    await this.#query(
      `UPDATE inbox SET state = 'done', payload = '', lease_owner = NULL, lease_until = NULL WHERE id = $1`,
      [id],
    );
  }

  async retry(id: string, nextAttemptAt: number, error: string, options: { counted?: boolean } = {}): Promise<void> {
    await this.#query(
      `UPDATE inbox SET next_attempt_at = $1, last_error = $2, attempts = attempts - $3, lease_owner = NULL,
         lease_until = NULL WHERE id = $4`,
      [nextAttemptAt, error, options.counted === false ? 1 : 0, id],
    );
  }

  async park(id: string, error: string): Promise<void> {
    await this.#query(
      `UPDATE inbox SET state = 'parked', last_error = $1, lease_owner = NULL, lease_until = NULL WHERE id = $2`,
      [error, id],
    );
  }

  async prune(before: number): Promise<number> {
    await this.#query('DELETE FROM seen_interactions WHERE seen_at < $1', [before]);
    const result = await this.#query(`DELETE FROM inbox WHERE state = 'done' AND received_at < $1`, [before]);
    return result.rowCount ?? 0;
  }

  /**
   * One INSERT of the key's SHA-256 (see hashedInteractionKey): of replicas inserting the same key at once, the unique
   * index makes all but one wait for the first to commit and then insert nothing.
   */
  async firstSeen(key: string, at: number): Promise<boolean> {
    const result = await this.#query(
      'INSERT INTO seen_interactions (key, seen_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
      [hashedInteractionKey(key), at],
    );
    return result.rowCount === 1;
  }

  async inboxStats(now: number) {
    const { rows } = await this.#query(
      `SELECT
           COUNT(*) FILTER (WHERE state = 'pending') AS pending,
           COUNT(*) FILTER (WHERE state = 'parked') AS parked,
           MIN(received_at) FILTER (WHERE state = 'pending') AS oldest
         FROM inbox`,
    );
    const row = rows[0] ?? {};
    const oldest = row.oldest === null || row.oldest === undefined ? null : Number(row.oldest);
    return {
      pending: Number(row.pending ?? 0),
      parked: Number(row.parked ?? 0),
      oldestPendingMs: oldest === null ? null : Math.max(0, now - oldest),
    };
  }

  async getCard(conversationId: string): Promise<Card | undefined> {
    const { rows } = await this.#query(
      'SELECT channel, ts, fingerprint, shown, route FROM cards WHERE conversation_id = $1',
      [conversationId],
    );
    const row = rows[0];
    return row && cardFromRow(row, { conversationId, channel: String(row.channel), ts: String(row.ts) });
  }

  async cardAt(channel: string, ts: string): Promise<Card | undefined> {
    const { rows } = await this.#query(
      'SELECT conversation_id, fingerprint, route FROM cards WHERE channel = $1 AND ts = $2',
      [channel, ts],
    );
    const row = rows[0];
    return row && cardFromRow(row, { conversationId: String(row.conversation_id), channel, ts });
  }

  async saveCard(card: Card): Promise<void> {
    await this.#query(
      `INSERT INTO cards (conversation_id, channel, ts, fingerprint, shown, route, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (conversation_id) DO UPDATE SET channel = excluded.channel, ts = excluded.ts,
           fingerprint = excluded.fingerprint, shown = excluded.shown, route = excluded.route,
           updated_at = excluded.updated_at`,
      [
        card.conversationId,
        card.channel,
        card.ts,
        card.fingerprint ?? null,
        card.shown ?? null,
        card.route ?? null,
        Date.now(),
      ],
    );
  }

  async markPartShown(conversationId: string, partId: string): Promise<boolean> {
    const result = await this.#query(
      'INSERT INTO shown_parts (conversation_id, part_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [conversationId, partId],
    );
    return result.rowCount === 1;
  }

  async shownParts(conversationId: string): Promise<Set<string>> {
    const { rows } = await this.#query('SELECT part_id FROM shown_parts WHERE conversation_id = $1', [conversationId]);
    return new Set(rows.map((row) => String(row.part_id)));
  }

  async getNotificationPrefs(slackUserId: string): Promise<NotificationSettings | undefined> {
    const { rows } = await this.#query(
      'SELECT assigned, replies, due FROM notification_prefs WHERE slack_user_id = $1',
      [slackUserId],
    );
    const row = rows[0];
    return row && notificationSettingsFromRow(row);
  }

  async setNotificationPrefs(slackUserId: string, prefs: NotificationSettings): Promise<void> {
    await this.#query(
      `INSERT INTO notification_prefs (slack_user_id, assigned, replies, due, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (slack_user_id) DO UPDATE SET assigned = excluded.assigned, replies = excluded.replies,
           due = excluded.due, updated_at = excluded.updated_at`,
      [slackUserId, ...notificationSettingsRow(prefs), Date.now()],
    );
  }

  async getValue(key: string): Promise<string | undefined> {
    const { rows } = await this.#query('SELECT value FROM kv WHERE key = $1', [key]);
    const row = rows[0];
    return row ? String(row.value) : undefined;
  }

  async setValue(key: string, value: string): Promise<void> {
    await this.#query(
      'INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  /** Writes what is still queued, waits for the calls in flight, then closes every connection. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#flushEnqueued(); // nothing accepted is dropped on the way out
      this.#closing = (async () => {
        while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
        await this.#pool.end();
      })();
    }
    return this.#closing;
  }
}

/**
 * Leases the claimable deliveries in one statement: the CLAIMABLE query, its `?` numbered for PostgreSQL.
 * Parameters: owner, lease until, now, limit. MATERIALIZED: the query runs once, not once per inbox row as the
 * planner may otherwise choose. RETURNING has the attempts counting this lease.
 */
const CLAIM = `
  WITH due AS MATERIALIZED (${numbered(CLAIMABLE, ['$3', '$3', '$3', '$4'])})
  UPDATE inbox SET lease_owner = $1, lease_until = $2, attempts = inbox.attempts + 1
  FROM due
  WHERE inbox.id = due.id AND inbox.state = 'pending' AND (inbox.lease_until IS NULL OR inbox.lease_until <= $3)
  RETURNING inbox.id, inbox.topic, inbox.conversation_id, inbox.created_at, inbox.received_at, inbox.payload,
    inbox.attempts, inbox.last_error, inbox.next_attempt_at`;

/** Replaces each `?` of portable SQL with the next PostgreSQL placeholder given. */
function numbered(sql: string, placeholders: readonly string[]): string {
  let i = 0;
  const result = sql.replace(/\?/g, () => {
    const placeholder = placeholders[i++];
    if (placeholder === undefined) throw new Error('more ? in the SQL than placeholders given');
    return placeholder;
  });
  if (i !== placeholders.length) throw new Error('fewer ? in the SQL than placeholders given');
  return result;
}

/** A stable advisory lock key (a signed 64-bit integer, as text) for this application and `purpose`. */
function lockKey(purpose: string): string {
  // FNV-1a, 64-bit: advisory locks are database-wide, so the key names the application as well
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(`intercom-slack-bridge:${purpose}`)) {
    hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n);
  }
  return BigInt.asIntN(64, hash).toString();
}
