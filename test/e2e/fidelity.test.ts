import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.ts';

// Who did what, told truthfully, through the running bridge: Fin's conversations (shown, or held until a person has
// them) and the files customers send, copied into the card's thread since Intercom's links expire.

let h: Harness | undefined;
let files: Server | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
  await new Promise((resolve) => (files ? files.close(resolve) : resolve(undefined)));
  files = undefined;
});

/** A customer's conversation Fin is answering: Intercom's participation flag, and Fin's reply as a bot part. */
function finConversation(harness: Harness) {
  const contact = harness.intercom.addContact({ email: 'dana@acme.test', name: 'Dana Customer' });
  const conversation = harness.intercom.addConversation({ contactId: String(contact.id), body: '<p>Refund?</p>' });
  const id = String(conversation.id);
  conversation.ai_agent_participated = true;
  conversation.ai_agent = { source_type: 'workflow', resolution_state: null };
  harness.intercom.addPart(id, {
    part_type: 'comment',
    body: '<p>Refunds take 5 days.</p>',
    author: { type: 'bot', id: '1', name: 'Fin', from_ai_agent: true, is_ai_answer: true },
  });
  return { id, conversation };
}

/** Fin hands over: the conversation is assigned to a team, as Intercom records it. */
function handOver(harness: Harness, id: string, conversation: Record<string, unknown>) {
  conversation.team_assignee_id = TEAM;
  conversation.ai_agent = { source_type: 'workflow', resolution_state: 'escalated' };
  harness.intercom.addPart(id, { part_type: 'assignment', assigned_to: { type: 'team', id: TEAM } });
}

const TEAM = '5501';
/** The workspace's teams, known to the bridge from its start. */
const seed = { seed: (intercom: Harness['intercom']) => intercom.addTeam({ name: 'Billing', id: TEAM }) };

describe('Fin', () => {
  it('FIN_CONVERSATIONS=show: the card says Fin is handling it, until a person has it', async () => {
    h = await Harness.start(seed);
    const harness = h;
    const { id, conversation } = finConversation(harness);
    await harness.webhook(harness.notification('conversation.user.created', { type: 'conversation', id }));
    await harness.drained();
    const [card] = harness.cards();
    expect(JSON.stringify(card?.blocks)).toContain('🤖 Fin is handling it');
    expect(harness.threadOf(card?.ts ?? '').map((m) => m.text)).toEqual(['🤖 *Fin* replied:\nRefunds take 5 days.']);

    handOver(harness, id, conversation);
    await harness.webhook(harness.notification('conversation.admin.assigned', { type: 'conversation', id }));
    await harness.drained();
    expect(JSON.stringify(harness.cards()[0]?.blocks)).not.toContain('Fin is handling');
    expect(JSON.stringify(harness.cards()[0]?.blocks)).toContain('👤 Billing');
  });

  it('FIN_CONVERSATIONS=handoff: no card while Fin answers; at the handoff, the card, with what Fin said', async () => {
    h = await Harness.start({ ...seed, env: { FIN_CONVERSATIONS: 'handoff' } });
    const harness = h;
    const { id, conversation } = finConversation(harness);
    expect(
      (await harness.webhook(harness.notification('conversation.user.created', { type: 'conversation', id }))).status,
    ).toBe(200);
    await harness.drained();
    expect(harness.cards()).toEqual([]);
    expect(await harness.bridge?.store.getCard(id)).toBeUndefined();

    handOver(harness, id, conversation);
    await harness.webhook(harness.notification('conversation.admin.assigned', { type: 'conversation', id }));
    await harness.drained();
    const [card] = harness.cards();
    expect(card?.text).toBe('New conversation from Dana Customer: Refund?');
    expect(harness.threadOf(card?.ts ?? '').map((m) => m.text.split('\n')[0])).toEqual([
      '🤖 *Fin* replied:',
      '👤 *Someone* assigned the conversation to *Billing*',
    ]);
  });
});

/**
 * An attachment host on loopback that serves `bytes` for any path and counts what it was asked; with `held`, it
 * answers only once that promise settles (a slow host).
 */
async function attachmentHost(
  bytes: Buffer,
  held?: Promise<unknown>,
): Promise<{ url: (name: string) => string; hits: string[] }> {
  const hits: string[] = [];
  files = createServer(async (req, res) => {
    hits.push(req.url ?? '');
    await held;
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length });
    res.end(bytes);
  });
  await new Promise<void>((resolve) => files?.listen(0, '127.0.0.1', resolve));
  const { port } = files.address() as AddressInfo;
  return { url: (name) => `http://127.0.0.1:${port}/${name}?expires=1700000000&signature=abc`, hits };
}

describe('files a customer sends', () => {
  const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

  async function customerReplyWithFiles(
    env: Record<string, string>,
    attachments: (url: (n: string) => string) => unknown[],
  ) {
    const host = await attachmentHost(PNG);
    h = await Harness.start({ env: { ATTACHMENT_HOSTS: '127.0.0.1', ...env } });
    const harness = h;
    const contact = harness.intercom.addContact({ email: 'dana@acme.test', name: 'Dana Customer' });
    const conversation = harness.intercom.addConversation({ contactId: String(contact.id) });
    const id = String(conversation.id);
    await harness.webhook(harness.notification('conversation.user.created', { type: 'conversation', id }));
    await harness.drained();
    harness.intercom.addPart(id, {
      part_type: 'comment',
      body: '<p>Here is the screenshot</p>',
      author: { type: 'user', id: String(contact.id), name: 'Dana Customer' },
      attachments: attachments(host.url),
    });
    await harness.webhook(harness.notification('conversation.user.replied', { type: 'conversation', id }));
    await harness.drained();
    return { harness, host, id, card: harness.cards()[0] };
  }

  it('are uploaded into the card’s thread, once, with their bytes', async () => {
    const { harness, host, id, card } = await customerReplyWithFiles({}, (url) => [
      { type: 'upload', name: 'screen.png', url: url('screen.png'), content_type: 'image/png', filesize: PNG.length },
    ]);
    expect(harness.slack.sharedFiles.map((f) => [f.filename, f.threadTs, f.bytes?.equals(PNG)])).toEqual([
      ['screen.png', card?.ts, true],
    ]);
    expect(host.hits).toEqual(['/screen.png?expires=1700000000&signature=abc']);
    // a later event for the conversation does not copy it again
    await harness.webhook(harness.notification('conversation.admin.noted', { type: 'conversation', id }));
    await harness.bridge?.catchUp.run();
    await harness.drained();
    expect(harness.slack.sharedFiles).toHaveLength(1);
    expect(host.hits).toHaveLength(1);
  });

  it('over ATTACHMENT_MAX_BYTES, or on a host not allowed, keep only their link', async () => {
    const { harness, host, card } = await customerReplyWithFiles({ ATTACHMENT_MAX_BYTES: '8' }, (url) => [
      { type: 'upload', name: 'big.png', url: url('big.png') },
      { type: 'upload', name: 'elsewhere.png', url: 'https://evil.example/elsewhere.png' },
    ]);
    expect(harness.slack.sharedFiles).toEqual([]);
    expect(host.hits).toEqual(['/big.png?expires=1700000000&signature=abc']);
    const line = harness.threadOf(card?.ts ?? '').at(-1);
    expect(JSON.stringify(line?.blocks)).toContain('|big.png>');
    expect(JSON.stringify(line?.blocks)).toContain('|elsewhere.png>');
    // the signed URL's token never reaches a log line
    expect(JSON.stringify(harness.sink.lines())).not.toContain('signature=abc');
  });

  it('copy in a queue of their own: a slow file holds up no other conversation’s card', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const host = await attachmentHost(PNG, held);
    // two workers, three conversations each with a slow file: copies waiting in the syncs would take both
    h = await Harness.start({ env: { ATTACHMENT_HOSTS: '127.0.0.1' }, worker: { concurrency: 2 } });
    const harness = h;
    for (const n of [1, 2, 3]) {
      const slow = harness.intercom.addConversation({});
      harness.intercom.addPart(String(slow.id), {
        part_type: 'comment',
        body: '<p>screenshot</p>',
        author: { type: 'user', id: 'u1', name: 'Dana Customer' },
        attachments: [{ type: 'upload', name: `slow-${n}.png`, url: host.url(`slow-${n}.png`) }],
      });
      await harness.webhook(
        harness.notification('conversation.user.created', { type: 'conversation', id: String(slow.id) }),
      );
    }
    await harness.eventually(() => expect(host.hits).toHaveLength(1));
    const next = harness.intercom.addConversation({ subject: 'Meanwhile' });
    await harness.webhook(
      harness.notification('conversation.user.created', { type: 'conversation', id: String(next.id) }),
    );
    await harness.eventually(() =>
      expect(harness.cards().map((c) => c.text)).toContain('New conversation from an unknown contact: Meanwhile'),
    );
    expect(harness.slack.sharedFiles).toEqual([]);
    expect(host.hits).toHaveLength(1); // one file at a time
    release();
    await harness.eventually(() =>
      expect(harness.slack.sharedFiles.map((f) => f.filename).sort()).toEqual([
        'slow-1.png',
        'slow-2.png',
        'slow-3.png',
      ]),
    );
  });

  it('FILES=link: nothing is downloaded or uploaded', async () => {
    const { harness, host } = await customerReplyWithFiles({ FILES: 'link' }, (url) => [
      { type: 'upload', name: 'screen.png', url: url('screen.png') },
    ]);
    expect(harness.slack.sharedFiles).toEqual([]);
    expect(host.hits).toEqual([]);
  });
});
