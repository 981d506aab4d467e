import type { AttachmentSource } from '../intercom/attachments.ts';
import type { Logger } from '../logger.ts';
import { PermanentFailure, RetryLater } from './failures.ts';
import type { SlackPort } from './ports.ts';

// A customer's attachment, copied into its card's thread because Intercom's links expire. Each copy is a job in
// one queue for all of them (jobs.ts): one file is held in memory at a time, and a slow download holds up the next
// file, never a conversation's cards and lines.

/** One attachment to copy: where its card's thread is, which file of which part (`key`), and Intercom's link. */
export interface FileCopy {
  conversationId: string;
  channel: string;
  threadTs: string;
  /** `file:<part id>:<index>` (the first message's are `file:source:<index>`). */
  key: string;
  name: string | null;
  url: string;
}

/** Tries in all for a failure that may pass (a timeout, a 5xx, Slack's 429): the file queue waits meanwhile. */
export const COPY_ATTEMPTS = 3;

export interface CopyDeps {
  /** FILES=upload's source; absent (FILES=link since the job was queued), nothing is copied. */
  attachments?: AttachmentSource | undefined;
  slack: SlackPort;
  logger: Logger;
}

/**
 * Copies one file. What cannot be copied for good (too large, a host not allowed, an expired link, a workspace
 * that refuses uploads) keeps its link in the thread line, with a warning; a passing failure is retried by the inbox
 * until the last attempt. A crash between Slack taking the file and the job's completion shares it again.
 */
export async function copyCustomerFile(deps: CopyDeps, copy: FileCopy, attempt: number): Promise<void> {
  const log = { conversationId: copy.conversationId, file: copy.key };
  if (!deps.attachments) return deps.logger.debug(log, 'attachment not copied: FILES=link');
  const fetched = await deps.attachments.fetch(copy.url);
  if (!fetched.ok) {
    if (fetched.retry && attempt < COPY_ATTEMPTS) throw new RetryLater(`attachment not fetched (${fetched.reason})`);
    return deps.logger.warn({ ...log, reason: fetched.reason }, 'attachment not copied into Slack: its link stays');
  }
  const file = { filename: copy.name || 'attachment', bytes: fetched.bytes, title: copy.name ?? undefined };
  try {
    await deps.slack.uploadToThread(copy.channel, copy.threadTs, file, copy.key);
  } catch (error) {
    const passing = error instanceof RetryLater;
    if (passing && attempt < COPY_ATTEMPTS) throw error;
    if (!passing && !(error instanceof PermanentFailure)) throw error;
    deps.logger.warn({ ...log, reason: (error as Error).message }, 'Slack did not take an attachment: its link stays');
  }
}
