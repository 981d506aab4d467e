import type { Fetched, SlackFileRef, SlackFiles } from '../bridge/attachments.ts';
import { DownloadRefused, download } from '../net/download.ts';

/** Slack's host for files' `url_private_download`: the only one the bot token is sent to for a file. */
export const SLACK_FILE_HOST = 'files.slack.com';

/** How long one file may take to arrive from Slack. */
const FETCH_TIMEOUT_MS = 30_000;

/**
 * Fetches a file a teammate shared in Slack (its `url_private_download`, which needs the bot token and the
 * `files:read` scope), from Slack's file host only: the URL arrives in a Slack payload, and the bot token must not
 * follow it anywhere else. SLACK_API_URL's host, which is given the token already, is allowed too: tests point it
 * at a fake that serves the files. `maxBytes`: the most one reply or note carries, its files together.
 */
export function slackFiles(slack: { botToken: string; apiUrl?: string | undefined }, maxBytes: number): SlackFiles {
  const allowedHosts = [SLACK_FILE_HOST, ...(slack.apiUrl ? [new URL(slack.apiUrl).hostname] : [])];
  const headers = { authorization: `Bearer ${slack.botToken}` };
  return {
    maxBytes,
    async fetch(file: SlackFileRef, limit: number): Promise<Fetched> {
      if (!file.url) return { ok: false, reason: 'no_url' };
      try {
        const got = await download(
          file.url,
          { allowedHosts, maxBytes: limit, timeoutMs: FETCH_TIMEOUT_MS },
          { headers },
        );
        // Slack answers a token it will not take with its sign-in page, not an error status
        if (loginPage(got.contentType, file.mimetype)) return { ok: false, reason: 'status' };
        return { ok: true, bytes: got.bytes, contentType: got.contentType };
      } catch (error) {
        return { ok: false, reason: error instanceof DownloadRefused ? error.reason : 'network' };
      }
    },
  };
}

function loginPage(contentType: string | null, mimetype: string | undefined): boolean {
  return Boolean(contentType?.startsWith('text/html')) && !mimetype?.startsWith('text/html');
}
