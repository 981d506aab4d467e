import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { bridgeEnv, freePort, postCreatedWebhook } from '../support/bridge-env.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';
import { FakeSlack } from '../support/fake-slack.ts';
import { CHANNEL, Harness } from '../support/harness.ts';

// SIGTERM while webhooks are being processed: the process stops taking requests, finishes what it started, and
// exits 0; whatever it had accepted but not started waits in the store, and the next start posts it. While it
// drains, new connections (webhooks, probes) are refused.

const ROOT = join(import.meta.dirname, '..', '..');

const webhook = (port: number, conversationId: string) => postCreatedWebhook(port, conversationId);

let child: ChildProcess | undefined;
const fakes: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  child?.kill('SIGKILL');
  for (const fake of fakes.splice(0)) await fake.close();
});

/** The bridge as `npm start` runs it, on the fakes and a SQLite file; `output` is everything it logged. */
async function startProcess(intercom: FakeIntercom, slack: FakeSlack, file: string) {
  const port = await freePort();
  const proc = spawn(process.execPath, [join(ROOT, 'src', 'main.ts')], {
    cwd: join(ROOT, 'test'),
    env: {
      PATH: process.env.PATH ?? '',
      ...bridgeEnv({ slack, intercom }, { DATABASE_URL: `sqlite:${file}`, PORT: String(port), LOG_LEVEL: 'info' }),
    },
  });
  child = proc;
  const state = { output: '' };
  proc.stdout?.on('data', (d) => {
    state.output += String(d);
  });
  const exited = once(proc, 'exit').then(([code]) => Number(code));
  const waitFor = async (text: string) => {
    for (let i = 0; i < 400 && !state.output.includes(text); i++) await new Promise((r) => setTimeout(r, 25));
    expect(state.output).toContain(text);
  };
  await waitFor('bridge listening');
  return { proc, port, state, exited, waitFor };
}

/** What a request to the bridge got: its status, or the reason it never got one (connection refused, reset). */
async function attempt(request: () => Promise<number>): Promise<number | string> {
  try {
    return await request();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? String(error);
  }
}

describe('SIGTERM with work in flight', () => {
  it('finishes what it started, keeps the rest, loses and doubles nothing', async () => {
    const intercom = await FakeIntercom.start();
    const slack = await FakeSlack.start();
    fakes.push(intercom, slack);
    slack.addChannel({ id: CHANNEL, name: 'support' });
    intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
    // each sync waits on Intercom, so deliveries are mid-flight when the signal comes
    intercom.latencyMs = (req) => (req.method === 'GET' && req.path.startsWith('/conversations/') ? 300 : 0);
    const ids = Array.from({ length: 30 }, () => String(intercom.addConversation({ subject: 'Shutdown' }).id));

    const file = join(mkdtempSync(join(tmpdir(), 'bridge-shutdown-')), 'bridge.db');
    const port = await freePort();
    const env = {
      PATH: process.env.PATH ?? '',
      ...bridgeEnv({ slack, intercom }, { DATABASE_URL: `sqlite:${file}`, PORT: String(port), LOG_LEVEL: 'info' }),
    };
    child = spawn(process.execPath, [join(ROOT, 'src', 'main.ts')], { cwd: join(ROOT, 'test'), env });
    let output = '';
    child.stdout?.on('data', (d) => {
      output += String(d);
    });
    const exited = once(child, 'exit').then(([code]) => Number(code));
    for (let i = 0; i < 200 && !output.includes('bridge listening'); i++) await new Promise((r) => setTimeout(r, 25));

    const answers = await Promise.all(ids.map((id) => webhook(port, id)));
    expect(answers).toEqual(ids.map(() => 200));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('shutting down');
    expect(output).toContain('bridge stopped');
    const postedBeforeStop = slack.messages.filter((m) => m.threadTs === undefined).length;
    expect(postedBeforeStop).toBeLessThan(30); // the signal really came mid-burst

    // (the start-up catch-up queues syncs of its own: count the webhooks' deliveries)
    const db = new DatabaseSync(file);
    const count = (state: string) =>
      Number(
        db.prepare("SELECT count(*) AS n FROM inbox WHERE topic = 'conversation.user.created' AND state = ?").get(state)
          ?.n,
      );
    const [waiting, done] = [count('pending'), count('done')];
    db.close();
    expect(waiting + done).toBe(30);
    expect(waiting).toBeGreaterThan(0);

    // started again on the same file, it posts the rest
    const again = await Harness.attach({ intercom, slack, databaseUrl: `sqlite:${file}` });
    try {
      await again.drained(15_000);
      const cards = slack.messages.filter((m) => m.threadTs === undefined);
      expect(cards).toHaveLength(30);
      expect(new Set(cards.map((m) => m.text)).size).toBeGreaterThan(0);
      const conversations = new Set<string>();
      for (const id of ids) {
        const card = await again.bridge?.store.getCard(id);
        expect(card).toBeDefined();
        conversations.add(String(card?.ts));
      }
      expect(conversations.size).toBe(30);
    } finally {
      await again.bridge?.stop();
    }
  }, 60_000);

  it('stops accepting at once, while the work in flight still finishes and nothing accepted is lost', async () => {
    const intercom = await FakeIntercom.start();
    const slack = await FakeSlack.start();
    fakes.push(intercom, slack);
    slack.addChannel({ id: CHANNEL, name: 'support' });
    intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
    // each sync waits 1.5 s on Intercom: the first three are mid-flight when the signal comes
    intercom.latencyMs = (req) => (req.method === 'GET' && /^\/conversations\/\d+$/.test(req.path) ? 1_500 : 0);
    // (last updated an hour ago, so the start-up catch-up, which looks back 15 minutes, leaves them to the webhooks)
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const [a, b, c, late] = Array.from({ length: 4 }, () =>
      String(intercom.addConversation({ subject: 'Drain', createdAt: hourAgo }).id),
    ) as [string, string, string, string];
    const file = join(mkdtempSync(join(tmpdir(), 'bridge-drain-')), 'bridge.db');
    const bridge = await startProcess(intercom, slack, file);

    expect(await Promise.all([a, b, c].map((id) => webhook(bridge.port, id)))).toEqual([200, 200, 200]);
    const fetched = (id: string) => intercom.calls('GET', `/conversations/${id}`).length > 0;
    for (let i = 0; i < 200 && ![a, b, c].every(fetched); i++) await new Promise((r) => setTimeout(r, 10));
    expect([a, b, c].every(fetched)).toBe(true);

    bridge.proc.kill('SIGTERM');
    await bridge.waitFor('shutting down');
    // draining: a new webhook and the readiness probe are refused, while the process is still finishing its work
    const refusedWebhook = await attempt(() => webhook(bridge.port, late));
    const refusedProbe = await attempt(async () => (await fetch(`http://127.0.0.1:${bridge.port}/readyz`)).status);
    expect(bridge.proc.exitCode).toBeNull();
    expect(slack.messages.filter((m) => m.threadTs === undefined)).toHaveLength(0);
    for (const answer of [refusedWebhook, refusedProbe]) {
      expect(answer === 503 || answer === 'ECONNREFUSED', `answered ${answer}`).toBe(true);
    }

    expect(await bridge.exited).toBe(0);
    expect(bridge.state.output).toContain('bridge stopped');
    // the three in flight finished before the exit: one card each
    const cards = slack.messages.filter((m) => m.threadTs === undefined);
    expect(cards).toHaveLength(3);
    const db = new DatabaseSync(file);
    const rows = db
      .prepare("SELECT id, state FROM inbox WHERE topic = 'conversation.user.created' ORDER BY id")
      .all()
      .map((r) => `${r.id} ${r.state}`);
    db.close();
    expect(rows).toEqual([`notif_${a} done`, `notif_${b} done`, `notif_${c} done`].sort());
    expect(intercom.calls('GET', `/conversations/${late}`)).toHaveLength(0);
  }, 30_000);
});
