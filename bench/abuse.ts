import { type ChildProcess, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { signWebhook } from '../src/intercom/webhooks.ts';
import { blockAction, interactionBody, signSlack } from '../test/support/slack-requests.ts';
import {
  ATTACK_KINDS,
  type AttackKind,
  type AttackOptions,
  type AttackResult,
  wallNow,
} from './support/abuse-attack.ts';
import { cpuOf, LogTally, memoryOf, nodePidOf, probeHealth, quantile } from './support/abuse-measure.ts';
import { canPin, pinSelf } from './support/pinning.ts';
import { bridgeEnv, cpuTicks, freePort, nodeOn, Rpc, startFlags, stop, until } from './support/processes.ts';

// Abuse on the public URL (issue #12): FORGED (default 400) forged 5 MiB bodies (the webhook route's limit), at most
// IN_FLIGHT (200) at once, over raw sockets from a process of their own (bench/support/abuse-attacker.ts): to
// /intercom/webhooks with a wrong X-Hub-Signature or none, to /slack/events with a wrong signature or none, and some
// that declare their 5 MiB but trickle in; each given up after ATTACK_TIMEOUT_MS (30 s). Meanwhile, over WINDOW_MS
// (30 s), genuine traffic: WEBHOOKS (200) signed `conversation.user.created` webhooks (one in ten carrying a
// LARGE_KB, 128 KB, conversation), each of which must become one card in the fake Slack; CLICKS (100) signed Close
// clicks on cards made before the attack; and GET /healthz every 50 ms, each on a new connection. The bridge is the
// real process (src/main.ts with npm start's flags, SQLite file store) on core 0; fakes, attacker and this driver
// share core 1 (the attacker at the lowest priority). Measures the bridge's peak memory (VmHWM, and VmRSS sampled
// every 50 ms, from /proc), /healthz and ack latencies, cards lost or doubled, how each forged request ended, and
// the CPU the bridge and other processes on the machine used meanwhile. Run with `npm run bench:abuse`.

const FORGED = Number(process.env.FORGED ?? 400);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 200);
const BODY_BYTES = Math.round(Number(process.env.BODY_MB ?? 5) * 1024 * 1024);
const ATTACK_TIMEOUT_MS = Number(process.env.ATTACK_TIMEOUT_MS ?? 30_000);
const WEBHOOKS = Number(process.env.WEBHOOKS ?? 200);
const CLICKS = Number(process.env.CLICKS ?? 100);
const WINDOW_MS = Number(process.env.WINDOW_MS ?? 30_000);
/** Every LARGE_EVERY-th genuine webhook carries a conversation of LARGE_KB, as a long customer message makes. */
const LARGE_EVERY = 10;
const LARGE_KB = Number(process.env.LARGE_KB ?? 128);
const HEALTH_EVERY_MS = 50;
const WARM_UP = 20;
/** Time the genuine requests and the probes are given (their answer is late long before). */
const GENUINE_TIMEOUT_MS = 30_000;
const HEALTH_TIMEOUT_MS = 10_000;
const SETTLE_MS = 5_000;
const SIGNING_SECRET = 'bench-signing-secret';
const CLIENT_SECRET = 'bench-client-secret';
const CHANNEL = 'C0SUPPORT1';
const USER = 'U0ALICE01';
const TARGETS = { hwmMb: 200, healthP99Ms: 100 };

/** The forged requests by kind: shares of FORGED (400 → 220, 40, 60, 20, 40, 20). */
const SHARES: Record<AttackKind, number> = {
  'intercom, wrong signature': 0.55,
  'intercom, no signature header': 0.1,
  'slack, wrong signature': 0.15,
  'slack, no signature headers': 0.05,
  'intercom, trickled': 0.1,
  'slack, trickled': 0.05,
};

const root = fileURLToPath(new URL('..', import.meta.url));
const pinned = canPin();
const children: ChildProcess[] = [];
const dbDir = mkdtempSync(join(tmpdir(), 'bridge-abuse-bench-'));
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dbDir, { recursive: true, force: true });
});

function node(core: number, args: string[], options: Parameters<typeof nodeOn>[3]): ChildProcess {
  const child = nodeOn(pinned, core, args, options);
  children.push(child);
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const tally = (values: string[]) => {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([v, n]) => `${n}×${v}`)
    .join(', ');
};

/** The commit, the files under src/ changed since, and when src/ last changed: which bridge was measured. */
function treeState(): { label: string; changed: string[] } {
  const newest = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .map((f) => statSync(join(root, 'src', f)).mtimeMs)
    .reduce((a, b) => Math.max(a, b), 0);
  const modified = `src/ last modified ${new Date(newest).toISOString().slice(0, 19)}Z`;
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    const head = git(['rev-parse', '--short', 'HEAD']).trim();
    const changed = git(['status', '--porcelain', '--', 'src'])
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3));
    const label = changed.length ? `${head} + ${changed.length} uncommitted files in src/` : `${head}, src/ clean`;
    return { label: `${label}, ${modified}`, changed };
  } catch {
    return { label: `not a git checkout, ${modified}`, changed: [] };
  }
}

type Ticks = ReturnType<typeof cpuTicks>;
/** CPU seconds used between two readings by processes other than those read. */
function othersCpuSeconds(before: Ticks, after: Ticks): number {
  if (!before || !after) return Number.NaN;
  return Math.max(0, after.all - before.all - (after.ours - before.ours)) / 100;
}

interface Timed {
  at: number;
  ms: number;
  status: string;
}

/** Sends `n` requests evenly over `windowMs` without waiting for answers (as Intercom and Slack do). */
function paced(n: number, windowMs: number, send: (i: number) => Promise<Timed>): Promise<Timed[]> {
  const start = performance.now();
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      await sleep(start + (i * windowMs) / n - performance.now());
      return send(i);
    }),
  );
}

async function timedPost(pool: Pool, path: string, headers: Record<string, string>, body: string): Promise<Timed> {
  const at = wallNow();
  const t = performance.now();
  try {
    const res = await pool.request({
      path,
      method: 'POST',
      headers,
      body,
      headersTimeout: GENUINE_TIMEOUT_MS,
      bodyTimeout: GENUINE_TIMEOUT_MS,
    });
    await res.body.dump();
    return { at, ms: performance.now() - t, status: String(res.statusCode) };
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));
    return { at, ms: performance.now() - t, status: code };
  }
}

function notification(id: string, tag: string, padBytes = 0): string {
  const source = { type: 'conversation', body: `<p>${'Long log pasted by the customer. '.repeat(padBytes / 33)}</p>` };
  return JSON.stringify({
    type: 'notification_event',
    app_id: 'wsp1test',
    id: `notif_abuse_${tag}_${id}_${Date.now()}`,
    topic: 'conversation.user.created',
    created_at: Math.floor(Date.now() / 1000),
    data: { type: 'notification_event_data', item: { type: 'conversation', id, ...(padBytes ? { source } : {}) } },
  });
}

const webhookHeaders = (body: string) => ({
  'content-type': 'application/json',
  'x-hub-signature': signWebhook(body, CLIENT_SECRET),
});
const clickHeaders = (body: string) => ({
  'content-type': 'application/x-www-form-urlencoded',
  ...signSlack(SIGNING_SECRET, body),
});

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
type CardsAnswer = { posted: number; doubled: number; cards: Card[] };

async function main() {
  const began = performance.now();
  const tree = treeState();
  if (pinned) pinSelf(1);

  const fakes = node(1, [join(root, 'bench/support/abuse-fakes.ts')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = (await once(fakes, 'message')) as [Ready];
  const rpc = new Rpc(fakes);
  const { ids: allIds } = await rpc.call<{ ids: string[] }>({ type: 'seed', count: WARM_UP + CLICKS + WEBHOOKS });
  const warmUpIds = allIds.slice(0, WARM_UP);
  const clickIds = allIds.slice(WARM_UP, WARM_UP + CLICKS);
  const genuineIds = allIds.slice(WARM_UP + CLICKS);

  const attacker = node(1, [join(root, 'bench/support/abuse-attacker.ts')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await once(attacker, 'message');
  setPriority(attacker.pid ?? 0, 19);

  // the bridge, as `npm start` runs it
  const port = await freePort();
  const bridge = node(0, [...startFlags(root), join(root, 'src/main.ts')], {
    cwd: dbDir,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: bridgeEnv(ready, {
      signingSecret: SIGNING_SECRET,
      clientSecret: CLIENT_SECRET,
      channel: CHANNEL,
      dbPath: join(dbDir, 'bridge.db'),
      port: port,
    }),
  });
  const logs = new LogTally(bridge.stdout as Readable);
  let exited: { at: number; how: string } | undefined;
  let stopping = false;
  bridge.on('exit', (code, signal) => {
    if (!stopping) exited = { at: wallNow(), how: signal ? `signal ${signal}` : `code ${code}` };
  });
  const alive = () => {
    if (exited) throw new Error(`the bridge exited (${exited.how})`);
  };
  const url = `http://127.0.0.1:${port}`;
  await until('the bridge to start', 30_000, async () => {
    alive();
    return (await probeHealth(port, 1000)).ok ? true : undefined;
  });
  const pid = nodePidOf(bridge.pid ?? 0, 'src/main.ts');

  // cards for the warm-up and the measured clicks, made the way production makes them: a signed webhook each
  const setup = new Pool(url, { connections: 10 });
  const made = await Promise.all(
    [...warmUpIds, ...clickIds].map((id) => {
      const body = notification(id, 'setup');
      return timedPost(setup, '/intercom/webhooks', webhookHeaders(body), body);
    }),
  );
  const refused = made.filter((r) => r.status !== '200');
  if (refused.length) throw new Error(`set-up webhooks answered ${tally(refused.map((r) => r.status))}`);
  const cards = await until('the cards to click on', 60_000, async () => {
    alive();
    const answer = await rpc.call<CardsAnswer>({
      type: 'cards',
      ids: [...warmUpIds, ...clickIds],
      detail: [...warmUpIds, ...clickIds],
    });
    return answer.posted >= WARM_UP + CLICKS ? answer.cards : undefined;
  });
  const clickBody = (card: Card) =>
    interactionBody(
      blockAction({
        user: USER,
        actionId: `close:${card.id}`,
        channel: CHANNEL,
        message: { ts: card.ts, text: card.text, blocks: card.blocks },
        value: card.id,
      }),
    );
  const byId = new Map(cards.map((c) => [c.id, c]));
  const clickBodies = clickIds.map((id) => clickBody(byId.get(id) as Card));

  // warm-up: the first clicks and webhooks pay for JIT and first-use set-up
  const clicksPool = new Pool(url, { connections: 10 });
  const warm = await Promise.all(
    warmUpIds.map((id) => {
      const body = clickBody(byId.get(id) as Card);
      return timedPost(clicksPool, '/slack/events', clickHeaders(body), body);
    }),
  );
  if (warm.some((r) => r.status !== '200'))
    throw new Error(`warm-up clicks answered ${tally(warm.map((r) => r.status))}`);
  await sleep(1000);

  // a quiet baseline: /healthz alone for 3 s
  const quiet: Array<Promise<Awaited<ReturnType<typeof probeHealth>>>> = [];
  for (let i = 0; i < 3000 / HEALTH_EVERY_MS; i++) {
    quiet.push(probeHealth(port, HEALTH_TIMEOUT_MS));
    await sleep(HEALTH_EVERY_MS);
  }
  const quietMs = sorted((await Promise.all(quiet)).map((p) => p.ms));
  const before = memoryOf(pid);

  // the attack, and genuine traffic at the same time
  let peakRssMb = before?.rssMb ?? 0;
  const memory = setInterval(() => {
    const m = memoryOf(pid);
    if (m) peakRssMb = Math.max(peakRssMb, m.rssMb);
  }, HEALTH_EVERY_MS);
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  const options: AttackOptions = {
    port,
    counts: Object.fromEntries(ATTACK_KINDS.map((k) => [k, Math.round(FORGED * SHARES[k])])) as Record<
      AttackKind,
      number
    >,
    bodyBytes: BODY_BYTES,
    concurrency: IN_FLIGHT,
    timeoutMs: ATTACK_TIMEOUT_MS,
    trickle: { bytes: 1024, everyMs: 250 },
  };
  const ours = [process.pid, fakes.pid ?? 0, attacker.pid ?? 0, pid];
  const cpuBefore = { bridge: cpuOf(pid), all: cpuTicks(ours) };
  const attackStart = wallNow();
  const attacked = new Promise<{ results: AttackResult[]; maxInFlight: number }>((resolve) => {
    attacker.once('message', (m: { results: AttackResult[]; maxInFlight: number }) => resolve(m));
  });
  attacker.send({ type: 'attack', options });
  const probes: Array<Promise<Awaited<ReturnType<typeof probeHealth>>>> = [];
  let probing = true;
  const prober = (async () => {
    for (let next = performance.now(); probing; next += HEALTH_EVERY_MS) {
      probes.push(probeHealth(port, HEALTH_TIMEOUT_MS));
      await sleep(next + HEALTH_EVERY_MS - performance.now());
    }
  })();
  const webhooksPool = new Pool(url, { connections: 50 });
  const [webhooks, clicks, attack] = await Promise.all([
    paced(WEBHOOKS, WINDOW_MS, (i) => {
      const body = notification(genuineIds[i] as string, 'genuine', i % LARGE_EVERY === 0 ? LARGE_KB * 1024 : 0);
      return timedPost(webhooksPool, '/intercom/webhooks', webhookHeaders(body), body);
    }),
    paced(CLICKS, WINDOW_MS, (i) => {
      const body = clickBodies[i] as string;
      return timedPost(clicksPool, '/slack/events', clickHeaders(body), body);
    }),
    attacked,
  ]);
  const attackEnd = wallNow();
  const cpuAfter = { bridge: cpuOf(pid), all: cpuTicks(ours) };
  const load = loadavg()[0] ?? Number.NaN;
  const bridgeCpu = {
    user: (cpuAfter.bridge?.user ?? Number.NaN) - (cpuBefore.bridge?.user ?? Number.NaN),
    sys: (cpuAfter.bridge?.sys ?? Number.NaN) - (cpuBefore.bridge?.sys ?? Number.NaN),
  };
  probing = false;
  await prober;
  const health = await Promise.all(probes);
  lag.disable();
  const atAttackEnd = memoryOf(pid);

  // every genuine webhook should become one card, every click a close in Intercom
  const cardsDeadline = performance.now() + 60_000;
  let outcome = await rpc.call<CardsAnswer>({ type: 'cards', ids: genuineIds });
  let closes = 0;
  while (performance.now() < cardsDeadline && !exited) {
    outcome = await rpc.call<CardsAnswer>({ type: 'cards', ids: genuineIds });
    closes = (await rpc.call<{ count: number }>({ type: 'closes', ids: clickIds })).count;
    if (outcome.posted >= WEBHOOKS && closes >= CLICKS) break;
    await sleep(200);
  }
  const cardsMs = wallNow() - attackEnd;
  await sleep(attackEnd + SETTLE_MS - wallNow());
  const settled = memoryOf(pid);
  clearInterval(memory);
  if (settled) peakRssMb = Math.max(peakRssMb, settled.rssMb);
  const hwmMb = settled?.hwmMb ?? atAttackEnd?.hwmMb ?? Number.NaN;

  await Promise.all([setup.close(), clicksPool.close(), webhooksPool.close()]);
  stopping = true;
  await stop(bridge);
  attacker.send({ type: 'close' });
  await rpc.call({ type: 'close' });
  const totalS = (performance.now() - began) / 1000;

  // the table
  const results = attack.results;
  const burstEnd = Math.max(attackStart, ...results.filter((r) => !r.kind.endsWith('trickled')).map((r) => r.endedAt));
  const healthMs = sorted(health.map((p) => p.ms));
  const burstHealthMs = sorted(health.filter((p) => p.at <= burstEnd).map((p) => p.ms));
  const connectMs = sorted(health.filter((p) => p.at <= burstEnd && p.connectMs >= 0).map((p) => p.connectMs));
  const failedHealth = health.filter((p) => !p.ok).length;
  const ok = (r: Timed) => r.status === '200';
  const webhookMs = sorted(webhooks.filter(ok).map((r) => r.ms));
  const clickMs = sorted(clicks.filter(ok).map((r) => r.ms));
  const lost = WEBHOOKS - outcome.posted;
  const healthP99 = quantile(healthMs, 0.99) + (failedHealth > health.length / 100 ? Number.POSITIVE_INFINITY : 0);
  const refusedGenuine = webhooks.filter((r) => !ok(r)).length + clicks.filter((r) => !ok(r)).length;
  const nothingLost = lost === 0 && refusedGenuine === 0 && closes === CLICKS;
  const during = (list: Timed[]) => list.filter((r) => r.at <= burstEnd).length;
  const met = (yes: boolean) => (yes ? 'met' : '**NOT met**');
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const kindRows = ATTACK_KINDS.map((kind) => {
    const of = results.filter((r) => r.kind === kind);
    const ms = sorted(of.map((r) => r.endedAt - r.startedAt));
    const errors = of.flatMap((r) => (r.error ? [r.error] : []));
    return row([
      kind,
      String(of.length),
      tally(of.map((r) => r.outcome)),
      fmt(quantile(ms, 0.5) / 1000, 2),
      fmt((ms.at(-1) ?? 0) / 1000, 2),
      errors.length ? tally(errors) : '',
    ]);
  });
  const lines = [
    `Abuse benchmark (${new Date().toISOString().slice(0, 16)}Z, bridge ${tree.label}): ${results.length} forged ` +
      `${fmt(BODY_BYTES / 1048576, 0)} MiB bodies at most ${IN_FLIGHT} in flight (${attack.maxInFlight} reached), ` +
      `each given up after ${fmt(ATTACK_TIMEOUT_MS / 1000, 0)} s; meanwhile ${WEBHOOKS} signed webhooks and ${CLICKS} ` +
      `signed Close clicks over ${fmt(WINDOW_MS / 1000, 0)} s, /healthz every ${HEALTH_EVERY_MS} ms; Node ` +
      `${process.versions.node}, ${pinned ? 'bridge on core 0, attacker, fakes and driver on core 1' : 'not pinned'}`,
    '',
    '| measure | figure | target |',
    '|---|---:|---|',
    row([
      'bridge VmHWM (peak resident, /proc)',
      `${fmt(hwmMb)} MB`,
      `< ${TARGETS.hwmMb} MB: ${met(hwmMb < TARGETS.hwmMb)}`,
    ]),
    row(['bridge peak VmRSS (sampled every 50 ms)', `${fmt(peakRssMb)} MB`, '']),
    row([
      'bridge VmRSS before the attack / at its end / 5 s later',
      `${fmt(before?.rssMb ?? Number.NaN)} / ${fmt(atAttackEnd?.rssMb ?? Number.NaN)} / ${fmt(settled?.rssMb ?? Number.NaN)} MB`,
      '',
    ]),
    row([
      `/healthz p50 / p99 / max (${health.length} probes, ${failedHealth} failed)`,
      `${fmt(quantile(healthMs, 0.5), 2)} / ${fmt(quantile(healthMs, 0.99), 2)} / ${fmt(healthMs.at(-1) ?? 0, 0)} ms`,
      `p99 < ${TARGETS.healthP99Ms} ms: ${met(healthP99 < TARGETS.healthP99Ms)}`,
    ]),
    row([
      `/healthz p99 / max while 5 MB bodies were in flight (${burstHealthMs.length} probes)`,
      `${fmt(quantile(burstHealthMs, 0.99), 2)} / ${fmt(burstHealthMs.at(-1) ?? 0, 0)} ms`,
      `of which TCP connect: p99 ${fmt(quantile(connectMs, 0.99), 2)} / max ${fmt(connectMs.at(-1) ?? Number.NaN, 0)} ms`,
    ]),
    row([
      '/healthz p50 / p99 before the attack (3 s, quiet)',
      `${fmt(quantile(quietMs, 0.5), 2)} / ${fmt(quantile(quietMs, 0.99), 2)} ms`,
      '',
    ]),
    row([
      `genuine webhook ack p50 / p99 / max (${webhooks.length}, 1 in ${LARGE_EVERY} of ${LARGE_KB} KB; ${during(webhooks)} sent during the 5 MB burst)`,
      `${fmt(quantile(webhookMs, 0.5), 1)} / ${fmt(quantile(webhookMs, 0.99), 1)} / ${fmt(webhookMs.at(-1) ?? 0, 0)} ms`,
      `answers: ${tally(webhooks.map((r) => r.status))} (the ${LARGE_KB} KB ones: ` +
        `${tally(webhooks.filter((_, i) => i % LARGE_EVERY === 0).map((r) => r.status))}); ` +
        `over Intercom's 5 s: ${webhooks.filter((r) => r.ms > 5000).length}`,
    ]),
    row([
      `genuine click ack p50 / p99 / max (${clicks.length}; ${during(clicks)} during the burst)`,
      `${fmt(quantile(clickMs, 0.5), 1)} / ${fmt(quantile(clickMs, 0.99), 1)} / ${fmt(clickMs.at(-1) ?? 0, 0)} ms`,
      `answers: ${tally(clicks.map((r) => r.status))}; over Slack's 3 s: ${clicks.filter((r) => r.ms > 3000).length}`,
    ]),
    row([
      'genuine cards expected / posted (lost, doubled)',
      `${WEBHOOKS} / ${outcome.posted} (${lost}, ${outcome.doubled})`,
      `nothing genuine lost: ${met(nothingLost)}`,
    ]),
    row(['clicks whose close reached Intercom', `${closes} / ${CLICKS}`, '']),
    row(['attacker outcomes', tally(results.map((r) => r.outcome)), '']),
    row([
      'attack: 5 MB burst / all forged requests ended after',
      `${fmt((burstEnd - attackStart) / 1000, 1)} / ${fmt((attackEnd - attackStart) / 1000, 1)} s`,
      `cards and closes complete ${fmt(cardsMs / 1000, 1)} s after`,
    ]),
    row([
      'CPU during the attack: the bridge (user + kernel) / processes not of this bench',
      `${fmt(bridgeCpu.user)} + ${fmt(bridgeCpu.sys)} / ${fmt(othersCpuSeconds(cpuBefore.all, cpuAfter.all))} s`,
      `of ${fmt(((attackEnd - attackStart) / 1000) * cpus().length)} CPU-s on ${cpus().length} cores; load average ${fmt(load, 2)}`,
    ]),
    row(['total time (start-up to stop)', `${fmt(totalS, 0)} s`, '']),
    '',
    '| forged request | sent | outcomes | median s | max s | socket errors |',
    '|---|---:|---|---:|---:|---|',
    ...kindRows,
    '',
    `bridge log lines (warn and above): ${[...logs.counts].map(([k, n]) => `${n}× "${k}"`).join('; ') || 'none'}`,
    ...(logs.other.length ? [`bridge output that was not JSON: ${logs.other.slice(0, 3).join(' / ')}`] : []),
    ...(tree.changed.length ? [`uncommitted under src/: ${tree.changed.join(', ')}`] : []),
    `this driver's timers ran up to ${fmt(lag.max / 1e6, 0)} ms late during the attack` +
      (exited
        ? `; THE BRIDGE EXITED (${exited.how}) ${fmt((exited.at - attackStart) / 1000, 1)} s into the attack`
        : ''),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const watchdog = setTimeout(() => {
  process.stderr.write('abuse benchmark: gave up after 5 minutes\n');
  process.exit(1);
}, 300_000);
watchdog.unref();
try {
  await main();
  process.exit(0);
} catch (error) {
  process.stderr.write(`abuse benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
