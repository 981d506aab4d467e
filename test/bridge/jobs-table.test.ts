import { afterEach, describe, expect, it } from 'vitest';
import { PermanentFailure } from '../../src/bridge/failures.ts';
import {
  CATCH_UP_TOPIC,
  CONVERSATION_TOPICS,
  catchUpJob,
  createJobHandler,
  JOBS,
  type JobDeps,
  REACTION_TOPIC,
  reactionJob,
  SYNC_TOPIC,
  syncJob,
  THREAD_NOTE_TOPIC,
  threadNoteJob,
} from '../../src/bridge/jobs.ts';
import { InboxWorker } from '../../src/bridge/worker.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { Delivery, NewDelivery } from '../../src/store/store.ts';
import { logSink } from '../support/log-sink.ts';

/** Deps whose every use is recorded in `calls` as [what, ...arguments]: which handler a job reached. */
function recordingDeps() {
  const calls: unknown[][] = [];
  const deps = {
    sync: {
      sync: async (...args: unknown[]) => void calls.push(['sync', ...args]),
      handle: async (notification: { topic: string; id: string }) =>
        void calls.push(['handle', notification.topic, notification.id]),
    },
    triage: {
      perform: async (...args: unknown[]) => {
        calls.push(['perform', ...args]);
        return { ok: true };
      },
    },
    identity: { actor: async () => ({ teammate: { adminId: '991' } }) },
    intercom: {
      conversations: {
        note: async (...args: unknown[]) => {
          calls.push(['note', ...args]);
          return { type: 'conversation', id: '7' };
        },
      },
    },
    slack: { react: async () => {}, tellUser: async () => {} },
    store: { markPartShown: async () => true },
    logger: logSink().logger,
  } as unknown as JobDeps;
  return { deps, calls };
}

const delivery = (job: NewDelivery): Delivery => ({ ...job, attempts: 1, lastError: null });

function notification(topic: string, id = 'n1') {
  const body = {
    type: 'notification_event',
    id,
    topic,
    created_at: 1,
    data: { item: { type: 'conversation', id: '7' } },
  };
  return delivery({
    id,
    topic,
    conversationId: '7',
    createdAt: 1,
    payload: JSON.stringify(body),
    receivedAt: 1,
  });
}

const note = { channel: 'C1', ts: '2.2', threadTs: '1.1', user: 'U1', bodyHtml: '<p>hi</p>' };

describe('the job table', () => {
  it('registers the stored topic strings of earlier versions, and every webhook topic the route takes in', () => {
    expect([SYNC_TOPIC, CATCH_UP_TOPIC, THREAD_NOTE_TOPIC, REACTION_TOPIC]).toEqual([
      'bridge.sync',
      'bridge.catch_up',
      'slack.thread_note',
      'slack.reaction',
    ]);
    expect([...JOBS.keys()].sort()).toEqual(
      [
        'bridge.sync',
        'bridge.catch_up',
        'slack.thread_note',
        'slack.modal_message',
        'bridge.copy_file',
        'bridge.clock',
        'slack.reaction',
        ...CONVERSATION_TOPICS,
      ].sort(),
    );
    expect(CONVERSATION_TOPICS.size).toBe(16);
  });

  it('runs each kind with its own handler', async () => {
    const { deps, calls } = recordingDeps();
    const handle = createJobHandler(deps);
    await handle(delivery(syncJob('7', { channel: 'C9' })));
    await handle(delivery(catchUpJob('8', 1_700_000_000)));
    await handle(delivery(threadNoteJob('9', note)));
    await handle(delivery(reactionJob('10', 'Ev1', { channel: 'C1', ts: '1.1', user: 'U1', action: 'close' })));
    expect(calls).toEqual([
      ['sync', '7', undefined, { channel: 'C9' }],
      ['sync', '8'],
      ['note', '9', { adminId: '991', body: '<p>hi</p>' }],
      ['perform', '10', 'U1', { kind: 'close' }],
    ]);
  });

  it('hands every webhook topic to the conversation sync, as the notification it stored', async () => {
    const { deps, calls } = recordingDeps();
    const handle = createJobHandler(deps);
    for (const topic of CONVERSATION_TOPICS) await handle(notification(topic, `n-${topic}`));
    expect(calls).toEqual([...CONVERSATION_TOPICS].map((topic) => ['handle', topic, `n-${topic}`]));
  });

  it('still runs a catch-up job queued by an earlier version (its payload was a notification envelope)', async () => {
    const { deps, calls } = recordingDeps();
    const old = { ...notification(CATCH_UP_TOPIC, 'catch-up:8:1700000000'), conversationId: '8' };
    await createJobHandler(deps)(old);
    expect(calls).toEqual([['sync', '8']]);
  });

  it('does nothing, and is done, for a job of ours without a conversation', async () => {
    const { deps, calls } = recordingDeps();
    await createJobHandler(deps)({ ...delivery(syncJob('7')), conversationId: null });
    expect(calls).toEqual([]);
  });

  it('parks a kind nobody registered: an Intercom topic never taken in, a misspelling, an inherited name', async () => {
    const { deps, calls } = recordingDeps();
    const handle = createJobHandler(deps);
    for (const topic of ['contact.created', 'bridge.synk', 'constructor', 'ping']) {
      const parked = handle(notification(topic));
      await expect(parked).rejects.toBeInstanceOf(PermanentFailure);
      await expect(parked).rejects.toThrow(`no job kind "${topic}"`);
    }
    expect(calls).toEqual([]);
  });

  it('parks a job whose payload fails its kind schema, naming the field; and one that is not JSON', async () => {
    const { deps, calls } = recordingDeps();
    const handle = createJobHandler(deps);
    const reaction = reactionJob('7', 'Ev1', { channel: 'C1', ts: '1.1', user: 'U1', action: 'close' });
    const cases: Array<[NewDelivery, RegExp]> = [
      [{ ...reaction, payload: '{"channel":"C1","ts":"1.1","user":"U1","action":"delete"}' }, /action: /],
      [{ ...threadNoteJob('7', note), payload: '{}' }, /channel: /],
      [{ ...syncJob('7'), payload: '{"channel":7}' }, /channel: /],
      [{ ...catchUpJob('7', 1), payload: '[]' }, /\(root\): /],
      [{ ...notification('conversation.user.replied'), payload: '{"type":"notification_event"}' }, /id: /],
      [{ ...syncJob('7'), payload: '{not json' }, /not JSON/],
    ];
    for (const [job, problem] of cases) {
      const parked = handle(delivery(job));
      await expect(parked).rejects.toBeInstanceOf(PermanentFailure);
      await expect(parked).rejects.toThrow(new RegExp(`^stored ${job.topic.replaceAll('.', '\\.')} job is malformed`));
      await expect(parked).rejects.toThrow(problem);
    }
    expect(calls).toEqual([]);
  });
});

describe('a kind nobody registered, in the worker', () => {
  let store: SqliteStore | undefined;
  let worker: InboxWorker | undefined;
  afterEach(async () => {
    await worker?.stop();
    await store?.close();
  });

  it('is parked at its first attempt and logged with its topic; the next job runs', async () => {
    store = new SqliteStore(':memory:');
    const sink = logSink();
    const { deps, calls } = recordingDeps();
    worker = new InboxWorker({ store, handle: createJobHandler(deps), logger: sink.logger, pollMs: 10 });
    worker.start();
    await worker.enqueue({ ...notification('contact.created'), conversationId: null });
    await worker.enqueue(syncJob('7'));
    const s = store;
    await expect.poll(async () => (await s.inboxStats(Date.now())).pending).toBe(0);
    expect(await s.inboxStats(Date.now())).toMatchObject({ parked: 1 });
    const parked = sink.lines().filter((l) => l.msg === 'delivery parked: it will not be retried');
    expect(parked).toEqual([
      expect.objectContaining({
        topic: 'contact.created',
        delivery: 'n1',
        attempts: 1,
        err: expect.objectContaining({ message: expect.stringMatching(/^no job kind "contact\.created"/) }),
      }),
    ]);
    expect(calls).toEqual([['sync', '7', undefined, {}]]);
  });
});
