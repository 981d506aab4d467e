import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { signWebhook } from '../src/intercom/webhooks.ts';
import { canPin, pinSelf } from './support/pinning.ts';
import { startFlags } from './support/processes.ts';

// Webhook intake and processing: WEBHOOKS signed `conversation.user.created` notifications (default 2,000) at
// CONCURRENCY 50 into the real bridge process (src/main.ts with npm start's flags, SQLite file store), with fake
// Intercom and Slack in another process; then the same load against a bare node:http server that only checks the
// HMAC and answers 200. ROUNDS (default 5) alternate the two, so each ratio compares runs seconds apart on this
// noisy machine; the figures are medians over rounds. Measures the answer Intercom sees (acks/s, p50/p99),
// end-to-end cards/s until every card is in Slack, lost and duplicated cards, and the bridge's peak RSS over all
// rounds. Run with `npm run bench:webhooks`.

const WEBHOOKS = Number(process.env.WEBHOOKS ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 50);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SECRET = 'bench-client-secret';
const root = fileURLToPath(new URL('..', import.meta.url));
const pinned = canPin();

/** Node on a given core when it can be pinned (bridge on 0; fakes and this driver on 1). */
function node(core: number, args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  return pinned
    ? spawn('taskset', ['-c', String(core), process.execPath, ...args], options)
    : spawn(process.execPath, args, options);
}

function ask<T>(child: ChildProcess, message: unknown, reply: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== reply) return;
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.send(message as object);
  });
}

async function fire(
  url: string,
  bodies: string[],
): Promise<{ latencies: number[]; ms: number; statuses: Map<number, number> }> {
  const pool = new Pool(url, { connections: CONCURRENCY });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as string;
        const t = performance.now();
        const res = await pool.request({
          path: '/intercom/webhooks',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature': signWebhook(body, SECRET) },
          body,
        });
        await res.body.dump();
        latencies.push(performance.now() - t);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      }
    }),
  );
  const ms = performance.now() - started;
  await pool.close();
  return { latencies: latencies.sort((a, b) => a - b), ms, statuses };
}

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

function peakRssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

if (pinned) pinSelf(1);

// fakes, seeded with one conversation per webhook
const fakes = node(1, [join(root, 'bench/support/fakes.ts')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const [ready] = (await once(fakes, 'message')) as [
  { intercomUrl: string; slackApiUrl: string; slackToken: string; intercomToken: string },
];
const WARM_UP = 200;
const { ids: allIds } = await ask<{ ids: string[] }>(
  fakes,
  { type: 'seed', count: WARM_UP + ROUNDS * WEBHOOKS },
  'seeded',
);
const warmUpIds = allIds.slice(0, WARM_UP);

// the bridge, as `npm start` runs it
const dbDir = mkdtempSync(join(tmpdir(), 'bridge-bench-'));
const bridgePort = 3900 + Math.floor(Math.random() * 50);
// BENCH_CPU_PROFILE=DIR writes a CPU profile of the bridge there (node --cpu-prof)
const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : [];
const bridge = node(0, [...startFlags(root), ...profile, join(root, 'src/main.ts')], {
  cwd: dbDir,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: {
    PATH: process.env.PATH ?? '',
    SLACK_BOT_TOKEN: ready.slackToken,
    SLACK_SIGNING_SECRET: 'bench-signing-secret',
    SLACK_API_URL: ready.slackApiUrl,
    SLACK_CHANNEL: 'C0BENCH01',
    INTERCOM_TOKEN: ready.intercomToken,
    INTERCOM_CLIENT_SECRET: SECRET,
    INTERCOM_API_URL: ready.intercomUrl,
    DATABASE_URL: `sqlite:${join(dbDir, 'bridge.db')}`,
    PORT: String(bridgePort),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // BRIDGE_NODE_OPTIONS passes V8/Node flags to the bridge, e.g. to try heap settings
    NODE_OPTIONS: process.env.BRIDGE_NODE_OPTIONS ?? '',
  },
});
await new Promise<void>((resolve, reject) => {
  const deadline = setTimeout(() => reject(new Error('the bridge did not start')), 20_000);
  const probe = setInterval(async () => {
    const ok = await fetch(`http://127.0.0.1:${bridgePort}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) {
      clearInterval(probe);
      clearTimeout(deadline);
      resolve();
    }
  }, 100);
});

const now = Math.floor(Date.now() / 1000);
const notifications = (list: string[], prefix: string) =>
  list.map((id, i) =>
    JSON.stringify({
      type: 'notification_event',
      app_id: 'wsp1test',
      id: `notif_${prefix}_${i}_${Date.now()}`,
      topic: 'conversation.user.created',
      created_at: now,
      data: { type: 'notification_event_data', item: { type: 'conversation', id } },
    }),
  );

async function cardsInSlack(expected: number, timeoutMs: number) {
  let stats = { cards: 0, duplicates: 0 };
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    stats = await ask<{ cards: number; duplicates: number }>(fakes, { type: 'stats' }, 'stats');
    if (stats.cards >= expected) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return stats;
}

// the floor: a bare server that checks the HMAC and answers 200, on the bridge's core
const bare = node(0, [join(root, 'bench/support/bare-hmac-server.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { PATH: process.env.PATH ?? '', INTERCOM_CLIENT_SECRET: SECRET },
});
const [line] = (await once(bare.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
const bareUrl = `http://127.0.0.1:${(JSON.parse(String(line)) as { port: number }).port}`;
const bridgeUrl = `http://127.0.0.1:${bridgePort}`;

// long-running servers are measured warm: the first requests pay for JIT and first-use setup
await fire(bridgeUrl, notifications(warmUpIds, 'warmup'));
await cardsInSlack(WARM_UP, 60_000);
await fire(bareUrl, notifications(warmUpIds, 'warmup'));

type Fired = Awaited<ReturnType<typeof fire>>;
const rounds: { ours: Fired; floor: Fired; e2eMs: number }[] = [];
let cards = WARM_UP;
let duplicates = 0;
for (let round = 0; round < ROUNDS; round++) {
  const bodies = notifications(allIds.slice(WARM_UP + round * WEBHOOKS, WARM_UP + (round + 1) * WEBHOOKS), `r${round}`);
  const started = performance.now();
  const ours = await fire(bridgeUrl, bodies);
  const stats = await cardsInSlack(cards + WEBHOOKS, 180_000);
  const e2eMs = performance.now() - started;
  cards = stats.cards;
  duplicates = stats.duplicates;
  // the bridge is idle again (every card is in Slack) before the floor is measured on the same core
  const floor = await fire(bareUrl, bodies);
  rounds.push({ ours, floor, e2eMs });
}
const rss = peakRssMb(bridge.pid);
bridge.kill('SIGTERM');
bare.kill('SIGTERM');
await once(bridge, 'exit');
fakes.send({ type: 'close' });

const acks = (r: { ms: number }) => (WEBHOOKS / r.ms) * 1000;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const fmt = (n: number, d = 1) => n.toFixed(d);
const answers = (r: Fired) => [...r.statuses].map(([s, n]) => `${n}×${s}`).join(', ');
const lost = ROUNDS * WEBHOOKS - (cards - WARM_UP);
const ratio = median(rounds.map((r) => acks(r.ours) / acks(r.floor)));
const p99 = median(rounds.map((r) => q(r.ours.latencies, 0.99)));
const rows = [
  `Webhook benchmark: ${ROUNDS} rounds of ${WEBHOOKS} signed webhooks at concurrency ${CONCURRENCY} after ${WARM_UP} to warm up, ` +
    `Node ${process.versions.node}, ` +
    (pinned ? 'bridge and bare server on core 0, fakes and driver on core 1' : 'not pinned'),
  '',
  '| round | bridge acks/s | p50 ms | p99 ms | answers | cards/s end to end | bare acks/s | p50 ms | p99 ms | ratio |',
  '|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|',
  ...rounds.map(
    ({ ours, floor, e2eMs }, i) =>
      `| ${i + 1} | ${fmt(acks(ours), 0)} | ${fmt(q(ours.latencies, 0.5), 2)} | ${fmt(q(ours.latencies, 0.99), 2)} | ` +
      `${answers(ours)} | ${fmt((WEBHOOKS / e2eMs) * 1000, 0)} | ${fmt(acks(floor), 0)} | ${fmt(q(floor.latencies, 0.5), 2)} | ` +
      `${fmt(q(floor.latencies, 0.99), 2)} | ${fmt(acks(ours) / acks(floor), 2)} |`,
  ),
  `| median | ${fmt(median(rounds.map((r) => acks(r.ours))), 0)} | ${fmt(median(rounds.map((r) => q(r.ours.latencies, 0.5))), 2)} | ` +
    `${fmt(p99, 2)} | | ${fmt(median(rounds.map((r) => (WEBHOOKS / r.e2eMs) * 1000)), 0)} | ` +
    `${fmt(median(rounds.map((r) => acks(r.floor))), 0)} | ${fmt(median(rounds.map((r) => q(r.floor.latencies, 0.5))), 2)} | ` +
    `${fmt(median(rounds.map((r) => q(r.floor.latencies, 0.99))), 2)} | ${fmt(ratio, 2)} |`,
  '',
  `cards: ${cards - WARM_UP} of ${ROUNDS * WEBHOOKS}; lost ${lost}, duplicated ${duplicates}`,
  `bridge peak RSS over all rounds: ${fmt(rss)} MB`,
  '',
  `targets (medians): p99 answer < 50 ms → ${fmt(p99, 2)} ${p99 < 50 ? 'met' : 'NOT met'}; ratio ≥ 0.5 → ${fmt(ratio, 2)} ${ratio >= 0.5 ? 'met' : 'NOT met'}; ` +
    `none lost or duplicated → ${lost === 0 && duplicates === 0 ? 'met' : 'NOT met'}; peak RSS < 150 MB → ${fmt(rss)} ${rss < 150 ? 'met' : 'NOT met'}`,
];
process.stdout.write(`${rows.join('\n')}\n`);
process.exit(0);
