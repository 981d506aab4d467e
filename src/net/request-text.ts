import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

export interface TextResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The whole body, decoded as UTF-8 ('' when there is none). */
  text: string;
}

/**
 * One request through undici's `dispatch`, its body collected as text. undici's `request()` is the same call
 * wrapped in an AsyncResource and a Readable stream that `body.text()` then drains; for the small JSON answers
 * of Intercom and Slack that wrapping is a quarter of the instructions per call (bench/intercom-client, and
 * docs/benchmarks.md). Errors are undici's own (timeouts, connection errors), or the signal's reason.
 */
export function requestText(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal?: AbortSignal,
): Promise<TextResponse> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let statusCode = 0;
    let headers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    const onAbort = () => {
      // settle at once: a request still queued for a connection would otherwise only hear of it when one opens
      finish(signal?.reason);
      controller?.abort(signal?.reason);
    };
    const finish = (error: unknown, response?: TextResponse) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (response) resolve(response);
      else reject(error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (settled) c.abort(signal?.reason ?? new Error('request abandoned'));
      },
      // called for a 1xx too; the final answer's call comes last and wins
      onResponseStart(_c, status, responseHeaders) {
        statusCode = status;
        headers = responseHeaders;
      },
      onResponseData(_c, chunk) {
        chunks.push(chunk);
      },
      onResponseEnd() {
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        finish(undefined, { statusCode, headers, text: body.toString('utf8') });
      },
      onResponseError(_c, error) {
        finish(error);
      },
    };
    try {
      dispatcher.dispatch(options, handler);
    } catch (error) {
      finish(error);
    }
  });
}

/** A response header's value; the first, when it came more than once. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `?a=1&b=two` from the defined values, each key and value percent-encoded; '' when none is left. */
export function queryString(query: Record<string, string | number | boolean | undefined> | undefined): string {
  if (!query) return '';
  let out = '';
  for (const key in query) {
    const value = query[key];
    if (value === undefined) continue;
    out += `${out ? '&' : '?'}${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
  }
  return out;
}
