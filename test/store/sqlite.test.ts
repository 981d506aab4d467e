import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { openStore, StoreOpenError } from '../../src/store/index.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { describeStoreContract } from './store-contract.ts';

const tempFile = () => join(mkdtempSync(join(tmpdir(), 'bridge-store-')), 'nested', 'bridge.db');

describeStoreContract('SQLite (file)', () => new SqliteStore(tempFile()));
describeStoreContract('SQLite (memory)', () => openStore('sqlite::memory:'));

describe('SqliteStore', () => {
  it('creates the folder, uses WAL and applies each migration once', async () => {
    const file = tempFile();
    const store = new SqliteStore(file);
    expect(existsSync(file)).toBe(true);
    expect(store.appliedMigrations()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await store.close();
    const again = new SqliteStore(file);
    expect(again.appliedMigrations()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await again.close();
    const db = new DatabaseSync(file);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    db.close();
  });

  it('keeps everything across a restart: a pending delivery, cards, shown parts and seen interactions', async () => {
    const file = tempFile();
    const first = new SqliteStore(file);
    await first.enqueue({
      id: 'notif_a',
      topic: 'conversation.user.created',
      conversationId: '42',
      createdAt: 1,
      payload: '{}',
      receivedAt: 1_000,
    });
    await first.claim({ owner: 'w1', now: 1_000, leaseMs: 10_000, limit: 1 });
    await first.saveCard({ conversationId: '42', channel: 'C1', ts: '1.2' });
    await first.markPartShown('42', 'p1');
    await first.firstSeen('trigger.1', 1_000);
    const late = first.firstSeen('trigger.2', 1_000); // still queued when closing: committed first
    await first.close();
    await expect(late).resolves.toBe(true);

    const second = new SqliteStore(file);
    expect(
      await second.enqueue({
        id: 'notif_a',
        topic: 'x',
        conversationId: '42',
        createdAt: 1,
        payload: '{}',
        receivedAt: 2_000,
      }),
    ).toBe(false);
    // the process that held the lease died (one process per file): the delivery is due again at once
    expect(await second.claim({ owner: 'w2', now: 1_001, leaseMs: 10_000, limit: 1 })).toMatchObject([
      { id: 'notif_a', attempts: 2 },
    ]);
    expect(await second.getCard('42')).toEqual({ conversationId: '42', channel: 'C1', ts: '1.2' });
    expect((await second.shownParts('42')).has('p1')).toBe(true);
    expect(await second.firstSeen('trigger.1', 2_000)).toBe(false);
    expect(await second.firstSeen('trigger.2', 2_000)).toBe(false);
    await second.close();
  });

  it('writes deliveries that arrive together in one go, each told whether it was new', async () => {
    const store = new SqliteStore(':memory:');
    const d = (id: string) => ({ id, topic: 't', conversationId: 'c', createdAt: 1, payload: '{}', receivedAt: 1 });
    const results = await Promise.all([store.enqueue(d('a')), store.enqueue(d('b')), store.enqueue(d('a'))]);
    expect(results).toEqual([true, true, false]);
    expect((await store.inboxStats(1)).pending).toBe(2);
    // closing with a write still queued commits it first
    const late = store.enqueue(d('c'));
    await store.close();
    await expect(late).resolves.toBe(true);
  });

  it('a failed batch fails every caller in it, and the next batch goes on', async () => {
    const file = tempFile();
    const store = new SqliteStore(file);
    const d = (id: string) => ({ id, topic: 't', conversationId: null, createdAt: 1, payload: '{}', receivedAt: 1 });
    const blocker = new DatabaseSync(file);
    blocker.exec('PRAGMA busy_timeout = 0');
    blocker.exec('BEGIN EXCLUSIVE');
    const failed = await Promise.allSettled([store.enqueue(d('x')), store.firstSeen('k', 1), store.enqueue(d('y'))]);
    blocker.exec('ROLLBACK');
    blocker.close();
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    // nothing of the failed batch was recorded
    expect(await Promise.all([store.enqueue(d('x')), store.firstSeen('k', 1)])).toEqual([true, true]);
    await store.close();
  }, 20_000);

  it('openStore refuses what it cannot open, plainly', () => {
    expect(() => openStore('mysql://x')).toThrow(/must be sqlite:PATH/);
  });
});

describe('SqliteStore that cannot open its file', () => {
  // a regular file where the folder should be: refused even to root, whom permissions would not stop
  it.each([
    ['its folder is a file', (file: string) => join(file, 'bridge.db')],
    ['its folder is below a file', (file: string) => join(file, 'nested', 'bridge.db')],
  ])('%s: a StoreOpenError naming the path and what to do', (_case, pathUnder) => {
    const file = join(mkdtempSync(join(tmpdir(), 'bridge-store-')), 'a-file');
    writeFileSync(file, '');
    const path = pathUnder(file);
    const open = () => openStore(`sqlite:${path}`);
    expect(open).toThrow(StoreOpenError);
    expect(open).toThrow(`cannot open the SQLite database ${path} (`);
    expect(open).toThrow('must exist or be creatable, and be writable by the user the bridge runs as');
  });
});
