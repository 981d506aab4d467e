import { type DownloadRefusal, DownloadRefused, download } from '../net/download.ts';

/** An Intercom attachment's bytes, or why they could not be had: whether trying again later could help. */
export type FetchedAttachment =
  | { ok: true; bytes: Buffer; contentType: string | null }
  | { ok: false; reason: DownloadRefusal; retry: boolean };

/** Fetches the files customers attach in Intercom; never throws. */
export interface AttachmentSource {
  fetch(url: string): Promise<FetchedAttachment>;
}

export interface AttachmentLimits {
  /** ATTACHMENT_HOSTS: the hosts Intercom serves attachments from (`*.suffix` for any host below it). */
  hosts: readonly string[];
  /** ATTACHMENT_MAX_BYTES: a larger file is not fetched (the thread keeps its link). */
  maxBytes: number;
  timeoutMs?: number;
}

/**
 * Attachment URLs come inside webhook and API bodies, so they are fetched only from Intercom's own attachment hosts,
 * bounded in size while streaming and in time. No credentials are sent: the URLs are signed, and they expire (about
 * 30 minutes), which is why the bridge copies the files into Slack instead of linking to them.
 */
export function attachmentSource(limits: AttachmentLimits): AttachmentSource {
  const bounds = { allowedHosts: limits.hosts, maxBytes: limits.maxBytes, timeoutMs: limits.timeoutMs ?? 30_000 };
  return {
    async fetch(url) {
      try {
        const { bytes, contentType } = await download(url, bounds);
        return { ok: true, bytes, contentType };
      } catch (error) {
        if (!(error instanceof DownloadRefused)) throw error;
        return { ok: false, reason: error.reason, retry: worthRetrying(error) };
      }
    },
  };
}

/** A timeout, a dropped connection or a server error may pass; a refused host, a size or a 4xx (expired) will not. */
function worthRetrying(error: DownloadRefused): boolean {
  if (error.reason === 'timeout' || error.reason === 'network') return true;
  return error.reason === 'status' && (error.status === undefined || error.status >= 500 || error.status === 429);
}
