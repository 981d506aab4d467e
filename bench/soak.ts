import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { signWebhook } from '../src/intercom/webhooks.ts';
import { blockAction, interactionBody, signSlack, slashCommandBody } from '../test/support/slack-requests.ts';
import { canPin, pinSelf } from './support/pinning.ts';
import { bridgeEnv, cpuTicks, freePort, nodeOn, Rpc, startFlags, stop, until } from './support/processes.ts';

// Soak: a steady, open-loop mix of what the bridge serves — Intercom webhooks (new conversations, customer
// replies, exact duplicate deliveries), card clicks (Close / Reopen) and `/intercom` commands (contacts,
// articles, help) — at RATE operations per second (default 40) for DURATION_S (180), after WARM_UP_S (10) of the
// same mix, into the real bridge process (src/main.ts with npm start's flags, SQLite file store, LOG_LEVEL=warn,
// catch-up every POLL_S, default 60 s), with the fake Intercom and Slack in a process of their own
// (bench/support/soak-fakes.ts). Every SAMPLE_S (5) it reports what the bridge's /metrics said in that window
// (read once a second: RSS, heap used, major GCs, event-loop delay p99, inbox depth) beside the answers' p99 and
// errors. At the end it lets the inbox drain, checks that nothing was lost or doubled (one card per conversation,
// each reply once in its thread, each command answered), and says per metric whether it looks bounded or still
// growing. The mix is drawn from a seeded PRNG (SEED, default 1). Exits non-zero only when the set-up fails.
// Run with `npm run bench:soak`.

const DURATION_S = Number(process.env.DURATION_S ?? 180);
const RATE = Number(process.env.RATE ?? 40);
const SAMPLE_S = Number(process.env.SAMPLE_S ?? 5);
const WARM_UP_S = Number(process.env.WARM_UP_S ?? 10);
const SEED = Number(process.env.SEED ?? 1);
/** The bridge's catch-up interval (INTERCOM_POLL_INTERVAL, 300 s by default): short, so a run sees a few passes. */
const POLL_S = Number(process.env.POLL_S ?? 60);
const SIGNING_SECRET = 'bench-signing-secret';
const CLIENT_SECRET = 'bench-client-secret';
const CHANNEL = 'C0SUPPORT1';
const USER = 'U0ALICE01';
/** Replies and clicks go to the conversations most recently created: the ones a support team is working on. */
const WORKING_SET = 300;
/** Open loop, but not without end: past this many unanswered requests, operations are skipped (and counted). */
const MAX_IN_FLIGHT = 1000;
const DRAIN_TIMEOUT_MS = 120_000;

// the verdict (see docs/benchmarks.md): RSS up from the middle third to the last by more than this per minute and
// still rising this fast over the last third; the heap left by the major GCs of the second half over this many
// times that of the first half's; the inbox deeper than this on average over the last third
const MAX_SLOPE_MB_PER_MIN = 2;
const MAX_FLOOR_RATIO = 1.1;
const MAX_INBOX_MEAN = 2 * RATE;

const root = fileURLToPath(new URL('..', import.meta.url));
const pinned = canPin();
const children: ChildProcess[] = [];
const dbDir = mkdtempSync(join(tmpdir(), 'bridge-soak-bench-'));
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dbDir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

function spawnNode(core: number, args: string[], options: Parameters<typeof nodeOn>[3]): ChildProcess {
  const child = nodeOn(pinned, core, args, options);
  children.push(child);
  return child;
}

/** mulberry32: small, fast and seeded, so two runs send the same sequence of operations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KINDS = ['new', 'reply', 'duplicate', 'click', 'contacts', 'articles', 'help'] as const;
type Kind = (typeof KINDS)[number];
/** The mix: webhooks 50% (new 20, reply 25, duplicate 5), clicks 30%, commands 20% (contacts 8, articles 8, help 4). */
const MIX: Array<[Kind, number]> = [
  ['new', 0.2],
  ['reply', 0.25],
  ['duplicate', 0.05],
  ['click', 0.3],
  ['contacts', 0.08],
  ['articles', 0.08],
  ['help', 0.04],
];

interface Ready {
  intercomUrl: string;
  slackApiUrl: string;
  slackUrl: string;
  slackToken: string;
  intercomToken: string;
  contactNames: string[];
  articleWords: string[];
}
interface Card {
  id: string;
  ts: string;
  text: string;
  blocks: unknown[];
}
interface Report {
  cards: number;
  duplicateCards: number;
  withoutCard: number;
  unexpectedCards: number;
  threads: {
    once: number;
    missing: number;
    doubled: number;
    elsewhere: number;
    lines: { close: number; open: number };
    parts: { close: number; open: number };
  };
  commands: { answered: number; unanswered: number; answeredTwice: number };
  messages: number;
}
interface Sample {
  t: number;
  majors: number;
  rssMb: number;
  heapMb: number;
  heapMinMb: number;
  eldP99Ms: number;
  inbox: number;
  inboxMean: number;
  oldestS: number;
  answers: number;
  p99Ms: number;
  errors: number;
  skipped: number;
  lateMs: number;
  bridgeCpu: number;
  otherCpu: number;
  dbMb: number;
}

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Least-squares slope of y over x, with its standard error. */
function leastSquares(xs: number[], ys: number[]): { slope: number; se: number } {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += ((xs[i] ?? 0) - mx) * ((ys[i] ?? 0) - my);
    sxx += ((xs[i] ?? 0) - mx) ** 2;
  }
  if (sxx === 0 || xs.length < 3) return { slope: sxx === 0 ? 0 : sxy / sxx, se: Number.NaN };
  const slope = sxy / sxx;
  const residuals = xs.reduce((sum, x, i) => sum + ((ys[i] ?? 0) - my - slope * (x - mx)) ** 2, 0);
  return { slope, se: Math.sqrt(residuals / (xs.length - 2) / sxx) };
}

/** The samples in Prometheus text, by name with their labels as written (`name{kind="major"}`). */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m?.[1] && m[2]) values.set(m[1], Number(m[2]));
  }
  return values;
}

const MAJOR_GCS = 'bridge_nodejs_gc_duration_seconds_count{kind="major"}';

/** A counter's total, and its values summed by the given labels, largest first: `12 (a 10, b 2)`. */
function counted(values: Map<string, number>, name: string, by: string[]): string {
  const sums = new Map<string, number>();
  for (const [key, value] of values) {
    if (!key.startsWith(`${name}{`)) continue;
    const labels = new Map([...key.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const group = by.map((label) => labels.get(label) ?? '').join(' ');
    sums.set(group, (sums.get(group) ?? 0) + value);
  }
  const total = [...sums.values()].reduce((a, b) => a + b, 0);
  const parts = [...sums].sort((a, b) => b[1] - a[1]).map(([group, n]) => `${group} ${n}`);
  return `${total} (${parts.join(', ')})`;
}

function fileMb(path: string): number {
  try {
    return statSync(path).size / 1048576;
  } catch {
    return 0;
  }
}

async function main() {
  if (pinned) pinSelf(1);

  const fakes = spawnNode(1, [join(root, 'bench/support/soak-fakes.ts')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // the fakes share core 1 with this driver, at a lower priority: the driver's timing comes first
  setPriority(fakes.pid ?? 0, 10);
  const [ready] = (await once(fakes, 'message')) as [Ready];
  const rpc = new Rpc(fakes);

  // the bridge, as `npm start` runs it
  const bridgePort = await freePort();
  const dbPath = join(dbDir, 'bridge.db');
  const bridge = spawnNode(0, [...startFlags(root), join(root, 'src/main.ts')], {
    cwd: dbDir,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: bridgeEnv(
      ready,
      {
        signingSecret: SIGNING_SECRET,
        clientSecret: CLIENT_SECRET,
        channel: CHANNEL,
        dbPath: dbPath,
        port: bridgePort,
      },
      { INTERCOM_POLL_INTERVAL: String(POLL_S) },
    ),
  });
  // the bridge's warnings and errors go to stderr, apart from the table, and are counted by message
  const logged = new Map<string, number>();
  const levels = { warn: 0, error: 0 };
  createInterface({ input: bridge.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    process.stderr.write(`${line}\n`);
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string };
      if ((entry.level ?? 0) >= 50) levels.error += 1;
      else if ((entry.level ?? 0) >= 40) levels.warn += 1;
      const key = String(entry.msg);
      logged.set(key, (logged.get(key) ?? 0) + 1);
    } catch {
      logged.set(line.slice(0, 80), (logged.get(line.slice(0, 80)) ?? 0) + 1);
    }
  });
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

  const pool = new Pool(bridgeUrl, { connections: 32, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const metricsPool = new Pool(bridgeUrl, { connections: 1 });
  const metrics = async () => {
    const res = await metricsPool.request({ path: '/metrics', method: 'GET' });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`);
    return parseMetrics(text);
  };
  await Promise.race([bridgeExit, metrics()]);

  // ---- the load ------------------------------------------------------------------------------------------

  const random = prng(SEED);
  const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(random() * list.length)];
  const sent = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  const latencies = Object.fromEntries(KINDS.map((k) => [k, [] as number[]])) as Record<Kind, number[]>;
  const failures = new Map<string, number>();
  let window = { latencies: [] as number[], errors: 0, skipped: 0, lateMs: 0 };
  let inFlight = 0;
  let skipped = 0;

  const announced: string[] = []; // conversations whose conversation.user.created was accepted
  const cards: Card[] = []; // the cards the bridge posted, as the fakes hand them over
  const lastClick = new Map<string, 'close' | 'reopen'>();
  const recentWebhooks: string[] = [];
  const replies: Array<{ conversationId: string; marker: string }> = [];
  const searches: string[] = []; // contacts and articles: answered on the response URL
  const duplicates = { recognised: 0, taken: 0 };
  const help = { answered: 0, empty: 0 };
  const clicks = { answered: 0 };
  let notifications = 0;
  let markers = 0;
  let commands = 0;

  /** One request to the bridge, timed from sending to the end of the answer. */
  async function post(kind: Kind, path: string, headers: Record<string, string>, body: string) {
    inFlight += 1;
    const t = performance.now();
    try {
      const res = await pool.request({ path, method: 'POST', headers, body });
      const text = await res.body.text();
      const ms = performance.now() - t;
      latencies[kind].push(ms);
      window.latencies.push(ms);
      if (res.statusCode < 200 || res.statusCode > 299) {
        window.errors += 1;
        const key = `${kind} ${res.statusCode}`;
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
      return { status: res.statusCode, text };
    } catch (error) {
      window.errors += 1;
      const key = `${kind} ${error instanceof Error ? error.message : String(error)}`;
      failures.set(key, (failures.get(key) ?? 0) + 1);
      return { status: 0, text: '' };
    } finally {
      inFlight -= 1;
    }
  }

  function webhook(kind: Kind, body: string) {
    const headers = { 'content-type': 'application/json', 'x-hub-signature': signWebhook(body, CLIENT_SECRET) };
    return post(kind, '/intercom/webhooks', headers, body);
  }

  function notification(topic: string, conversationId: string): string {
    const body = JSON.stringify({
      type: 'notification_event',
      app_id: 'wsp1test',
      id: `notif_soak_${SEED}_${notifications++}`,
      topic,
      created_at: Math.floor(Date.now() / 1000),
      delivery_attempts: 1,
      data: { type: 'notification_event_data', item: { type: 'conversation', id: conversationId } },
    });
    recentWebhooks.push(body);
    if (recentWebhooks.length > 200) recentWebhooks.shift();
    return body;
  }

  function slack(kind: Kind, body: string) {
    const headers = { 'content-type': 'application/x-www-form-urlencoded', ...signSlack(SIGNING_SECRET, body) };
    return post(kind, '/slack/events', headers, body);
  }

  /** Draws the next operation; a click before any card exists is a new conversation instead. */
  function draw(): { kind: Kind; run: () => Promise<unknown> } {
    let r = random();
    let kind: Kind = 'help';
    for (const [k, share] of MIX) {
      if (r < share) {
        kind = k;
        break;
      }
      r -= share;
    }
    if ((kind === 'reply' || kind === 'duplicate') && announced.length === 0) kind = 'new';
    if (kind === 'click' && cards.length === 0) kind = 'new';
    switch (kind) {
      case 'new':
        return {
          kind,
          run: async () => {
            const { id } = await rpc.call<{ id: string }>({ type: 'conversation' });
            const res = await webhook(kind, notification('conversation.user.created', id));
            if (res.status === 200) announced.push(id);
          },
        };
      case 'reply': {
        const id = pick(announced.slice(-WORKING_SET)) as string;
        const marker = `SOAK-R${String(markers++).padStart(6, '0')}`;
        return {
          kind,
          run: async () => {
            await rpc.call({ type: 'reply', conversationId: id, marker });
            replies.push({ conversationId: id, marker });
            await webhook(kind, notification('conversation.user.replied', id));
          },
        };
      }
      case 'duplicate': {
        const body = pick(recentWebhooks) as string;
        return {
          kind,
          run: async () => {
            const res = await webhook(kind, body);
            if (res.status === 200 && (JSON.parse(res.text) as { duplicate?: boolean }).duplicate) {
              duplicates.recognised += 1;
            } else if (res.status === 200) duplicates.taken += 1;
          },
        };
      }
      case 'click': {
        const card = pick(cards.slice(-WORKING_SET)) as Card;
        const action = lastClick.get(card.id) === 'close' ? 'reopen' : 'close';
        lastClick.set(card.id, action);
        return {
          kind,
          run: async () => {
            const body = blockAction({
              user: USER,
              actionId: `${action}:${card.id}`,
              channel: CHANNEL,
              message: { ts: card.ts, text: card.text, blocks: card.blocks },
              value: card.id,
            });
            if ((await slack(kind, interactionBody(body))).status === 200) clicks.answered += 1;
          },
        };
      }
      default: {
        const text =
          kind === 'contacts'
            ? `contacts ${pick(ready.contactNames)}`
            : kind === 'articles'
              ? `articles ${pick(ready.articleWords)}`
              : 'help';
        const id = `cmd-${commands++}`;
        const body = slashCommandBody({
          user: USER,
          text,
          channel: CHANNEL,
          responseUrl: `${ready.slackUrl}/response/${id}`,
        });
        return {
          kind,
          run: async () => {
            const res = await slack(kind, body);
            if (res.status !== 200) return;
            if (kind !== 'help') searches.push(id);
            else if (res.text.includes('/intercom')) help.answered += 1;
            else help.empty += 1;
          },
        };
      }
    }
  }

  // the fakes hand over new cards once a second, for clicks
  let refreshing = true;
  const refresher = (async () => {
    while (refreshing) {
      const got = await rpc.call<{ cards: Card[] }>({ type: 'cards', from: cards.length });
      cards.push(...got.cards);
      await sleep(1000);
    }
  })();

  /** Sends the mix at RATE for `seconds`, on schedule whatever the answers (open loop). */
  async function load(seconds: number, counting: boolean) {
    const total = Math.round(seconds * RATE);
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      const at = started + (i * 1000) / RATE;
      const wait = at - performance.now();
      if (wait > 0) await sleep(wait);
      window.lateMs = Math.max(window.lateMs, performance.now() - at);
      const op = draw();
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped += 1;
        window.skipped += 1;
        continue;
      }
      if (counting) sent[op.kind] += 1;
      void op.run().catch((error: unknown) => {
        const key = `${op.kind} driver: ${error instanceof Error ? error.message : String(error)}`;
        failures.set(key, (failures.get(key) ?? 0) + 1);
      });
    }
  }

  // ---- sampling ------------------------------------------------------------------------------------------

  // /metrics is read every second (between the sample times), and each SAMPLE_S window reports: RSS at its end,
  // the mean and lowest heap used of its reads (the heap saws up and down with garbage collection), the worst
  // event-loop delay p99 (prom-client's monitor restarts at every read, so each read covers the second before
  // it) and the deepest inbox.
  const ourPids = [process.pid, fakes.pid ?? 0, bridge.pid ?? 0];
  const samples: Sample[] = [];
  let reads: Array<Map<string, number>> = [];
  /** Every read's heap, RSS and count of major (mark-compact) collections, for the garbage-collection cycles. */
  const trace: Array<{ at: number; heapMb: number; rssMb: number; majors: number }> = [];
  const read = async () => {
    const m = await metrics();
    reads.push(m);
    trace.push({
      at: performance.now(),
      heapMb: (m.get('bridge_nodejs_heap_size_used_bytes') ?? Number.NaN) / 1048576,
      rssMb: (m.get('bridge_process_resident_memory_bytes') ?? Number.NaN) / 1048576,
      majors: m.get(MAJOR_GCS) ?? 0,
    });
    return m;
  };
  let majorsBefore = (await read()).get(MAJOR_GCS) ?? 0;
  let lastCpu = { bridge: cpuTicks([bridge.pid ?? 0]), all: cpuTicks(ourPids), at: performance.now() };
  async function sample(t: number): Promise<Sample> {
    await read();
    const now = performance.now();
    const bridgeCpu = cpuTicks([bridge.pid ?? 0]);
    const all = cpuTicks(ourPids);
    const elapsedTicks = (now - lastCpu.at) / 10;
    const cpu = {
      bridge: bridgeCpu && lastCpu.bridge ? ((bridgeCpu.ours - lastCpu.bridge.ours) / elapsedTicks) * 100 : Number.NaN,
      other:
        all && lastCpu.all
          ? ((all.all - lastCpu.all.all - (all.ours - lastCpu.all.ours)) / elapsedTicks) * 100
          : Number.NaN,
    };
    lastCpu = { bridge: bridgeCpu, all, at: now };
    const of = (name: string) => reads.map((m) => m.get(name) ?? Number.NaN);
    const heap = of('bridge_nodejs_heap_size_used_bytes').map((b) => b / 1048576);
    const sorted = window.latencies.sort((a, b) => a - b);
    const majors = Math.max(majorsBefore, ...reads.map((m) => m.get(MAJOR_GCS) ?? 0));
    const s: Sample = {
      t,
      majors: majors - majorsBefore,
      rssMb: (of('bridge_process_resident_memory_bytes').at(-1) ?? Number.NaN) / 1048576,
      heapMb: mean(heap),
      heapMinMb: Math.min(...heap),
      eldP99Ms: Math.max(...of('bridge_nodejs_eventloop_lag_p99_seconds')) * 1000,
      inbox: Math.max(...of('bridge_inbox_pending')),
      inboxMean: mean(of('bridge_inbox_pending')),
      oldestS: Math.max(...of('bridge_inbox_oldest_pending_seconds')),
      answers: sorted.length,
      p99Ms: q(sorted, 0.99),
      errors: window.errors,
      skipped: window.skipped,
      lateMs: window.lateMs,
      bridgeCpu: cpu.bridge,
      otherCpu: cpu.other,
      dbMb: fileMb(dbPath) + fileMb(`${dbPath}-wal`),
    };
    window = { latencies: [], errors: 0, skipped: 0, lateMs: 0 };
    reads = [];
    majorsBefore = majors;
    return s;
  }
  let scraping = true;
  const reader = (async () => {
    const started = performance.now() + 500;
    for (let k = 0; scraping; k++) {
      await sleep(started + k * 1000 - performance.now());
      if (scraping) await read();
    }
  })();

  // warm-up: the same mix, its window the first row (JIT, caches, the first cards to click on)
  await Promise.race([bridgeExit, load(WARM_UP_S, false)]);
  const warmUpOps = Math.round(WARM_UP_S * RATE);
  samples.push(await Promise.race([bridgeExit, sample(0)]));

  const loadStarted = performance.now();
  let sampling = true;
  const sampler = (async () => {
    for (let k = 1; sampling; k++) {
      await sleep(loadStarted + k * SAMPLE_S * 1000 - performance.now());
      if (!sampling) break;
      samples.push(await sample(k * SAMPLE_S));
    }
  })();
  await Promise.race([bridgeExit, load(DURATION_S, true)]);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  sampling = false;
  await sampler;
  // a last sample at the end of the load, unless the sampler just took it
  if ((samples.at(-1)?.t ?? 0) < DURATION_S - SAMPLE_S / 2) samples.push(await sample(Math.round(loadSeconds)));
  scraping = false;
  await reader;

  // ---- drain and verify ----------------------------------------------------------------------------------

  const drainStarted = performance.now();
  await Promise.race([
    bridgeExit,
    until('the answers in flight', 60_000, async () => (inFlight === 0 ? true : undefined)),
  ]);
  let drained = true;
  await Promise.race([
    bridgeExit,
    until('the inbox to drain', DRAIN_TIMEOUT_MS, async () => {
      const m = await metrics();
      await sleep(250);
      return m.get('bridge_inbox_pending') === 0 ? true : undefined;
    }).catch(() => {
      drained = false;
    }),
  ]);
  const drainS = (performance.now() - drainStarted) / 1000;
  refreshing = false;
  await refresher;
  // command answers go to the response URL outside the inbox: give them a few seconds after the drain
  const conversations = [...announced];
  const ask = () => rpc.call<Report>({ type: 'report', conversations, replies, commands: searches });
  let report = await ask();
  for (let i = 0; i < 20; i++) {
    if (report.withoutCard === 0 && report.threads.missing === 0 && report.commands.unanswered === 0) break;
    await sleep(1000);
    report = await ask();
  }
  const after = await sample(Math.round((performance.now() - loadStarted) / 1000));
  const counters = await metrics();

  await pool.close();
  await metricsPool.close();
  await stop(bridge);
  await rpc.call({ type: 'close' });
  await once(fakes, 'exit');

  // ---- the verdict ---------------------------------------------------------------------------------------

  const n = samples.length;
  const middle = samples.slice(Math.floor(n / 3), Math.floor((2 * n) / 3));
  const last = samples.slice(Math.floor((2 * n) / 3));
  const secondHalf = samples.slice(Math.floor(n / 2));
  const verdict = (
    name: string,
    unit: string,
    of: (s: Sample) => number,
    bounded: ((v: Growth) => boolean) | 'not judged',
  ) => {
    const v: Growth = {
      middle: mean(middle.map(of)),
      last: mean(last.map(of)),
      rise:
        (mean(last.map(of)) - mean(middle.map(of))) /
        ((mean(last.map((s) => s.t)) - mean(middle.map((s) => s.t))) / 60),
      ...leastSquares(
        secondHalf.map((s) => s.t / 60),
        secondHalf.map(of),
      ),
      end: leastSquares(
        last.map((s) => s.t / 60),
        last.map(of),
      ),
    };
    const ok = bounded === 'not judged' || bounded(v);
    const change = v.middle > 0 ? `${v.last >= v.middle ? '+' : ''}${fmt((v.last / v.middle - 1) * 100)}%` : '–';
    return {
      ok,
      line:
        `${name}: middle third ${fmt(v.middle)}, last third ${fmt(v.last)} ${unit} (${change}, ${fmt(v.rise, 2)} ${unit}/min); ` +
        `slope over the second half ${fmt(v.slope, 2)} ± ${fmt(v.se, 2)}, over the last third ` +
        `${fmt(v.end.slope, 2)} ± ${fmt(v.end.se, 2)} ${unit}/min → ` +
        (bounded === 'not judged'
          ? 'not judged (it saws with the collections: see the line above)'
          : ok
            ? 'bounded'
            : 'GROWING'),
      name,
    };
  };
  // RSS follows the heap's highest point so far (V8 keeps the pages it grew into): it steps up while the old
  // generation first climbs to its limit, which in a few minutes' run lands between the thirds, and then by a MB
  // or two at a time. So it grows when both say so: the last third above the middle one by more than
  // MAX_SLOPE_MB_PER_MIN per minute between them, and still rising that fast over the last third (by more than
  // twice the slope's standard error).
  const rssBounded = (v: Growth) =>
    !(v.rise > MAX_SLOPE_MB_PER_MIN && v.end.slope > MAX_SLOPE_MB_PER_MIN && v.end.slope > 2 * v.end.se);
  // the heap saws between V8's limit for the old generation and what a major (mark-compact) collection leaves
  // live; a leak shows as a rising floor, whatever the thirds say. A cycle: from one major GC to the next.
  const cycles: Array<{ t: number; peakMb: number; floorMb: number; rssMb: number }> = [];
  for (let i = 1; i < trace.length; i++) {
    const at = trace[i];
    const before = trace[i - 1];
    if (!at || !before || at.majors <= before.majors) continue;
    let floor = at.heapMb;
    for (let j = i + 1; j < trace.length && trace[j]?.majors === at.majors; j++) {
      floor = Math.min(floor, trace[j]?.heapMb ?? floor);
    }
    cycles.push({ t: (at.at - loadStarted) / 1000, peakMb: before.heapMb, floorMb: floor, rssMb: at.rssMb });
  }
  // what the collections leave varies by a few MB from one to the next: the floors of the load's first half are
  // compared with those of its second half
  const loadCycles = cycles.filter((c) => c.t >= 0);
  const firstFloor = mean(loadCycles.filter((c) => c.t < DURATION_S / 2).map((c) => c.floorMb));
  const lastFloor = mean(loadCycles.filter((c) => c.t >= DURATION_S / 2).map((c) => c.floorMb));
  const floorKnown = Number.isFinite(firstFloor) && Number.isFinite(lastFloor);
  const floorOk = !floorKnown || lastFloor <= firstFloor * MAX_FLOOR_RATIO;
  const series = (of: (c: (typeof cycles)[number]) => number) => loadCycles.map((c) => fmt(of(c))).join(' → ');
  const floorLine = floorKnown
    ? `heap after major GCs (lowest read until the next one), at t = ${loadCycles.map((c) => fmt(c.t, 0)).join(', ')} s: ` +
      `${series((c) => c.floorMb)} MB; mean ${fmt(firstFloor)} in the first half, ${fmt(lastFloor)} in the second ` +
      `(${lastFloor >= firstFloor ? '+' : ''}${fmt((lastFloor / firstFloor - 1) * 100)}%) → ` +
      `${floorOk ? 'bounded' : 'GROWING'}; heap just before them ${series((c) => c.peakMb)} MB, RSS ${series((c) => c.rssMb)} MB`
    : `heap after major GCs: not in both halves of the load (${loadCycles.length} in all), too few to tell (run longer)`;
  const verdicts = [
    verdict('RSS', 'MB', (s) => s.rssMb, rssBounded),
    { ok: floorOk, line: floorLine, name: 'heap after GC' },
    verdict('heap used (window means)', 'MB', (s) => s.heapMb, 'not judged'),
    verdict(
      `inbox pending (mean of the reads; highest read ${Math.max(...samples.map((s) => s.inbox))})`,
      'deliveries',
      (s) => s.inboxMean,
      (v) => v.last < MAX_INBOX_MEAN,
    ),
  ];
  // RSS that grows while the heap climbs higher before a collection than it had before follows V8's limit for the
  // old generation, which settles after a few cycles; said beside the verdict, which stays as measured
  const rss = verdicts[0];
  const highest = (list: typeof loadCycles) => Math.max(...list.map((c) => c.peakMb));
  const earlierPeak = highest(cycles.filter((c) => c.t < DURATION_S / 2));
  const laterPeak = highest(loadCycles.filter((c) => c.t >= DURATION_S / 2));
  if (rss && !rss.ok && laterPeak > earlierPeak) {
    rss.line +=
      ` (the heap reached a new high before a collection in the second half, ${fmt(laterPeak)} MB against ` +
      `${fmt(earlierPeak)} before: RSS follows that high-water mark; run longer to see whether it levels off)`;
  }
  const growing = verdicts.filter((v) => !v.ok).map((v) => v.name);
  const info = (name: string, of: (s: Sample) => number) =>
    `${name}: middle third ${fmt(mean(middle.map(of)))} ms, last third ${fmt(mean(last.map(of)))} ms, ` +
    `worst ${fmt(Math.max(...samples.map(of)))} ms`;

  const totalSent = KINDS.reduce((sum, k) => sum + sent[k], 0);
  const allLatencies = KINDS.flatMap((k) => latencies[k]).sort((a, b) => a - b);
  const kindRow = (k: Kind) => {
    const sorted = latencies[k].sort((a, b) => a - b);
    return `| ${k} | ${sent[k]} | ${fmt(q(sorted, 0.5), 2)} | ${fmt(q(sorted, 0.99), 2)} | ${fmt(sorted.at(-1) ?? 0, 2)} |`;
  };
  const t = report.threads;
  const lost = report.withoutCard + t.missing + t.elsewhere + report.commands.unanswered + help.empty;
  const doubled = report.duplicateCards + t.doubled + report.commands.answeredTwice + duplicates.taken;
  const topLogs = [...logged].sort((a, b) => b[1] - a[1]).slice(0, 5);
  const rows = [
    `Soak benchmark: ${RATE} ops/s for ${DURATION_S} s after ${WARM_UP_S} s of warm-up (seed ${SEED}), ` +
      `samples every ${SAMPLE_S} s, catch-up every ${POLL_S} s, Node ${process.versions.node}, ` +
      (pinned ? 'bridge on core 0, fakes and driver on core 1' : 'not pinned'),
    '',
    '| t s | RSS MB | heap MB (low) | major GCs | ELD p99 ms | inbox | oldest s | answers | p99 ms | errors | bridge CPU % | others CPU % | db MB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...samples.map(
      (s) =>
        `| ${s.t || `0 (warm-up)`} | ${fmt(s.rssMb)} | ${fmt(s.heapMb)} (${fmt(s.heapMinMb)}) | ${s.majors || ''} | ${fmt(s.eldP99Ms)} | ${s.inbox} | ${fmt(s.oldestS)} | ${s.answers} | ` +
        `${fmt(s.p99Ms)} | ${s.errors}${s.skipped ? ` (+${s.skipped} skipped)` : ''} | ${fmt(s.bridgeCpu, 0)} | ${fmt(s.otherCpu, 0)} | ${fmt(s.dbMb)} |`,
    ),
    `| ${after.t} (drained) | ${fmt(after.rssMb)} | ${fmt(after.heapMb)} | ${after.majors || ''} | ${fmt(after.eldP99Ms)} | ${after.inbox} | ${fmt(after.oldestS)} | | | | ${fmt(after.bridgeCpu, 0)} | ${fmt(after.otherCpu, 0)} | ${fmt(after.dbMb)} |`,
    "heap: mean of the window's reads (one a second), lowest in brackets; ELD p99: the worst one-second p99, " +
      "timed on prom-client's 10 ms timer (an idle loop reads ≈ 10–12); inbox, oldest: the window's highest",
    '',
    'Growth (means of the middle and last thirds of the samples; least-squares slopes ± their standard errors):',
    ...verdicts.map((v) => `- ${v.line}`),
    `- ${info('event-loop delay p99', (s) => s.eldP99Ms)}`,
    `- ${info('answers p99', (s) => s.p99Ms)}`,
    `- the driver sent up to ${fmt(Math.max(...samples.map((s) => s.lateMs)))} ms behind schedule; ${skipped} operations skipped (over ${MAX_IN_FLIGHT} in flight)`,
    '',
    '| operation | sent | p50 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---:|',
    ...KINDS.map(kindRow),
    `| all | ${totalSent} | ${fmt(q(allLatencies, 0.5), 2)} | ${fmt(q(allLatencies, 0.99), 2)} | ${fmt(allLatencies.at(-1) ?? 0, 2)} |`,
    '',
    `totals: ${totalSent} operations in ${fmt(loadSeconds)} s (+${warmUpOps} in the warm-up); ` +
      `errors: ${failures.size ? [...failures].map(([k, c]) => `${c}× ${k}`).join(', ') : 'none'}`,
    `drain: inbox ${drained ? 'empty' : 'NOT empty'} ${fmt(drainS)} s after the load stopped`,
    `cards: ${report.cards} for ${conversations.length} conversations announced; without a card ${report.withoutCard}, ` +
      `second cards ${report.duplicateCards}, cards for conversations never announced ${report.unexpectedCards}`,
    `replies: ${replies.length} sent; once in their thread ${t.once}, missing ${t.missing}, doubled ${t.doubled}, in another thread ${t.elsewhere}`,
    `duplicate deliveries: ${duplicates.recognised} answered as duplicates, ${duplicates.taken} taken as new`,
    `clicks: ${clicks.answered} answered 200 (warm-up included); in Intercom ${t.parts.close} close + ${t.parts.open} ` +
      `reopen writes = ${t.parts.close + t.parts.open}; in the threads ${t.lines.close} closed + ${t.lines.open} reopened lines`,
    `commands: ${searches.length} searches (contacts, articles) answered once on their response URL ` +
      `${report.commands.answered}, never ${report.commands.unanswered}, twice ${report.commands.answeredTwice}; ` +
      `${help.answered + help.empty} help answered in the ack ${help.answered}, empty ${help.empty}`,
    `bridge work (its counters, warm-up included): deliveries ${counted(counters, 'bridge_deliveries_total', ['topic', 'outcome'])}`,
    `  Intercom requests ${counted(counters, 'bridge_intercom_requests_total', ['method', 'route'])}`,
    `  Slack calls ${counted(counters, 'bridge_slack_calls_total', ['method', 'status'])}`,
    `bridge log: ${levels.warn} warnings, ${levels.error} errors${topLogs.length ? ` (${topLogs.map(([msg, c]) => `${c}× “${msg}”`).join('; ')})` : ''}`,
    '',
    `verdict: ${growing.length ? `GROWING: ${growing.join(', ')}` : 'nothing grows without bound'}` +
      `${floorKnown ? '' : ' (heap after GC not known)'}; lost ${lost}, doubled ${doubled}`,
  ];
  process.stdout.write(`${rows.join('\n')}\n`);
}

interface Growth {
  middle: number;
  last: number;
  /** From the middle third's mean to the last one's, per minute between them. */
  rise: number;
  /** Least-squares slope (per minute) over the second half, and its standard error. */
  slope: number;
  se: number;
  /** The same over the last third. */
  end: { slope: number; se: number };
}

try {
  await main();
  process.exit(0);
} catch (error) {
  process.stderr.write(`soak benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
