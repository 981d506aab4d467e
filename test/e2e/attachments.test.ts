import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeIntercom } from '../support/fake-intercom.ts';
import { BOT_ID, BOT_USER_ID, type FakeSlack } from '../support/fake-slack.ts';
import { CHANNEL, Harness } from '../support/harness.ts';

// Files a teammate attaches in Slack reach Intercom with the reply or note, over real HTTP: signed submissions
// and events into the running bridge, the file fetched from the fake Slack with the bot token, and the reply
// or note in the fake Intercom carrying it as attachment_files.

const ALICE = 'U0ALICE01'; // alice@example.com → Intercom admin 991 (added by the harness)

let h: Harness;
let foreign: Server | undefined;

function seed(_intercom: FakeIntercom, slack: FakeSlack) {
  slack.addUser({ id: ALICE, name: 'Alice', email: 'alice@example.com' });
}

afterEach(async () => {
  await h.stop();
  foreign?.close();
  foreign = undefined;
});

async function conversationWithCard(): Promise<{ id: string; ts: string }> {
  const id = String(h.intercom.addConversation({ subject: 'Broken invoice' }).id);
  await h.webhook(h.notification('conversation.user.created', { type: 'conversation', id }));
  const card = await h.eventually(async () => {
    const found = await h.bridge?.store.getCard(id);
    if (!found) throw new Error('no card yet');
    return found;
  });
  await h.drained();
  return { id, ts: card.ts };
}

const replies = (id: string) =>
  h.intercom.requests.filter((r) => r.method === 'POST' && r.path === `/conversations/${id}/reply`);
const bodyOf = (r: { body: unknown }) => r.body as Record<string, unknown>;
const base64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

/** A modal submission's inputs: the message typed, and the files attached in its file input. */
const typedWithFiles = (text: string, files: unknown[]) => ({
  message: { message: { type: 'plain_text_input', value: text } },
  files: { files: { type: 'file_input', files } },
});

/** A person's reply with files in the card's thread, as Slack sends a file share. */
function fileShare(card: { ts: string }, files: unknown[], fields: Record<string, unknown> = {}) {
  const ts = `${Number(card.ts.split('.')[0]) + 7}.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
  return {
    type: 'message',
    subtype: 'file_share',
    channel: CHANNEL,
    channel_type: 'channel',
    user: ALICE,
    text: '',
    files,
    upload: false,
    display_as_bot: false,
    ts,
    thread_ts: card.ts,
    parent_user_id: BOT_USER_ID,
    event_ts: ts,
    ...fields,
  };
}

async function ephemeralTo(user: string) {
  return h.eventually(() => {
    const e = h.slack.ephemerals.find((x) => x.user === user);
    if (!e) throw new Error('no ephemeral yet');
    return e;
  });
}

describe('files attached in the Reply and Note modals', () => {
  it('a reply with a file: Intercom gets the file’s bytes as attachment_files, fetched with the bot token', async () => {
    h = await Harness.start({ seed });
    const card = await conversationWithCard();
    const pdf = Buffer.from('%PDF-1.4 invoice 42\n');
    const file = h.slack.addFile({ name: 'invoice.pdf', content: pdf, mimetype: 'application/pdf' });
    await h.click(ALICE, card.id, 'reply');
    const view = await h.openedView('triage_reply');
    expect(JSON.stringify(view.blocks)).toContain('"type":"file_input"');

    const answer = await h.submit(ALICE, view, typedWithFiles('Here is the corrected invoice', [file]));
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
    await h.eventually(() => expect(replies(card.id)).toHaveLength(1));
    expect(bodyOf(replies(card.id)[0] as never)).toEqual({
      message_type: 'comment',
      type: 'admin',
      admin_id: '991',
      body: '<p>Here is the corrected invoice</p>',
      attachment_files: [{ content_type: 'application/pdf', data: base64(pdf), name: 'invoice.pdf' }],
    });
    expect(h.slack.fileDownloads).toEqual([{ id: file.id, authorized: true }]);
    // the card's thread shows the reply once, as after any reply
    await h.eventually(() =>
      expect(h.threadOf(card.ts).filter((m) => m.text.includes('replied to the customer'))).toHaveLength(1),
    );
    await h.drained();
    expect(h.slack.ephemerals).toEqual([]);
  });

  it('a note with two files; a modal without files still goes straight to Intercom, as before', async () => {
    h = await Harness.start({ seed });
    const card = await conversationWithCard();
    const log = h.slack.addFile({ name: 'server.log', content: 'boom at 12:00', mimetype: 'text/plain' });
    const png = h.slack.addFile({ name: 'screen.png', content: Buffer.from([137, 80, 78, 71]), mimetype: 'image/png' });
    await h.click(ALICE, card.id, 'note');
    await h.submit(ALICE, await h.openedView('triage_note'), typedWithFiles('Logs & a screenshot', [log, png]));
    await h.eventually(() => expect(replies(card.id)).toHaveLength(1));
    expect(bodyOf(replies(card.id)[0] as never)).toMatchObject({
      message_type: 'note',
      body: '<p>Logs &amp; a screenshot</p>',
      attachment_files: [
        { content_type: 'text/plain', data: base64('boom at 12:00'), name: 'server.log' },
        { content_type: 'image/png', data: base64(Buffer.from([137, 80, 78, 71])), name: 'screen.png' },
      ],
    });

    await h.click(ALICE, card.id, 'note');
    const views = [...h.slack.views.values()].filter((v) => v.callback_id === 'triage_note');
    await h.submit(ALICE, views.at(-1) as Record<string, unknown>, {
      message: { message: { type: 'plain_text_input', value: 'No files' } },
      files: { files: { type: 'file_input', files: [] } },
    });
    await h.eventually(() => expect(replies(card.id)).toHaveLength(2));
    expect(bodyOf(replies(card.id)[1] as never)).toEqual({
      message_type: 'note',
      type: 'admin',
      admin_id: '991',
      body: '<p>No files</p>',
    });
  });

  it('a file input that does not hold files is refused on its field, and nothing is sent', async () => {
    h = await Harness.start({ seed });
    const card = await conversationWithCard();
    await h.click(ALICE, card.id, 'reply');
    const view = await h.openedView('triage_reply');
    for (const files of ['F1', [{ name: 'no id' }], [null], { id: 'F1' }]) {
      const answer = await h.submit(ALICE, view, typedWithFiles('Hello', files as unknown[]));
      expect(JSON.parse(answer.body), JSON.stringify(files)).toEqual({
        response_action: 'errors',
        errors: { files: 'The files could not be read; attach them again.' },
      });
    }
    await h.drained();
    expect(replies(card.id)).toEqual([]);
  });

  it('a file on a host other than Slack’s is not fetched: the note goes, naming it, and its sender is told', async () => {
    h = await Harness.start({ seed });
    const card = await conversationWithCard();
    const hits: string[] = [];
    foreign = createServer((req, res) => {
      hits.push(String(req.url));
      res.end('secret');
    });
    foreign.listen(0, '127.0.0.1');
    await once(foreign, 'listening');
    const port = (foreign.address() as AddressInfo).port;
    const real = h.slack.addFile({ name: 'ok.txt', content: 'fine', mimetype: 'text/plain' });
    // same loopback machine, by another name: not the host SLACK_API_URL names
    const planted = { ...real, id: 'F0PLANTED1', name: 'evil.txt', url_private_download: `http://localhost:${port}/x` };
    await h.click(ALICE, card.id, 'note');
    await h.submit(ALICE, await h.openedView('triage_note'), typedWithFiles('Two files', [planted, real]));
    await h.eventually(() => expect(replies(card.id)).toHaveLength(1));
    const body = bodyOf(replies(card.id)[0] as never);
    expect(body.attachment_files).toEqual([{ content_type: 'text/plain', data: base64('fine'), name: 'ok.txt' }]);
    expect(body.body).toBe('<p>Two files</p><p><em>Not attached: evil.txt (not a file on Slack’s file host)</em></p>');
    const told = await ephemeralTo(ALICE);
    expect(told.channel).toBe(CHANNEL);
    expect(told.text).toContain('Your note was added, but this file was not attached: evil.txt');
    expect(hits).toEqual([]);
    expect(h.slack.fileDownloads.map((d) => d.id)).toEqual([real.id]);
  });
});

describe('a file shared in a card’s thread', () => {
  it('becomes a note with the file, even without text, confirmed with 📝; a retried event makes one note', async () => {
    h = await Harness.start({ seed });
    const card = await conversationWithCard();
    const csv = h.slack.addFile({ name: 'export.csv', content: 'a,b\n1,2\n', mimetype: 'text/csv' });
    const event = fileShare(card, [csv]);
    expect((await h.slackEvent(event, { eventId: 'EvFILE1' })).status).toBe(200);
    expect((await h.slackEvent(event, { eventId: 'EvFILE1', retryNum: 1 })).status).toBe(200);
    await h.eventually(() => expect(h.slack.reactions).toEqual([{ channel: CHANNEL, ts: event.ts, name: 'memo' }]));
    await h.drained();
    expect(replies(card.id).map(bodyOf)).toEqual([
      {
        message_type: 'note',
        type: 'admin',
        admin_id: '991',
        body: '<p>export.csv</p>',
        attachment_files: [{ content_type: 'text/csv', data: base64('a,b\n1,2\n'), name: 'export.csv' }],
      },
    ]);
    // Intercom's echo of the note does not come back into the thread
    await h.webhook(h.notification('conversation.admin.noted', { type: 'conversation', id: card.id }));
    await h.drained();
    expect(h.threadOf(card.ts).filter((m) => m.text.includes('added a note'))).toEqual([]);
  });

  it('over ATTACHMENT_MAX_BYTES: the note goes with the files that fit, names the one that did not, tells its sender', async () => {
    h = await Harness.start({ seed, env: { ATTACHMENT_MAX_BYTES: '1000' } });
    const card = await conversationWithCard();
    const small = h.slack.addFile({ name: 'small.txt', content: 'x'.repeat(400), mimetype: 'text/plain' });
    const big = h.slack.addFile({ name: 'big.bin', content: Buffer.alloc(5000, 1) });
    // a size that lies is caught while the bytes arrive
    const liar = { ...h.slack.addFile({ name: 'liar.bin', content: Buffer.alloc(3000, 2) }), size: 10 };
    const event = fileShare(card, [small, big, liar], { text: 'Three files' });
    await h.slackEvent(event);
    await h.eventually(() => expect(h.slack.reactions).toEqual([{ channel: CHANNEL, ts: event.ts, name: 'memo' }]));
    const body = bodyOf(replies(card.id)[0] as never);
    expect(body.attachment_files).toEqual([
      { content_type: 'text/plain', data: base64('x'.repeat(400)), name: 'small.txt' },
    ]);
    expect(body.body).toBe(
      '<p>Three files</p><p><em>Not attached: big.bin (over the 1 KB a message carries), ' +
        'liar.bin (over the 1 KB a message carries)</em></p>',
    );
    const told = await ephemeralTo(ALICE);
    expect(told.threadTs).toBe(card.ts);
    expect(told.text).toContain('these files were not attached: big.bin (over the 1 KB a message carries)');
    expect(told.text).toContain('liar.bin');
    // the big one was never fetched: its size said so
    expect(h.slack.fileDownloads.map((d) => d.id)).toEqual([small.id, liar.id]);
  });

  it('the bot’s own file shares (its uploads into threads) and other apps’ are ignored: no note, nothing fetched', async () => {
    h = await Harness.start({ seed });
    const card = await conversationWithCard();
    const file = h.slack.addFile({
      name: 'from-intercom.png',
      content: 'png',
      mimetype: 'image/png',
      user: BOT_USER_ID,
    });
    const own = fileShare(card, [file], { user: BOT_USER_ID, bot_id: BOT_ID });
    const ownNoBotId = fileShare(card, [file], { user: BOT_USER_ID });
    const otherApp = fileShare(card, [file], { user: 'U0OTHERBT', bot_id: 'B0OTHER01' });
    const edit = fileShare(card, [file], { subtype: 'message_changed' });
    for (const event of [own, ownNoBotId, otherApp, edit]) expect((await h.slackEvent(event)).status).toBe(200);
    await h.eventually(() =>
      expect(
        h.sink
          .lines()
          .filter((l) => l.msg === 'Slack message ignored')
          .map((l) => [l.ts, l.reason]),
      ).toEqual(
        expect.arrayContaining([
          [otherApp.ts, 'not written by a person'],
          [edit.ts, 'subtype message_changed'],
        ]),
      ),
    );
    // control: a person's file share in the same thread does become a note
    const mine = h.slack.addFile({ name: 'mine.txt', content: 'hi', mimetype: 'text/plain' });
    const control = fileShare(card, [mine]);
    await h.slackEvent(control);
    await h.eventually(() => expect(h.slack.reactions.map((r) => r.ts)).toEqual([control.ts]));
    await h.drained();
    expect(replies(card.id)).toHaveLength(1);
    expect(h.slack.fileDownloads.map((d) => d.id)).toEqual([mine.id]);
  });
});
