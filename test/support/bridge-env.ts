import { once } from 'node:events';
import { createServer } from 'node:net';
import { signWebhook } from '../../src/intercom/webhooks.ts';
import type { FakeIntercom } from './fake-intercom.ts';
import type { FakeSlack } from './fake-slack.ts';

export const CLIENT_SECRET = 'intercom-client-secret-for-tests';
export const SIGNING_SECRET = 'slack-signing-secret-for-tests';
export const CHANNEL = 'C0SUPPORT1';

/** The environment that points a bridge at the fakes, in HTTP mode on loopback; `extra` adds or overrides. */
export function bridgeEnv(
  fakes: { slack: FakeSlack; intercom: FakeIntercom },
  extra: { DATABASE_URL: string; PORT: string } & Record<string, string>,
): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: fakes.slack.token,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_CHANNEL: CHANNEL,
    SLACK_API_URL: fakes.slack.apiUrl,
    INTERCOM_TOKEN: fakes.intercom.token,
    INTERCOM_CLIENT_SECRET: CLIENT_SECRET,
    INTERCOM_API_URL: fakes.intercom.url,
    HOST: '127.0.0.1',
    ...extra,
  };
}

/** A loopback port that was free a moment ago, for a bridge started as a process. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/**
 * A signed conversation.user.created webhook, as Intercom sends it, to a bridge process on `port`; resolves to the
 * status. Its notification id is `notificationId` (a redelivery reuses one).
 */
export async function postCreatedWebhook(
  port: number,
  conversationId: string,
  notificationId = `notif_${conversationId}`,
): Promise<number> {
  const body = JSON.stringify({
    type: 'notification_event',
    id: notificationId,
    topic: 'conversation.user.created',
    created_at: Math.floor(Date.now() / 1000),
    data: { type: 'notification_event_data', item: { type: 'conversation', id: conversationId } },
  });
  const res = await fetch(`http://127.0.0.1:${port}/intercom/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature': signWebhook(body, CLIENT_SECRET) },
    body,
  });
  await res.text();
  return res.status;
}
