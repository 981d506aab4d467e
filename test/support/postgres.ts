import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL server tests use: TEST_DATABASE_URL, else the local one CI starts (trust auth, database `test`). */
export function postgresUrl(): string {
  return process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
}

/** The URL without its password, fit for a message. */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable TEST_DATABASE_URL)';
  }
}

/**
 * Whether tests that need PostgreSQL can run. Without a server they skip with a printed reason; under CI=true
 * the server is always there (.ci/run starts it), and its absence is an error rather than a silent skip.
 */
export async function postgresAvailable(what: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    const reason = `${shown(postgresUrl())} is not reachable (${cause})`;
    if (process.env.CI === 'true') throw new Error(`CI=true but ${reason}: needed for ${what}`);
    process.stderr.write(`skipping ${what}: ${reason}; set TEST_DATABASE_URL to run them\n`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A schema name no other test uses; the store creates it, dropSchemas removes it. */
export function freshSchema(): string {
  return `bridge_test_${randomBytes(6).toString('hex')}`;
}

/** A DATABASE_URL on `base` whose connections work in `schema`: a store of its own for one test's bridges. */
export function schemaUrl(schema: string, base = postgresUrl()): string {
  return `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** Creates the empty schema `schema` (dropSchemas removes it) and returns its DATABASE_URL (`schemaUrl`). */
export async function createSchema(schema: string): Promise<string> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`);
  } finally {
    await client.end();
  }
  return schemaUrl(schema);
}

/** Drops the given test schemas and everything in them. */
export async function dropSchemas(schemas: Iterable<string>): Promise<void> {
  const names = [...schemas];
  if (names.length === 0) return;
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    for (const name of names) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`);
  } finally {
    await client.end();
  }
}
