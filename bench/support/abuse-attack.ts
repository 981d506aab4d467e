import { connect } from 'node:net';

// Forged requests for the abuse benchmark (bench/abuse.ts), sent over raw sockets so that each byte on the wire
// is ours to choose: big bodies with a wrong signature or none, and bodies that declare their full length but
// trickle in. Each request has a connection of its own and ends at its first answer (the status line is read,
// then the socket closed: an attacker stops at "401"), when the server closes or resets the connection, or after
// `timeoutMs`. Run in its own process by abuse-attacker.ts, so that its work does not delay the driver's timings.

export const ATTACK_KINDS = [
  'intercom, wrong signature',
  'intercom, no signature header',
  'slack, wrong signature',
  'slack, no signature headers',
  'intercom, trickled',
  'slack, trickled',
] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

export interface AttackOptions {
  port: number;
  /** How many requests of each kind; they are interleaved evenly. */
  counts: Record<AttackKind, number>;
  /** The length of each body (declared in Content-Length, and sent in full unless trickled). */
  bodyBytes: number;
  /** Requests in flight at most. */
  concurrency: number;
  /** Each request is given up (the socket destroyed) after this long. */
  timeoutMs: number;
  /** Trickled bodies: `bytes` every `everyMs`. */
  trickle: { bytes: number; everyMs: number };
}

export interface AttackResult {
  kind: AttackKind;
  /** The answer's status code, or `closed` (closed or reset with no answer), or `timeout`. */
  outcome: string;
  /** The socket error, when the connection ended in one (ECONNRESET, EPIPE…). */
  error?: string;
  /** Body bytes handed to the kernel before the request ended. */
  sent: number;
  /** Wall-clock times (ms since the epoch, fractional; comparable across processes). */
  startedAt: number;
  endedAt: number;
}

/** Milliseconds since the epoch, with the monotonic clock's resolution. */
export const wallNow = () => performance.timeOrigin + performance.now();

/** The kinds in an order that spreads each evenly over the whole run. */
export function interleave(counts: Record<AttackKind, number>): AttackKind[] {
  return ATTACK_KINDS.flatMap((kind) =>
    Array.from({ length: counts[kind] }, (_, i) => ({ kind, at: (i + 0.5) / counts[kind] })),
  )
    .sort((a, b) => a.at - b.at)
    .map((x) => x.kind);
}

/** One body for all requests of an endpoint (the kernel reads it from the same memory every time). */
function bodyOf(slack: boolean, bytes: number): Buffer {
  const head = slack
    ? 'payload=%7B%22type%22%3A%22block_actions%22%2C%22pad%22%3A%22'
    : '{"type":"notification_event","pad":"';
  const tail = slack ? '%22%7D' : '"}';
  const body = Buffer.alloc(bytes, 'a');
  body.write(head, 0, 'latin1');
  body.write(tail, bytes - tail.length, 'latin1');
  return body;
}

function requestHead(kind: AttackKind, port: number, length: number): string {
  const slack = kind.startsWith('slack');
  const lines = [
    `POST ${slack ? '/slack/events' : '/intercom/webhooks'} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    `Content-Type: ${slack ? 'application/x-www-form-urlencoded' : 'application/json'}`,
    `Content-Length: ${length}`,
  ];
  if (!kind.includes('no signature')) {
    if (slack) {
      // a fresh timestamp: the signature itself has to be computed to be found wrong
      lines.push(
        `X-Slack-Request-Timestamp: ${Math.floor(Date.now() / 1000)}`,
        `X-Slack-Signature: v0=${'ab'.repeat(32)}`,
      );
    } else lines.push(`X-Hub-Signature: sha1=${'cd'.repeat(20)}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function send(kind: AttackKind, body: Buffer, options: AttackOptions): Promise<AttackResult> {
  return new Promise((resolve) => {
    const startedAt = wallNow();
    const trickled = kind.endsWith('trickled');
    let sent = 0;
    let head = '';
    let error: string | undefined;
    let done = false;
    let trickle: NodeJS.Timeout | undefined;
    const socket = connect({ host: '127.0.0.1', port: options.port });
    const finish = (outcome: string) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearInterval(trickle);
      socket.destroy();
      resolve({ kind, outcome, ...(error ? { error } : {}), sent, startedAt, endedAt: wallNow() });
    };
    const deadline = setTimeout(() => finish('timeout'), options.timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.write(requestHead(kind, options.port, body.length));
      if (!trickled) {
        socket.write(body, (e) => {
          if (!e) sent = body.length;
        });
        return;
      }
      trickle = setInterval(() => {
        if (sent >= body.length) return clearInterval(trickle);
        const chunk = body.subarray(sent, sent + options.trickle.bytes);
        sent += chunk.length;
        socket.write(chunk);
      }, options.trickle.everyMs);
    });
    socket.on('data', (data: Buffer) => {
      head += data.toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(head)?.[1];
      if (status) finish(status);
      else if (head.length > 64) finish('garbled');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on('close', () => finish('closed'));
  });
}

/** Sends every planned request, `concurrency` at a time; resolves when the last has ended. */
export async function attack(options: AttackOptions): Promise<{ results: AttackResult[]; maxInFlight: number }> {
  const plan = interleave(options.counts);
  const bodies = { slack: bodyOf(true, options.bodyBytes), intercom: bodyOf(false, options.bodyBytes) };
  const results: AttackResult[] = [];
  let next = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency, plan.length) }, async () => {
      while (next < plan.length) {
        const kind = plan[next++] as AttackKind;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        results.push(await send(kind, kind.startsWith('slack') ? bodies.slack : bodies.intercom, options));
        inFlight -= 1;
      }
    }),
  );
  return { results, maxInFlight };
}
