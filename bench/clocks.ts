import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { canPin } from './support/pinning.ts';
import {
  bridgeEnv,
  cpuTicks,
  type FakesReady,
  freePort,
  nodeOn,
  Rpc,
  startFlags,
  stop,
  until,
} from './support/processes.ts';

// Response clocks at scale (#15), through the real bridge process (src/main.ts with npm start's flags, SQLite file
// store; fake Intercom and fake Slack in another process, bench/support/clock-fakes.ts).
//
// CLOCKS (default 10,000) open conversations wait in the fake Intercom, assigned to a teammate who is in Slack,
// with `waiting_since` set so that, under one global `first_response: 15m` and `warn_before: 10m`, their warnings
// fall due uniformly over SPREAD_S (150) seconds starting LEAD_S after the seed. Intercom's search answers 300 ms
// after each page (the bridge asks for 150 a page). The cards come in through catch-up: the bridge's own start-up
// pass finds every conversation (all updated within its 15-minute first look-back) and queues a sync of each,
// which posts the card and queues the clock's timers (warning and miss) as `bridge.clock` jobs in the inbox. No
// webhook is sent. Measured:
//   (a) the sweeps: the start-up pass over CLOCKS new conversations (search wall time; bridge CPU until every card
//       is posted and the inbox drained), a pass over CLOCKS known conversations whose `updated_at` alone moved
//       (nothing to show or queue: the steady-state cost of a pass that finds them all), and a pass that finds
//       nothing; CPU is utime+stime of the bridge process from /proc/<pid>/stat, sampled every 100 ms;
//   (b) the store: SQLite file + WAL bytes, and rows (inbox by topic and state, cards, shown_parts) after the cards,
//       after the warnings and after the second sweep, scaled to 10,000 clocks;
//   (c) warning lateness: for each warning line in a card's thread, when fake Slack received it minus its due time
//       (waiting_since + first_response − warn_before), p50 / p99 / max;
//   (d) Slack calls while the warnings fire, per minute and by method, and per conversation: chat.update count
//       against the card's phase changes (waiting → due soon), chat.postMessage count against the lines expected.
//
// Run with `npm run bench:clocks` (about 8 minutes at 10,000; CLOCKS=2000 for a quick look, about 5). Environment:
// CLOCKS, SPREAD_S, LEAD_S (default 30 + CLOCKS/100: the cards must all be posted before the first warning falls
// due), POLL_S (INTERCOM_POLL_INTERVAL, default 30). Exits 1 when a warning is missing or doubled, or a card.

const CLOCKS = Number(process.env.CLOCKS ?? 10_000);
const SPREAD_S = Number(process.env.SPREAD_S ?? 150);
const LEAD_S = Number(process.env.LEAD_S ?? Math.ceil(30 + CLOCKS / 100));
const POLL_S = Number(process.env.POLL_S ?? 30);
const FIRST_RESPONSE_MS = 15 * 60_000;
const WARN_BEFORE_MS = 10 * 60_000;
const PER_PAGE = 150;
const SECRET = 'bench-client-secret';
const root = fileURLToPath(new URL('..', import.meta.url));
const pinned = canPin();

interface Pass {
  startedAt: number;
  endedAt: number;
  pages: number;
}

interface Seen {
  cardTs?: string;
  cardAt?: number;
  updates: Array<{ at: number; phase: string }>;
  warnings: number[];
  otherLines: number;
}

interface Progress {
  cards: number;
  warnings: number;
  calls: number;
  passes: Pass[];
}

interface Report {
  passes: Pass[];
  calls: Array<[number, string]>;
  conversations: Record<string, Seen>;
  unresolved: number;
}

// ---------------------------------------------------------------------------------------------------------------
// CPU of the bridge, sampled
// ---------------------------------------------------------------------------------------------------------------

/** Clock ticks (10 ms) the bridge has used, sampled every 100 ms, to read the CPU of any interval afterwards. */
class CpuTimeline {
  readonly samples: Array<[number, number]> = [];
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number) {
    const sample = () => {
      const ticks = cpuTicks([pid]);
      if (ticks) this.samples.push([Date.now(), ticks.ours]);
    };
    sample();
    this.#timer = setInterval(sample, 100);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Ticks used by `at` (the last sample at or before it). */
  at(at: number): number {
    let value = this.samples[0]?.[1] ?? 0;
    for (const [t, ticks] of this.samples) {
      if (t > at) break;
      value = ticks;
    }
    return value;
  }

  /** CPU seconds between two times. */
  seconds(from: number, to: number): number {
    return (this.at(to) - this.at(from)) / 100;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The store, read beside the running bridge
// ---------------------------------------------------------------------------------------------------------------

interface StoreSnapshot {
  fileBytes: number;
  walBytes: number;
  /** topic/state → rows */
  inbox: Record<string, number>;
  cards: number;
  shownParts: number;
  kv: number;
  /** Bytes of each table and index (SQLite's dbstat), from the main file: what the WAL holds is not yet in it. */
  tables: Record<string, number>;
}

function snapshot(dbPath: string): StoreSnapshot {
  const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    const inbox: Record<string, number> = {};
    for (const row of db.prepare('SELECT topic, state, COUNT(*) AS n FROM inbox GROUP BY topic, state').all()) {
      inbox[`${String(row.topic)}/${String(row.state)}`] = Number(row.n);
    }
    const count = (table: string) => Number(db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? 0);
    const tables: Record<string, number> = {};
    for (const row of db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all()) {
      tables[String(row.name)] = Number(row.bytes);
    }
    return {
      fileBytes: size(dbPath),
      walBytes: size(`${dbPath}-wal`),
      inbox,
      cards: count('cards'),
      shownParts: count('shown_parts'),
      kv: count('kv'),
      tables,
    };
  } finally {
    db.close();
  }
}

/** Jobs still pending in the inbox, of a topic. */
function pendingOf(dbPath: string, topic: string): number {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    return Number(
      db.prepare(`SELECT COUNT(*) AS n FROM inbox WHERE topic = ? AND state = 'pending'`).get(topic)?.n ?? 0,
    );
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function shuffle<T>(items: T[]): T[] {
  // a fixed seed: the same order each run
  let seed = 15;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
const log = (line: string) => process.stderr.write(`[clocks] ${line}\n`);

async function main(): Promise<number> {
  const fakes = nodeOn(pinned, 1, [join(root, 'bench/support/clock-fakes.ts')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = (await once(fakes, 'message')) as [FakesReady];
  const rpc = new Rpc(fakes);

  // warnings due uniformly over SPREAD_S from LEAD_S on, whole seconds (waiting_since is in seconds)
  const seededAt = Date.now();
  const firstWarning = seededAt + LEAD_S * 1000;
  const since = shuffle(
    Array.from({ length: CLOCKS }, (_, i) =>
      Math.ceil((firstWarning + (i * SPREAD_S * 1000) / CLOCKS - (FIRST_RESPONSE_MS - WARN_BEFORE_MS)) / 1000),
    ),
  );
  const { ids } = await rpc.call<{ ids: string[] }>({ type: 'seed', since });
  const warnDue = new Map(ids.map((id, i) => [id, (since[i] as number) * 1000 + FIRST_RESPONSE_MS - WARN_BEFORE_MS]));
  const dues = [...warnDue.values()].sort((a, b) => a - b);
  log(`${CLOCKS} conversations seeded in ${Date.now() - seededAt} ms; warnings due from +${LEAD_S}s over ${SPREAD_S}s`);

  const dir = mkdtempSync(join(tmpdir(), 'bridge-bench-clocks-'));
  const dbPath = join(dir, 'bridge.db');
  const routesPath = join(dir, 'routes.yml');
  writeFileSync(routesPath, 'targets:\n  first_response: 15m\n  warn_before: 10m\nroutes: []\n');
  const port = await freePort();
  const env = bridgeEnv(
    ready,
    { signingSecret: 'bench-signing-secret', clientSecret: SECRET, channel: 'C0BENCH01', dbPath, port },
    { ROUTES_FILE: routesPath, INTERCOM_POLL_INTERVAL: String(POLL_S) },
  );
  const spawnedAt = Date.now();
  const bridge: ChildProcess = nodeOn(pinned, 0, [...startFlags(root), join(root, 'src/main.ts')], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
  });
  const cpu = new CpuTimeline(bridge.pid as number);
  const url = `http://127.0.0.1:${port}`;
  await until('the bridge to start', 30_000, () =>
    fetch(`${url}/healthz`).then(
      (r) => (r.ok ? true : undefined),
      () => undefined,
    ),
  );
  const healthyAt = Date.now();

  // (a) the start-up pass: every card, every timer queued
  const cardsDone = await until('every card', 600_000, async () => {
    const p = await rpc.call<Progress>({ type: 'progress' });
    return p.cards >= CLOCKS && pendingOf(dbPath, 'bridge.catch_up') === 0 ? Date.now() : undefined;
  }).catch(async (error: unknown) => {
    const p = await rpc.call<Progress>({ type: 'progress' });
    log(`only ${p.cards} cards: ${String(error)}`);
    throw error;
  });
  const afterCards = snapshot(dbPath);
  const firstPass = (await rpc.call<Progress>({ type: 'progress' })).passes[0] as Pass;
  log(`cards all posted ${((cardsDone - spawnedAt) / 1000).toFixed(1)} s after start`);
  if (cardsDone > (dues[0] ?? 0)) log('the cards took longer than LEAD_S: early warnings were due before their card');

  // (c)(d) the warnings fire
  const lastDue = dues.at(-1) ?? Date.now();
  await until('every warning', Math.max(0, lastDue - Date.now()) + 180_000, async () => {
    const p = await rpc.call<Progress>({ type: 'progress' });
    return p.warnings >= CLOCKS ? true : undefined;
  }).catch((error: unknown) => log(String(error)));
  const warningsDone = Date.now();
  await sleep(5_000); // a doubled warning would come by now
  const afterWarnings = snapshot(dbPath);

  // (a) a pass over every conversation again, only `updated_at` moved; then a pass that finds nothing
  const { at: touchedAt } = await rpc.call<{ at: number }>({ type: 'touch' });
  const pages = Math.ceil(CLOCKS / PER_PAGE);
  const fullPass = await until('a pass over every conversation', (POLL_S + 120) * 1000, async () => {
    const p = await rpc.call<Progress>({ type: 'progress' });
    const pass = p.passes.find((x) => x.startedAt >= touchedAt * 1000);
    return pass && pass.pages >= pages && Date.now() > pass.endedAt ? pass : undefined;
  });
  const fullDrained = await until('the pass’s syncs', 600_000, async () =>
    pendingOf(dbPath, 'bridge.catch_up') === 0 ? Date.now() : undefined,
  );
  const afterSweep = snapshot(dbPath);
  const nextPass = (after: number, what: string) =>
    until(what, (POLL_S + 120) * 1000, async () => {
      const p = await rpc.call<Progress>({ type: 'progress' });
      const pass = p.passes.find((x) => x.startedAt > after);
      return pass && Date.now() > pass.endedAt + 1000 ? pass : undefined;
    });
  // the cursor keeps 2 s of overlap (newest − 2): with every update in one second, the next pass reads them all again
  const overlapPass = await nextPass(fullDrained, 'the pass after it');
  // one conversation updated later moves the cursor on (the pass that sees it still reads the others once more)
  await rpc.call({ type: 'touchOne' });
  const movedPass = await nextPass(overlapPass.endedAt, 'the pass that moves the cursor');
  const emptyPass = await nextPass(movedPass.endedAt, 'a pass that finds nothing new');
  const ended = Date.now();
  cpu.stop();
  await stop(bridge);
  const report = await rpc.call<Report>({ type: 'report' });
  await rpc.call({ type: 'close' });
  await once(fakes, 'exit');

  // ---- figures ----
  const conversations = ids.map((id) => ({ id, seen: report.conversations[id] }));
  const lateness: number[] = [];
  let missing = 0;
  let doubled = 0;
  let missingCards = 0;
  let dueBeforeCard = 0;
  let updates = 0;
  let phaseChanges = 0;
  let idleUpdates = 0;
  let maxUpdates = 0;
  let otherLines = 0;
  for (const { id, seen } of conversations) {
    const due = warnDue.get(id) as number;
    if (!seen?.cardTs) missingCards += 1;
    if ((seen?.cardAt ?? Number.POSITIVE_INFINITY) > due) dueBeforeCard += 1;
    const warnings = seen?.warnings ?? [];
    if (warnings.length === 0) missing += 1;
    if (warnings.length > 1) doubled += 1;
    if (warnings[0] !== undefined) lateness.push(warnings[0] - due);
    let phase = 'waiting';
    for (const u of seen?.updates ?? []) {
      if (u.phase !== phase) phaseChanges += 1;
      else idleUpdates += 1;
      phase = u.phase;
    }
    updates += seen?.updates.length ?? 0;
    maxUpdates = Math.max(maxUpdates, seen?.updates.length ?? 0);
    otherLines += seen?.otherLines ?? 0;
  }
  lateness.sort((a, b) => a - b);

  const calls = report.calls;
  const byMethod = (from: number, to: number) => {
    const counts: Record<string, number> = {};
    for (const [at, method] of calls) if (at >= from && at <= to) counts[method] = (counts[method] ?? 0) + 1;
    return counts;
  };
  // while the warnings fire: from the first due time to the last warning posted
  const lastWarning = Math.max(...conversations.flatMap(({ seen }) => seen?.warnings ?? []), dues[0] ?? 0);
  const windowFrom = dues[0] ?? 0;
  const windowMin = Math.max(1, lastWarning - windowFrom) / 60_000;
  const firing = byMethod(windowFrom, lastWarning);
  const peakPerMinute: Record<string, number> = {};
  for (let t = windowFrom; t < lastWarning; t += 10_000) {
    for (const [method, n] of Object.entries(byMethod(t, t + 60_000))) {
      peakPerMinute[method] = Math.max(peakPerMinute[method] ?? 0, n);
    }
  }
  const startup = byMethod(spawnedAt, cardsDone);
  const sweep = byMethod(fullPass.startedAt, fullDrained + 2_000);

  const scale = 10_000 / CLOCKS;
  const mb = (bytes: number) => fmt((bytes * scale) / 1e6, 1);
  const row = (label: string, s: StoreSnapshot) => {
    const clockPending = s.inbox['bridge.clock/pending'] ?? 0;
    const clockDone = s.inbox['bridge.clock/done'] ?? 0;
    const catchUp = (s.inbox['bridge.catch_up/done'] ?? 0) + (s.inbox['bridge.catch_up/pending'] ?? 0);
    return `| ${label.padEnd(22)} | ${mb(s.fileBytes).padStart(8)} | ${fmt(s.walBytes / 1e6, 1).padStart(8)} | ${mb(s.tables.inbox ?? 0).padStart(8)} | ${mb((s.tables.inbox_queue ?? 0) + (s.tables.inbox_due ?? 0) + (s.tables.sqlite_autoindex_inbox_1 ?? 0)).padStart(10)} | ${fmt(clockPending * scale).padStart(7)} / ${fmt(clockDone * scale).padEnd(7)} | ${fmt(catchUp * scale).padStart(8)} | ${fmt(s.cards * scale).padStart(7)} | ${fmt(s.shownParts * scale).padStart(8)} |`;
  };

  const cpuStartUp = cpu.seconds(spawnedAt, healthyAt);
  const cpuFirst = cpu.seconds(firstPass.startedAt - 100, cardsDone);
  const cpuFirstSearch = cpu.seconds(firstPass.startedAt - 100, firstPass.endedAt);
  const cpuFull = cpu.seconds(fullPass.startedAt - 100, fullDrained);
  const cpuFullSearch = cpu.seconds(fullPass.startedAt - 100, fullPass.endedAt);
  const cpuOverlap = cpu.seconds(overlapPass.startedAt - 100, overlapPass.endedAt + 1000);
  const cpuOverlapSearch = cpu.seconds(overlapPass.startedAt - 100, overlapPass.endedAt);
  const cpuEmpty = cpu.seconds(emptyPass.startedAt - 100, emptyPass.endedAt + 1000);
  const cpuFiring = cpu.seconds(windowFrom, lastWarning);
  const out = (line = '') => process.stdout.write(`${line}\n`);

  out();
  out(
    `## Response clocks: ${fmt(CLOCKS)} conversations, warnings due over ${SPREAD_S} s, search ${PER_PAGE} a page at 300 ms (${pinned ? 'bridge and fakes pinned to a core each' : 'unpinned'})`,
  );
  out();
  out('(a) sweeps (CPU: bridge utime+stime)');
  out();
  out(
    '| pass                                   | pages | search wall s | until drained s | CPU s, search | CPU s, all | CPU ms per conversation |',
  );
  out(
    '| -------------------------------------- | ----: | ------------: | --------------: | ------------: | ---------: | ----------------------: |',
  );
  const passRow = (label: string, p: Pass, drained: number, search: number, all: number, n: number) =>
    out(
      `| ${label.padEnd(38)} | ${String(p.pages).padStart(5)} | ${fmt((p.endedAt - p.startedAt) / 1000, 1).padStart(13)} | ${fmt((drained - p.startedAt) / 1000, 1).padStart(15)} | ${fmt(search, 2).padStart(13)} | ${fmt(all, 2).padStart(10)} | ${fmt((all * 1000) / Math.max(1, n), 2).padStart(23)} |`,
    );
  passRow(`start-up: ${fmt(CLOCKS)} new (cards, timers)`, firstPass, cardsDone, cpuFirstSearch, cpuFirst, CLOCKS);
  passRow(`${fmt(CLOCKS)} known, only updated_at moved`, fullPass, fullDrained, cpuFullSearch, cpuFull, CLOCKS);
  passRow(
    `the same ${fmt(CLOCKS)} again (cursor overlap)`,
    overlapPass,
    overlapPass.endedAt,
    cpuOverlapSearch,
    cpuOverlap,
    CLOCKS,
  );
  passRow('nothing new (one conversation, seen)', emptyPass, emptyPass.endedAt, cpuEmpty, cpuEmpty, 1);
  out();
  out(`bridge start-up to /healthz: ${fmt(cpuStartUp, 2)} s CPU, ${fmt((healthyAt - spawnedAt) / 1000, 1)} s wall`);
  out(`Slack calls, start-up pass: ${JSON.stringify(startup)}`);
  out(`Slack calls, pass over known conversations: ${JSON.stringify(sweep)}`);
  out();
  out(`(b) store, scaled to 10,000 clocks (MB; rows)`);
  out();
  out(
    '| when                   | file MB  | WAL MB, not scaled | inbox MB | indexes MB | clock jobs pending / done | catch-up | cards   | shown_parts |',
  );
  out(
    '| ---------------------- | -------: | -----------------: | -------: | ---------: | ------------------------: | -------: | ------: | ----------: |',
  );
  out(row('after the cards', afterCards));
  out(row('after the warnings', afterWarnings));
  out(row('after the second sweep', afterSweep));
  out();
  out(`inbox by topic/state at the end: ${JSON.stringify(afterSweep.inbox)}; kv rows ${afterSweep.kv}`);
  out(`tables and indexes (bytes, main file, at the end): ${JSON.stringify(afterSweep.tables)}`);
  out();
  out('(c) warning lateness: posted in Slack − due (waiting_since + first_response − warn_before)');
  out();
  out('| warnings posted | missing | doubled | p50 s | p90 s | p99 s | max s | min s | due before their card |');
  out('| --------------: | ------: | ------: | ----: | ----: | ----: | ----: | ----: | --------------------: |');
  out(
    `| ${fmt(lateness.length).padStart(15)} | ${String(missing).padStart(7)} | ${String(doubled).padStart(7)} | ${fmt(percentile(lateness, 50) / 1000, 2).padStart(5)} | ${fmt(percentile(lateness, 90) / 1000, 2).padStart(5)} | ${fmt(percentile(lateness, 99) / 1000, 2).padStart(5)} | ${fmt((lateness.at(-1) ?? Number.NaN) / 1000, 2).padStart(5)} | ${fmt((lateness[0] ?? Number.NaN) / 1000, 2).padStart(5)} | ${String(dueBeforeCard).padStart(21)} |`,
  );
  out();
  out(
    `(d) Slack while the warnings fire: ${fmt(windowMin * 60, 1)} s from the first due time to the last warning; bridge CPU ${fmt(cpuFiring, 2)} s (${fmt((cpuFiring / (windowMin * 60)) * 100, 0)} % of a core)`,
  );
  out();
  out('| method             | calls | per minute, mean | per minute, peak |');
  out('| ------------------ | ----: | ---------------: | ---------------: |');
  for (const [method, n] of Object.entries(firing).sort((a, b) => b[1] - a[1])) {
    out(
      `| ${method.padEnd(18)} | ${fmt(n).padStart(5)} | ${fmt(n / windowMin).padStart(16)} | ${fmt(peakPerMinute[method] ?? 0).padStart(16)} |`,
    );
  }
  out();
  out('| per conversation, whole run                 | total | per conversation | expected                 |');
  out('| ------------------------------------------- | ----: | ---------------: | ------------------------ |');
  const cards = conversations.filter((c) => c.seen?.cardTs).length;
  out(
    `| cards posted (chat.postMessage)             | ${fmt(cards).padStart(5)} | ${fmt(cards / CLOCKS, 2).padStart(16)} | 1                        |`,
  );
  out(
    `| warning lines (chat.postMessage in thread)  | ${fmt(lateness.length + doubled).padStart(5)} | ${fmt((lateness.length + doubled) / CLOCKS, 2).padStart(16)} | 1                        |`,
  );
  out(
    `| other thread lines                          | ${fmt(otherLines).padStart(5)} | ${fmt(otherLines / CLOCKS, 2).padStart(16)} | 0                        |`,
  );
  out(
    `| card updates (chat.update)                  | ${fmt(updates).padStart(5)} | ${fmt(updates / CLOCKS, 2).padStart(16)} | 1 (waiting → due soon)   |`,
  );
  out(
    `| … of which changed the clock's phase        | ${fmt(phaseChanges).padStart(5)} | ${fmt(phaseChanges / CLOCKS, 2).padStart(16)} |                          |`,
  );
  out(
    `| … of which did not                          | ${fmt(idleUpdates).padStart(5)} | ${fmt(idleUpdates / CLOCKS, 2).padStart(16)} | 0                        |`,
  );
  out(
    `| most updates of one card                    | ${fmt(maxUpdates).padStart(5)} |                  | 1                        |`,
  );
  out();
  out(
    `run: ${fmt((ended - seededAt) / 1000, 0)} s; cards posted ${fmt((cardsDone - spawnedAt) / 1000, 1)} s after the bridge started; warnings all in ${fmt((warningsDone - windowFrom) / 1000, 1)} s after the first was due; unresolved Slack calls ${report.unresolved}`,
  );

  const failed = missing > 0 || doubled > 0 || missingCards > 0;
  if (failed) log(`FAILED: ${missing} warnings missing, ${doubled} doubled, ${missingCards} cards missing`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
