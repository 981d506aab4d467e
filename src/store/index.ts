import { SqliteStore } from './sqlite.ts';
import type { Store } from './store.ts';

export type { Card, Delivery, NewDelivery, Store } from './store.ts';

/** Opens the store DATABASE_URL names: `sqlite:PATH` or `sqlite::memory:` (PostgreSQL arrives with issue #6). */
export function openStore(databaseUrl: string): Store {
  if (databaseUrl.startsWith('sqlite:')) return new SqliteStore(databaseUrl.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('DATABASE_URL names PostgreSQL, which this version does not support yet: use sqlite:PATH');
  }
  throw new Error('DATABASE_URL must be sqlite:PATH, sqlite::memory: or postgres://…');
}
