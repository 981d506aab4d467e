import type { IncomingHttpHeaders } from 'node:http';
import { type Dispatcher, getGlobalDispatcher } from 'undici';
import { header } from './request-text.ts';

export interface DownloadLimits {
  /** Hosts a download (and each redirect) may go to: an exact host, or `*.suffix` for any host below suffix. */
  allowedHosts: readonly string[];
  /** Largest body accepted; a longer one is refused before or while it is read. */
  maxBytes: number;
  /** The whole download, redirects included. */
  timeoutMs: number;
}

export type DownloadRefusal = 'host' | 'too_large' | 'status' | 'timeout' | 'network' | 'scheme';

/**
 * Why a download was not done. The message names the host and path only: the URLs this fetches carry signed
 * tokens in their query, which must not reach logs.
 */
export class DownloadRefused extends Error {
  readonly reason: DownloadRefusal;
  /** The HTTP status, for `status`. */
  readonly status: number | undefined;

  constructor(reason: DownloadRefusal, where: string, detail: string, options?: { cause?: unknown; status?: number }) {
    super(`download refused (${reason}) ${where}: ${detail}`, { cause: options?.cause });
    this.name = 'DownloadRefused';
    this.reason = reason;
    this.status = options?.status;
  }
}

export interface Downloaded {
  bytes: Buffer;
  contentType: string | null;
  /** From Content-Disposition, without any directory part; null when it names none. */
  filename: string | null;
}

export interface DownloadOptions {
  /** Sent to the first URL, and to redirects on the same origin only. */
  headers?: Record<string, string>;
  /** Defaults to undici's global dispatcher, which follows no redirects and keeps no cookies. */
  dispatcher?: Dispatcher;
}

/** Redirects followed at most, each checked against the scheme rule and the allow-list like the first URL. */
export const MAX_REDIRECTS = 3;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

interface Answer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  bytes: Buffer;
}

/**
 * GETs `url` into memory, bounded by `limits`: https only (http only to loopback, for tests), hosts on the
 * allow-list, at most MAX_REDIRECTS redirects, the body capped while it streams, one deadline for everything.
 */
export async function download(
  url: string,
  limits: DownloadLimits,
  options: DownloadOptions = {},
): Promise<Downloaded> {
  let current = checkedUrl(url, limits.allowedHosts);
  let headers = options.headers ?? {};
  const dispatcher = options.dispatcher ?? getGlobalDispatcher();
  const deadline = new AbortController();
  const timer = setTimeout(() => {
    deadline.abort(new DownloadRefused('timeout', where(current), `no complete answer within ${limits.timeoutMs} ms`));
  }, limits.timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      const answer = await fetchOnce(dispatcher, current, headers, limits, deadline.signal);
      if (!REDIRECTS.has(answer.statusCode)) return downloaded(current, answer);
      const next = redirectTarget(current, answer, hop, limits.allowedHosts);
      // credentials given for one origin stay there
      if (next.origin !== current.origin) headers = {};
      current = next;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `host` is on the allow-list: equal to an entry, or below a `*.suffix` entry (not the suffix itself). */
export function hostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const name = host.toLowerCase();
  return allowedHosts.some((entry) => {
    const rule = entry.trim().toLowerCase();
    return rule.startsWith('*.') ? name.endsWith(rule.slice(1)) && name.length > rule.length - 1 : name === rule;
  });
}

/** The file name a Content-Disposition header gives (`filename*` over `filename`), with any directory removed. */
export function filenameFromDisposition(value: string | undefined): string | null {
  if (!value) return null;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(value);
  let name: string | undefined;
  if (extended?.[2]) name = decodeExtended(extended[1] ?? '', extended[2].trim());
  if (name === undefined) {
    const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(value);
    name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2];
  }
  // a name is only a name: no directories, no control characters
  const base = name
    ?.split(/[/\\]/)
    .pop()
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    ?.replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
  return base && base !== '.' && base !== '..' ? base : null;
}

function decodeExtended(charset: string, encoded: string): string | undefined {
  try {
    if (/^utf-?8$/i.test(charset)) return decodeURIComponent(encoded);
    return encoded.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  } catch {
    return undefined;
  }
}

function where(url: URL): string {
  return `${url.host}${url.pathname}`;
}

function checkedUrl(raw: string | URL, allowedHosts: readonly string[]): URL {
  let url: URL;
  try {
    url = raw instanceof URL ? raw : new URL(raw);
  } catch {
    // the URL's own text stays out of the message: it may be a signed one with a typo
    throw new DownloadRefused('scheme', 'an unparsable URL', 'not an absolute URL');
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK.test(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw new DownloadRefused('scheme', where(url), `${url.protocol} is not allowed (https only)`);
  }
  if (!hostAllowed(url.hostname, allowedHosts)) {
    throw new DownloadRefused('host', where(url), 'host is not on the allow-list');
  }
  return url;
}

function redirectTarget(from: URL, answer: Answer, hop: number, allowedHosts: readonly string[]): URL {
  if (hop >= MAX_REDIRECTS) {
    throw new DownloadRefused('status', where(from), `more than ${MAX_REDIRECTS} redirects`, {
      status: answer.statusCode,
    });
  }
  const location = header(answer.headers, 'location');
  if (!location) {
    throw new DownloadRefused('status', where(from), `${answer.statusCode} without a location`, {
      status: answer.statusCode,
    });
  }
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new DownloadRefused('status', where(from), `${answer.statusCode} to an unparsable location`);
  }
  return checkedUrl(next, allowedHosts);
}

function downloaded(url: URL, answer: Answer): Downloaded {
  if (answer.statusCode < 200 || answer.statusCode > 299) {
    throw new DownloadRefused('status', where(url), `answered ${answer.statusCode}`, { status: answer.statusCode });
  }
  return {
    bytes: answer.bytes,
    contentType: header(answer.headers, 'content-type') ?? null,
    filename: filenameFromDisposition(header(answer.headers, 'content-disposition')),
  };
}

/**
 * One GET. Only a 2xx answer's body is read, and only up to maxBytes: a redirect or an error is settled on its
 * headers and its connection dropped, so a hostile server cannot make the bridge read more than it allows.
 */
function fetchOnce(
  dispatcher: Dispatcher,
  url: URL,
  headers: Record<string, string>,
  limits: DownloadLimits,
  signal: AbortSignal,
): Promise<Answer> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let statusCode = 0;
    let responseHeaders: IncomingHttpHeaders = {};
    let received = 0;
    const chunks: Buffer[] = [];
    const finish = (error: unknown, answer?: Answer) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (answer) resolve(answer);
      else reject(error instanceof DownloadRefused ? error : networkError(url, error));
    };
    const stop = (error: unknown, answer?: Answer) => {
      finish(error, answer);
      controller?.abort(new Error('download stopped'));
    };
    const onAbort = () => stop(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const tooLarge = (detail: string) => new DownloadRefused('too_large', where(url), detail);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (settled) c.abort(new Error('download stopped'));
      },
      onResponseStart(_c, status, h) {
        statusCode = status;
        responseHeaders = h;
        if (status < 200) return;
        if (status > 299) return stop(undefined, { statusCode, headers: h, bytes: Buffer.alloc(0) });
        const length = Number(header(h, 'content-length'));
        if (length > limits.maxBytes) stop(tooLarge(`content-length ${length} is over ${limits.maxBytes} bytes`));
      },
      onResponseData(_c, chunk) {
        received += chunk.length;
        if (received > limits.maxBytes) return stop(tooLarge(`body passed ${limits.maxBytes} bytes`));
        chunks.push(chunk);
      },
      onResponseEnd() {
        finish(undefined, { statusCode, headers: responseHeaders, bytes: Buffer.concat(chunks) });
      },
      onResponseError(_c, error) {
        finish(error);
      },
    };
    try {
      dispatcher.dispatch(
        {
          origin: url.origin,
          path: url.pathname + url.search,
          method: 'GET',
          headers,
          headersTimeout: limits.timeoutMs,
          bodyTimeout: limits.timeoutMs,
        },
        handler,
      );
    } catch (error) {
      finish(error);
    }
  });
}

function networkError(url: URL, error: unknown): DownloadRefused {
  const code = (error as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.name : 'request failed';
  // undici's timers fire as errors of their own; they are this download's deadline all the same
  const reason = /TIMEOUT/.test(detail) ? 'timeout' : 'network';
  return new DownloadRefused(reason, where(url), detail, { cause: error });
}
