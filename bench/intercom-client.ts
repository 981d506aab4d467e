import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { IntercomClient as OfficialSdk } from 'intercom-client';
import { Pool } from 'undici';
import { IntercomClient } from '../src/intercom/client.ts';
import { canPin, pinSelf } from './support/pinning.ts';

// Throughput and latency of three ways to call Intercom, against one loopback stand-in in another process:
// this client, the official `intercom-client` SDK (dev dependency, used only here) and a bare undici request
// that only parses JSON. With two or more cores and `taskset`, the stand-in gets core 1 and this process core 0,
// so the figures compare client-side cost rather than who won the CPU. Run with `npm run bench:client`;
// REQUESTS and ROUNDS can be set in the environment.

const REQUESTS = Number(process.env.REQUESTS ?? 3000);
const ROUNDS = Number(process.env.ROUNDS ?? 11);
const CONCURRENCY = (process.env.CONCURRENCY ?? '1,64').split(',').map(Number);
const TOKEN = 'bench-token';
const SEARCH = { query: { field: 'email', operator: '~' as const, value: 'acme' }, pagination: { per_page: 10 } };

type Call = () => Promise<unknown>;
interface Contender {
  name: string;
  get: Call;
  search: Call;
  close(): Promise<void>;
}

const pinned = canPin();
const serverScript = fileURLToPath(new URL('./support/fixed-intercom.ts', import.meta.url));
const server = pinned
  ? spawn('taskset', ['-c', '1', process.execPath, serverScript], { stdio: ['ignore', 'pipe', 'inherit'] })
  : spawn(process.execPath, [serverScript], { stdio: ['ignore', 'pipe', 'inherit'] });
const [firstLine] = (await once(server.stdout, 'data')) as [Buffer];
const { port } = JSON.parse(String(firstLine)) as { port: number };
if (pinned) pinSelf(0);
const url = `http://127.0.0.1:${port}`;

const ours = new IntercomClient({ token: TOKEN, baseUrl: url });
const sdk = new OfficialSdk({ token: TOKEN, baseUrl: url });
const pool = new Pool(url, { connections: 128 });
const headers = {
  authorization: `Bearer ${TOKEN}`,
  accept: 'application/json',
  'intercom-version': '2.14',
  'content-type': 'application/json',
};
const searchBody = JSON.stringify(SEARCH);

const contenders: Contender[] = [
  {
    name: 'this client',
    get: () => ours.conversations.get('503'),
    search: () => ours.contacts.search(SEARCH.query, { perPage: 10 }),
    close: () => ours.close(),
  },
  {
    name: 'intercom-client (official SDK)',
    get: () => sdk.conversations.find({ conversation_id: '503' }),
    search: () => sdk.contacts.search(SEARCH),
    close: async () => undefined,
  },
  {
    name: 'bare undici',
    get: async () => {
      const res = await pool.request({ path: '/conversations/503', method: 'GET', headers });
      return JSON.parse(await res.body.text());
    },
    search: async () => {
      const res = await pool.request({ path: '/contacts/search', method: 'POST', headers, body: searchBody });
      return JSON.parse(await res.body.text());
    },
    close: () => pool.close(),
  },
];

/** Runs `total` calls with `concurrency` in flight; returns per-call latencies and the wall time. */
async function drive(
  call: Call,
  total: number,
  concurrency: number,
): Promise<{ latencies: number[]; ms: number; cpuUs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const lane = async () => {
    while (next < total) {
      next += 1;
      const t = performance.now();
      await call();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { latencies, ms, cpuUs: (used.user + used.system) / total };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

interface Row {
  op: string;
  concurrency: number;
  client: string;
  rps: number;
  p50: number;
  p99: number;
  /** Client CPU time (this process, all threads) per request: steadier than throughput on a noisy machine. */
  cpuUs: number;
  /** Median over rounds of this client's req/s divided by the SDK's and bare undici's in the same round. */
  vsSdk: number;
  vsUndici: number;
}
const rows: Row[] = [];
const SDK = 'intercom-client (official SDK)';
const UNDICI = 'bare undici';

for (const concurrency of CONCURRENCY) {
  for (const op of ['get', 'search'] as const) {
    const runs = new Map<string, Array<{ rps: number; p50: number; p99: number; cpuUs: number }>>();
    for (const c of contenders) await drive(c[op], 2000, concurrency); // warm up connections and JIT
    for (let round = 0; round < ROUNDS; round++) {
      // interleave contenders, rotating who goes first, so drift in machine load and GC touch all alike
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length] as Contender);
      for (const c of order) {
        const { latencies, ms, cpuUs } = await drive(c[op], REQUESTS, concurrency);
        latencies.sort((a, b) => a - b);
        const list = runs.get(c.name) ?? [];
        list.push({
          rps: (REQUESTS / ms) * 1000,
          p50: quantile(latencies, 0.5),
          p99: quantile(latencies, 0.99),
          cpuUs,
        });
        runs.set(c.name, list);
      }
    }
    // ratios are paired by round: both sides ran within seconds of each other, under the same machine load
    const paired = (list: Array<{ rps: number }>, peer: string) =>
      median(list.map((r, i) => r.rps / (runs.get(peer)?.[i]?.rps ?? Number.NaN)));
    for (const [client, list] of runs) {
      rows.push({
        op: op === 'get' ? 'GET /conversations/{id}' : 'POST /contacts/search',
        concurrency,
        client,
        rps: median(list.map((r) => r.rps)),
        p50: median(list.map((r) => r.p50)),
        p99: median(list.map((r) => r.p99)),
        cpuUs: median(list.map((r) => r.cpuUs)),
        vsSdk: paired(list, SDK),
        vsUndici: paired(list, UNDICI),
      });
    }
  }
}

for (const c of contenders) await c.close();
server.kill('SIGTERM');

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const lines = [
  `Intercom client benchmark: ${REQUESTS} requests × ${ROUNDS} rounds (medians; ratios paired by round), ` +
    `Node ${process.versions.node}, ${pinned ? 'client on core 0, stand-in on core 1' : 'not pinned (needs 2 cores and taskset)'}`,
  '',
  '| operation | conc. | client | req/s | p50 ms | p99 ms | CPU µs/req | vs SDK | vs undici |',
  '|---|---:|---|---:|---:|---:|---:|---:|---:|',
];
for (const r of rows) {
  lines.push(
    `| ${r.op} | ${r.concurrency} | ${r.client} | ${fmt(r.rps, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.cpuUs, 0)} | ${fmt(r.vsSdk)}× | ${fmt(r.vsUndici)}× |`,
  );
}
const verdicts = rows
  .filter((r) => r.concurrency === 64 && r.client === 'this client')
  .map((r) => {
    const ok = r.vsSdk >= 1.5 && r.vsUndici >= 0.85;
    return `${r.op} at concurrency 64: ${fmt(r.vsSdk)}× the SDK (target ≥ 1.5), ${fmt(r.vsUndici)}× bare undici (target ≥ 0.85) → ${ok ? 'met' : 'NOT met'}`;
  });
lines.push('', ...verdicts);
process.stdout.write(`${lines.join('\n')}\n`);
