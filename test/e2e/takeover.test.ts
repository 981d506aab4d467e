import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bridgeEnv, CHANNEL, freePort, postCreatedWebhook } from '../support/bridge-env.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';
import { FakeSlack } from '../support/fake-slack.ts';
import { Harness } from '../support/harness.ts';
import { createSchema, dropSchemas, freshSchema, postgresAvailable, schemaUrl } from '../support/postgres.ts';

// A replica killed (SIGKILL: no shutdown, no lease released) while it holds a delivery, its Intercom read held so
// the kill lands mid-delivery; another replica on the same PostgreSQL takes the work over once the dead one's lease
// runs out (10 s after its last renewal), and the card is posted once. And a live replica whose Intercom answers
// slowly keeps its work: nobody else takes it over.

const available = await postgresAvailable('the replica takeover test');
// each test its own schema: the fakes number conversations from the same start, and a card from another test's
// conversation of the same id would read as this one's
const schemas: string[] = [];
let databaseUrl = '';
const ROOT = join(import.meta.dirname, '..', '..');

let intercom: FakeIntercom | undefined;
let slack: FakeSlack | undefined;
let child: ChildProcess | undefined;
const harnesses: Harness[] = [];

beforeEach(async () => {
  if (!available) return;
  const schema = freshSchema();
  schemas.push(schema);
  await createSchema(schema);
  databaseUrl = schemaUrl(schema);
});
afterEach(async () => {
  child?.kill('SIGKILL');
  for (const h of harnesses.splice(0)) await h.bridge?.stop().catch(() => {});
  await intercom?.close();
  await slack?.close();
});
afterAll(async () => {
  if (available) await dropSchemas(schemas);
});

/** A replica as its own process (src/main.ts), on the fakes and the shared database; resolves once it listens. */
async function replicaProcess(port: number): Promise<ChildProcess> {
  if (!intercom || !slack) throw new Error('no fakes');
  const env = bridgeEnv({ intercom, slack }, { DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: 'info' });
  const proc = spawn(process.execPath, [join(ROOT, 'src', 'main.ts')], {
    cwd: join(ROOT, 'test'), // no .env there
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let out = '';
  proc.stdout?.on('data', (d) => {
    out += String(d);
  });
  proc.stderr?.on('data', (d) => {
    out += String(d);
  });
  for (let i = 0; i < 200 && !out.includes('bridge listening'); i++) await new Promise((r) => setTimeout(r, 50));
  if (!out.includes('bridge listening')) throw new Error(`the replica did not start:\n${out}`);
  return proc;
}

const webhook = (port: number, conversationId: string) =>
  postCreatedWebhook(port, conversationId, `notif_${conversationId}_${Date.now()}`);

const cards = () => (slack?.messages ?? []).filter((m) => m.metadata?.event_type === 'intercom_bridge_card');

describe.runIf(available)('replicas on one PostgreSQL database', () => {
  it('three replicas, a burst, one SIGKILLed mid-delivery: every card posted once, the held one within 15 s', async () => {
    intercom = await FakeIntercom.start();
    slack = await FakeSlack.start();
    slack.addChannel({ id: CHANNEL, name: 'support' });
    intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
    const port = await freePort();
    child = await replicaProcess(port);
    const conversation = intercom.addConversation({ subject: 'Held when its replica died' });
    const id = String(conversation.id);
    const held = intercom.hold({ method: 'GET', path: `/conversations/${id}`, times: 1 });
    expect(await webhook(port, id)).toBe(200);
    await held.reached(1); // the replica about to die is in the middle of this delivery

    const others = [
      await Harness.attach({ intercom, slack, databaseUrl }),
      await Harness.attach({ intercom, slack, databaseUrl }),
    ];
    harnesses.push(...others);
    // a burst round-robin over the three (a refused one, to the dead replica, goes to the next, as a load balancer
    // and Intercom's retries would); the kill lands in the middle of it
    const burst = Array.from({ length: 30 }, (_, i) => String(intercom?.addConversation({ subject: `burst ${i}` }).id));
    let killedAt = 0;
    for (const [i, burstId] of burst.entries()) {
      if (i === 10) {
        child.kill('SIGKILL');
        killedAt = Date.now();
      }
      const ports = [port, ...others.map((h) => h.bridge?.port ?? 0)];
      for (let attempt = 0; attempt < 3; attempt++) {
        const status = await webhook(ports[(i + attempt) % 3] as number, burstId).catch(() => 0);
        if (status === 200) break;
      }
    }

    await others[0]?.eventually(
      () =>
        expect(cards().map((c) => c.text)).toContain(
          'New conversation from an unknown contact: Held when its replica died',
        ),
      20_000,
    );
    const takeoverMs = Date.now() - killedAt;
    process.stdout.write(`takeover after SIGKILL: ${takeoverMs} ms\n`);
    expect(takeoverMs).toBeLessThan(15_000);
    await others[0]?.eventually(() => expect(cards()).toHaveLength(31), 20_000);
    for (const h of others) await h.drained();
    const subjects = cards().map((c) => c.text.split(': ')[1]);
    expect(new Set(subjects).size).toBe(31); // every card once
    // what the dead replica held (the webhook, or the sync its start-up catch-up queued for the same conversation)
    const texts = await Promise.all(others.map((h) => h.bridge?.metrics.text()));
    expect(texts.join('\n')).toMatch(/bridge_lease_takeovers_total\{topic="[a-z_.]+"\} [1-9]/);
  }, 60_000);

  it('a live replica whose Intercom is slow keeps its delivery: nobody takes it over, nothing is doubled', async () => {
    intercom = await FakeIntercom.start();
    slack = await FakeSlack.start();
    slack.addChannel({ id: CHANNEL, name: 'support' });
    intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
    // two replicas with a lease of 600 ms (renewed every 200 ms): the read is held for five leases
    const first = await Harness.attach({ intercom, slack, databaseUrl, worker: { leaseMs: 600 } });
    const second = await Harness.attach({ intercom, slack, databaseUrl, worker: { leaseMs: 600 } });
    harnesses.push(first, second);
    // (made after their start-up catch-up, so only the webhook brings it in)
    const conversation = intercom.addConversation({ subject: 'Slow Intercom' });
    const id = String(conversation.id);
    const held = intercom.hold({ method: 'GET', path: `/conversations/${id}`, times: 1 });
    expect(
      (await first.webhook(first.notification('conversation.user.created', { type: 'conversation', id }))).status,
    ).toBe(200);
    await held.reached(1);
    await new Promise((r) => setTimeout(r, 3_000));
    // had the lease lapsed, the other replica would have read the conversation again by now
    expect(intercom.calls('GET', `/conversations/${id}`)).toHaveLength(1);
    held.open();
    await first.eventually(() => expect(cards()).toHaveLength(1));
    await first.drained();
    await second.drained();
    expect(cards()).toHaveLength(1);
    expect(intercom.calls('GET', `/conversations/${id}`)).toHaveLength(1);
  }, 30_000);
});

describe.runIf(available)('a rolling restart of three replicas under a steady stream', () => {
  it('replaces each replica in turn (SIGTERM-like stop, drain, start): 0 lost, 0 doubled, webhook p99 < 500 ms', async () => {
    intercom = await FakeIntercom.start();
    slack = await FakeSlack.start();
    slack.addChannel({ id: CHANNEL, name: 'support' });
    intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
    const fakes = { intercom, slack, databaseUrl };
    const replicas: Harness[] = [];
    for (let i = 0; i < 3; i++) replicas.push(await Harness.attach(fakes));
    harnesses.push(...replicas);
    const ids: string[] = [];
    const latencies: number[] = [];
    let streaming = true;
    let n = 0;
    // a load balancer in front: each webhook to the next live replica; one refused (a replica stopping) is sent
    // again to the next, as Intercom would retry it
    const stream = (async () => {
      while (streaming) {
        const conversation = intercom?.addConversation({ subject: `stream ${n}` });
        const id = String(conversation?.id);
        ids.push(id);
        const note = replicas[0]?.notification('conversation.user.created', { type: 'conversation', id });
        for (let attempt = 0; attempt < 6; attempt++) {
          const target = replicas[(n + attempt) % replicas.length];
          const started = performance.now();
          const answer = await target?.webhook(note).catch(() => ({ status: 0 }));
          if (answer?.status === 200) {
            latencies.push(performance.now() - started);
            break;
          }
        }
        n += 1;
        await new Promise((r) => setTimeout(r, 50)); // about 20 a second
      }
    })();
    for (let i = 0; i < replicas.length; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      const old = replicas[i] as Harness;
      await old.bridge?.stop(); // what SIGTERM does: refuse new requests, finish what is in flight
      replicas[i] = await Harness.attach(fakes);
      harnesses.push(replicas[i] as Harness);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    streaming = false;
    await stream;
    for (const replica of replicas) await replica.drained(20_000);
    await replicas[0]?.eventually(() => expect(cards().length).toBe(ids.length), 20_000);
    const shown = cards().map((c) => c.text.split(': ')[1]);
    expect(new Set(shown).size).toBe(ids.length); // none lost, none twice
    expect(latencies.length).toBe(ids.length);
    const p99 = [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length * 0.99)] ?? 0;
    process.stdout.write(`rolling restart: ${ids.length} webhooks, p99 ${Math.round(p99)} ms\n`);
    expect(p99).toBeLessThan(500);
  }, 60_000);
});
