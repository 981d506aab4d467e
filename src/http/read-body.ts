import type { IncomingMessage, ServerResponse } from 'node:http';

/** A body being read that has taken from the shared budget. */
export interface Borrower {
  /** Bytes taken now. */
  borrowed: number;
  /** Bytes it will take in all when read to its end (beyond the free part), as far as is known. */
  readonly needs: number;
  /** Called when the budget refuses it to make room for a smaller body; what it took is already given back. */
  evict(): void;
}

/**
 * The bytes of request bodies being read across all connections, before anyone has checked their signature. Each
 * request reads its first `freeBytes` without asking, so the small bodies Slack and Intercom really send never wait
 * on this; beyond that it must take from the shared `totalBytes`, and a request that cannot is refused at once (after
 * refusing larger ones, see `take`). A flood of forged large bodies then costs at most connections × freeBytes + totalBytes of memory.
 *
 * The same bytes are also paced: together they are read at `bytesPerSecond` at most (after a burst of `burstBytes`),
 * the readers taking turns. Memory alone does not bound the CPU a flood costs: refused senders are replaced at once,
 * and reading forged bodies as fast as the network brings them kept the event loop (and /healthz) waiting.
 */
export class BodyBudget {
  readonly freeBytes: number;
  readonly totalBytes: number;
  readonly bytesPerSecond: number;
  readonly burstBytes: number;
  #taken = 0;
  readonly #readers = new Set<Borrower>();
  /** Bytes the pace allows now; below zero, readers wait until time has paid it back. */
  #allowance: number;
  #refilledAt = performance.now();
  readonly #waiting: Array<() => void> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: { freeBytes: number; totalBytes: number; bytesPerSecond?: number; burstBytes?: number }) {
    this.freeBytes = options.freeBytes;
    this.totalBytes = options.totalBytes;
    this.bytesPerSecond = options.bytesPerSecond ?? Number.POSITIVE_INFINITY;
    this.burstBytes = options.burstBytes ?? options.totalBytes;
    this.#allowance = this.burstBytes;
  }

  /** Bytes taken from the shared part now. */
  get taken(): number {
    return this.#taken;
  }

  /** Readers paused until the pace lets them go on. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Takes `bytes` more for `reader`. When the budget is full, a reader holding more than `reader` will ever need
   * is refused to make room (the largest first): a flood of the largest bodies cannot keep out an ordinary one.
   * False when no such reader is left and there is still no room.
   */
  take(reader: Borrower, bytes: number): boolean {
    while (this.#taken + bytes > this.totalBytes) {
      let largest: Borrower | undefined;
      for (const other of this.#readers) {
        if (other !== reader && other.borrowed > reader.needs && other.borrowed > (largest?.borrowed ?? 0))
          largest = other;
      }
      if (!largest) return false;
      this.release(largest);
      largest.evict();
    }
    this.#taken += bytes;
    reader.borrowed += bytes;
    this.#readers.add(reader);
    return true;
  }

  /** Gives back all that `reader` took. */
  release(reader: Borrower): void {
    this.#taken = Math.max(0, this.#taken - reader.borrowed);
    reader.borrowed = 0;
    this.#readers.delete(reader);
  }

  /**
   * Counts `bytes` just read against the pace. False when the reader is ahead of it: it should pause and `wait`.
   * The bytes are counted either way (the allowance may go below zero by a chunk per reader).
   */
  pace(bytes: number): boolean {
    this.#refill();
    this.#allowance -= bytes;
    return this.#allowance >= 0;
  }

  /** Calls `resume` when it is this reader's turn; the function returned takes it out of the line. */
  wait(resume: () => void): () => void {
    this.#waiting.push(resume);
    this.#schedule();
    return () => {
      const at = this.#waiting.indexOf(resume);
      if (at !== -1) this.#waiting.splice(at, 1);
    };
  }

  #refill(): void {
    const now = performance.now();
    const earned = ((now - this.#refilledAt) / 1000) * this.bytesPerSecond;
    this.#allowance = Math.min(this.burstBytes, this.#allowance + earned);
    this.#refilledAt = now;
  }

  #schedule(): void {
    if (this.#timer || this.#waiting.length === 0) return;
    const ms = Math.max(1, Math.ceil((-this.#allowance / this.bytesPerSecond) * 1000));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refill();
      // one reader at a time: it reads a chunk, counts it, and goes to the back of the line if still ahead
      if (this.#allowance >= 0) this.#waiting.shift()?.();
      this.#schedule();
    }, ms);
    this.#timer.unref();
  }
}

/**
 * The process's one budget: every route that buffers a body before checking it shares it. 12 MiB at once and 16 MiB/s
 * of unverified bytes past the free 64 KiB is far more than Intercom sends (its notifications are a few KB to a few
 * hundred) and still holds two bodies at the largest limit (5 MiB). 16 MiB kept VmHWM within 1 MB of bench:abuse's
 * 200 MB target when the idle process started high; 12 MiB left 13-22 MB.
 */
export const BODY_BUDGET = new BodyBudget({
  freeBytes: 64 * 1024,
  totalBytes: 12 * 1024 * 1024,
  bytesPerSecond: 16 * 1024 * 1024,
  burstBytes: 1024 * 1024,
});

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
    let leaveLine: (() => void) | undefined;
    const me: Borrower = {
      borrowed: 0,
      // without a declared length it may need up to the limit: it never makes room for itself by refusing others
      needs: Math.max(0, (declared ?? limit) - budget.freeBytes),
      evict: () => finish('busy'),
    };
    const finish = (outcome: BodyRead | Error) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      leaveLine?.();
      budget.release(me);
      if (outcome instanceof Error) reject(outcome);
      else {
        if (!Buffer.isBuffer(outcome)) req.pause();
        resolve(outcome);
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return finish('too-large');
      const over = size - budget.freeBytes - me.borrowed;
      chunks.push(chunk);
      if (over <= 0) return;
      if (!budget.take(me, over)) return finish('busy');
      if (!budget.pace(over)) {
        req.pause();
        leaveLine = budget.wait(() => {
          leaveLine = undefined;
          req.resume();
        });
      }
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
