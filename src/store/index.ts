import { PostgresStore } from './postgres.ts';
import { SqliteStore } from './sqlite.ts';

export { StoreOpenError } from './sqlite.ts';

import type { Store } from './store.ts';

export type { Card, Delivery, NewDelivery, Store } from './store.ts';

/**
 * Opens the store DATABASE_URL names: `sqlite:PATH`, `sqlite::memory:`, or `postgres://…` (also `postgresql://…`)
 * for several replicas sharing one database. PostgreSQL connects and migrates on first use, so this stays synchronous.
 * A SQLite file that cannot be opened or created throws `StoreOpenError`, whose message names the path and the fix.
 */
export function openStore(databaseUrl: string): Store {
  if (databaseUrl.startsWith('sqlite:')) return new SqliteStore(databaseUrl.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return new PostgresStore(databaseUrl);
  throw new Error('DATABASE_URL must be sqlite:PATH, sqlite::memory: or postgres://…');
}
