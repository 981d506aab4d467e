import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App } from '@slack/bolt';
import { CATCH_UP_TOPIC, CatchUp } from './bridge/catch-up.ts';
import { ConversationSync } from './bridge/conversation-sync.ts';
import { Directory } from './bridge/directory.ts';
import { PermanentFailure } from './bridge/failures.ts';
import { createRouter, loadRoutes, type RouteRule } from './bridge/routing.ts';
import { InboxWorker } from './bridge/worker.ts';
import type { Config } from './config.ts';
import { intercomWebhookRoute } from './http/intercom-webhooks.ts';
import { IntercomClient } from './intercom/client.ts';
import { parseNotification } from './intercom/webhooks.ts';
import type { Logger } from './logger.ts';
import { toBoltLogger } from './slack/bolt-logger.ts';
import { backgroundWebClient, WebApiSlackPort } from './slack/slack-port.ts';
import { openStore } from './store/index.ts';
import type { Store } from './store/store.ts';

export interface RunningBridge {
  readonly port: number;
  readonly intercom: IntercomClient;
  readonly slack: App;
  readonly store: Store;
  readonly worker: InboxWorker;
  readonly catchUp: CatchUp;
  stop(): Promise<void>;
}

export interface BridgeOverrides {
  /** Routing rules already loaded (main.ts checks them first); read from config.routesFile otherwise. */
  routes?: RouteRule[];
  /** Worker tuning (tests use short polls). */
  worker?: { pollMs?: number; concurrency?: number; maxAttempts?: number };
}

/**
 * Builds everything from a Config and starts it: the store, the Intercom client, the Bolt app with the Intercom
 * webhook and health routes on the same listener, and the worker that turns stored deliveries into cards and
 * thread lines. Kept apart from main.ts so tests can run the whole bridge in-process.
 */
export async function startBridge(
  config: Config,
  logger: Logger,
  overrides: BridgeOverrides = {},
): Promise<RunningBridge> {
  if (config.slack.appToken) {
    // the config accepts it because DESIGN.md promises it; refusing beats silently ignoring it
    throw new Error('SLACK_APP_TOKEN is set, but Socket Mode is not available yet: unset it and use HTTP mode');
  }
  const routes = overrides.routes ?? (config.routesFile ? loadRoutes(config.routesFile) : []);
  const store = openStore(config.databaseUrl);
  const intercom = new IntercomClient({
    token: config.intercom.token,
    region: config.intercom.region,
    baseUrl: config.intercom.apiUrl,
    apiVersion: config.intercom.apiVersion,
    timeoutMs: config.intercom.timeoutMs,
    logger: logger.child({ component: 'intercom' }),
  });

  const sync = new ConversationSync({
    intercom,
    slack: new WebApiSlackPort(
      backgroundWebClient(config.slack.botToken, { apiUrl: config.slack.apiUrl, logger }),
      logger.child({ component: 'slack' }),
    ),
    store,
    directory: new Directory(intercom),
    route: createRouter(routes, config.slack.channel),
    logger: logger.child({ component: 'sync' }),
  });
  const worker = new InboxWorker({
    store,
    logger: logger.child({ component: 'worker' }),
    ...overrides.worker,
    async handle(delivery) {
      if (delivery.topic === CATCH_UP_TOPIC && delivery.conversationId) return sync.sync(delivery.conversationId);
      const parsed = parseNotification(delivery.payload);
      if (!parsed.ok) throw new PermanentFailure(`stored payload is not a notification: ${parsed.problems.join('; ')}`);
      await sync.handle(parsed.notification);
    },
  });
  const catchUp = new CatchUp({
    intercom,
    store,
    logger: logger.child({ component: 'catch-up' }),
    intervalMs: config.intercom.pollIntervalSeconds * 1000,
    onQueued: () => worker.wake(),
  });

  const slack = new App({
    token: config.slack.botToken,
    signingSecret: config.slack.signingSecret,
    logger: toBoltLogger(logger),
    clientOptions: config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {},
    customRoutes: [
      {
        path: '/healthz',
        method: ['GET'],
        handler: (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('ok');
        },
      },
      intercomWebhookRoute({
        clientSecret: config.intercom.clientSecret,
        store,
        logger,
        onAccepted: () => worker.wake(),
      }),
    ],
  });

  const server = (await slack.start({ port: config.http.port, host: config.http.host })) as Server;
  const { port } = server.address() as AddressInfo;
  worker.start();
  catchUp.start();
  if (!config.intercom.clientSecret) {
    logger.warn(
      { everySeconds: config.intercom.pollIntervalSeconds },
      'no INTERCOM_CLIENT_SECRET: webhooks are refused and conversations arrive by polling only',
    );
  }
  logger.info({ port, host: config.http.host, intercomApi: intercom.http.origin }, 'bridge listening');

  return {
    port,
    intercom,
    slack,
    store,
    worker,
    catchUp,
    async stop() {
      await slack.stop();
      await catchUp.stop();
      await worker.stop();
      await intercom.close();
      await store.close();
      logger.info('bridge stopped');
    },
  };
}
