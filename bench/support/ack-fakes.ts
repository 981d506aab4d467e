import { FakeIntercom } from '../../test/support/fake-intercom.ts';
import { FakeSlack } from '../../test/support/fake-slack.ts';
import { announceReady } from './processes.ts';

// Fake Intercom and fake Slack for the ack-latency benchmark, in a process of their own; driven over IPC like
// bench/support/fakes.ts, with a teammate who may click (Slack user and Intercom admin sharing an email), the
// cards the bridge posted, a switch that makes Intercom's writes slow, and a count of the close writes received.

const CHANNEL = 'C0SUPPORT1';
const intercom = await FakeIntercom.start();
const slack = await FakeSlack.start();
slack.addChannel({ id: CHANNEL, name: 'support' });
slack.addUser({ id: 'U0ALICE01', name: 'Alice', email: 'alice@example.com', tz: 'Europe/London' });
intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });

/** Conversations whose close write (POST /conversations/{id}/parts, message_type close) has arrived. */
const closed = new Set<string>();
const CLOSE_PATH = /^\/conversations\/([^/]+)\/parts$/;

/** Moves the close writes out of the request log, which is otherwise emptied to keep this process's memory flat. */
function drainRequests() {
  for (const r of intercom.requests) {
    const id = r.method === 'POST' ? CLOSE_PATH.exec(r.path)?.[1] : undefined;
    if (id && (r.body as { message_type?: string } | undefined)?.message_type === 'close') closed.add(id);
  }
  intercom.requests.length = 0;
}

/** Top-level messages in the channel (the cards), by the conversation their Close button acts on. */
function cards() {
  const byConversation = new Map<string, { ts: string; text: string; blocks: unknown[] }>();
  for (const m of slack.messages) {
    if (m.channel !== CHANNEL || m.threadTs !== undefined) continue;
    const id = /"action_id":"close:([^"]+)"/.exec(JSON.stringify(m.blocks))?.[1];
    if (id && !byConversation.has(id)) byConversation.set(id, { ts: m.ts, text: m.text, blocks: m.blocks });
  }
  return byConversation;
}

type Message =
  | { type: 'seed'; count: number }
  | { type: 'cards'; ids?: string[] }
  | { type: 'slow-writes'; ms: number }
  | { type: 'closes'; ids: string[] }
  | { type: 'close' };

process.on('message', async (message: Message) => {
  if (message.type === 'seed') {
    const contact = intercom.addContact({ email: 'dana@acme.test', name: 'Dana' });
    // an hour old, so the bridge's start-up catch-up leaves them to the webhooks
    const createdAt = Math.floor(Date.now() / 1000) - 3600;
    const ids = Array.from({ length: message.count }, (_, i) =>
      String(intercom.addConversation({ contactId: String(contact.id), subject: `Ack bench ${i}`, createdAt }).id),
    );
    process.send?.({ type: 'seeded', ids });
  } else if (message.type === 'cards') {
    drainRequests();
    const all = cards();
    const wanted = message.ids?.flatMap((id) => {
      const card = all.get(id);
      return card ? [{ id, ...card }] : [];
    });
    process.send?.({ type: 'cards', count: all.size, cards: wanted ?? [] });
  } else if (message.type === 'slow-writes') {
    intercom.latencyMs = (req) => (req.method === 'POST' ? message.ms : 0);
    process.send?.({ type: 'slow-writes' });
  } else if (message.type === 'closes') {
    drainRequests();
    process.send?.({ type: 'closes', count: message.ids.filter((id) => closed.has(id)).length });
  } else if (message.type === 'close') {
    await intercom.close();
    await slack.close();
    process.exit(0);
  }
});

announceReady(intercom, slack);
