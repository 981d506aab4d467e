import { FakeIntercom } from '../../test/support/fake-intercom.ts';
import { FakeSlack } from '../../test/support/fake-slack.ts';
import { serveFakes } from './processes.ts';

// Fake Intercom and fake Slack for the response-clock benchmark (bench/clocks.ts), in a process of their own and
// driven over IPC (Rpc in processes.ts). Intercom's conversation search answers SEARCH_MS (300) after each page,
// everything else at once. The driver asks for open conversations whose customers wait since given times (so
// their warnings fall due when it wants), for a touch of every conversation's `updated_at` (so the next catch-up
// pass finds them all again), and for what happened: the search passes (pages and times), and every Slack call
// the bridge made, by method and minute, by conversation (card posted, card updates and the clock phase each one
// showed, warning lines and when each arrived). The fakes' own request logs are emptied as the run goes.

const CHANNEL = 'C0BENCH01';
const ADMIN_ID = '991';
const SEARCH_MS = Number(process.env.BENCH_SEARCH_MS ?? 300);

const intercom = await FakeIntercom.start({
  latencyMs: (req) => (req.path === '/conversations/search' ? SEARCH_MS : 0),
});
const slack = await FakeSlack.start();
slack.addChannel({ id: CHANNEL, name: 'support' });
slack.addUser({ id: 'U0ALICE01', name: 'Alice', email: 'alice@example.com' });
intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: ADMIN_ID });
const contact = intercom.addContact({ email: 'dana@acme.test', name: 'Dana' });

/** One catch-up pass as the fake saw it: its pages, when the first was asked for and the last answered. */
interface Pass {
  startedAt: number;
  endedAt: number;
  pages: number;
}
const passes: Pass[] = [];

/** Everything the driver is told about one conversation's Slack side. */
interface Seen {
  cardTs?: string;
  cardAt?: number;
  /** Each chat.update of the card: when, and the clock phase the new card shows. */
  updates: Array<{ at: number; phase: string }>;
  /** When each warning line (⏳ in the thread) was asked for. */
  warnings: number[];
  /** Other thread lines. */
  otherLines: number;
}
const seen = new Map<string, Seen>();
const byTs = new Map<string, string>();
/** Every Slack call: when, and its method. */
const calls: Array<{ at: number; method: string }> = [];
/** Updates and thread lines whose card was not known yet when they came (resolved by ts at the next scan). */
let pending: Array<{ method: string; at: number; ts: string; warning: boolean; phase: string }> = [];
let scanned = 0;
const CARD_ID = /"action_id":"reply:([^"]+)"/;

function phaseOf(blocks: unknown): string {
  const json = JSON.stringify(blocks ?? []);
  if (/🔴 [^"]*overdue/u.test(json)) return 'overdue';
  if (/⏳ [^"]*due soon/u.test(json)) return 'due_soon';
  if (/⏱️ [^"]*due/u.test(json)) return 'waiting';
  if (/✅ /u.test(json)) return 'answered';
  return 'none';
}

function entry(id: string): Seen {
  let s = seen.get(id);
  if (!s) {
    s = { updates: [], warnings: [], otherLines: 0 };
    seen.set(id, s);
  }
  return s;
}

/** Learns card ts → conversation from the posted messages, then places the calls that wait on it. */
function scan() {
  for (; scanned < slack.messages.length; scanned++) {
    const m = slack.messages[scanned];
    if (!m || m.channel !== CHANNEL || m.threadTs !== undefined) continue;
    const id = CARD_ID.exec(JSON.stringify(m.blocks))?.[1];
    if (!id) continue;
    byTs.set(m.ts, id);
    const s = entry(id);
    if (s.cardTs === undefined) s.cardTs = m.ts;
    // the card's blocks are no longer needed here: keep this process's memory flat
    m.blocks = [];
  }
  const later: typeof pending = [];
  for (const call of pending) {
    const id = byTs.get(call.ts);
    if (!id) {
      later.push(call);
      continue;
    }
    const s = entry(id);
    if (call.method === 'chat.update') s.updates.push({ at: call.at, phase: call.phase });
    else if (call.warning) s.warnings.push(call.at);
    else s.otherLines += 1;
  }
  pending = later;
  // the fakes' own logs are not needed: keep their memory flat
  slack.calls.length = 0;
  intercom.requests.length = 0;
}

slack.onCall = (call) => {
  calls.push({ at: call.at, method: call.method });
  if (call.method === 'chat.postMessage' && call.args.thread_ts === undefined) {
    const id = CARD_ID.exec(JSON.stringify(call.args.blocks))?.[1];
    if (id) {
      const s = entry(id);
      s.cardAt ??= call.at;
    }
    return;
  }
  if (call.method === 'chat.update' || (call.method === 'chat.postMessage' && call.args.thread_ts !== undefined)) {
    // kept: what is read of it, not its blocks
    pending.push({
      method: call.method,
      at: call.at,
      ts: String(call.method === 'chat.update' ? call.args.ts : call.args.thread_ts),
      warning: String(call.args.text ?? '').startsWith('⏳'),
      phase: call.method === 'chat.update' ? phaseOf(call.args.blocks) : '',
    });
  }
};

// every search request: a first page (no cursor) starts a pass
const searchLatency = intercom.latencyMs;
intercom.latencyMs = (req) => {
  if (req.path === '/conversations/search') {
    const cursor = (req.body as { pagination?: { starting_after?: string } } | undefined)?.pagination?.starting_after;
    if (!cursor) passes.push({ startedAt: req.at, endedAt: req.at + SEARCH_MS, pages: 1 });
    else {
      const pass = passes.at(-1);
      if (pass) {
        pass.pages += 1;
        pass.endedAt = req.at + SEARCH_MS;
      }
    }
  }
  return typeof searchLatency === 'function' ? searchLatency(req) : searchLatency;
};

serveFakes({ intercom, slack }, async (message) => {
  switch (message.type) {
    case 'seed': {
      // `since[i]` (epoch s): when the customer began waiting; created then, so that the bridge's start-up catch-up
      // (which looks back 15 minutes) finds every one of them
      const ids = (message.since as number[]).map((since, i) => {
        const conversation = intercom.addConversation({
          contactId: String(contact.id),
          subject: `Waiting ${i}`,
          body: `<p>Hello, customer ${i} here: still waiting.</p>`,
          createdAt: since,
          adminAssigneeId: Number(ADMIN_ID),
        });
        conversation.waiting_since = since;
        return String(conversation.id);
      });
      return { ids };
    }
    case 'touch': {
      // nothing changes but updated_at: the next pass finds every conversation again
      const at = Math.floor(Date.now() / 1000);
      for (const conversation of intercom.conversations.values()) conversation.updated_at = at;
      return { at };
    }
    case 'touchOne': {
      // one conversation updated after the others: the cursor moves past the mass update
      const first = intercom.conversations.values().next().value;
      if (first) first.updated_at = Math.floor(Date.now() / 1000);
      return {};
    }
    case 'progress': {
      scan();
      let cards = 0;
      let warnings = 0;
      for (const s of seen.values()) {
        if (s.cardTs !== undefined) cards += 1;
        warnings += s.warnings.length;
      }
      return { cards, warnings, calls: calls.length, passes };
    }
    case 'report': {
      scan();
      return {
        passes,
        calls: calls.map((c) => [c.at, c.method]),
        conversations: Object.fromEntries(seen),
        unresolved: pending.length,
      };
    }
    default:
      return undefined;
  }
});
