import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BodyAborted, BodyBudget, type BodyRead, declaredLength, readBody, refuse } from '../../src/http/read-body.ts';

// readBody and BodyBudget against a plain node:http server and raw sockets: what is read, what is left unread,
// what the shared budget holds at each step, and that it is all given back.

const KB = 1024;
const MB = 1024 * KB;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the server saw of one request: readBody's outcome (or its error) and the socket's bytes read by then. */
interface Seen {
  outcome: BodyRead | Error;
  bytesReadAtOutcome: number;
  req: IncomingMessage;
  res: ServerResponse;
}

let port: number;
let onRequest: (req: IncomingMessage, res: ServerResponse) => void = () => {};
const server = createServer((req, res) => onRequest(req, res));

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** The next request the server gets is read with `readBody(limit, budget)`; resolves with what it saw. */
function nextRead(limit: number, budget: BodyBudget): Promise<Seen> {
  return new Promise((resolve) => {
    onRequest = (req, res) => {
      const settle = (outcome: BodyRead | Error) =>
        resolve({ outcome, bytesReadAtOutcome: req.socket.bytesRead, req, res });
      readBody(req, limit, budget).then(settle, (error: Error) => settle(error));
    };
  });
}

/** A raw client: the head (with `headers`), then whatever the test writes; `received()` is the answer so far. */
async function client(headers: Record<string, string>) {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => {}); // a reset once the server has closed: 'close' follows
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await once(socket, 'connect');
  const lines = Object.entries({ host: '127.0.0.1', ...headers }).map(([k, v]) => `${k}: ${v}`);
  const head = `POST /body HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
  socket.write(head);
  return { socket, head, closed, received: () => Buffer.concat(chunks).toString('latin1') };
}

describe('readBody', () => {
  it('reads a body of exactly the limit, whole, and leaves the budget as it found it', async () => {
    const budget = new BodyBudget({ freeBytes: 64 * KB, totalBytes: MB });
    const limit = 200 * KB; // beyond the free part: this body borrows from the shared budget while it is read
    const body = Buffer.alloc(limit, 'x');
    body.write('first', 0);
    body.write('last', limit - 4);
    const seen = nextRead(limit, budget);
    const c = await client({ 'content-length': String(limit) });
    c.socket.write(body);
    const { outcome, res } = await seen;
    expect(Buffer.isBuffer(outcome) && outcome.equals(body)).toBe(true);
    expect(budget.taken).toBe(0);
    res.end();
    c.socket.destroy();
  });

  it('limit + 1 bytes without a declared length: too-large, and the rest of what the sender offers is not read', async () => {
    const budget = new BodyBudget({ freeBytes: 64 * KB, totalBytes: 64 * MB });
    const limit = 256 * KB;
    const seen = nextRead(limit, budget);
    const c = await client({ 'transfer-encoding': 'chunked' });
    // one chunk of limit + 1 bytes, then 32 MB more, written as fast as the server takes them
    c.socket.write(`${(limit + 1).toString(16)}\r\n`);
    c.socket.write(Buffer.alloc(limit + 1, 'a'));
    c.socket.write('\r\n');
    let offered = 0;
    const more = Buffer.alloc(64 * KB, 'b');
    const pump = () => {
      while (offered < 32 * MB && !c.socket.destroyed) {
        offered += more.length;
        const ok = c.socket.write(`${more.length.toString(16)}\r\n`) && c.socket.write(more) && c.socket.write('\r\n');
        if (!ok) return void c.socket.once('drain', pump);
      }
    };
    pump();
    const { outcome, bytesReadAtOutcome, req, res } = await seen;
    expect(outcome).toBe('too-large');
    expect(budget.taken).toBe(0);
    // the sender keeps sending; the server has stopped reading (it is paused, not draining)
    await sleep(300);
    const readLater = req.socket.bytesRead;
    expect(bytesReadAtOutcome).toBeLessThan(limit + 256 * KB);
    expect(readLater).toBeLessThan(limit + MB);
    refuse(req, res, 413);
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(c.received().toLowerCase()).toContain('connection: close');
  });

  it('a declared length over the limit: too-large at once, before a byte of the body is sent', async () => {
    const budget = new BodyBudget({ freeBytes: 64 * KB, totalBytes: MB });
    const seen = nextRead(1000, budget);
    const c = await client({ 'content-length': '1001' });
    const { outcome, bytesReadAtOutcome, req, res } = await seen;
    expect(outcome).toBe('too-large');
    expect(bytesReadAtOutcome).toBe(Buffer.byteLength(c.head)); // the head and nothing else
    refuse(req, res, 413);
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('the shared budget spent: a body beyond the free part is busy, a small one is not; all of it comes back', async () => {
    const budget = new BodyBudget({ freeBytes: 1 * KB, totalBytes: 8 * KB });
    // A: 6 KB declared, 5 KB sent and held: it borrows 4 KB beyond its free 1 KB
    const seenA = nextRead(64 * KB, budget);
    const a = await client({ 'content-length': String(6 * KB) });
    a.socket.write(Buffer.alloc(5 * KB, 'a'));
    for (let i = 0; i < 200 && budget.taken < 4 * KB; i++) await sleep(5);
    expect(budget.taken).toBe(4 * KB);

    // B: 6 KB would need 5 KB more than its free part, and only 4 KB are left: busy, and what it took is given back
    const seenB = nextRead(64 * KB, budget);
    const b = await client({ 'content-length': String(6 * KB) });
    b.socket.write(Buffer.alloc(6 * KB, 'b'));
    const B = await seenB;
    expect(B.outcome).toBe('busy');
    expect(budget.taken).toBe(4 * KB);
    refuse(B.req, B.res, 503, undefined, { 'retry-after': '1' });
    await b.closed;
    expect(b.received()).toMatch(/^HTTP\/1\.1 503 /);
    expect(b.received().toLowerCase()).toContain('retry-after: 1');

    // C: a body within the free part never asks the budget, spent or not
    const seenC = nextRead(64 * KB, budget);
    const c = await client({ 'content-length': String(KB) });
    c.socket.write(Buffer.alloc(KB, 'c'));
    const C = await seenC;
    expect(Buffer.isBuffer(C.outcome) && C.outcome.length).toBe(KB);
    C.res.end();
    c.socket.destroy();

    // A's last kilobyte: it gets the whole body, and the budget is back to nothing taken
    a.socket.write(Buffer.alloc(KB, 'a'));
    const A = await seenA;
    expect(Buffer.isBuffer(A.outcome) && A.outcome.length).toBe(6 * KB);
    expect(budget.taken).toBe(0);
    A.res.end();
    a.socket.destroy();
  });

  it('a paced budget: two bodies beyond the free part are both read whole, in turns, and nobody is left waiting', async () => {
    // 512 KB/s after a 64 KB burst: each 256 KB body waits its turns, about 0.8 s for both
    const budget = new BodyBudget({
      freeBytes: 16 * KB,
      totalBytes: 4 * MB,
      bytesPerSecond: 512 * KB,
      burstBytes: 64 * KB,
    });
    const seenA = nextRead(MB, budget);
    const a = await client({ 'content-length': String(256 * KB) });
    const seenB = (async () => {
      // B's request arrives once A is being read
      for (let i = 0; i < 200 && budget.taken === 0; i++) await sleep(5);
      const next = nextRead(MB, budget);
      const b = await client({ 'content-length': String(256 * KB) });
      b.socket.write(Buffer.alloc(256 * KB, 'b'));
      return { seen: await next, b };
    })();
    a.socket.write(Buffer.alloc(256 * KB, 'a'));
    let sawWaiting = 0;
    const watch = setInterval(() => {
      sawWaiting = Math.max(sawWaiting, budget.waiting);
    }, 2);
    const A = await seenA;
    const { seen: B, b } = await seenB;
    clearInterval(watch);
    expect(Buffer.isBuffer(A.outcome) && A.outcome.length).toBe(256 * KB);
    expect(Buffer.isBuffer(B.outcome) && B.outcome.length).toBe(256 * KB);
    expect(sawWaiting).toBeGreaterThanOrEqual(1); // the pace held readers back
    expect(budget.waiting).toBe(0);
    expect(budget.taken).toBe(0);
    A.res.end();
    B.res.end();
    a.socket.destroy();
    b.socket.destroy();
  });

  it('a sender that goes away while its read waits for the pace leaves the line and gives back what it took', async () => {
    const budget = new BodyBudget({ freeBytes: 1 * KB, totalBytes: MB, bytesPerSecond: 1, burstBytes: 1 });
    const seen = nextRead(MB, budget);
    const c = await client({ 'content-length': String(64 * KB) });
    c.socket.write(Buffer.alloc(32 * KB, 'x'));
    for (let i = 0; i < 200 && budget.waiting === 0; i++) await sleep(5);
    expect(budget.waiting).toBe(1);
    c.socket.destroy();
    const { outcome } = await seen;
    expect(outcome).toBeInstanceOf(BodyAborted);
    expect(budget.waiting).toBe(0);
    expect(budget.taken).toBe(0);
  });

  it('the budget held by one large body: a smaller one makes room, the large one is refused busy', async () => {
    const budget = new BodyBudget({ freeBytes: 1 * KB, totalBytes: 8 * KB });
    // A declares 64 KB and has sent 9 KB: it holds the whole budget
    const seenA = nextRead(64 * KB, budget);
    const a = await client({ 'content-length': String(64 * KB) });
    a.socket.write(Buffer.alloc(9 * KB, 'a'));
    for (let i = 0; i < 200 && budget.taken < 8 * KB; i++) await sleep(5);
    expect(budget.taken).toBe(8 * KB);
    // B needs 2 KB beyond its free part: A, holding more than that, is refused to make room
    const seenB = nextRead(64 * KB, budget);
    const b = await client({ 'content-length': String(3 * KB) });
    b.socket.write(Buffer.alloc(3 * KB, 'b'));
    const [A, B] = await Promise.all([seenA, seenB]);
    expect(A.outcome).toBe('busy');
    expect(Buffer.isBuffer(B.outcome) && B.outcome.length).toBe(3 * KB);
    expect(budget.taken).toBe(0);
    refuse(A.req, A.res, 503);
    await a.closed;
    expect(a.received()).toMatch(/^HTTP\/1\.1 503 /);
    B.res.end();
    b.socket.destroy();
  });

  it('a sender that goes away mid-body: rejects with BodyAborted, and what it borrowed is given back', async () => {
    const budget = new BodyBudget({ freeBytes: 1 * KB, totalBytes: 64 * KB });
    const seen = nextRead(64 * KB, budget);
    const c = await client({ 'content-length': String(32 * KB) });
    c.socket.write(Buffer.alloc(10 * KB, 'x'));
    for (let i = 0; i < 200 && budget.taken < 9 * KB; i++) await sleep(5);
    expect(budget.taken).toBe(9 * KB);
    c.socket.destroy();
    const { outcome } = await seen;
    expect(outcome).toBeInstanceOf(BodyAborted);
    expect(budget.taken).toBe(0);
  });
});

describe('BodyBudget', () => {
  /** A reader that will need `needs` bytes in all, and notes when the budget refuses it. */
  const reader = (needs: number) => {
    const r = {
      borrowed: 0,
      needs,
      evicted: false,
      evict: () => {
        r.evicted = true;
      },
    };
    return r;
  };

  it('takes up to its total; a reader needing as much or more than the others hold is refused, nobody evicted', () => {
    const budget = new BodyBudget({ freeBytes: 10, totalBytes: 100 });
    const a = reader(100);
    const b = reader(60);
    expect(budget.take(a, 60)).toBe(true);
    expect(budget.take(b, 41)).toBe(false); // a holds 60, not more than b's 60
    expect([budget.taken, a.borrowed, b.borrowed, a.evicted]).toEqual([60, 60, 0, false]);
    expect(budget.take(b, 40)).toBe(true);
    budget.release(a);
    budget.release(a);
    expect([budget.taken, a.borrowed]).toEqual([40, 0]);
    budget.release(b);
    expect(budget.taken).toBe(0);
  });

  it('full: makes room for a smaller body by refusing the largest holder that holds more than it needs', () => {
    const budget = new BodyBudget({ freeBytes: 10, totalBytes: 100 });
    const big = reader(1000);
    const bigger = reader(1000);
    expect(budget.take(big, 30)).toBe(true);
    expect(budget.take(bigger, 70)).toBe(true);
    const small = reader(20);
    expect(budget.take(small, 20)).toBe(true);
    expect([bigger.evicted, big.evicted]).toEqual([true, false]); // the largest first, and only as many as needed
    expect([budget.taken, bigger.borrowed, big.borrowed, small.borrowed]).toEqual([50, 0, 30, 20]);
    // one more like the first, needing 1000: it holds no less than the others, nobody makes room for it
    expect(budget.take(reader(1000), 60)).toBe(false);
    expect(big.evicted).toBe(false);
  });
});

describe('BodyBudget pace', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets bytes through at its rate after the burst, readers taking turns, and forgets one that leaves', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const budget = new BodyBudget({ freeBytes: 0, totalBytes: 10_000, bytesPerSecond: 1000, burstBytes: 100 });
    expect(budget.pace(100)).toBe(true); // the burst
    expect(budget.pace(50)).toBe(false); // 50 ahead: 50 ms at 1000 B/s
    const turns: string[] = [];
    budget.wait(() => turns.push('a'));
    budget.wait(() => turns.push('b'));
    const leaveC = budget.wait(() => turns.push('c'));
    expect(budget.waiting).toBe(3);
    vi.advanceTimersByTime(49);
    expect(turns).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(turns).toEqual(['a']); // one reader at a time
    // a reads its next chunk, is 30 ahead again, and goes to the back of the line
    expect(budget.pace(30)).toBe(false);
    budget.wait(() => turns.push('a'));
    leaveC();
    vi.advanceTimersByTime(29);
    expect(turns).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(turns).toEqual(['a', 'b']);
    vi.advanceTimersByTime(1);
    expect(turns).toEqual(['a', 'b', 'a']); // c left the line: never called
    expect(budget.waiting).toBe(0);
    // time earns allowance up to the burst, no more
    vi.advanceTimersByTime(10_000);
    expect(budget.pace(100)).toBe(true);
    expect(budget.pace(1)).toBe(false);
  });

  it('without a rate, never holds a reader back', () => {
    const budget = new BodyBudget({ freeBytes: 0, totalBytes: 10 * MB });
    expect(budget.pace(10 * MB)).toBe(true);
    expect(budget.pace(10 * MB)).toBe(true);
  });
});

describe('declaredLength', () => {
  it('reads plain decimal lengths only', () => {
    const of = (value: string | undefined) =>
      declaredLength({ headers: value === undefined ? {} : { 'content-length': value } } as IncomingMessage);
    expect([of('0'), of('1000'), of('999999999999999')]).toEqual([0, 1000, 999999999999999]);
    expect([of(undefined), of(''), of('-1'), of('1e3'), of(' 5'), of('0x10'), of('1234567890123456')]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
