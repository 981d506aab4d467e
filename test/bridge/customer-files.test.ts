import { describe, expect, it } from 'vitest';
import { COPY_ATTEMPTS, copyCustomerFile, type FileCopy } from '../../src/bridge/customer-files.ts';
import { PermanentFailure, RetryLater } from '../../src/bridge/failures.ts';
import { copyFileJob, createJobHandler, FILE_QUEUE, type JobDeps } from '../../src/bridge/jobs.ts';
import type { SlackPort, ThreadFile } from '../../src/bridge/ports.ts';
import type { FetchedAttachment } from '../../src/intercom/attachments.ts';
import { logSink } from '../support/log-sink.ts';

const copy: FileCopy = {
  conversationId: '42',
  channel: 'C1',
  threadTs: '1.1',
  key: 'file:7:0',
  name: 'screen.png',
  url: 'https://downloads.intercomcdn.com/i/o/1/screen.png?expires=1&signature=secret',
};

function deps(fetched: FetchedAttachment, upload: (file: ThreadFile) => Promise<void> = async () => {}) {
  const uploads: Array<{ channel: string; threadTs: string; file: ThreadFile; key?: string | undefined }> = [];
  const fetches: string[] = [];
  const sink = logSink();
  const slack = {
    async uploadToThread(channel: string, threadTs: string, file: ThreadFile, key?: string) {
      await upload(file);
      uploads.push({ channel, threadTs, file, key });
      return { fileId: 'F1' };
    },
  } as unknown as SlackPort;
  const attachments = {
    async fetch(url: string) {
      fetches.push(url);
      return fetched;
    },
  };
  return { deps: { attachments, slack, logger: sink.logger }, uploads, fetches, sink };
}

const PNG = Buffer.from('89504e47', 'hex');

describe('copyCustomerFile', () => {
  it('uploads the fetched bytes into the card’s thread, named as in Intercom', async () => {
    const d = deps({ ok: true, bytes: PNG, contentType: 'image/png' });
    await copyCustomerFile(d.deps, copy, 1);
    expect(d.fetches).toEqual([copy.url]);
    expect(d.uploads).toEqual([
      {
        channel: 'C1',
        threadTs: '1.1',
        file: { filename: 'screen.png', bytes: PNG, title: 'screen.png' },
        key: 'file:7:0',
      },
    ]);
  });

  it('retries a passing download failure until the last attempt, then leaves the link, saying why', async () => {
    const d = deps({ ok: false, reason: 'timeout', retry: true });
    await expect(copyCustomerFile(d.deps, copy, 1)).rejects.toBeInstanceOf(RetryLater);
    await expect(copyCustomerFile(d.deps, copy, COPY_ATTEMPTS)).resolves.toBeUndefined();
    expect(d.uploads).toEqual([]);
    const warned = d.sink.lines().filter((l) => l.msg === 'attachment not copied into Slack: its link stays');
    expect(warned.map((l) => l.reason)).toEqual(['timeout']);
    expect(JSON.stringify(d.sink.lines())).not.toContain('signature=secret');
  });

  it('does not retry what will not pass: a file too large, a host not allowed, an expired link', async () => {
    for (const reason of ['too_large', 'host', 'status'] as const) {
      const d = deps({ ok: false, reason, retry: false });
      await expect(copyCustomerFile(d.deps, copy, 1)).resolves.toBeUndefined();
      expect(d.uploads).toEqual([]);
    }
  });

  it('gives up on a file Slack refuses for good, and retries one Slack could not take yet', async () => {
    const refused = deps({ ok: true, bytes: PNG, contentType: null }, async () => {
      throw new PermanentFailure('file_uploads_disabled');
    });
    await expect(copyCustomerFile(refused.deps, copy, 1)).resolves.toBeUndefined();
    expect(refused.sink.lines().some((l) => l.reason === 'file_uploads_disabled')).toBe(true);
    const busy = deps({ ok: true, bytes: PNG, contentType: null }, async () => {
      throw new RetryLater('ratelimited', { afterMs: 1000 });
    });
    await expect(copyCustomerFile(busy.deps, copy, 1)).rejects.toBeInstanceOf(RetryLater);
    await expect(copyCustomerFile(busy.deps, copy, COPY_ATTEMPTS)).resolves.toBeUndefined();
  });

  it('copies nothing once FILES=link (a job queued before the switch)', async () => {
    const d = deps({ ok: true, bytes: PNG, contentType: null });
    await copyCustomerFile({ ...d.deps, attachments: undefined }, copy, 1);
    expect(d.uploads).toEqual([]);
  });
});

describe('the copy job', () => {
  it('waits in the one file queue, is keyed by its attachment, and runs through the job table', async () => {
    const job = copyFileJob(copy, 1_800_000_000_000);
    expect(job).toMatchObject({ id: 'copy-file:42:file:7:0', conversationId: '42', queue: FILE_QUEUE });
    expect(JSON.parse(job.payload)).not.toHaveProperty('conversationId');
    const d = deps({ ok: true, bytes: PNG, contentType: null });
    await createJobHandler(d.deps as unknown as JobDeps)({ ...job, attempts: 1, lastError: null });
    expect(d.uploads.map((u) => [u.channel, u.threadTs, u.key])).toEqual([['C1', '1.1', 'file:7:0']]);
  });
});
