import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Pool } from 'undici';
import { signWebhook } from '../src/intercom/webhooks.ts';
import { blockAction, interactionBody, signSlack } from '../test/support/slack-requests.ts';
import { canPin, pinSelf } from './support/pinning.ts';
import { ask, bridgeEnv, cpuTicks, freePort, startFlags } from './support/processes.ts';

// Time to Slack's answer while Intercom is slow: CLICKS (default 200) signed Close clicks on cards at CONCURRENCY
// (20) into the real bridge process (src/main.ts with npm start's flags, SQLite file store), while the fake
// Intercom (another process, with the fake Slack) takes INTERCOM_LATENCY_MS (2,500) to answer each write. Slack
// wants an answer within 3 s and the bridge acknowledges before calling Intercom, so the answer should not wait
// for the write. Then the same clicks against a bare Bolt app that only acks (bench/support/bare-bolt.ts), on the
// same core, for the ratio. Each server first gets WARM_UP (100) clicks on other cards; the measured clicks then
// go over CONCURRENCY keep-alive connections opened just before, as a load balancer in front of the bridge keeps
// them. Run with `npm run bench:ack`.

const CLICKS = Number(process.env.CLICKS ?? 200);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 20);
const INTERCOM_LATENCY_MS = Number(process.env.INTERCOM_LATENCY_MS ?? 2500);
const WARM_UP = Number(process.env.WARM_UP ?? 100);
const SIGNING_SECRET = 'bench-signing-secret';
const CLIENT_SECRET = 'bench-client-secret';
const CHANNEL = 'C0SUPPORT1';
const USER = 'U0ALICE01';
// this driver collects its own garbage before each burst, so that its set-up's is not collected while timing
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const root = fileURLToPath(new URL('..', import.meta.url));
const pinned = canPin();

const children: ChildProcess[] = [];
const dbDir = mkdtempSync(join(tmpdir(), 'bridge-ack-bench-'));
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dbDir, { recursive: true, force: true });
});

/** Node on a given core when it can be pinned (the server under test on 0; fakes and this driver on 1). */
function node(core: number, args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  const child = pinned
    ? spawn('taskset', ['-c', String(core), process.execPath, ...args], options)
    : spawn(process.execPath, args, options);
  children.push(child);
  return child;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/**
 * Opens (or keeps open) the pool's CONCURRENCY keep-alive connections with Slack's unsigned `ssl_check`, which
 * both servers answer without doing anything. Without it, the bridge's connections would have timed out while
 * its warm-up writes finished (Node closes idle ones after 5 s) and its burst would time 20 TCP connects that
 * the bare app's burst, run right after its warm-up, does not: up to 200 ms on the first clicks.
 */
async function openConnections(pool: Pool): Promise<void> {
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const res = await pool.request({
        path: '/slack/events',
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'ssl_check=1',
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`ssl_check answered ${res.statusCode}`);
    }),
  );
}

/**
 * Sends the clicks CONCURRENCY at a time over `pool`; each is timed from sending to the end of the answer. Two
 * checks on the measurement come with it: how late this driver's own timers ran (it shares a core with the
 * fakes), and how much CPU processes other than `pids` (this benchmark's) used meanwhile, e.g. a test run.
 */
async function fire(pool: Pool, bodies: string[], pids: number[]) {
  collectGarbage();
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  let next = 0;
  const cpuBefore = cpuTicks(pids);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const headers = { 'content-type': 'application/x-www-form-urlencoded', ...signSlack(SIGNING_SECRET, body) };
        const t = performance.now();
        const res = await pool.request({ path: '/slack/events', method: 'POST', headers, body });
        await res.body.dump();
        latencies.push(performance.now() - t);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      }
    }),
  );
  const ms = performance.now() - started;
  lag.disable();
  const cpuAfter = cpuTicks(pids);
  const otherCpuMs =
    cpuBefore && cpuAfter ? Math.max(0, cpuAfter.all - cpuBefore.all - (cpuAfter.ours - cpuBefore.ours)) * 10 : NaN;
  return { latencies: latencies.sort((a, b) => a - b), statuses, ms, driverLagMaxMs: lag.max / 1e6, otherCpuMs };
}

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

interface Ready {
  intercomUrl: string;
  slackApiUrl: string;
  slackToken: string;
  intercomToken: string;
}
interface Card {
  id: string;
  ts: string;
  text: string;
  blocks: unknown[];
}

// the same Node flags as `npm start`, for the bridge and for the bare Bolt app
const nodeFlags = startFlags(root);

async function main() {
  if (pinned) pinSelf(1);

  const fakes = node(1, [join(root, 'bench/support/ack-fakes.ts')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // the fakes share core 1 with this driver: at the lowest priority, their work on the bridge's Intercom writes
  // (which arrive during the clicks) delays the timing of the answers less
  setPriority(fakes.pid ?? 0, 19);
  const [ready] = (await once(fakes, 'message')) as [Ready];
  const ourPids = (server: ChildProcess) => [process.pid, fakes.pid ?? 0, server.pid ?? 0];
  const { ids: allIds } = await ask<{ ids: string[] }>(fakes, { type: 'seed', count: WARM_UP + CLICKS }, 'seeded');

  // the bridge, as `npm start` runs it
  const bridgePort = await freePort();
  const bridge = node(0, [...nodeFlags, join(root, 'src/main.ts')], {
    cwd: dbDir,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: bridgeEnv(ready, {
      signingSecret: SIGNING_SECRET,
      clientSecret: CLIENT_SECRET,
      channel: CHANNEL,
      dbPath: join(dbDir, 'bridge.db'),
      port: bridgePort,
    }),
  });
  // warnings and errors from the bridge go to stderr, apart from the table
  bridge.stdout?.pipe(process.stderr);
  const bridgeExit = once(bridge, 'exit').then(([code]) => {
    throw new Error(`the bridge exited (${code}) during the benchmark`);
  });
  bridgeExit.catch(() => {});
  const bridgeUrl = `http://127.0.0.1:${bridgePort}`;
  await Promise.race([
    bridgeExit,
    until('the bridge to start', 20_000, () =>
      fetch(`${bridgeUrl}/healthz`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    ),
  ]);

  // a card per conversation, made the way production makes them: a signed Intercom webhook each
  const now = Math.floor(Date.now() / 1000);
  const pool = new Pool(bridgeUrl, { connections: 10 });
  await Promise.all(
    allIds.map(async (id, i) => {
      const body = JSON.stringify({
        type: 'notification_event',
        app_id: 'wsp1test',
        id: `notif_ack_${i}_${Date.now()}`,
        topic: 'conversation.user.created',
        created_at: now,
        data: { type: 'notification_event_data', item: { type: 'conversation', id } },
      });
      const res = await pool.request({
        path: '/intercom/webhooks',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature': signWebhook(body, CLIENT_SECRET) },
        body,
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`webhook for conversation ${id} answered ${res.statusCode}`);
    }),
  );
  await pool.close();
  await Promise.race([
    bridgeExit,
    until('a card per conversation', 120_000, async () => {
      const { count } = await ask<{ count: number }>(fakes, { type: 'cards' }, 'cards');
      return count >= allIds.length ? true : undefined;
    }),
  ]);
  const { cards } = await ask<{ cards: Card[] }>(fakes, { type: 'cards', ids: allIds }, 'cards');
  if (cards.length !== allIds.length) throw new Error(`${cards.length} cards for ${allIds.length} conversations`);

  // one Close click per card, so none is a no-op
  const clicks = cards.map((card) =>
    interactionBody(
      blockAction({
        user: USER,
        actionId: `close:${card.id}`,
        channel: CHANNEL,
        message: { ts: card.ts, text: card.text, blocks: card.blocks },
        value: card.id,
      }),
    ),
  );
  const warmUpIds = allIds.slice(0, WARM_UP);
  const ids = allIds.slice(WARM_UP);
  const warmUpClicks = clicks.slice(0, WARM_UP);
  const measuredClicks = clicks.slice(WARM_UP);
  const closesOf = async (list: string[]) =>
    (await ask<{ count: number }>(fakes, { type: 'closes', ids: list }, 'closes')).count;

  // from here on every write to Intercom takes INTERCOM_LATENCY_MS; reads stay fast
  await ask(fakes, { type: 'slow-writes', ms: INTERCOM_LATENCY_MS }, 'slow-writes');

  // warm-up: the first clicks pay for JIT, the teammate lookup and first-use setup; let their writes and the
  // card updates after them finish before measuring
  const bridgeClicks = new Pool(bridgeUrl, { connections: CONCURRENCY });
  await fire(bridgeClicks, warmUpClicks, []);
  await Promise.race([
    bridgeExit,
    until('the warm-up close writes', 60_000, async () =>
      (await closesOf(warmUpIds)) >= warmUpIds.length ? true : undefined,
    ),
  ]);
  await new Promise((r) => setTimeout(r, INTERCOM_LATENCY_MS + 1000));

  await openConnections(bridgeClicks);
  const started = performance.now();
  const ours = await fire(bridgeClicks, measuredClicks, ourPids(bridge));
  const closesMs = await Promise.race([
    bridgeExit,
    until('the close writes', 120_000, async () =>
      (await closesOf(ids)) >= ids.length ? performance.now() - started : undefined,
    ),
  ]);
  await bridgeClicks.close();
  await stop(bridge);

  // the floor: a bare Bolt app that only acks, on the core the bridge used
  const bare = node(0, [...nodeFlags, join(root, 'bench/support/bare-bolt.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH ?? '',
      SLACK_BOT_TOKEN: ready.slackToken,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: ready.slackApiUrl,
    },
  });
  const [line] = (await once(bare.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const bareUrl = `http://127.0.0.1:${(JSON.parse(String(line)) as { port: number }).port}`;
  const bareClicks = new Pool(bareUrl, { connections: CONCURRENCY });
  await fire(bareClicks, warmUpClicks, []);
  await openConnections(bareClicks);
  const floor = await fire(bareClicks, measuredClicks, ourPids(bare));
  await bareClicks.close();
  await stop(bare);
  fakes.send({ type: 'close' });
  await once(fakes, 'exit');

  const fmt = (n: number, d = 1) => n.toFixed(d);
  const non200 = (r: { statuses: Map<number, number> }) =>
    [...r.statuses].filter(([s]) => s !== 200).reduce((sum, [, n]) => sum + n, 0);
  const row = (name: string, r: typeof ours) =>
    `| ${name} | ${fmt(q(r.latencies, 0.5), 2)} | ${fmt(q(r.latencies, 0.99), 2)} | ${fmt(r.latencies.at(-1) ?? 0, 2)} | ${non200(r)} |`;
  const p99 = q(ours.latencies, 0.99);
  const ratio50 = q(ours.latencies, 0.5) / q(floor.latencies, 0.5);
  const ratio99 = p99 / q(floor.latencies, 0.99);
  const rows = [
    `Ack latency benchmark: ${CLICKS} Close clicks at concurrency ${CONCURRENCY} after ${WARM_UP} to warm up, ` +
      `Intercom writes taking ${INTERCOM_LATENCY_MS} ms, Node ${process.versions.node}, ` +
      (pinned ? 'server under test on core 0, fakes and driver on core 1' : 'not pinned'),
    '',
    '| server | p50 ms | p99 ms | max ms | non-200 |',
    '|---|---:|---:|---:|---:|',
    row('the bridge (ack, then close in Intercom)', ours),
    row('bare Bolt (ack only)', floor),
    '',
    `bridge / bare Bolt: p50 ${fmt(ratio50, 2)}×, p99 ${fmt(ratio99, 2)}×`,
    `bursts: the bridge answered all ${CLICKS} in ${fmt(ours.ms)} ms, bare Bolt in ${fmt(floor.ms)} ms; ` +
      `the driver's timers ran up to ${fmt(ours.driverLagMaxMs)} / ${fmt(floor.driverLagMaxMs)} ms late; ` +
      `other processes used ${fmt(ours.otherCpuMs, 0)} / ${fmt(floor.otherCpuMs, 0)} ms of CPU meanwhile`,
    `all ${ids.length} close writes reached the fake Intercom ${fmt(closesMs)} ms after the first click`,
    '',
    `targets: p99 < 100 ms → ${fmt(p99, 2)} ${p99 < 100 ? 'met' : 'NOT met'}; ` +
      `p99 ratio ≤ 1.5 → ${fmt(ratio99, 2)} ${ratio99 <= 1.5 ? 'met' : 'NOT met'}`,
  ];
  process.stdout.write(`${rows.join('\n')}\n`);
}

try {
  await main();
  process.exit(0);
} catch (error) {
  process.stderr.write(`ack-latency benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
