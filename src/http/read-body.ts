import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The bytes of request bodies being read across all connections, before anyone has checked their signature. Each
 * request reads its first `freeBytes` without asking, so the small bodies Slack and Intercom really send never wait
 * on this; beyond that it must take from the shared `totalBytes`, and a request that cannot is refused at once. A
 * flood of forged large bodies then costs at most connections × freeBytes + totalBytes of memory.
 */
export class BodyBudget {
  readonly freeBytes: number;
  readonly totalBytes: number;
  #taken = 0;

  constructor(options: { freeBytes: number; totalBytes: number }) {
    this.freeBytes = options.freeBytes;
    this.totalBytes = options.totalBytes;
  }

  /** Bytes taken from the shared part now. */
  get taken(): number {
    return this.#taken;
  }

  take(bytes: number): boolean {
    if (this.#taken + bytes > this.totalBytes) return false;
    this.#taken += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#taken = Math.max(0, this.#taken - bytes);
  }
}

/** The process's one budget: every route that buffers a body before checking it shares it. */
export const BODY_BUDGET = new BodyBudget({ freeBytes: 64 * 1024, totalBytes: 24 * 1024 * 1024 });

/** The sender went away before its body was complete: nobody to answer, nothing to log above debug. */
export class BodyAborted extends Error {
  constructor() {
    super('the request was aborted before its body arrived');
    this.name = 'BodyAborted';
  }
}

export type BodyRead = Buffer | 'too-large' | 'busy';

/**
 * Reads the body, stopping at `limit`: past it, or when the declared length is already over it, nothing more is
 * read ('too-large'); when the shared budget cannot hold the part beyond the free allowance, 'busy'. Either way the
 * caller answers with `refuse`, which closes the connection instead of draining what the sender still has.
 */
export function readBody(req: IncomingMessage, limit: number, budget = BODY_BUDGET): Promise<BodyRead> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) return Promise.resolve('too-large');
  // events rather than `for await`: leaving that loop early destroys the socket, and the sender would never see
  // the answer saying why
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let borrowed = 0;
    const finish = (outcome: BodyRead | Error) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      budget.give(borrowed);
      if (outcome instanceof Error) reject(outcome);
      else {
        if (!Buffer.isBuffer(outcome)) req.pause();
        resolve(outcome);
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish('too-large');
      const over = size - budget.freeBytes - borrowed;
      if (over > 0) {
        if (!budget.take(over)) return finish('busy');
        borrowed += over;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(Buffer.concat(chunks, size));
    // a sender that goes away mid-body shows up as an error ('aborted') on the request before its close
    const onError = (error: Error) => finish(req.complete ? error : new BodyAborted());
    const onClose = () => {
      if (!req.complete) finish(new BodyAborted());
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** `Content-Length` as a number, when the request declares one that makes sense. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Answers a request whose body will not be read (or not read to its end) and closes the connection: draining the
 * rest would let a sender keep the server busy as long as it likes. The socket is given a moment to deliver the
 * answer before it is destroyed, since closing with unread bytes can make the sender miss it.
 */
export function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  req.pause();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  res.shouldKeepAlive = false;
  res.writeHead(status, {
    connection: 'close',
    'content-length': String(payload === undefined ? 0 : Buffer.byteLength(payload)),
    ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    ...headers,
  });
  res.end(payload, () => {
    req.socket.end();
    setTimeout(() => req.socket.destroy(), 1_000).unref();
  });
}
