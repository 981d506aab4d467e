import type { IncomingMessage, ServerResponse } from 'node:http';
import { conversationIdOf } from '../bridge/conversation-sync.ts';
import { CONVERSATION_TOPICS } from '../bridge/jobs.ts';
import type { InboxWorker } from '../bridge/worker.ts';
import {
  type IncomingNotification,
  parseIncomingNotification,
  topicOf,
  verifyWebhookSignature,
} from '../intercom/webhooks.ts';
import type { Logger } from '../logger.ts';
import { BODY_BUDGET, BodyAborted, type BodyBudget, readBody, refuse } from './read-body.ts';

export const WEBHOOK_PATH = '/intercom/webhooks';

export type WebhookOutcome =
  | 'accepted'
  | 'duplicate'
  | 'ignored'
  | 'ping'
  | 'unconfigured'
  | 'too_large'
  | 'busy'
  | 'bad_signature'
  | 'malformed'
  | 'too_old'
  | 'too_new'
  | 'aborted'
  | 'error';

export interface WebhookRouteOptions {
  /** The Intercom app's client secret; without it webhooks are refused with 503. */
  clientSecret: string | undefined;
  /**
   * Where accepted notifications go: the worker, whose `enqueue` stores each one (as an arrival, which counts toward
   * a burst) and wakes itself.
   */
  inbox: Pick<InboxWorker, 'enqueue'>;
  logger: Logger;
  /** Told how each request ended (accepted, duplicate, ignored, ping, or why it was refused), e.g. to count them. */
  onOutcome?: (outcome: WebhookOutcome) => void;
  /** Bodies above this are refused with 413 (Bolt's own limit for Slack is 4 MB). */
  maxBodyBytes?: number;
  /** Signed notifications older than this (seconds) are treated as replays and refused. */
  maxAgeSeconds?: number;
  /** Signed notifications dated further ahead than this (seconds) are refused: a clock that far off, or a forgery. */
  maxAheadSeconds?: number;
  /** The shared budget for unverified bodies (read-body.ts); the process's own unless a test brings one. */
  bodyBudget?: BodyBudget;
  now?: () => number;
}

/**
 * POST /intercom/webhooks: verify the signature on the raw bytes, parse the envelope, store the delivery
 * (duplicates are recognised by notification id) and answer 200 at once — Intercom allows 5 s and prefers
 * 500 ms; the worker does the rest. HEAD answers 200 (Intercom checks the URL with it).
 *
 * What can be refused from the headers alone (no secret, no signature, a declared length over the limit) is
 * refused before a byte of the body is read. Those answers, and any given before the body was read to its end,
 * close the connection (`refuse`): a sender cannot make the server read what it keeps sending.
 */
export function intercomWebhookRoute(options: WebhookRouteOptions) {
  const { clientSecret, inbox, logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
  const maxAgeSeconds = options.maxAgeSeconds ?? 24 * 3600;
  const maxAheadSeconds = options.maxAheadSeconds ?? 5 * 60;
  const now = options.now ?? Date.now;
  const log = logger.child({ component: 'intercom-webhooks' });
  const counted = (outcome: WebhookOutcome) => options.onOutcome?.(outcome);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'HEAD') return reply(res, 200);
    const signature = signatureOf(req);
    if (!clientSecret || signature === undefined) return refuseFromHeaders(req, res, clientSecret);
    const body = await readBody(req, maxBodyBytes, options.bodyBudget ?? BODY_BUDGET);
    if (!Buffer.isBuffer(body)) return refuseUnread(req, res, body);
    const verdict = judgeWebhook(body, signature, clientSecret, now() / 1000, { maxAgeSeconds, maxAheadSeconds });
    if (verdict.outcome !== 'store') {
      const { level, fields, msg } = verdict.log;
      const remote = verdict.outcome === 'bad_signature' ? { remote: req.socket.remoteAddress } : {};
      log[level]({ ...remote, ...fields }, msg);
      counted(verdict.outcome);
      return reply(res, verdict.status, verdict.answer);
    }
    const n = verdict.notification;
    const receivedAt = now();
    const fresh = await inbox.enqueue(
      {
        id: n.id,
        topic: n.topic,
        conversationId: conversationIdOf(n),
        createdAt: n.created_at,
        payload: body.toString('utf8'),
        receivedAt,
      },
      { arrival: true },
    );
    log.debug({ notification: n.id, topic: n.topic, duplicate: !fresh }, 'webhook accepted');
    counted(fresh ? 'accepted' : 'duplicate');
    return reply(res, 200, { ok: true, duplicate: !fresh });
  }

  /** No secret to check with, or nothing to check: refused before a byte of the body is read. */
  function refuseFromHeaders(req: IncomingMessage, res: ServerResponse, secret: string | undefined): void {
    if (!secret) {
      log.warn('webhook refused: INTERCOM_CLIENT_SECRET is not set');
      counted('unconfigured');
      refuse(req, res, 503, { error: 'webhooks are not configured on this bridge' });
      return;
    }
    log.warn({ remote: req.socket.remoteAddress }, 'webhook refused: no X-Hub-Signature header');
    counted('bad_signature');
    refuse(req, res, 401, { error: 'invalid signature' });
  }

  /** A body not read to its end: over the limit, or the shared budget for unverified bodies is spent. */
  function refuseUnread(req: IncomingMessage, res: ServerResponse, why: 'too-large' | 'busy'): void {
    if (why === 'too-large') {
      log.warn({ limit: maxBodyBytes }, 'webhook refused: body too large');
      counted('too_large');
      refuse(req, res, 413, { error: `body over ${maxBodyBytes} bytes` });
      return;
    }
    // read-body.ts's shared budget for unverified bodies is spent: others are being read right now
    log.warn('webhook refused: too many large bodies being read at once');
    counted('busy');
    refuse(req, res, 503, { error: 'busy, try again' }, { 'retry-after': '1' });
  }

  return {
    path: WEBHOOK_PATH,
    method: ['POST', 'HEAD'],
    handler(req: IncomingMessage, res: ServerResponse) {
      handle(req, res).catch((error: unknown) => {
        if (error instanceof BodyAborted) {
          log.debug('webhook abandoned by its sender mid-body');
          return counted('aborted');
        }
        log.error({ err: error }, 'webhook could not be stored');
        counted('error');
        if (!res.headersSent) reply(res, 500, { error: 'could not store the notification' });
      });
    },
  };
}

/**
 * The X-Hub-Signature header, or undefined when none or empty. Node has already stripped the spaces around it, and
 * joined a header sent twice with ", " (which then verifies as nothing).
 */
function signatureOf(req: IncomingMessage): string | undefined {
  const header = req.headers['x-hub-signature'];
  return (Array.isArray(header) ? header[0] : header) || undefined;
}

function reply(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** What a signed body means, decided before anything is stored; `log` is the line the refusal deserves. */
export type WebhookVerdict =
  | {
      outcome: 'bad_signature' | 'malformed' | 'too_old' | 'too_new' | 'ping' | 'ignored';
      status: number;
      answer: Record<string, unknown>;
      log: { level: 'warn' | 'info' | 'debug'; fields: Record<string, unknown>; msg: string };
    }
  | { outcome: 'store'; notification: IncomingNotification };

/** A signed ping: answered and logged, nothing stored (a replayed one does no more than log again). */
function pingVerdict(n: IncomingNotification | undefined): WebhookVerdict {
  const fields = { notification: n?.id ?? null, appId: n?.app_id };
  return {
    outcome: 'ping',
    status: 200,
    answer: { ok: true },
    log: { level: 'info', fields, msg: 'Intercom ping received' },
  };
}

/**
 * The webhook's rules on a body read whole, in order: the signature; a ping or a topic the bridge does not use
 * (answered whatever the rest holds); the envelope; the replay window (too old, or dated ahead). What passes is
 * stored. Pure: `nowSeconds` is the clock.
 */
export function judgeWebhook(
  body: Buffer,
  signature: string,
  clientSecret: string,
  nowSeconds: number,
  window: { maxAgeSeconds: number; maxAheadSeconds: number },
): WebhookVerdict {
  if (!verifyWebhookSignature(body, signature, clientSecret)) {
    const log = { level: 'warn', fields: {}, msg: 'webhook refused: bad signature' } as const;
    return { outcome: 'bad_signature', status: 401, answer: { error: 'invalid signature' }, log };
  }
  const parsed = parseIncomingNotification(body);
  const topic = parsed.ok ? parsed.notification.topic : topicOf(body);
  // a ping or a topic the bridge does not act on is acknowledged whatever its data holds: Intercom suspends a webhook
  // whose deliveries keep failing (its own ping has `id: null`; conversation.contact.attached an item with no type)
  if (topic === 'ping') return pingVerdict(parsed.ok ? parsed.notification : undefined);
  if (topic !== undefined && !CONVERSATION_TOPICS.has(topic)) {
    const log = { level: 'debug', fields: { topic }, msg: 'webhook topic not used: ignored' } as const;
    return { outcome: 'ignored', status: 200, answer: { ok: true, ignored: true }, log };
  }
  if (!parsed.ok) {
    const log = {
      level: 'warn',
      fields: { problems: parsed.problems },
      msg: 'webhook refused: not a notification',
    } as const;
    const answer = { error: 'not an Intercom notification', problems: parsed.problems };
    return { outcome: 'malformed', status: 400, answer, log };
  }
  const n = parsed.notification;
  const about = { notification: n.id, topic: n.topic, createdAt: n.created_at };
  const age = nowSeconds - n.created_at;
  if (age > window.maxAgeSeconds) {
    const log = { level: 'warn', fields: about, msg: 'webhook refused: too old (a replay?)' } as const;
    return { outcome: 'too_old', status: 401, answer: { error: 'notification too old' }, log };
  }
  if (-age > window.maxAheadSeconds) {
    const msg = `webhook refused: dated more than ${window.maxAheadSeconds} s in the future (a clock off, or a forgery?)`;
    const log = { level: 'warn', fields: about, msg } as const;
    return { outcome: 'too_new', status: 401, answer: { error: 'notification dated in the future' }, log };
  }
  return { outcome: 'store', notification: n };
}
