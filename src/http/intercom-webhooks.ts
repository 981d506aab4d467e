import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONVERSATION_TOPICS, conversationIdOf } from '../bridge/conversation-sync.ts';
import { parseIncomingNotification, verifyWebhookSignature } from '../intercom/webhooks.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import { BodyAborted, readBody, refuse } from './read-body.ts';

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
  store: Store;
  logger: Logger;
  /** Called after a new delivery is stored (wakes the worker). */
  onAccepted: () => void;
  /** Told how each request ended (accepted, duplicate, ignored, ping, or why it was refused), e.g. to count them. */
  onOutcome?: (outcome: WebhookOutcome) => void;
  /** Bodies above this are refused with 413 (Bolt's own limit for Slack is 4 MB). */
  maxBodyBytes?: number;
  /** Signed notifications older than this (seconds) are treated as replays and refused. */
  maxAgeSeconds?: number;
  /** Signed notifications dated further ahead than this (seconds) are refused: a clock that far off, or a forgery. */
  maxAheadSeconds?: number;
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
  const { clientSecret, store, logger, onAccepted } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
  const maxAgeSeconds = options.maxAgeSeconds ?? 24 * 3600;
  const maxAheadSeconds = options.maxAheadSeconds ?? 5 * 60;
  const now = options.now ?? Date.now;
  const log = logger.child({ component: 'intercom-webhooks' });
  const counted = (outcome: WebhookOutcome) => options.onOutcome?.(outcome);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'HEAD') return reply(res, 200);
    if (!clientSecret) {
      log.warn('webhook refused: INTERCOM_CLIENT_SECRET is not set');
      counted('unconfigured');
      return refuse(req, res, 503, { error: 'webhooks are not configured on this bridge' });
    }
    const header = req.headers['x-hub-signature'];
    const signature = (Array.isArray(header) ? header[0] : header)?.trim() || undefined;
    if (signature === undefined) {
      log.warn({ remote: req.socket.remoteAddress }, 'webhook refused: no X-Hub-Signature header');
      counted('bad_signature');
      return refuse(req, res, 401, { error: 'invalid signature' });
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large') return tooLarge(req, res);
    if (!Buffer.isBuffer(body)) {
      // read-body.ts's shared budget for unverified bodies is spent: others are being read right now
      log.warn('webhook refused: too many large bodies being read at once');
      counted('busy');
      return refuse(req, res, 503, { error: 'busy, try again' }, { 'retry-after': '1' });
    }

    if (!verifyWebhookSignature(body, signature, clientSecret)) {
      log.warn({ remote: req.socket.remoteAddress }, 'webhook refused: bad signature');
      counted('bad_signature');
      return reply(res, 401, { error: 'invalid signature' });
    }
    const parsed = parseIncomingNotification(body);
    if (!parsed.ok) {
      log.warn({ problems: parsed.problems }, 'webhook refused: not a notification');
      counted('malformed');
      return reply(res, 400, { error: 'not an Intercom notification', problems: parsed.problems });
    }
    const n = parsed.notification;
    const age = now() / 1000 - n.created_at;
    if (age > maxAgeSeconds) {
      log.warn({ notification: n.id, topic: n.topic, createdAt: n.created_at }, 'webhook refused: too old (a replay?)');
      counted('too_old');
      return reply(res, 401, { error: 'notification too old' });
    }
    if (-age > maxAheadSeconds) {
      log.warn(
        { notification: n.id, topic: n.topic, createdAt: n.created_at },
        `webhook refused: dated more than ${maxAheadSeconds} s in the future (a clock off, or a forgery?)`,
      );
      counted('too_new');
      return reply(res, 401, { error: 'notification dated in the future' });
    }
    if (n.topic === 'ping') {
      log.info({ notification: n.id, appId: n.app_id }, 'Intercom ping received');
      counted('ping');
      return reply(res, 200, { ok: true });
    }
    if (!CONVERSATION_TOPICS.has(n.topic)) {
      log.debug({ notification: n.id, topic: n.topic }, 'webhook topic not used: ignored');
      counted('ignored');
      return reply(res, 200, { ok: true, ignored: true });
    }
    const receivedAt = now();
    const fresh = await store.enqueue({
      id: n.id,
      topic: n.topic,
      conversationId: conversationIdOf(n),
      createdAt: n.created_at,
      payload: body.toString('utf8'),
      receivedAt,
    });
    log.debug({ notification: n.id, topic: n.topic, duplicate: !fresh }, 'webhook accepted');
    if (fresh) onAccepted();
    counted(fresh ? 'accepted' : 'duplicate');
    return reply(res, 200, { ok: true, duplicate: !fresh });
  }

  function tooLarge(req: IncomingMessage, res: ServerResponse): void {
    log.warn({ limit: maxBodyBytes }, 'webhook refused: body too large');
    counted('too_large');
    refuse(req, res, 413, { error: `body over ${maxBodyBytes} bytes` });
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

function reply(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
