import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, SocketModeReceiver } from '@slack/bolt';
import { CatchUp } from './bridge/catch-up.ts';
import { ContactActions } from './bridge/contact-actions.ts';
import { ConversationSync } from './bridge/conversation-sync.ts';
import { Directory } from './bridge/directory.ts';
import { Identity } from './bridge/identity.ts';
import { createJobHandler, syncJob } from './bridge/jobs.ts';
import { Lookup } from './bridge/lookup.ts';
import type { SlackWorkspace } from './bridge/ports.ts';
import { createRouter, loadRoutes, type RouteRule } from './bridge/routing.ts';
import { Triage } from './bridge/triage.ts';
import { InboxWorker } from './bridge/worker.ts';
import type { Config } from './config.ts';
import { healthRoutes, Readiness } from './http/health.ts';
import { intercomWebhookRoute } from './http/intercom-webhooks.ts';
import { routesServer } from './http/routes-server.ts';
import { IntercomClient } from './intercom/client.ts';
import type { Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { toBoltLogger } from './slack/bolt-logger.ts';
import { handleSlackErrors } from './slack/errors.ts';
import { registerCommandListeners } from './slack/listeners/commands.ts';
import { AfterAck } from './slack/listeners/scheduling.ts';
import { registerTriageListeners } from './slack/listeners/triage.ts';
import { ModalState } from './slack/modal-state.ts';
import { SlackHttpReceiver } from './slack/receiver.ts';
import { requestGuard } from './slack/request-guard.ts';
import { ResponseUrls } from './slack/response-urls.ts';
import { WebApiSlackPort } from './slack/slack-port.ts';
import { SlackWebApi } from './slack/web-api.ts';
import { openStore } from './store/index.ts';
import type { NewDelivery, Store } from './store/store.ts';

export interface RunningBridge {
  readonly port: number;
  readonly intercom: IntercomClient;
  readonly slack: App;
  readonly store: Store;
  readonly worker: InboxWorker;
  readonly catchUp: CatchUp;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
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
  const routes = overrides.routes ?? (config.routesFile ? loadRoutes(config.routesFile) : []);
  const store = openStore(config.databaseUrl);
  const metrics = new Metrics(store);
  const intercom = new IntercomClient({
    token: config.intercom.token,
    region: config.intercom.region,
    baseUrl: config.intercom.apiUrl,
    apiVersion: config.intercom.apiVersion,
    timeoutMs: config.intercom.timeoutMs,
    logger: logger.child({ component: 'intercom' }),
    onAttempt: (attempt) => metrics.intercomAttempt(attempt),
  });

  const slackWeb = new SlackWebApi(config.slack.botToken, { apiUrl: config.slack.apiUrl });
  const slackPort = new WebApiSlackPort(slackWeb, logger.child({ component: 'slack' }), (method, status) =>
    metrics.slackCalls.inc({ method, status }),
  );
  const directory = new Directory(intercom);
  // who the bot token belongs to: asked on first need, kept once Slack answers, asked again after a failure
  let ours: Promise<SlackWorkspace> | undefined;
  const workspace = () => {
    ours ??= slackPort.workspace().catch((error: unknown) => {
      ours = undefined;
      throw error;
    });
    return ours;
  };
  const identity = new Identity({
    slack: slackPort,
    directory,
    workspace,
    overrides: config.triage.adminOverrides,
    readAccess: config.triage.readAccess,
  });
  const sync = new ConversationSync({
    intercom,
    slack: slackPort,
    store,
    directory,
    route: createRouter(routes, config.slack.channel),
    logger: logger.child({ component: 'sync' }),
  });
  const enqueue = async (job: NewDelivery) => {
    const fresh = await store.enqueue(job);
    worker.wake();
    return fresh;
  };
  const triage = new Triage({
    intercom,
    identity,
    directory,
    requestSync: async (conversationId) => {
      await enqueue(syncJob(conversationId));
    },
    logger: logger.child({ component: 'triage' }),
  });
  const worker: InboxWorker = new InboxWorker({
    store,
    logger: logger.child({ component: 'worker' }),
    ...overrides.worker,
    handle: createJobHandler({ sync, triage, identity, intercom, slack: slackPort, store, logger }),
    onOutcome: (delivery, outcome, ms) => {
      metrics.deliveries.inc({ topic: delivery.topic, outcome });
      metrics.processing.observe({ topic: delivery.topic }, ms / 1000);
    },
  });
  const catchUp = new CatchUp({
    intercom,
    store,
    logger: logger.child({ component: 'catch-up' }),
    intervalMs: config.intercom.pollIntervalSeconds * 1000,
    onQueued: () => worker.wake(),
  });

  const readiness = new Readiness({
    store: () => store.inboxStats(Date.now()),
    slack: () => slackPort.authTest(),
    intercom: () => intercom.admins.me(),
    logger: logger.child({ component: 'readiness' }),
  });
  // Bolt given a token checks it with auth.test at once and, if Slack refuses, leaves that promise rejected with
  // nobody listening, which ends the process. Authorizing ourselves keeps a bad token a readiness failure, and
  // asks again on the next request until Slack accepts it.
  // served beside Slack's endpoint: by SlackHttpReceiver over HTTP, by a plain server in Socket Mode
  const customRoutes = [
    intercomWebhookRoute({
      clientSecret: config.intercom.clientSecret,
      store,
      logger,
      onAccepted: () => worker.arrived(),
      onOutcome: (outcome) => metrics.webhooks.inc({ outcome }),
    }),
    ...healthRoutes(readiness, metrics),
  ];
  const clientOptions = config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {};
  // Socket Mode: Slack's requests come over a WebSocket, and a plain server of ours keeps serving Intercom's
  // webhooks, health and metrics on HOST:PORT
  const socket = config.slack.appToken
    ? new SocketModeReceiver({
        appToken: config.slack.appToken,
        logger: toBoltLogger(logger),
        installerOptions: { clientOptions },
      })
    : undefined;
  const slack = new App({
    // no conversation store: nothing here uses it, and Bolt's default one builds an Error for every request
    convoStore: false,
    authorize: async () => {
      const { botId, botUserId } = await workspace();
      return { botToken: config.slack.botToken, botId, botUserId };
    },
    logger: toBoltLogger(logger),
    clientOptions,
    extendedErrorHandler: true,
    receiver:
      socket ??
      new SlackHttpReceiver({ signingSecret: config.slack.signingSecret ?? '', routes: customRoutes, logger }),
  });
  handleSlackErrors(slack, {
    slack: slackPort,
    logger: logger.child({ component: 'slack-errors' }),
    // over Socket Mode a second ack() only logs a warning, so there is no telling whether a request was answered
    answer: !socket,
  });

  const responseUrls = new ResponseUrls(config.slack.apiUrl);
  const modalState = new ModalState(config.slack.botToken);
  // before any listener: only our workspace's and app's requests, naming only Slack's response URLs, once each
  slack.use(
    requestGuard({
      workspace,
      responseUrls,
      firstSeen: (key, at) => store.firstSeen(key, at),
      logger: logger.child({ component: 'slack-guard' }),
    }),
  );

  const afterAck = new AfterAck(logger.child({ component: 'slack-listeners' }));
  const lookup = new Lookup(intercom, directory);
  registerCommandListeners(slack, {
    lookup,
    actions: new ContactActions({
      intercom,
      identity,
      directory,
      lookup,
      logger: logger.child({ component: 'contacts' }),
    }),
    identity,
    directory,
    cardData: (conversationId) => sync.cardData(conversationId),
    slack: slackPort,
    store,
    enqueue,
    afterAck,
    responseUrls,
    modalState,
    logger: logger.child({ component: 'commands' }),
  });
  registerTriageListeners(slack, {
    triage,
    identity,
    directory,
    slack: slackPort,
    store,
    enqueue,
    threadMessages: config.triage.threadMessages,
    reactions: config.triage.reactions,
    afterAck,
    modalState,
    logger: logger.child({ component: 'slack-listeners' }),
  });

  // Socket Mode: a refused app token (or Slack out of reach) leaves the bridge up, serving webhooks and saying why
  // through /readyz, and trying again every 30 s, as a bad bot token does over HTTP
  let reconnect: NodeJS.Timeout | undefined;
  const connectSocket = () => {
    readiness.socketState({ ok: null });
    slack.start().then(
      () => readiness.socketState({ ok: true }),
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        readiness.socketState({ ok: false, error: reason });
        logger.error(
          { err: error },
          'could not open the Socket Mode connection to Slack (SLACK_APP_TOKEN?): retrying in 30 s',
        );
        reconnect = setTimeout(connectSocket, 30_000);
        reconnect.unref();
      },
    );
  };
  let server: Server;
  if (socket) {
    server = routesServer(customRoutes, logger);
    server.listen(config.http.port, config.http.host);
    await once(server, 'listening');
    connectSocket();
  } else {
    server = (await slack.start({ port: config.http.port, host: config.http.host })) as Server;
  }
  const { port } = server.address() as AddressInfo;
  worker.start();
  catchUp.start();
  void readiness.checkCredentials();
  // finished deliveries are kept two days (a redelivery within that is still a duplicate), then forgotten
  const prune = () =>
    store
      .prune(Date.now() - 48 * 3600_000)
      .then((n) => n > 0 && logger.info({ deliveries: n }, 'forgot finished deliveries older than two days'))
      .catch((error: unknown) => logger.warn({ err: error }, 'could not prune the inbox'));
  void prune();
  const pruning = setInterval(prune, 3600_000);
  pruning.unref();
  // the first modal after start-up should find teammates and tags already loaded
  directory.warm().catch((error: unknown) => logger.warn({ err: error }, 'could not preload teammates and tags'));
  if (!config.intercom.clientSecret) {
    logger.warn(
      { everySeconds: config.intercom.pollIntervalSeconds },
      'no INTERCOM_CLIENT_SECRET: webhooks are refused and conversations arrive by polling only',
    );
  }
  logger.info(
    {
      port,
      host: config.http.host,
      slack: socket ? 'socket-mode' : 'http',
      intercomApi: intercom.http.origin,
    },
    'bridge listening',
  );

  return {
    port,
    intercom,
    slack,
    store,
    worker,
    catchUp,
    metrics,
    readiness,
    async stop() {
      clearInterval(pruning);
      clearTimeout(reconnect);
      await slack.stop();
      if (socket) await new Promise((resolve) => server.close(resolve));
      await afterAck.drain(); // what people asked for before the stop reaches Intercom
      await catchUp.stop();
      await worker.stop();
      await intercom.close();
      await slackWeb.close();
      await store.close();
      logger.info('bridge stopped');
    },
  };
}
