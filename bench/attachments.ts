import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { trimEmail } from '../src/bridge/email-trim.ts';
import type { CardData, ThreadLine } from '../src/bridge/model.ts';
import { signWebhook } from '../src/intercom/webhooks.ts';
import { buildCard } from '../src/slack/blocks/card.ts';
import { buildThreadLine } from '../src/slack/blocks/thread.ts';
import { canPin, pinSelf } from './support/pinning.ts';
import { bridgeEnv, type FakesReady, freePort, nodeOn, Rpc, startFlags, stop, until } from './support/processes.ts';

// Attachments and e-mail trimming (#14).
//
// Part A, through the real bridge process (src/main.ts with npm start's flags, SQLite file store; fake Intercom,
// fake Slack and a loopback attachment host in another process, bench/support/attachment-fakes.ts): FILES
// conversations (default 40) get a card first (`conversation.user.created`); then the customer replies in each with
// one file of SIZE_MB (default 20 MiB, ATTACHMENT_MAX_BYTES's default), the part added to Intercom before its
// `conversation.user.replied` webhook is sent. Measured: the time until every file is shared in a thread (files/s,
// MB/s), files lost or shared twice (their bytes compared with those served), the bridge's VmHWM and VmRSS idle
// and at the end, and what a steady stream of other webhooks (new conversations, PROBE_RATE a second) sees
// meanwhile: the ack's p50/p99, and how long their cards take, against the same stream with the bridge idle.
// The same load runs again with FILES=link (nothing downloaded) as the baseline for memory.
//
// Part B, in this process: trimEmail's cost per body, over every `body` of the real corpus
// (test/fixtures/intercom/real) and over long synthetic mails (Gmail and Outlook threads of 20 replies, ~50 KB,
// and a letter as long with nothing to cut), next to the cost of building the card and the thread line of it.
//
// Run with `npm run bench:attachments` (FILES=10 SIZE_MB=5 for a quick look; PART=A or PART=B for one part).
// Exits 1 when a file was lost, shared twice or shared with other bytes.

const FILES = Number(process.env.FILES ?? 40);
const SIZE = Math.round(Number(process.env.SIZE_MB ?? 20) * 1024 * 1024);
const PROBE_RATE = Number(process.env.PROBE_RATE ?? 20);
const PROBES_MIN = Number(process.env.PROBES_MIN ?? 100);
const PART = (process.env.PART ?? 'AB').toUpperCase();
const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
const SECRET = 'bench-client-secret';
const root = fileURLToPath(new URL('..', import.meta.url));
const pinned = canPin();
const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Part A: the bridge copying files
// ---------------------------------------------------------------------------------------------------------------

type Mode = 'upload' | 'link';

interface Memory {
  hwmMb: number;
  rssMb: number;
}

interface Probe {
  acks: number[];
  /** Webhook sent → card posted, ms, for each probe conversation. */
  cards: number[];
}

interface Report {
  filesShared: number;
  filesLost: number;
  filesDoubled: number;
  filesElsewhere: number;
  wrongBytes: number;
  linesMissing: number;
  linesDoubled: number;
  downloads: number;
  downloadedTwice: number;
  duplicateCards: number;
}

interface RunResult {
  mode: Mode;
  ms: number;
  idle: Memory;
  end: Memory;
  idleProbe: Probe;
  busyProbe: Probe;
  report: Report;
}

/** VmHWM (peak resident set) and VmRSS of a process, from /proc. */
function memoryOf(pid: number | undefined): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

function notification(topic: string, id: string): string {
  return JSON.stringify({
    type: 'notification_event',
    app_id: 'wsp1test',
    id: `notif_${topic}_${id}_${Math.random().toString(36).slice(2)}`,
    topic,
    created_at: Math.floor(Date.now() / 1000),
    data: { type: 'notification_event_data', item: { type: 'conversation', id } },
  });
}

/** POSTs one signed webhook; resolves with the time Intercom would wait for the answer (ms). */
async function post(pool: Pool, body: string): Promise<number> {
  const t = performance.now();
  const res = await pool.request({
    path: '/intercom/webhooks',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature': signWebhook(body, SECRET) },
    body,
  });
  await res.body.dump();
  if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}`);
  return performance.now() - t;
}

/** Sends `topic` for each conversation, `concurrency` at a time. */
async function burst(pool: Pool, topic: string, ids: string[], concurrency: number): Promise<number[]> {
  const acks: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) acks.push(await post(pool, notification(topic, ids[next++] as string)));
    }),
  );
  return acks;
}

/**
 * A steady stream of new conversations, PROBE_RATE a second, on a schedule that does not wait for answers (an
 * ack held up by the bridge shows as its own latency instead of delaying the next webhook), until `done()` says
 * so and at least PROBES_MIN were sent. Returns the probes' ack latencies, and when each was sent (epoch ms).
 */
async function probeStream(pool: Pool, ids: string[], done: () => boolean) {
  const acks: Promise<number>[] = [];
  const sentAt = new Map<string, number>();
  const start = performance.now();
  for (let i = 0; i < ids.length && (i < PROBES_MIN || !done()); i++) {
    const due = start + (i * 1000) / PROBE_RATE;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    const id = ids[i] as string;
    sentAt.set(id, Date.now());
    acks.push(post(pool, notification('conversation.user.created', id)));
  }
  return { acks: await Promise.all(acks), sentAt };
}

/** Waits for every probe's card, and gives webhook → card times. */
async function probeCards(rpc: Rpc, sentAt: Map<string, number>): Promise<number[]> {
  const ids = [...sentAt.keys()];
  const posted = await until('the probes’ cards', 120_000, async () => {
    const p = await rpc.call<{ cardPostedAt: Record<string, number> }>({ type: 'progress', ids });
    return Object.keys(p.cardPostedAt).length >= ids.length ? p.cardPostedAt : undefined;
  });
  return ids.map((id) => (posted[id] as number) - (sentAt.get(id) as number));
}

async function startFakes(): Promise<{ fakes: ChildProcess; rpc: Rpc; ready: FakesReady }> {
  const fakes = nodeOn(pinned, 1, [join(root, 'bench/support/attachment-fakes.ts')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_FILE_BYTES: String(SIZE) },
  });
  const [ready] = (await once(fakes, 'message')) as [FakesReady];
  return { fakes, rpc: new Rpc(fakes), ready };
}

async function startBridge(ready: FakesReady, mode: Mode): Promise<{ bridge: ChildProcess; url: string }> {
  const dbDir = mkdtempSync(join(tmpdir(), 'bridge-bench-attachments-'));
  const port = await freePort();
  const env = bridgeEnv(
    ready,
    {
      signingSecret: 'bench-signing-secret',
      clientSecret: SECRET,
      channel: 'C0BENCH01',
      dbPath: join(dbDir, 'bridge.db'),
      port,
    },
    {
      // the attachment host is the fakes' loopback server; a SIZE_MB over the default raises the cap to fit
      FILES: mode,
      ATTACHMENT_HOSTS: '127.0.0.1',
      ATTACHMENT_MAX_BYTES: String(Math.max(DEFAULT_MAX_BYTES, SIZE)),
      // glibc's allocator settings pass through, to tell the allocator's share of the peak from V8's
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_')) as [string, string][]),
    },
  );
  const bridge = nodeOn(pinned, 0, [...startFlags(root), join(root, 'src/main.ts')], {
    cwd: dbDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
  });
  const url = `http://127.0.0.1:${port}`;
  await until('the bridge to start', 20_000, () =>
    fetch(`${url}/healthz`).then(
      (r) => (r.ok ? true : undefined),
      () => undefined,
    ),
  );
  return { bridge, url };
}

async function partA(mode: Mode): Promise<RunResult> {
  const { fakes, rpc, ready } = await startFakes();
  const { ids: load } = await rpc.call<{ ids: string[] }>({ type: 'seed', count: FILES, prefix: 'Attachment' });
  // enough probe conversations for the idle stream and for a busy one of up to 10 minutes
  const probeCount = 2 * PROBES_MIN + PROBE_RATE * 600;
  const { ids: probes } = await rpc.call<{ ids: string[] }>({ type: 'seed', count: probeCount, prefix: 'Probe' });
  const { bridge, url } = await startBridge(ready, mode);
  const pool = new Pool(url, { connections: 16 });

  // the cards first: the bridge is warm, and the replies below are copies into threads that already exist
  await burst(pool, 'conversation.user.created', load, 8);
  await until('the load’s cards', 120_000, async () => {
    const p = await rpc.call<{ cards: number }>({ type: 'progress' });
    return p.cards >= FILES ? true : undefined;
  });
  // the stream with nothing else going on, as the reference for the one during the copies
  const idleStream = await probeStream(pool, probes.slice(0, PROBES_MIN), () => true);
  const idleProbe = { acks: idleStream.acks, cards: await probeCards(rpc, idleStream.sentAt) };
  await new Promise((r) => setTimeout(r, 1000));
  const idle = memoryOf(bridge.pid);

  await rpc.call({ type: 'attach', ids: load });
  const started = performance.now();
  let finished = 0;
  const complete = async () => {
    const p = await rpc.call<{ shared: number; lines: number }>({ type: 'progress' });
    return (mode === 'upload' ? p.shared >= FILES : true) && p.lines >= FILES ? true : undefined;
  };
  const copies = Promise.all([
    burst(pool, 'conversation.user.replied', load, 8),
    until('every file in Slack', 600_000, complete),
  ]).then(() => {
    finished = performance.now();
  });
  const busyStream = await probeStream(pool, probes.slice(PROBES_MIN), () => finished > 0);
  await copies;
  const busyProbe = { acks: busyStream.acks, cards: await probeCards(rpc, busyStream.sentAt) };
  // a file shared twice would come late: give it the time to
  await new Promise((r) => setTimeout(r, 2000));
  const end = memoryOf(bridge.pid);
  const report = await rpc.call<Report>({ type: 'report', ids: load });

  await pool.close();
  await stop(bridge);
  await rpc.call({ type: 'close' });
  await once(fakes, 'exit');
  return { mode, ms: finished - started, idle, end, idleProbe, busyProbe, report };
}

// ---------------------------------------------------------------------------------------------------------------
// Part B: trimEmail, next to building what shows the body
// ---------------------------------------------------------------------------------------------------------------

/** Every non-empty `body` string anywhere in the real corpus's JSON files. */
function corpusBodies(): string[] {
  const dir = join(root, 'test/fixtures/intercom/real');
  const bodies: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) for (const v of value) walk(v);
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'body' && typeof v === 'string' && v.trim()) bodies.push(v);
        else walk(v);
      }
    }
  };
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    walk(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  }
  return bodies;
}

const SENTENCES = [
  'Thanks for getting back to me so quickly about the export that stopped half way through last night.',
  'I tried again this morning with the smaller date range you suggested, and it failed at the same point.',
  'The file it left behind has the header row and about two thousand lines, then nothing at all.',
  'Our finance team needs the full year for the audit on Friday, so this is getting a little urgent.',
  'Could you check whether something on your side limits the size, or tell me what else I can try?',
];

/** About `chars` characters of prose, as paragraphs. */
function prose(chars: number, seed: number): string {
  const out: string[] = [];
  for (let n = 0, i = seed; n < chars; i++) {
    const s = SENTENCES[i % SENTENCES.length] as string;
    out.push(s);
    n += s.length + 1;
  }
  return out.join(' ');
}

/** Gmail's reply to a thread of `replies`: each message quotes the previous one, attribution and all, nested. */
function gmailThread(replies: number, perReply: number): string {
  let html = '';
  for (let k = 0; k < replies; k++) {
    const who = k % 2 ? 'Support &lt;support@vendor.test&gt;' : 'Dana Customer &lt;dana@acme.test&gt;';
    const own = `<div dir="ltr"><div>${prose(perReply, k)}</div><div><br></div><div>Best,</div><div>Dana</div></div>`;
    const quote =
      k === 0
        ? ''
        : `<br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, 3 Mar 2025 at ` +
          `10:${String(k).padStart(2, '0')}, ${who} wrote:<br></div><blockquote class="gmail_quote" style="margin:0px ` +
          `0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">${html}</blockquote></div>`;
    html = own + quote;
  }
  return html;
}

/** Outlook on the web's reply to a thread of `replies`: older messages below, each under a From/Sent/To block. */
function outlookThread(replies: number, perReply: number): string {
  const parts: string[] = [];
  for (let k = replies - 1; k >= 0; k--) {
    // OWA prefixes ids with x_ each time a message is quoted again
    const x = 'x_'.repeat(replies - 1 - k);
    const message = `<div class="${x}elementToProof" style="font-family:Aptos,Calibri,Helvetica,sans-serif;font-size:12pt">${prose(perReply, k)}</div>`;
    const header =
      `<div id="${x}appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">` +
      `<div id="${x}divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">` +
      `<b>From:</b> Dana Customer &lt;dana@acme.test&gt;<br><b>Sent:</b> Monday, March 3, 2025 10:${String(k).padStart(2, '0')} AM<br>` +
      `<b>To:</b> Support &lt;support@vendor.test&gt;<br><b>Subject:</b> RE: Export stops half way</font><div>&nbsp;</div></div>`;
    parts.push(k === replies - 1 ? message : header + message);
  }
  return `<html><head><style>p{margin:0}</style></head><body>${parts.join('')}</body></html>`;
}

/** A long letter with no quote, signature or header in it: trimEmail's fast path. */
function plainLetter(chars: number): string {
  return Array.from({ length: Math.ceil(chars / 500) }, (_, k) => `<p>${prose(480, k)}</p>`).join('');
}

/** Median ns per call of `fn` over 7 batches of at least 5 ms each (after a batch to warm up). */
function nsPerOp(fn: () => unknown): number {
  let n = 1;
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn();
    if (performance.now() - t >= 5) break;
    n *= 2;
  }
  const batches: number[] = [];
  for (let b = 0; b < 7; b++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    batches.push(Number(process.hrtime.bigint() - t) / n);
  }
  return median(batches);
}

interface BodyCost {
  trim: number;
  card: number;
  /** buildCard of the body as it came: what the card would cost without trimEmail. */
  cardUntrimmed: number;
  line: number;
  bytes: number;
  keptBytes: number;
  trimmed: boolean;
}

const CARD: CardData = {
  conversationId: '1001',
  subject: 'Export stops half way',
  bodyHtml: null,
  attachments: [],
  contact: { name: 'Dana Customer', email: 'dana@acme.test', company: 'Acme' },
  state: 'open',
  snoozedUntil: null,
  assignee: { admin: null, team: null },
  priority: false,
  tags: [],
  createdAt: 1_740_996_000,
  intercomUrl: 'https://app.intercom.com/a/inbox/wsp1test/inbox/conversation/1001',
};

/** What one body costs: trimming it, then the card and the thread line built from what is left. */
function bodyCost(html: string): BodyCost {
  const { html: kept, trimmed } = trimEmail(html);
  const card: CardData = { ...CARD, bodyHtml: kept, bodyTrimmed: trimmed };
  const line: ThreadLine = {
    kind: 'customer_reply',
    actor: 'Dana Customer',
    bodyHtml: kept,
    trimmed,
    side: 'customer',
  };
  return {
    trim: nsPerOp(() => trimEmail(html)),
    card: nsPerOp(() => buildCard(card)),
    cardUntrimmed: trimmed ? nsPerOp(() => buildCard({ ...CARD, bodyHtml: html })) : nsPerOp(() => buildCard(card)),
    line: nsPerOp(() => buildThreadLine(line)),
    bytes: Buffer.byteLength(html),
    keptBytes: Buffer.byteLength(kept),
    trimmed,
  };
}

function partB(): Array<{ name: string; cost: BodyCost; n?: number }> {
  const bodies = corpusBodies();
  const corpus = bodies.map(bodyCost);
  const med = (pick: (c: BodyCost) => number) => median(corpus.map(pick));
  return [
    {
      name: `real corpus, median of ${bodies.length} bodies`,
      n: bodies.length,
      cost: {
        trim: med((c) => c.trim),
        card: med((c) => c.card),
        cardUntrimmed: med((c) => c.cardUntrimmed),
        line: med((c) => c.line),
        bytes: med((c) => c.bytes),
        keptBytes: med((c) => c.keptBytes),
        trimmed: false,
      },
    },
    {
      name: 'real corpus, slowest trimEmail',
      cost: corpus.reduce((a, b) => (b.trim > a.trim ? b : a)),
    },
    { name: 'Gmail thread, 20 replies', cost: bodyCost(gmailThread(20, 2300)) },
    { name: 'Outlook (web) thread, 20 replies', cost: bodyCost(outlookThread(20, 1900)) },
    { name: 'long letter, nothing to cut', cost: bodyCost(plainLetter(50_000)) },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function q(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

const fmt = (n: number, d = 1) => n.toFixed(d);
const kb = (bytes: number) => (bytes < 1024 ? `${fmt(bytes, 0)} B` : `${fmt(bytes / 1024)} KB`);
const us = (ns: number) => (ns >= 1000 ? `${fmt(ns / 1000, 1)} µs` : `${fmt(ns, 0)} ns`);

function partARows(runs: RunResult[]): string[] {
  const probeCells = (p: Probe) =>
    `${fmt(q(p.acks, 0.5), 2)} / ${fmt(q(p.acks, 0.99), 2)} | ${fmt(q(p.cards, 0.5), 0)} / ${fmt(q(p.cards, 0.99), 0)}`;
  return [
    `Part A: ${FILES} customer replies with one ${fmt(SIZE / MiB, 1)} MiB file each, through the bridge (SQLite), ` +
      `probes at ${PROBE_RATE}/s; Node ${process.versions.node}, ` +
      (pinned ? 'bridge on core 0, fakes, file host and driver on core 1' : 'not pinned'),
    '',
    '| FILES | all in Slack | files/s | MiB/s | shared once / lost / twice / wrong bytes | downloads | idle VmHWM / RSS MB | end VmHWM / RSS MB | VmHWM growth MB |',
    '|---|---:|---:|---:|---|---:|---:|---:|---:|',
    ...runs.map((r) => {
      const s = r.ms / 1000;
      const shared = r.mode === 'upload' ? FILES / s : 0;
      const mb = r.mode === 'upload' ? (FILES * SIZE) / MiB / s : 0;
      const f = r.report;
      // FILES=link copies nothing: only the counts of what was shared say anything there
      const files =
        r.mode === 'upload'
          ? `${f.filesShared} / ${f.filesLost} / ${f.filesDoubled} / ${f.wrongBytes}`
          : `none copied (${f.filesShared + f.filesDoubled} shared)`;
      return (
        `| ${r.mode} | ${fmt(s, 1)} s | ${fmt(shared, 2)} | ${fmt(mb, 1)} | ${files} | ${r.report.downloads} | ` +
        `${fmt(r.idle.hwmMb)} / ${fmt(r.idle.rssMb)} | ${fmt(r.end.hwmMb)} / ${fmt(r.end.rssMb)} | ` +
        `${fmt(r.end.hwmMb - r.idle.hwmMb)} |`
      );
    }),
    '',
    '| FILES | probes idle | ack p50 / p99 ms | card p50 / p99 ms | probes during the copies | ack p50 / p99 ms | card p50 / p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...runs.map(
      (r) =>
        `| ${r.mode} | ${r.idleProbe.acks.length} | ${probeCells(r.idleProbe)} | ${r.busyProbe.acks.length} | ${probeCells(r.busyProbe)} |`,
    ),
    '',
    ...runs.map(
      (r) =>
        `${r.mode}: thread lines missing ${r.report.linesMissing}, doubled ${r.report.linesDoubled}; ` +
        `files in other threads ${r.report.filesElsewhere}; downloaded twice ${r.report.downloadedTwice}; ` +
        `duplicate cards ${r.report.duplicateCards}`,
    ),
  ];
}

function partBRows(rows: ReturnType<typeof partB>): string[] {
  return [
    'Part B: trimEmail per body, next to building the card and the thread line of what is left (median of 7 batches)',
    '',
    '| body | size → kept | trimEmail | buildCard | buildThreadLine | trimEmail share of card / line | buildCard untrimmed |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(({ name, cost: c }) => {
      const share = (other: number) => `${fmt((100 * c.trim) / (c.trim + other), 0)} %`;
      return (
        `| ${name} | ${kb(c.bytes)} → ${kb(c.keptBytes)} | ${us(c.trim)} | ${us(c.card)} | ${us(c.line)} | ` +
        `${share(c.card)} / ${share(c.line)} | ${us(c.cardUntrimmed)} |`
      );
    }),
  ];
}

/** Whether a run lost a file, shared one twice or with other bytes (upload), or copied any at all (link). */
function failed(r: RunResult): boolean {
  const { report: f } = r;
  const lines = f.linesMissing + f.linesDoubled + f.duplicateCards;
  if (r.mode === 'link') return lines + f.filesShared + f.filesDoubled + f.downloads > 0;
  return lines + f.filesLost + f.filesDoubled + f.filesElsewhere + f.wrongBytes > 0;
}

if (pinned) pinSelf(1);
const rows: string[] = [];
let bad = false;
if (PART.includes('A')) {
  const runs = [await partA('upload'), await partA('link')];
  rows.push(...partARows(runs), '');
  bad = runs.some(failed);
}
if (PART.includes('B')) rows.push(...partBRows(partB()), '');
if (PART.includes('A')) rows.push(`none lost, doubled or altered → ${bad ? 'NOT met' : 'met'}`);
process.stdout.write(`${rows.join('\n')}\n`);
process.exit(bad ? 1 : 0);
