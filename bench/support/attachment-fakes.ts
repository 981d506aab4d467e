import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeIntercom } from '../../test/support/fake-intercom.ts';
import { FakeSlack } from '../../test/support/fake-slack.ts';
import { serveFakes } from './processes.ts';

// Fake Intercom, fake Slack and a loopback attachment host for the attachments benchmark (bench/attachments.ts),
// in a process of their own and driven over IPC (Rpc in processes.ts). The attachment host serves the same
// SIZE-byte file under any path; the driver asks for conversations, customer replies carrying one file each, and
// what reached Slack: cards (with the time each was posted), thread lines naming a file, and the files shared
// into threads, each checked against the bytes served. The checked bytes are then dropped, and the request logs
// of both fakes emptied, so that this process holds at most the files still in flight.

const CHANNEL = 'C0BENCH01';
const SIZE = Number(process.env.BENCH_FILE_BYTES ?? 20 * 1024 * 1024);
const intercom = await FakeIntercom.start();
const slack = await FakeSlack.start();
slack.addChannel({ id: CHANNEL, name: 'bench' });
intercom.addAdmin({ name: 'Alice', email: 'alice@example.com', id: '991' });
const contact = intercom.addContact({ email: 'dana@acme.test', name: 'Dana' });

// the file: not all zeros, so that a copy which lost or reordered chunks does not compare equal
const FILE = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i += 4096) FILE.writeUInt32LE(i, i);
const hits = new Map<string, number>();
const files = createServer((req, res) => {
  hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': FILE.length });
  res.end(FILE);
});
await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
const filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;

/** When each card (a top-level message with the conversation's Reply button) was posted, by conversation. */
const cardPostedAt = new Map<string, number>();
let duplicateCards = 0;
slack.onCall = (call) => {
  if (call.method !== 'chat.postMessage' || call.args.thread_ts !== undefined) return;
  const id = /"action_id":"reply:([^"]+)"/.exec(JSON.stringify(call.args.blocks))?.[1];
  if (!id) return;
  if (cardPostedAt.has(id)) duplicateCards += 1;
  else cardPostedAt.set(id, call.at);
};

/** Card ts → conversation, read from the posted messages as they come. */
const conversationOfCard = new Map<string, string>();
/** Thread lines that name a benchmark file, by conversation. */
const fileLines = new Map<string, number>();
let scanned = 0;
function scanMessages() {
  for (; scanned < slack.messages.length; scanned++) {
    const m = slack.messages[scanned];
    if (!m) continue;
    if (m.threadTs === undefined) {
      const id = /"action_id":"reply:([^"]+)"/.exec(JSON.stringify(m.blocks))?.[1];
      if (id) conversationOfCard.set(m.ts, id);
      continue;
    }
    const id = conversationOfCard.get(m.threadTs);
    if (id && JSON.stringify(m.blocks).includes('bench-file-')) fileLines.set(id, (fileLines.get(id) ?? 0) + 1);
  }
}

/** Files shared into threads, by conversation, and those whose bytes were not the ones served. */
const sharedFiles = new Map<string, number>();
const counted = new Set<string>();
let wrongBytes = 0;
function scanUploads() {
  for (const upload of slack.uploads.values()) {
    if (upload.channel === undefined || counted.has(upload.id)) continue;
    counted.add(upload.id);
    if (!upload.bytes?.equals(FILE)) wrongBytes += 1;
    // checked: the bytes can go (40 copies of 20 MiB would otherwise stay in this process)
    upload.bytes = undefined;
    const id = conversationOfCard.get(upload.threadTs ?? '') ?? `unknown thread ${upload.threadTs}`;
    sharedFiles.set(id, (sharedFiles.get(id) ?? 0) + 1);
  }
}

function forget() {
  slack.calls.length = 0;
  slack.responses.length = 0;
  intercom.requests.length = 0;
}

serveFakes({ intercom, slack, closeAlso: () => files.close() }, async (message) => {
  switch (message.type) {
    case 'seed': {
      // an hour old, so the bridge's start-up catch-up leaves them to the webhooks
      const createdAt = Math.floor(Date.now() / 1000) - 3600;
      const ids = Array.from({ length: Number(message.count) }, (_, i) =>
        String(
          intercom.addConversation({
            contactId: String(contact.id),
            subject: `${String(message.prefix)} ${i}`,
            body: `<p>Hello, ${String(message.prefix)} ${i} here.</p>`,
            createdAt,
          }).id,
        ),
      );
      return { ids };
    }
    case 'attach': {
      // the customer replies with one file, as the driver is about to announce with conversation.user.replied
      for (const id of message.ids as string[]) {
        const name = `bench-file-${id}.bin`;
        intercom.addPart(id, {
          part_type: 'comment',
          body: '<p>Here is the export you asked for.</p>',
          author: { type: 'user', id: String(contact.id), name: 'Dana', email: 'dana@acme.test' },
          attachments: [
            {
              type: 'upload',
              name,
              // signed and expiring, like Intercom's attachment links
              url: `${filesUrl}/${name}?expires=1700000000&signature=abc`,
              content_type: 'application/octet-stream',
              filesize: SIZE,
            },
          ],
        });
      }
      return {};
    }
    case 'progress': {
      scanMessages();
      scanUploads();
      forget();
      const ids = (message.ids as string[] | undefined) ?? [];
      return {
        cards: cardPostedAt.size,
        duplicateCards,
        cardPostedAt: Object.fromEntries(
          ids.flatMap((id) => (cardPostedAt.has(id) ? [[id, cardPostedAt.get(id)]] : [])),
        ),
        lines: [...fileLines.values()].reduce((sum, n) => sum + n, 0),
        shared: [...sharedFiles.values()].reduce((sum, n) => sum + n, 0),
      };
    }
    case 'report': {
      scanMessages();
      scanUploads();
      forget();
      const ids = message.ids as string[];
      const shared = ids.map((id) => sharedFiles.get(id) ?? 0);
      const lines = ids.map((id) => fileLines.get(id) ?? 0);
      return {
        filesShared: shared.filter((n) => n === 1).length,
        filesLost: shared.filter((n) => n === 0).length,
        filesDoubled: shared.filter((n) => n > 1).length,
        filesElsewhere: [...sharedFiles.keys()].filter((id) => !ids.includes(id)).length,
        wrongBytes,
        linesMissing: lines.filter((n) => n === 0).length,
        linesDoubled: lines.filter((n) => n > 1).length,
        downloads: [...hits.values()].reduce((sum, n) => sum + n, 0),
        downloadedTwice: [...hits.values()].filter((n) => n > 1).length,
        duplicateCards,
      };
    }
    default:
      return undefined;
  }
});
