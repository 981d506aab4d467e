import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bodyWithFiles,
  FETCH_ALL_MS,
  type Fetched,
  gatherAttachments,
  MAX_ATTACHMENTS,
  missedSentence,
  readFileRefs,
  type SlackFileRef,
  type SlackFiles,
} from '../../src/bridge/attachments.ts';
import type { ConversationSync } from '../../src/bridge/conversation-sync.ts';
import { Directory } from '../../src/bridge/directory.ts';
import { RetryLater } from '../../src/bridge/failures.ts';
import { Identity } from '../../src/bridge/identity.ts';
import { createJobHandler, type ModalMessage, modalMessageJob } from '../../src/bridge/jobs.ts';
import type { SlackPort } from '../../src/bridge/ports.ts';
import type { Triage } from '../../src/bridge/triage.ts';
import { IntercomClient } from '../../src/intercom/client.ts';
import { noRetryPolicy } from '../../src/intercom/retry.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';
import { logSink } from '../support/log-sink.ts';
import { TEST_WORKSPACE } from '../support/workspace.ts';

const ref = (name: string, fields: Partial<SlackFileRef> = {}): SlackFileRef => ({
  id: `F-${name}`,
  name,
  mimetype: 'text/plain',
  url: `https://files.slack.com/files-pri/T1-F/${name}`,
  ...fields,
});

/** SlackFiles answering from a table of contents by name (a name not in it: refused by `reason`). */
function files(contents: Record<string, string>, maxBytes = 100, reason: Fetched = { ok: false, reason: 'status' }) {
  const fetched: Array<[string, number]> = [];
  const port: SlackFiles = {
    maxBytes,
    async fetch(file, limit) {
      fetched.push([file.name, limit]);
      const content = contents[file.name];
      if (content === undefined) return reason;
      if (content.length > limit) return { ok: false, reason: 'too_large' };
      return { ok: true, bytes: Buffer.from(content), contentType: 'application/x-from-slack' };
    },
  };
  return { port, fetched };
}

describe('gatherAttachments', () => {
  it('fetches each file in turn, within what is left of the budget, as base64 with Slack’s mimetype', async () => {
    const { port, fetched } = files({ a: 'x'.repeat(60), b: 'y'.repeat(30), c: 'z'.repeat(20) });
    const gathered = await gatherAttachments([ref('a'), ref('b'), ref('c')], port);
    expect(gathered.files).toEqual([
      { contentType: 'text/plain', data: Buffer.from('x'.repeat(60)).toString('base64'), name: 'a' },
      { contentType: 'text/plain', data: Buffer.from('y'.repeat(30)).toString('base64'), name: 'b' },
    ]);
    expect(gathered.missed).toEqual([{ name: 'c', reason: 'too_large' }]);
    expect(fetched).toEqual([
      ['a', 100],
      ['b', 40],
      ['c', 10],
    ]);
  });

  it('does not fetch a file whose declared size is over what is left, one with no URL, or an 11th', async () => {
    const contents = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, 'x']));
    const { port, fetched } = files({ ...contents, big: 'x' });
    const refs = [
      ref('big', { size: 101 }),
      ref('nourl', { url: undefined }),
      ...Object.keys(contents).map((n) => ref(n)),
    ];
    const gathered = await gatherAttachments(refs, port);
    expect(gathered.files).toHaveLength(MAX_ATTACHMENTS);
    expect(gathered.missed).toEqual([
      { name: 'big', reason: 'too_large' },
      { name: 'nourl', reason: 'no_url' },
      { name: 'f10', reason: 'too_many' },
      { name: 'f11', reason: 'too_many' },
    ]);
    expect(fetched.map(([name]) => name)).not.toContain('big');
    expect(fetched).toHaveLength(10);
  });

  it('starts no fetch once FETCH_ALL_MS have passed: the files left are named as timed out', async () => {
    let clock = 0;
    const { port, fetched } = files({ a: '1', b: '2' });
    const slow: SlackFiles = {
      maxBytes: port.maxBytes,
      fetch: async (file, limit) => {
        clock += FETCH_ALL_MS + 1;
        return port.fetch(file, limit);
      },
    };
    const gathered = await gatherAttachments([ref('a'), ref('b')], slow, () => clock);
    expect(gathered.files.map((f) => f.name)).toEqual(['a']);
    expect(gathered.missed).toEqual([{ name: 'b', reason: 'timeout' }]);
    expect(fetched.map(([name]) => name)).toEqual(['a']);
  });

  it('falls back to the answer’s content type, then to octet-stream; a refusal is named with its reason', async () => {
    const { port } = files({ typed: '1', untyped: '2' }, 100, { ok: false, reason: 'host' });
    const gathered = await gatherAttachments(
      [ref('typed', { mimetype: undefined }), ref('elsewhere'), ref('untyped', { mimetype: '' })],
      port,
    );
    expect(gathered.files.map((f) => f.contentType)).toEqual(['application/x-from-slack', 'application/x-from-slack']);
    expect(gathered.missed).toEqual([{ name: 'elsewhere', reason: 'host' }]);
    const none = await gatherAttachments([ref('a')], undefined);
    expect(none).toEqual({ files: [], missed: [{ name: 'a', reason: 'unavailable' }] });
  });
});

describe('bodyWithFiles and missedSentence', () => {
  const gathered = {
    files: [{ contentType: 'text/plain', data: '', name: 'ok <1>.txt' }],
    missed: [
      { name: 'a&b.pdf', reason: 'too_large' as const },
      { name: '<!channel>.png', reason: 'network' as const },
    ],
  };

  it('a note names each file not attached and why; a reply (the customer reads it) only names them', () => {
    expect(bodyWithFiles('<p>Hi</p>', gathered, 'note', 10 * 1_048_576)).toBe(
      '<p>Hi</p><p><em>Not attached: a&amp;b.pdf (over the 10 MB a message carries), ' +
        '&lt;!channel&gt;.png (could not be downloaded from Slack)</em></p>',
    );
    expect(bodyWithFiles('<p>Hi</p>', gathered, 'reply', 10 * 1_048_576)).toBe(
      '<p>Hi</p><p><em>Not attached: a&amp;b.pdf, &lt;!channel&gt;.png</em></p>',
    );
  });

  it('with nothing written, the attached files’ names are the body; all attached, nothing is added', () => {
    expect(bodyWithFiles('', { files: gathered.files, missed: [] }, 'note', 100)).toBe('<p>ok &lt;1&gt;.txt</p>');
    expect(bodyWithFiles('<p>Hi</p>', { files: gathered.files, missed: [] }, 'reply', 100)).toBe('<p>Hi</p>');
  });

  it('tells the sender which files did not go, escaped for mrkdwn; nothing when all went', () => {
    expect(missedSentence(gathered.missed, 'reply', 2_000)).toBe(
      'Your reply was sent, but these files were not attached: a&amp;b.pdf (over the 2 KB a message carries), ' +
        '&lt;!channel&gt;.png (could not be downloaded from Slack). The reply says so; attach them in Intercom if needed.',
    );
    expect(missedSentence([{ name: 'x', reason: 'too_many' }], 'note', 1)).toBe(
      'Your note was added, but this file was not attached: x (Intercom takes at most 10 files). ' +
        'The note says so; attach it in Intercom if needed.',
    );
    expect(missedSentence([], 'note', 1)).toBeUndefined();
  });
});

describe('readFileRefs', () => {
  it('reads Slack’s file objects; none is an empty list', () => {
    const file = {
      id: 'F1',
      name: 'a.pdf',
      mimetype: 'application/pdf',
      size: 12,
      url_private_download: 'https://files.slack.com/files-pri/T1-F1/download/a.pdf',
      permalink: 'https://x',
    };
    expect(readFileRefs([file])).toEqual([
      { id: 'F1', name: 'a.pdf', mimetype: 'application/pdf', size: 12, url: file.url_private_download },
    ]);
    expect(readFileRefs([{ id: 'F2', title: 'Untitled' }])).toEqual([{ id: 'F2', name: 'Untitled' }]);
    expect(readFileRefs(undefined)).toEqual([]);
    expect(readFileRefs(null)).toEqual([]);
  });

  it('anything but a list of objects with ids is unreadable', () => {
    for (const value of ['F1', { id: 'F1' }, [null], [{ name: 'x' }], [{ id: 5 }], [{ id: '' }], [file(), 'F2']]) {
      expect(readFileRefs(value), JSON.stringify(value)).toBeUndefined();
    }
    function file() {
      return { id: 'F1', name: 'a' };
    }
  });
});

describe('the modal message job', () => {
  let fake: FakeIntercom;
  let intercom: IntercomClient;
  let store: SqliteStore;
  const told: string[] = [];
  const synced: string[] = [];

  beforeEach(async () => {
    fake = await FakeIntercom.start();
    fake.addAdmin({ name: 'Alice', email: 'alice@example.com', id: '991' });
    intercom = new IntercomClient({
      token: fake.token,
      baseUrl: fake.url,
      idempotentRetry: noRetryPolicy,
      writeRetry: noRetryPolicy,
    });
    store = new SqliteStore(':memory:');
    told.length = 0;
    synced.length = 0;
  });
  afterEach(async () => {
    await intercom.close();
    await fake.close();
    await store.close();
  });

  function handler(email = 'alice@example.com') {
    const slack = {
      async user(id: string) {
        return { id, name: 'a', email, timeZone: null, isBot: false, teamId: 'T1', enterpriseId: null };
      },
      async tellUser(_target: unknown, text: string) {
        told.push(text);
      },
    } as unknown as SlackPort;
    return createJobHandler({
      sync: { sync: async (id: string) => void synced.push(id) } as unknown as ConversationSync,
      triage: {} as Triage,
      identity: new Identity({ slack, workspace: async () => TEST_WORKSPACE, directory: new Directory(intercom) }),
      intercom,
      slack,
      store,
      logger: logSink().logger,
      files: files({ 'a.txt': 'hello' }).port,
    });
  }

  const message = (fields: Partial<ModalMessage> = {}): ModalMessage => ({
    kind: 'reply',
    channel: 'C1',
    user: 'U1',
    bodyHtml: '<p>See <b></p>',
    typed: 'See <b>',
    files: [ref('a.txt'), ref('gone.txt')],
    ...fields,
  });
  const run = (conversationId: string, m: ModalMessage) =>
    handler()({ ...modalMessageJob(conversationId, m), attempts: 1, lastError: null });

  it('sends the reply with the files that came, names the one that did not, tells the sender, then syncs', async () => {
    const c = String(fake.addConversation({}).id);
    await run(c, message());
    const sent = fake.requests.filter((r) => r.path === `/conversations/${c}/reply`).map((r) => r.body);
    expect(sent).toEqual([
      {
        message_type: 'comment',
        type: 'admin',
        admin_id: '991',
        body: '<p>See <b></p><p><em>Not attached: gone.txt</em></p>',
        attachment_files: [
          { content_type: 'text/plain', data: Buffer.from('hello').toString('base64'), name: 'a.txt' },
        ],
      },
    ]);
    expect(told).toEqual([
      'Your reply was sent, but this file was not attached: gone.txt (could not be downloaded from Slack). ' +
        'The reply says so; attach it in Intercom if needed.',
    ]);
    expect(synced).toEqual([c]);
  });

  it('waits and tries again while Intercom surely did not take it (429)', async () => {
    const c = String(fake.addConversation({}).id);
    fake.fail({ method: 'POST', path: `/conversations/${c}/reply`, status: 429, headers: { 'retry-after': '1' } });
    await expect(run(c, message())).rejects.toBeInstanceOf(RetryLater);
    expect(told).toEqual([]);
  });

  it('never retries one Intercom may have taken: tells the sender and hands back what they wrote', async () => {
    const c = String(fake.addConversation({}).id);
    fake.fail({ method: 'POST', path: `/conversations/${c}/reply`, status: 500 });
    await run(c, message({ kind: 'note' }));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/^Intercom did not confirm this in time\. It may have been added anyway/);
    expect(told[0]).toContain('What you wrote, so it is not lost:\n>>> See &lt;b&gt;');
    expect(synced).toEqual([]);
  });

  it('refuses a sender with no teammate, sending nothing', async () => {
    const c = String(fake.addConversation({}).id);
    await handler('nobody@elsewhere.test')({ ...modalMessageJob(c, message()), attempts: 1, lastError: null });
    expect(fake.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect(told[0]).toContain('No Intercom teammate has your Slack email');
  });
});
