import { FakeIntercom } from '../../test/support/fake-intercom.ts';
import { FakeSlack } from '../../test/support/fake-slack.ts';
import { serveFakes } from './processes.ts';

// Fake Intercom and fake Slack for the abuse benchmark (bench/abuse.ts), in a process of their own and driven over
// IPC (Rpc in processes.ts): a support channel, a teammate who may click (Slack user and Intercom admin sharing an
// email), conversations made on request; the cards the bridge posted (one per conversation, or doubled), and the
// close writes its clicks made. The request logs of both fakes are emptied as the run goes, to keep this
// process's memory flat.

const CHANNEL = 'C0SUPPORT1';
const intercom = await FakeIntercom.start();
const slack = await FakeSlack.start();
slack.addChannel({ id: CHANNEL, name: 'support' });
slack.addUser({ id: 'U0ALICE01', name: 'Alice', email: 'alice@example.com', tz: 'Europe/London' });
intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
const contact = intercom.addContact({ email: 'dana@acme.test', name: 'Dana' });

/** The first card of each conversation (by the conversation its Reply button acts on), and how many more. */
const cards = new Map<string, { ts: string; text: string; blocks: unknown[] }>();
const extraCards = new Map<string, number>();
let scanned = 0;
const CARD_ID = /"action_id":"reply:([^"]+)"/;

function scanCards() {
  for (; scanned < slack.messages.length; scanned++) {
    const m = slack.messages[scanned];
    if (!m || m.channel !== CHANNEL || m.threadTs !== undefined) continue;
    const id = CARD_ID.exec(JSON.stringify(m.blocks))?.[1];
    if (!id) continue;
    if (cards.has(id)) extraCards.set(id, (extraCards.get(id) ?? 0) + 1);
    else cards.set(id, { ts: m.ts, text: m.text, blocks: m.blocks });
  }
}

/** Conversations whose close write (POST /conversations/{id}/parts, message_type close) has arrived. */
const closed = new Set<string>();
const CLOSE_PATH = /^\/conversations\/([^/]+)\/parts$/;

function drainRequests() {
  for (const r of intercom.requests) {
    const id = r.method === 'POST' ? CLOSE_PATH.exec(r.path)?.[1] : undefined;
    if (id && (r.body as { message_type?: string } | undefined)?.message_type === 'close') closed.add(id);
  }
  intercom.requests.length = 0;
  slack.calls.length = 0;
  slack.responses.length = 0;
}

serveFakes({ intercom, slack }, async (message) => {
  switch (message.type) {
    case 'seed': {
      // an hour old, so the bridge's start-up catch-up leaves them to the webhooks
      const createdAt = Math.floor(Date.now() / 1000) - 3600;
      const ids = Array.from({ length: Number(message.count) }, (_, i) =>
        String(intercom.addConversation({ contactId: String(contact.id), subject: `Abuse bench ${i}`, createdAt }).id),
      );
      return { ids };
    }
    case 'cards': {
      // of the conversations `ids`: how many have a card, how many cards too many; the cards of `detail`
      scanCards();
      drainRequests();
      const ids = message.ids as string[];
      const detail = (message.detail as string[] | undefined) ?? [];
      return {
        posted: ids.filter((id) => cards.has(id)).length,
        doubled: ids.reduce((sum, id) => sum + (extraCards.get(id) ?? 0), 0),
        cards: detail.flatMap((id) => {
          const card = cards.get(id);
          return card ? [{ id, ...card }] : [];
        }),
      };
    }
    case 'closes': {
      drainRequests();
      return { count: (message.ids as string[]).filter((id) => closed.has(id)).length };
    }
    default:
      return undefined;
  }
});
