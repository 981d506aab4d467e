import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONVERSATION_TOPICS, conversationIdOf } from '../bridge/conversation-sync.ts';
import { parseNotification, verifyWebhookSignature } from '../intercom/webhooks.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import { readBody } from './read-body.ts';

export const WEBHOOK_PATH = '/intercom/webhooks';

export type WebhookOutcome =
  | 'accepted'
  | 'duplicate'
  | 'ignored'
  | 'ping'
  | 'unconfigured'
  | 'too_large'
  | 'bad_signature'
  | 'malformed'
  | 'too_old'
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
  now?: () => number;
}

/**
 * POST /intercom/webhooks: verify the signature on the raw bytes, parse the envelope, store the delivery
 * (duplicates are recognised by notification id) and answer 200 at once — Intercom allows 5 s and prefers
 * 500 ms; the worker does the rest. HEAD answers 200 (Intercom checks the URL with it).
 */
export function intercomWebhookRoute(options: WebhookRouteOptions) {
  const { clientSecret, store, logger, onAccepted } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
  const maxAgeSeconds = options.maxAgeSeconds ?? 24 * 3600;
  const now = options.now ?? Date.now;
  const log = logger.child({ component: 'intercom-webhooks' });
  const counted = (outcome: WebhookOutcome) => options.onOutcome?.(outcome);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'HEAD') return reply(res, 200);
    if (!clientSecret) {
      log.warn('webhook refused: INTERCOM_CLIENT_SECRET is not set');
      counted('unconfigured');
      return reply(res, 503, { error: 'webhooks are not configured on this bridge' });
    }
    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large') {
      counted('too_large');
      return reply(res, 413, { error: `body over ${maxBodyBytes} bytes` });
    }

    const signature = req.headers['x-hub-signature'];
    if (!verifyWebhookSignature(body, Array.isArray(signature) ? signature[0] : signature, clientSecret)) {
      log.warn({ remote: req.socket.remoteAddress, signed: signature !== undefined }, 'webhook refused: bad signature');
      counted('bad_signature');
      return reply(res, 401, { error: 'invalid signature' });
    }
    const parsed = parseNotification(body);
    if (!parsed.ok) {
      log.warn({ problems: parsed.problems }, 'webhook refused: not a notification');
      counted('malformed');
      return reply(res, 400, { error: 'not an Intercom notification', problems: parsed.problems });
    }
    const n = parsed.notification;
    if (n.created_at !== undefined && now() / 1000 - n.created_at > maxAgeSeconds) {
      log.warn({ notification: n.id, topic: n.topic, createdAt: n.created_at }, 'webhook refused: too old (a replay?)');
      counted('too_old');
      return reply(res, 401, { error: 'notification too old' });
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
      createdAt: n.created_at ?? Math.floor(receivedAt / 1000),
      payload: body.toString('utf8'),
      receivedAt,
    });
    log.debug({ notification: n.id, topic: n.topic, duplicate: !fresh }, 'webhook accepted');
    if (fresh) onAccepted();
    counted(fresh ? 'accepted' : 'duplicate');
    return reply(res, 200, { ok: true, duplicate: !fresh });
  }

  return {
    path: WEBHOOK_PATH,
    method: ['POST', 'HEAD'],
    handler(req: IncomingMessage, res: ServerResponse) {
      handle(req, res).catch((error: unknown) => {
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
