import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationSync } from '../../src/bridge/conversation-sync.ts';
import { Directory } from '../../src/bridge/directory.ts';
import { PermanentFailure, RetryLater } from '../../src/bridge/failures.ts';
import { Identity } from '../../src/bridge/identity.ts';
import { createJobHandler, reactionJob, syncJob, threadNoteJob } from '../../src/bridge/jobs.ts';
import type { Triage } from '../../src/bridge/triage.ts';
import { IntercomClient } from '../../src/intercom/client.ts';
import { noRetryPolicy } from '../../src/intercom/retry.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Delivery } from '../../src/store/store.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';
import { logSink } from '../support/log-sink.ts';
import { TEST_WORKSPACE } from '../support/workspace.ts';

const ours = async () => TEST_WORKSPACE;

let fake: FakeIntercom;
let intercom: IntercomClient;
let store: SqliteStore;
const told: string[] = [];
const reactions: string[] = [];
const synced: Array<[string, unknown]> = [];

const slack = {
  async postCard() {
    return { ts: '1.1' };
  },
  async updateCard() {},
  async postThreadLine() {},
  async user(id: string) {
    return {
      id,
      name: 'alice',
      email: 'alice@example.com',
      timeZone: null,
      isBot: false,
      teamId: 'T1',
      enterpriseId: null,
    };
  },
  async tellUser(_target: unknown, text: string) {
    told.push(text);
  },
  async dm() {},
  async findCard() {
    return undefined;
  },
  async findThreadLine() {
    return false;
  },
  async permalink() {
    return '';
  },
  async react(_channel: string, _ts: string, emoji: string) {
    reactions.push(emoji);
  },
  async uploadToThread() {
    return { fileId: 'F1' };
  },
  async userIdByEmail() {
    return null;
  },
  async postEscalation() {
    return { ts: '9.9' };
  },
  async updateEscalation() {},
  async findEscalation() {
    return undefined;
  },
};

function handler() {
  return createJobHandler({
    sync: {
      async sync(id: string, _cause: unknown, options: unknown) {
        synced.push([id, options]);
      },
    } as unknown as ConversationSync,
    triage: {} as Triage,
    identity: new Identity({ slack, workspace: ours, directory: new Directory(intercom) }),
    intercom,
    slack,
    store,
    logger: logSink().logger,
  });
}

const delivery = (job: ReturnType<typeof syncJob>): Delivery => ({ ...job, attempts: 1, lastError: null });
const note = (conversationId: string) =>
  delivery(
    threadNoteJob(conversationId, { channel: 'C1', ts: '2.2', threadTs: '1.1', user: 'U1', bodyHtml: '<p>hi</p>' }),
  );

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
  reactions.length = 0;
  synced.length = 0;
});
afterEach(async () => {
  await intercom.close();
  await fake.close();
  await store.close();
});

describe('jobs', () => {
  it('a sync job carries the channel to post in', async () => {
    await handler()(delivery(syncJob('7', { channel: 'C9' })));
    expect(synced).toEqual([['7', { channel: 'C9' }]]);
  });

  it('a thread note marks its own part shown, so the webhook echo does not repeat it', async () => {
    const c = fake.addConversation({});
    await handler()(note(String(c.id)));
    const stored = fake.conversations.get(String(c.id)) ?? {};
    const parts = (stored.conversation_parts as { conversation_parts: Array<{ id: string }> }).conversation_parts;
    expect((await store.shownParts(String(c.id))).has(String(parts.at(-1)?.id))).toBe(true);
    expect(reactions).toEqual(['memo']);
  });

  it('waits and tries again when Intercom surely did not take the note (429)', async () => {
    const c = fake.addConversation({});
    fake.fail({ method: 'POST', path: `/conversations/${c.id}/reply`, status: 429, headers: { 'retry-after': '1' } });
    await expect(handler()(note(String(c.id)))).rejects.toBeInstanceOf(RetryLater);
    expect(reactions).toEqual([]);
  });

  it('never retries a note Intercom may have taken: warns the writer instead', async () => {
    const c = fake.addConversation({});
    fake.fail({ method: 'POST', path: `/conversations/${c.id}/reply`, status: 500 });
    await handler()(note(String(c.id)));
    expect(reactions).toEqual(['warning']);
    expect(told[0]).toMatch(/^This message may not be in Intercom\. Intercom did not confirm this in time/);
  });

  it('parks a job whose stored payload is not what it should be', async () => {
    const broken = {
      ...reactionJob('7', 'Ev1', { channel: 'C1', ts: '1.1', user: 'U1', action: 'close' }),
      payload: '{}',
    };
    await expect(handler()(delivery(broken))).rejects.toBeInstanceOf(PermanentFailure);
    await expect(
      handler()(delivery({ ...broken, topic: 'conversation.user.created', payload: '[]' })),
    ).rejects.toBeInstanceOf(PermanentFailure);
  });
});
