import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import type { NewDelivery } from '../../src/store/store.ts';
import { dropSchemas, freshSchema, postgresAvailable, postgresUrl } from '../support/postgres.ts';
import { describeStoreContract } from './store-contract.ts';

const available = await postgresAvailable('the PostgreSQL store tests');

const schemas = new Set<string>();
/** A store in a schema of its own (or a given one, to play a second replica); the schemas go afterwards. */
const open = (schema = freshSchema()) => {
  schemas.add(schema);
  return new PostgresStore(postgresUrl(), { schema });
};
afterAll(async () => {
  if (available) await dropSchemas(schemas);
});

describe('openStore and PostgresStore without a server', () => {
  it('routes postgres:// and postgresql:// URLs to PostgresStore, connecting to nothing yet', async () => {
    for (const url of ['postgres://u@localhost/db', 'postgresql://u@localhost/db']) {
      const store = openStore(url);
      expect(store).toBeInstanceOf(PostgresStore);
      await store.close();
    }
  });

  it('refuses a schema name it would have to quote', () => {
    expect(() => new PostgresStore('postgres://u@localhost/db', { schema: 'Bridge; DROP' })).toThrow(/schema/);
  });

  it('fails calls while the database is unreachable, and closes all the same', async () => {
    const store = new PostgresStore('postgres://u@127.0.0.1:1/db');
    await expect(store.ready()).rejects.toThrow();
    await expect(store.getValue('k')).rejects.toThrow(); // tried again, not a remembered failure
    await store.close();
    await expect(store.getValue('k')).rejects.toThrow(/closed/);
  });
});

describe.runIf(available)('PostgreSQL', () => {
  describeStoreContract('PostgreSQL', () => open());

  describe('PostgresStore', () => {
    const T0 = 1_800_000_000_000;
    const d = (id: string, fields: Partial<NewDelivery> = {}): NewDelivery => ({
      id,
      topic: 't',
      conversationId: 'c',
      createdAt: 1,
      payload: '{}',
      receivedAt: T0,
      ...fields,
    });

    /** A plain connection to a test schema, to look at what the stores wrote. */
    const inspect = async (schema: string) => {
      const client = new pg.Client({ connectionString: postgresUrl(), options: `-c search_path=${schema}` });
      await client.connect();
      return client;
    };

    it('applies each migration once, even when two replicas start together', async () => {
      const schema = freshSchema();
      const [a, b] = [open(schema), open(schema)];
      await Promise.all([a.ready(), b.ready()]);
      expect(await a.appliedMigrations()).toEqual([1, 2, 3, 4, 5, 6, 7]);
      await Promise.all([a.close(), b.close()]);
      const again = open(schema);
      expect(await again.appliedMigrations()).toEqual([1, 2, 3, 4, 5, 6, 7]);
      await again.close();
      const client = await inspect(schema);
      const { rows } = await client.query('SELECT COUNT(*)::int AS n FROM schema_migrations');
      await client.end();
      expect(rows[0]).toEqual({ n: 7 });
    });

    it('writes deliveries that arrive together in one go, each told whether it was new', async () => {
      const store = open();
      const results = await Promise.all([store.enqueue(d('a')), store.enqueue(d('b')), store.enqueue(d('a'))]);
      expect(results).toEqual([true, true, false]);
      expect(await Promise.all([store.enqueue(d('b')), store.enqueue(d('c'))])).toEqual([false, true]);
      expect((await store.inboxStats(T0)).pending).toBe(3);
      // closing with a write still queued commits it first
      const late = store.enqueue(d('e'));
      await store.close();
      await expect(late).resolves.toBe(true);
    });

    it('keeps everything across a restart: a pending delivery, cards and shown parts', async () => {
      const schema = freshSchema();
      const first = open(schema);
      await first.enqueue(d('notif_a', { conversationId: '42', receivedAt: 1_000 }));
      await first.claim({ owner: 'w1', now: 1_000, leaseMs: 10_000, limit: 1 });
      await first.saveCard({ conversationId: '42', channel: 'C1', ts: '1.2' });
      await first.markPartShown('42', 'p1');
      await first.close();

      const second = open(schema);
      expect(await second.enqueue(d('notif_a', { conversationId: '42', receivedAt: 2_000 }))).toBe(false);
      expect(await second.claim({ owner: 'w2', now: 11_000, leaseMs: 10_000, limit: 1 })).toMatchObject([
        { id: 'notif_a', attempts: 2, createdAt: 1, receivedAt: 1_000 },
      ]);
      expect(await second.getCard('42')).toEqual({ conversationId: '42', channel: 'C1', ts: '1.2' });
      expect((await second.shownParts('42')).has('p1')).toBe(true);
      await second.close();
    });

    it('two replicas seeing the same interaction at once: exactly one sees it first, every time', async () => {
      const schema = freshSchema();
      const replicas = [open(schema), open(schema)] as const;
      await Promise.all(replicas.map((r) => r.ready()));
      for (let k = 0; k < 25; k++) {
        const key = `trigger.${k}`;
        const calls = Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? replicas[0] : replicas[1]).firstSeen(key, T0),
        );
        const firsts = (await Promise.all(calls)).filter((fresh) => fresh);
        expect(firsts, key).toHaveLength(1);
      }
      expect(await replicas[1].firstSeen('trigger.0', T0 + 100)).toBe(false);
      await Promise.all(replicas.map((r) => r.close()));
    }, 30_000);

    it('stores the SHA-256 of a key, not the key, and records the time it was first seen', async () => {
      const schema = freshSchema();
      const store = open(schema);
      const long = `${'x'.repeat(5_000)}\u0000`;
      expect(await store.firstSeen(long, T0)).toBe(true);
      expect(await store.firstSeen(long, T0 + 5)).toBe(false);
      await store.close();
      const client = await inspect(schema);
      const { rows } = await client.query('SELECT key, seen_at FROM seen_interactions');
      await client.end();
      expect(rows).toEqual([{ key: expect.stringMatching(/^[0-9a-f]{64}$/), seen_at: String(T0) }]);
    });

    /**
     * Two replicas claim in tight loops and complete what they get, while a third connection watches the table.
     * `arriving` deliveries are enqueued while they claim (the rest before), in a shuffled order.
     */
    const race = async (options: { conversations: number; each: number; arriving: number }) => {
      const schema = freshSchema();
      const replicas = [open(schema), open(schema)] as const;
      await Promise.all(replicas.map((r) => r.ready()));
      const all: NewDelivery[] = [];
      for (let c = 0; c < options.conversations; c++) {
        for (let k = 0; k < options.each; k++) {
          all.push(d(`n_${c}_${k}`, { conversationId: `c${c}`, createdAt: 1_000 + k }));
        }
      }
      for (let i = all.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [all[i], all[j]] = [all[j] as NewDelivery, all[i] as NewDelivery];
      }
      const late = all.splice(0, options.arriving);
      await Promise.all(all.map((x) => replicas[0].enqueue(x)));

      const total = all.length + late.length;
      const claims = new Map<string, number>();
      const held = new Map<string, string>(); // conversation → the delivery being worked on
      const completedOrder = new Map<string, number[]>();
      const overlaps: string[] = [];
      let completed = 0;
      let finished = false;

      const replica = async (store: PostgresStore, owner: string) => {
        let mine = 0;
        while (completed < total) {
          const got = await store.claim({ owner, now: T0, leaseMs: 600_000, limit: 5 });
          if (got.length === 0) {
            await sleep(1);
            continue;
          }
          mine += got.length;
          await Promise.all(
            got.map(async (delivery) => {
              const conversation = String(delivery.conversationId);
              claims.set(delivery.id, (claims.get(delivery.id) ?? 0) + 1);
              const other = held.get(conversation);
              if (other) overlaps.push(`${owner} got ${delivery.id} while ${other} was leased`);
              held.set(conversation, delivery.id);
              await sleep(Math.random() * 3);
              // let go in the test before the database does, so a quick claim by the other replica is no false alarm
              held.delete(conversation);
              completedOrder.set(conversation, [...(completedOrder.get(conversation) ?? []), delivery.createdAt]);
              completed += 1;
              await store.complete(delivery.id);
            }),
          );
        }
        return mine;
      };

      const watcher = await inspect(schema);
      const watch = async () => {
        const seen: string[] = [];
        while (!finished) {
          const { rows } = await watcher.query(
            `SELECT queue_key, COUNT(*)::int AS leased FROM inbox
             WHERE state = 'pending' AND lease_until > $1 GROUP BY queue_key HAVING COUNT(*) > 1`,
            [T0],
          );
          seen.push(...rows.map((row) => `${row.queue_key}: ${row.leased} leased at once`));
        }
        return seen;
      };
      const produce = async () => {
        for (const x of late) {
          await replicas[1].enqueue(x);
          await sleep(Math.random() * 2);
        }
      };

      const watching = watch();
      const work = Promise.all([replica(replicas[0], 'r1'), replica(replicas[1], 'r2'), produce()]);
      const [mineA, mineB] = await work.finally(() => {
        finished = true;
      });
      const watched = await watching;
      await watcher.end();
      const stats = await replicas[0].inboxStats(T0);
      await Promise.all(replicas.map((r) => r.close()));
      return { total, claims, overlaps, watched, completedOrder, mineA, mineB, stats };
    };

    it('two replicas claiming at once share no delivery and no conversation, and keep each one in order', async () => {
      const result = await race({ conversations: 20, each: 10, arriving: 0 });
      expect(result.claims.size).toBe(200);
      expect([...result.claims.values()].every((n) => n === 1)).toBe(true);
      expect(result.overlaps).toEqual([]);
      expect(result.watched).toEqual([]);
      for (const [, order] of result.completedOrder) expect(order).toEqual([...order].sort((x, y) => x - y));
      expect(result.completedOrder.size).toBe(20);
      expect(result.mineA).toBeGreaterThan(0);
      expect(result.mineB).toBeGreaterThan(0);
      expect(result.stats).toEqual({ pending: 0, parked: 0, oldestPendingMs: null });
    }, 60_000);

    it('keeps one conversation to one lease while late, out-of-order events arrive during the claiming', async () => {
      const result = await race({ conversations: 5, each: 40, arriving: 160 });
      expect(result.claims.size).toBe(200);
      expect([...result.claims.values()].every((n) => n === 1)).toBe(true);
      expect(result.overlaps).toEqual([]);
      expect(result.watched).toEqual([]);
      expect(result.stats.pending).toBe(0);
    }, 60_000);
  });
});
