import { z } from 'zod';
import { escapeHtml } from '../intercom/html.ts';
import type { AttachmentFile } from '../intercom/resources/conversations.ts';

// Files a teammate attaches in Slack (in the Reply or Note modal, or on a message in a card's thread), on their
// way to Intercom as `attachment_files`. A job stores where each file is, never its bytes: the worker fetches them
// from Slack when it runs the job. A file that cannot go is named in the reply or note and to its sender, never
// dropped in silence.

/** A Slack file as a job stores it: its id, name, type, declared size and `url_private_download`. */
export const SlackFileRef = z.object({
  id: z.string(),
  name: z.string(),
  mimetype: z.string().optional(),
  size: z.number().optional(),
  url: z.string().optional(),
});
export type SlackFileRef = z.infer<typeof SlackFileRef>;

/**
 * How long one job spends fetching its files: no file is started after this, so a reply or note is not held up for
 * long by slow downloads (each fetch also has its own timeout: slack/slack-files.ts).
 */
export const FETCH_ALL_MS = 60_000;

/** Intercom takes at most 10 `attachment_files` on a reply or note (its OpenAPI's maxItems). */
export const MAX_ATTACHMENTS = 10;

/**
 * Why a file was not attached: a download refusal (net/download.ts), no download URL, more files than Intercom
 * takes, or the bridge given no way to fetch files.
 */
export type FileRefusal =
  | 'host'
  | 'too_large'
  | 'status'
  | 'timeout'
  | 'network'
  | 'scheme'
  | 'no_url'
  | 'too_many'
  | 'unavailable';

export type Fetched = { ok: true; bytes: Buffer; contentType: string | null } | { ok: false; reason: FileRefusal };

/** Fetches Slack files with the bot token, from Slack's file host only (slack/slack-files.ts is one). */
export interface SlackFiles {
  /** The most bytes one reply or note carries, all its files together (ATTACHMENT_MAX_BYTES). */
  readonly maxBytes: number;
  /** The file's bytes, at most `maxBytes` of them, or why not: never throws. */
  fetch(file: SlackFileRef, maxBytes: number): Promise<Fetched>;
}

export interface Missed {
  name: string;
  reason: FileRefusal;
}

export interface Gathered {
  files: AttachmentFile[];
  missed: Missed[];
}

/**
 * Fetches the files one at a time, so a job holds at most `maxBytes` of them however many there are: a file
 * whose declared size is over what is left is not fetched, and neither is an 11th file, nor one whose turn comes
 * after FETCH_ALL_MS.
 */
export async function gatherAttachments(
  refs: readonly SlackFileRef[],
  slackFiles: SlackFiles | undefined,
  now: () => number = Date.now,
): Promise<Gathered> {
  const gathered: Gathered = { files: [], missed: [] };
  let left = slackFiles?.maxBytes ?? 0;
  const until = now() + FETCH_ALL_MS;
  for (const ref of refs) {
    const refusal = now() > until ? 'timeout' : refusedBeforeFetch(ref, gathered.files.length, left, slackFiles);
    const fetched: Fetched =
      refusal || !slackFiles ? { ok: false, reason: refusal ?? 'unavailable' } : await slackFiles.fetch(ref, left);
    if (!fetched.ok) {
      gathered.missed.push({ name: ref.name, reason: fetched.reason });
      continue;
    }
    left -= fetched.bytes.length;
    const contentType = ref.mimetype || fetched.contentType || 'application/octet-stream';
    gathered.files.push({ contentType, data: fetched.bytes.toString('base64'), name: ref.name });
  }
  return gathered;
}

function refusedBeforeFetch(
  ref: SlackFileRef,
  taken: number,
  left: number,
  slackFiles: SlackFiles | undefined,
): FileRefusal | undefined {
  if (!slackFiles) return 'unavailable';
  if (taken >= MAX_ATTACHMENTS) return 'too_many';
  if (!ref.url) return 'no_url';
  if (ref.size !== undefined && ref.size > left) return 'too_large';
  return undefined;
}

/**
 * The body Intercom gets: what was written, then a line naming each file not attached. A reply's line names the
 * files only (the customer reads it); a note's says why. With nothing written, the attached files' names stand
 * in, since Intercom wants a body on every reply and note.
 */
export function bodyWithFiles(bodyHtml: string, gathered: Gathered, kind: 'reply' | 'note', maxBytes: number): string {
  const names = (list: readonly { name: string }[]) => list.map((f) => escapeHtml(f.name)).join(', ');
  const written = bodyHtml || (gathered.files.length ? `<p>${names(gathered.files)}</p>` : '');
  if (gathered.missed.length === 0) return written;
  const missed =
    kind === 'reply'
      ? names(gathered.missed)
      : gathered.missed.map((m) => `${escapeHtml(m.name)} (${why(m.reason, maxBytes)})`).join(', ');
  return `${written}<p><em>Not attached: ${missed}</em></p>`;
}

/** What the sender is told when files did not go with their reply or note; undefined when all went. */
export function missedSentence(
  missed: readonly Missed[],
  kind: 'reply' | 'note',
  maxBytes: number,
): string | undefined {
  if (missed.length === 0) return undefined;
  const list = missed.map((m) => `${escapeText(m.name)} (${why(m.reason, maxBytes)})`).join(', ');
  const what = kind === 'reply' ? 'Your reply was sent' : 'Your note was added';
  const these = missed.length === 1 ? 'this file was' : 'these files were';
  return `${what}, but ${these} not attached: ${list}. The ${kind} says so; attach ${missed.length === 1 ? 'it' : 'them'} in Intercom if needed.`;
}

function why(reason: FileRefusal, maxBytes: number): string {
  switch (reason) {
    case 'too_large':
      return `over the ${megabytes(maxBytes)} a message carries`;
    case 'too_many':
      return `Intercom takes at most ${MAX_ATTACHMENTS} files`;
    case 'host':
    case 'scheme':
    case 'no_url':
      return 'not a file on Slack’s file host';
    case 'unavailable':
      return 'the bridge cannot fetch files';
    default:
      return 'could not be downloaded from Slack';
  }
}

function megabytes(bytes: number): string {
  const mb = bytes / 1_048_576;
  return mb >= 1 ? `${Number(mb.toFixed(1))} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** Text for Slack's mrkdwn (a file's name, what was typed, Intercom's words): it cannot ping or link. */
export function escapeText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * The files of a submitted file input or a message event, as refs; undefined when `value` is not a list of file
 * objects (Slack always sends one, a request is not trusted to). A file without an id or name is not a file.
 */
export function readFileRefs(value: unknown): SlackFileRef[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return undefined;
  const refs: SlackFileRef[] = [];
  for (const item of value as unknown[]) {
    const ref = readFileRef(item);
    if (!ref) return undefined;
    refs.push(ref);
  }
  return refs;
}

function readFileRef(item: unknown): SlackFileRef | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const f = item as Record<string, unknown>;
  if (typeof f.id !== 'string' || f.id === '') return undefined;
  const name = typeof f.name === 'string' && f.name ? f.name : typeof f.title === 'string' && f.title ? f.title : f.id;
  return {
    id: f.id,
    name,
    ...(typeof f.mimetype === 'string' ? { mimetype: f.mimetype } : {}),
    ...(typeof f.size === 'number' && Number.isFinite(f.size) ? { size: f.size } : {}),
    ...(typeof f.url_private_download === 'string' ? { url: f.url_private_download } : {}),
  };
}
