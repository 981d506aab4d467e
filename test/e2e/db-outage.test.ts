import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.ts';
import {
  createSchema,
  dropSchemas,
  freshSchema,
  postgresAvailable,
  postgresUrl,
  schemaUrl,
} from '../support/postgres.ts';

// PostgreSQL going away under the running bridge (a restart, a failover, a cut network), through a TCP proxy the test
// cuts and restores: webhooks it cannot store are not acknowledged with a 2xx (Intercom retries them), /readyz says
// why, and once the database is back the bridge carries on by itself, nothing accepted lost or done twice.

const available = await postgresAvailable('the database outage test');
const schema = freshSchema();

/** A proxy to the real PostgreSQL that can drop every connection and refuse new ones, then let them through again. */
class CuttableProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #up = true;

  constructor() {
    this.#server = createServer((client) => {
      if (!this.#up) return void client.destroy();
      const target = new URL(postgresUrl());
      const server = connect(Number(target.port || 5432), target.hostname);
      for (const socket of [client, server]) {
        this.#sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => {
          this.#sockets.delete(socket);
          client.destroy();
          server.destroy();
        });
      }
      client.pipe(server).pipe(client);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as { port: number }).port;
  }

  cut(): void {
    this.#up = false;
    for (const socket of this.#sockets) socket.destroy();
  }

  restore(): void {
    this.#up = true;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

let proxy: CuttableProxy;
let h: Harness | undefined;

beforeAll(async () => {
  if (!available) return;
  await createSchema(schema);
});
afterEach(async () => {
  await h?.stop();
  await proxy?.close();
});
afterAll(async () => {
  if (available) await dropSchemas([schema]);
});

describe.runIf(available)('a PostgreSQL outage under the running bridge', () => {
  it('refuses what it cannot store, says why on /readyz, and recovers by itself with nothing lost or doubled', async () => {
    proxy = new CuttableProxy();
    const port = await proxy.listen();
    const target = new URL(postgresUrl());
    target.host = `127.0.0.1:${port}`;
    const databaseUrl = schemaUrl(schema, target.toString());
    h = await Harness.start({ databaseUrl });
    const harness = h;
    const webhook = (subject: string) => {
      const conversation = harness.intercom.addConversation({ subject });
      return harness.webhook(
        harness.notification('conversation.user.created', { type: 'conversation', id: String(conversation.id) }),
      );
    };

    expect((await webhook('before')).status).toBe(200);
    proxy.cut();
    const during = await Promise.all([webhook('during 1'), webhook('during 2')]);
    for (const answer of during) expect(answer.status).toBeGreaterThanOrEqual(500); // Intercom retries these
    // a person in Slack hears to try again, rather than nothing
    const { answer } = await harness.command('U0ALICE01', 'help');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Try again');
    const readiness = await fetch(`${harness.url}/readyz`);
    expect(readiness.status).toBe(503);
    expect(JSON.parse(await readiness.text()).checks.store.ok).toBe(false);

    proxy.restore();
    const restoredAt = Date.now();
    await harness.eventually(async () => expect((await webhook('after')).status).toBe(200), 10_000);
    process.stdout.write(`stored again ${Date.now() - restoredAt} ms after the database came back\n`);
    // the one accepted before the cut may have been in flight when it came: its lease runs out, and it is done once
    await harness.eventually(() => {
      const subjects = harness.cards().map((c) => c.text.split(': ')[1]);
      expect(subjects).toContain('before');
      expect(subjects.filter((s) => s === 'after').length).toBeGreaterThanOrEqual(1);
    }, 20_000);
    await harness.drained(20_000);
    const subjects = harness.cards().map((c) => c.text.split(': ')[1]);
    expect(subjects.filter((s) => s === 'before')).toHaveLength(1);
    expect(subjects.some((s) => s?.startsWith('during'))).toBe(false);
    expect(new Set(subjects).size).toBe(subjects.length);
  }, 60_000);
});
