import { FakeIntercom } from '../../test/support/fake-intercom.ts';
import { FakeSlack } from '../../test/support/fake-slack.ts';
import { serveFakes } from './processes.ts';

// Fake Intercom and fake Slack for the soak benchmark (bench/soak.ts), in a process of their own and driven over
// IPC (Rpc in processes.ts): a support channel, a teammate who may click (Slack user and Intercom admin sharing
// an email), contacts, tags and articles to search; conversations and customer replies made on request; the
// cards the bridge posted, handed to the driver as they appear; and, at the end, what arrived in Slack.
// The request logs of both fakes are emptied as the run goes, so that this process's memory stays flat.

const CHANNEL = 'C0SUPPORT1';
const ADMIN_ID = '991';
const intercom = await FakeIntercom.start();
const slack = await FakeSlack.start();
slack.addChannel({ id: CHANNEL, name: 'support' });
slack.addUser({ id: 'U0ALICE01', name: 'Alice', email: 'alice@example.com', tz: 'Europe/London' });
intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: ADMIN_ID });

const FIRST = ['Dana', 'Ravi', 'Mei', 'Tomasz', 'Aisha', 'Lucas', 'Ingrid', 'Kofi', 'Sofia', 'Hiro'];
const LAST = ['Whitfield', 'Okafor', 'Lindqvist'];
const contacts = FIRST.flatMap((first, i) =>
  LAST.map((last, j) =>
    String(
      intercom.addContact({
        name: `${first} ${last}`,
        email: `${first}.${last}@customer${(i + j) % 4}.test`.toLowerCase(),
        last_seen_at: Math.floor(Date.now() / 1000) - 3600 * (i + j),
      }).id,
    ),
  ),
);
const TAGS = ['billing', 'bug', 'vip', 'onboarding', 'refund'];
for (const name of TAGS) intercom.addTag(name);
const ARTICLES = [
  ['Reset your password', 'Use the link on the sign-in page to reset a forgotten password.'],
  ['Update billing details', 'Change the card or the billing address of your account.'],
  ['Download invoices', 'Every invoice is in Settings, Billing, Invoices.'],
  ['Invite your team', 'Teammates join from an invite link; admins choose their role.'],
  ['Export your data', 'Exports are CSV files, mailed when ready.'],
  ['Two-factor sign-in', 'Turn on two-factor authentication to protect your account.'],
  ['Cancel a subscription', 'Cancel any time; the plan runs to the end of the billing period.'],
  ['Request a refund', 'Refunds go back to the card within ten days.'],
  ['Connect the API', 'Create a token, then call the API with it.'],
  ['Delete your account', 'Deleting the account removes all its data for good.'],
  ['Draft: new pricing', 'Not published yet.', 'draft'],
] as const;
for (const [title, body, state] of ARTICLES) intercom.addArticle({ title, body, state: state ?? 'published' });

/** Top-level messages in the channel (the cards) in order, and duplicates: a second card for a conversation. */
const cards: Array<{ id: string; ts: string; text: string; blocks: unknown[] }> = [];
const cardOf = new Map<string, string>();
let duplicateCards = 0;
let scanned = 0;
const CARD_ID = /"action_id":"reply:([^"]+)"/;

function scanCards() {
  for (; scanned < slack.messages.length; scanned++) {
    const m = slack.messages[scanned];
    if (!m || m.channel !== CHANNEL || m.threadTs !== undefined) continue;
    const id = CARD_ID.exec(JSON.stringify(m.blocks))?.[1];
    if (!id) continue;
    if (cardOf.has(id)) duplicateCards += 1;
    else {
      cardOf.set(id, m.ts);
      cards.push({ id, ts: m.ts, text: m.text, blocks: m.blocks });
    }
  }
}

/** Answers on response URLs, by id: kept as counts, the bodies dropped. */
const responses = new Map<string, number>();
function forget() {
  for (const r of slack.responses) responses.set(r.id, (responses.get(r.id) ?? 0) + 1);
  slack.responses.length = 0;
  slack.calls.length = 0;
  intercom.requests.length = 0;
}

/** Thread lines of the cards: the reply markers (SOAK-R000123) they carry, with the thread each is in. */
function threadReport(replies: Array<{ conversationId: string; marker: string }>) {
  const seen = new Map<string, string[]>();
  const lines = { close: 0, open: 0 };
  for (const m of slack.messages) {
    if (m.channel !== CHANNEL || m.threadTs === undefined) continue;
    for (const [marker] of m.text.matchAll(/SOAK-R\d{6}/g)) seen.set(marker, [...(seen.get(marker) ?? []), m.threadTs]);
    if (m.text.includes('closed the conversation')) lines.close += 1;
    if (m.text.includes('reopened the conversation')) lines.open += 1;
  }
  let once = 0;
  let missing = 0;
  let doubled = 0;
  let elsewhere = 0;
  for (const { conversationId, marker } of replies) {
    const threads = seen.get(marker) ?? [];
    if (threads.length === 0) missing += 1;
    else if (threads.length > 1) doubled += 1;
    else if (threads[0] !== cardOf.get(conversationId)) elsewhere += 1;
    else once += 1;
  }
  // the clicks' writes as Intercom holds them: close and open parts by the teammate
  const parts = { close: 0, open: 0 };
  for (const c of intercom.conversations.values()) {
    const list = (c.conversation_parts as { conversation_parts: Array<Record<string, unknown>> }).conversation_parts;
    for (const p of list) {
      const by = (p.author as { id?: string } | null)?.id;
      if (by === ADMIN_ID && (p.part_type === 'close' || p.part_type === 'open')) parts[p.part_type] += 1;
    }
  }
  return { once, missing, doubled, elsewhere, lines, parts };
}

let conversations = 0;

serveFakes(
  {
    intercom,
    slack,
    ready: {
      slackUrl: slack.url,
      contactNames: FIRST,
      articleWords: [
        'password',
        'billing',
        'invoice',
        'team',
        'export',
        'refund',
        'api',
        'account',
        'pricing',
        'zebra',
      ],
    },
  },
  async (message) => {
    switch (message.type) {
      case 'conversation': {
        // a new customer conversation, as the driver is about to announce it with conversation.user.created
        const n = conversations++;
        const contactId = contacts[n % contacts.length] as string;
        const tag = n % 3 === 0 ? [TAGS[n % TAGS.length] as string] : [];
        const conversation = intercom.addConversation({
          contactId,
          subject: `Soak conversation ${n}`,
          body: `<p>Hello, question number ${n}: the export <b>stopped</b> half way. Can you help?</p>`,
          tags: tag,
        });
        return { id: String(conversation.id) };
      }
      case 'reply': {
        // the customer writes again, as the driver is about to announce it with conversation.user.replied
        const id = String(message.conversationId);
        const conversation = intercom.conversations.get(id);
        const author = (conversation?.source as { author?: Record<string, unknown> } | undefined)?.author;
        intercom.addPart(id, {
          part_type: 'comment',
          author: author ?? { type: 'user', id: 'unknown', name: null, email: null },
          body: `<p>Any news? ${String(message.marker)}</p>`,
        });
        return {};
      }
      case 'cards': {
        scanCards();
        forget();
        const from = Number(message.from ?? 0);
        return { cards: cards.slice(from), count: cards.length, duplicates: duplicateCards };
      }
      case 'report': {
        scanCards();
        forget();
        const replies = message.replies as Array<{ conversationId: string; marker: string }>;
        const commandIds = message.commands as string[];
        const answers = commandIds.map((id) => responses.get(id) ?? 0);
        const sent = new Set(message.conversations as string[]);
        return {
          cards: cards.length,
          duplicateCards,
          withoutCard: [...sent].filter((id) => !cardOf.has(id)).length,
          unexpectedCards: cards.filter((c) => !sent.has(c.id)).length,
          threads: threadReport(replies),
          commands: {
            answered: answers.filter((n) => n === 1).length,
            unanswered: answers.filter((n) => n === 0).length,
            answeredTwice: answers.filter((n) => n > 1).length,
          },
          messages: slack.messages.length,
        };
      }
      default:
        return undefined;
    }
  },
);
