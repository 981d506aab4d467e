import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, SocketModeReceiver } from '@slack/bolt';
import { Cards } from './bridge/cards.ts';
import { CatchUp } from './bridge/catch-up.ts';
import { ClockKeeper } from './bridge/clocks.ts';
import { ContactActions } from './bridge/contact-actions.ts';
import { ConversationSync, type Router } from './bridge/conversation-sync.ts';
import { DigestScheduler, Digests } from './bridge/digests.ts';
import { Directory } from './bridge/directory.ts';
import { Home } from './bridge/home.ts';
import { Identity } from './bridge/identity.ts';
import { createJobHandler, syncJob } from './bridge/jobs.ts';
import { Lookup } from './bridge/lookup.ts';
import { Notifier, notificationPrefs } from './bridge/notifications.ts';
import type { SlackWorkspace } from './bridge/ports.ts';
import { Queue } from './bridge/queue.ts';
import { createRouter, loadRoutesFile, type RouteRule } from './bridge/routing.ts';
import { type RoutesFileConfig, targetsOn } from './bridge/targets.ts';
import { ThreadEvents } from './bridge/thread-events.ts';
import { Triage } from './bridge/triage.ts';
import { type Enqueue, InboxWorker } from './bridge/worker.ts';
import type { Config } from './config.ts';
import { healthRoutes, Readiness } from './http/health.ts';
import { intercomWebhookRoute } from './http/intercom-webhooks.ts';
import { routesServer } from './http/routes-server.ts';
import { type AttachmentSource, attachmentSource } from './intercom/attachments.ts';
import { IntercomClient } from './intercom/client.ts';
import type { Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { digestMessage } from './slack/blocks/digest.ts';
import { homeButtonState } from './slack/blocks/home.ts';
import { toBoltLogger } from './slack/bolt-logger.ts';
import { handleSlackErrors } from './slack/error-handler.ts';
import { homePublisher } from './slack/listeners/home.ts';
import { type ListenerDeps, registerListeners } from './slack/listeners/index.ts';
import { AfterAck } from './slack/listeners/scheduling.ts';
import { ModalState } from './slack/modal-state.ts';
import { slackTextToHtml } from './slack/mrkdwn.ts';
import { SlackHttpReceiver } from './slack/receiver.ts';
import { requestGuard } from './slack/request-guard.ts';
import { ResponseUrls } from './slack/response-urls.ts';
import { slackFiles } from './slack/slack-files.ts';
import { WebApiSlackPort } from './slack/slack-port.ts';
import { listenerRetryPolicy, SlackWebApi } from './slack/web-api.ts';
import { openStore } from './store/index.ts';
import type { Store } from './store/store.ts';

export interface RunningBridge {
  readonly port: number;
  readonly intercom: IntercomClient;
  readonly slack: App;
  readonly store: Store;
  readonly worker: InboxWorker;
  readonly catchUp: CatchUp;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  /** The Home tab: the sync tells it of changed conversations (`conversationChanged`). */
  readonly home: Home;
  stop(): Promise<void>;
}

export interface BridgeOverrides {
  /** The routes file already loaded (main.ts checks it first); read from config.routesFile otherwise. */
  routesFile?: RoutesFileConfig;
  /** Routing rules alone (tests). */
  routes?: RouteRule[];
  /** Worker tuning (tests use short polls). */
  worker?: { pollMs?: number; concurrency?: number; maxAttempts?: number; leaseMs?: number };
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
  const core = buildCore(config, logger, overrides);
  const edge = buildSlackApp(config, logger, core);
  const { server, port, reconnect } = await listen(config, logger, core, edge);
  const background = startBackground(config, logger, core);
  logger.info(
    {
      port,
      host: config.http.host,
      slack: edge.socket ? 'socket-mode' : 'http',
      intercomApi: core.intercom.http.origin,
    },
    'bridge listening',
  );
  const { intercom, store, worker, catchUp, metrics, readiness, home } = core;
  return {
    port,
    intercom,
    slack: edge.slack,
    store,
    worker,
    catchUp,
    metrics,
    readiness,
    home,
    // the order matters: stop taking requests, finish what people asked for, then the background, then the pools
    async stop() {
      background.stop();
      home.stop();
      reconnect.stop();
      await edge.slack.stop();
      if (edge.socket) await new Promise((resolve) => server.close(resolve));
      await edge.afterAck.drain(); // what people asked for before the stop reaches Intercom
      await catchUp.stop();
      await worker.stop();
      await intercom.close();
      await core.slackWeb.close();
      await edge.responseUrls.close();
      await store.close();
      logger.info('bridge stopped');
    },
  };
}

type Core = ReturnType<typeof buildCore>;

/** What the bridge talks to: its store, its metrics, Intercom and Slack's Web API. */
function buildClients(config: Config, logger: Logger) {
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
  return { store, metrics, intercom, slackWeb, slackPort };
}

/** What the product is made of, before any of it listens or runs: clients, store, use cases, worker. */
function buildCore(config: Config, logger: Logger, overrides: BridgeOverrides) {
  const routesFile = routesFileOf(config, overrides);
  const { store, metrics, intercom, slackWeb, slackPort } = buildClients(config, logger);
  const directory = new Directory(intercom);
  const workspace = rememberWorkspace(slackPort);
  const identity = new Identity({
    slack: slackPort,
    directory,
    workspace,
    overrides: config.triage.adminOverrides,
    readAccess: config.triage.readAccess,
  });
  const route = createRouter(routesFile.routes, config.slack.channel);
  // the worker stores a job and wakes itself (it is made below: it runs what the sync and triage queue)
  const enqueue: Enqueue = (job) => worker.enqueue(job);
  // one key for every sealed value (modals, the Home tab's and DMs' buttons): the listeners open what these seal
  const modalState = new ModalState(config.slack.botToken);
  const { queueing, home } = buildQueueingAndHome(routesFile, logger, {
    intercom,
    directory,
    store,
    slackPort,
    identity,
    modalState,
  });
  const parts = { intercom, slackPort, store, directory, identity, metrics, enqueue, home, modalState };
  const sync = buildSync(config, routesFile, logger, { ...parts, route });
  const triage = new Triage({
    intercom,
    identity,
    directory,
    requestSync: async (conversationId) => {
      await enqueue(syncJob(conversationId));
    },
    logger: logger.child({ component: 'triage' }),
  });
  const files = slackFiles(config.slack, config.attachments.maxBytes);
  const attachments = customerFiles(config);
  const worker: InboxWorker = new InboxWorker({
    store,
    logger: logger.child({ component: 'worker' }),
    ...overrides.worker,
    handle: createJobHandler({ sync, triage, identity, intercom, slack: slackPort, store, logger, files, attachments }),
    onTakeover: (delivery) => metrics.takeovers.inc({ topic: delivery.topic }),
    onOutcome: (delivery, outcome, ms) => {
      metrics.deliveries.inc({ topic: delivery.topic, outcome });
      metrics.processing.observe({ topic: delivery.topic }, ms / 1000);
    },
  });
  const intervalMs = config.intercom.pollIntervalSeconds * 1000;
  const catchUp = new CatchUp({
    intercom,
    store,
    logger: logger.child({ component: 'catch-up' }),
    intervalMs,
    enqueue,
  });
  const readiness = new Readiness({
    store: () => store.inboxStats(Date.now()),
    slack: () => slackPort.authTest(),
    intercom: () => intercom.admins.me(),
    logger: logger.child({ component: 'readiness' }),
  });
  return {
    store,
    metrics,
    intercom,
    slackWeb,
    slackPort,
    directory,
    workspace,
    identity,
    sync,
    enqueue,
    triage,
    worker,
    catchUp,
    readiness,
    queueing,
    home,
    modalState,
  };
}

/**
 * The conversation sync, with what it tells: response clocks (when the routes file sets targets), personal
 * notifications, and the Home tabs that list the conversation.
 */
function buildSync(
  config: Config,
  routesFile: RoutesFileConfig,
  logger: Logger,
  parts: {
    intercom: IntercomClient;
    slackPort: WebApiSlackPort;
    store: Store;
    directory: Directory;
    identity: Identity;
    metrics: Metrics;
    enqueue: Enqueue;
    home: Home;
    route: Router;
    modalState: ModalState;
  },
) {
  const { intercom, slackPort, store, directory, identity, metrics, enqueue, home, route, modalState } = parts;
  // the DM's Reply button carries the conversation sealed as the Home tab's does: the card's handler opens it
  const notifier = new Notifier({
    store,
    slack: slackPort,
    identity,
    sealReply: (id) => modalState.seal(homeButtonState('reply', id)),
    logger: logger.child({ component: 'notifications' }),
  });
  const clocks = targetsOn(routesFile)
    ? new ClockKeeper({
        config: routesFile,
        slack: slackPort,
        identity,
        store,
        enqueue,
        metrics: metrics.clocks,
        notifier,
        logger: logger.child({ component: 'clocks' }),
      })
    : undefined;
  return new ConversationSync({
    intercom,
    slack: slackPort,
    store,
    directory,
    route,
    logger: logger.child({ component: 'sync' }),
    finConversations: config.finConversations,
    copyFiles: config.attachments.files === 'upload' ? enqueue : undefined,
    clocks,
    notifier,
    onChanged: (conversation) => void home.conversationChanged(conversation.id, conversation.admin_assignee_id),
  });
}

/** `/intercom queue`, `/intercom digest` and the scheduled digests (issue #15), on the routes file's targets. */
function buildQueueing(
  routesFile: RoutesFileConfig,
  logger: Logger,
  parts: { intercom: IntercomClient; directory: Directory; store: Store; slackPort: WebApiSlackPort },
) {
  const { intercom, directory, store, slackPort } = parts;
  const rules = () => routesFile;
  const queue = new Queue({ intercom, directory, store, slack: slackPort, rules });
  const post = async (channel: string, digest: Parameters<typeof digestMessage>[0]) => {
    await slackPort.postMessage(channel, digestMessage(digest));
  };
  const digests = new Digests({ queue, store, rules, post, logger: logger.child({ component: 'digests' }) });
  const scheduler = new DigestScheduler({ digests, rules, store, logger: logger.child({ component: 'digests' }) });
  return { queue, digests, scheduler };
}

/** The queue and digests, and the Home tab (issue #16), which lists each person's part of the queue. */
function buildQueueingAndHome(
  routesFile: RoutesFileConfig,
  logger: Logger,
  parts: {
    intercom: IntercomClient;
    directory: Directory;
    store: Store;
    slackPort: WebApiSlackPort;
    identity: Identity;
    modalState: ModalState;
  },
) {
  const queueing = buildQueueing(routesFile, logger, parts);
  const home = new Home({
    queue: queueing.queue,
    identity: parts.identity,
    directory: parts.directory,
    prefs: notificationPrefs(parts.store),
    publish: homePublisher(parts.slackPort, parts.modalState),
    logger: logger.child({ component: 'home' }),
  });
  return { queueing, home };
}

/** The routes file: given, read from ROUTES_FILE, or none (everything to SLACK_CHANNEL, no targets). */
function routesFileOf(config: Config, overrides: BridgeOverrides): RoutesFileConfig {
  if (overrides.routesFile) return overrides.routesFile;
  if (overrides.routes) return { routes: overrides.routes, targets: {}, digests: [] };
  return config.routesFile ? loadRoutesFile(config.routesFile) : { routes: [], targets: {}, digests: [] };
}

/** FILES=upload: customers' attachments are fetched from Intercom's hosts and copied into threads; else links. */
function customerFiles(config: Config): AttachmentSource | undefined {
  const { files, hosts, maxBytes } = config.attachments;
  return files === 'upload' ? attachmentSource({ hosts, maxBytes }) : undefined;
}

/** Who the bot token belongs to: asked on first need, kept once Slack answers, asked again after a failure. */
function rememberWorkspace(slackPort: WebApiSlackPort): () => Promise<SlackWorkspace> {
  let ours: Promise<SlackWorkspace> | undefined;
  return () => {
    ours ??= slackPort.workspace().catch((error: unknown) => {
      ours = undefined;
      throw error;
    });
    return ours;
  };
}

type Edge = ReturnType<typeof buildSlackApp>;

/** The Bolt app: its receiver (HTTP, or Socket Mode), the error handler, the request guard and the listeners. */
function buildSlackApp(config: Config, logger: Logger, core: Core) {
  // served beside Slack's endpoint: by SlackHttpReceiver over HTTP, by a plain server in Socket Mode
  const customRoutes = [
    intercomWebhookRoute({
      clientSecret: config.intercom.clientSecret,
      inbox: core.worker, // stores each notification as an arrival (bursts) and wakes itself
      logger,
      onOutcome: (outcome) => core.metrics.webhooks.inc({ outcome }),
    }),
    ...healthRoutes(core.readiness, core.metrics),
  ];
  // listeners answer a person who is waiting: two quick retries, not the sdk's 30 minutes (the inbox retries the rest)
  const clientOptions = {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: listenerRetryPolicy,
  };
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
    // Bolt given a token checks it with auth.test at once and, if Slack refuses, leaves that promise rejected with
    // nobody listening, which ends the process. Authorizing ourselves keeps a bad token a readiness failure, and
    // asks again on the next request until Slack accepts it.
    authorize: async () => {
      const { botId, botUserId } = await core.workspace();
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
    slack: core.slackPort,
    logger: logger.child({ component: 'slack-errors' }),
    // over Socket Mode a second ack() only logs a warning, so there is no telling whether a request was answered
    answer: !socket,
  });
  const responseUrls = new ResponseUrls(config.slack.apiUrl);
  // before any listener: only our workspace's and app's requests, naming only Slack's response URLs, once each
  slack.use(
    requestGuard({
      workspace: core.workspace,
      responseUrls,
      firstSeen: (key, at) => core.store.firstSeen(key, at),
      logger: logger.child({ component: 'slack-guard' }),
    }),
  );
  const afterAck = new AfterAck(logger.child({ component: 'slack-listeners' }));
  const { queue, digests } = core.queueing;
  const deps = { ...listenerDeps(config, logger, core, { afterAck, responseUrls }), queue, digests, home: core.home };
  registerListeners(slack, deps);
  return { slack, socket, customRoutes, responseUrls, afterAck };
}

/** The bridge/ use cases and Slack-side helpers the listeners translate requests into. */
function listenerDeps(
  config: Config,
  logger: Logger,
  core: Core,
  edge: { afterAck: AfterAck; responseUrls: ResponseUrls },
): ListenerDeps {
  const { store, enqueue, identity, directory, intercom, slackPort } = core;
  const lookup = new Lookup(intercom, directory);
  const cards = new Cards({ store, enqueue, identity, slack: slackPort, logger: logger.child({ component: 'cards' }) });
  const listenerLogger = logger.child({ component: 'slack-listeners' });
  return {
    triage: core.triage,
    cards,
    threadEvents: new ThreadEvents({
      cards,
      enqueue,
      threadMessages: config.triage.threadMessages,
      reactions: config.triage.reactions,
      toHtml: slackTextToHtml,
      logger: listenerLogger,
    }),
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
    cardData: (conversationId) => core.sync.cardData(conversationId),
    slack: slackPort,
    enqueue,
    ...edge,
    modalState: core.modalState,
    logger: listenerLogger,
  };
}

/**
 * Opens the listener: Bolt's HTTP receiver, or in Socket Mode a plain server for the webhook and health routes and
 * the WebSocket to Slack. A refused app token (or Slack out of reach) leaves the bridge up, serving webhooks and
 * saying why through /readyz, and trying again every 30 s, as a bad bot token does over HTTP.
 */
async function listen(config: Config, logger: Logger, core: Core, edge: Edge) {
  const { slack, socket, customRoutes } = edge;
  let reconnect: NodeJS.Timeout | undefined;
  const connectSocket = () => {
    core.readiness.socketState({ ok: null });
    slack.start().then(
      () => core.readiness.socketState({ ok: true }),
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        core.readiness.socketState({ ok: false, error: reason });
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
  return { server, port, reconnect: { stop: () => clearTimeout(reconnect) } };
}

/** The work that runs on its own: the worker, catch-up polling, readiness checks, pruning, the directory warm-up. */
function startBackground(config: Config, logger: Logger, core: Core) {
  core.worker.start();
  core.catchUp.start();
  core.queueing.scheduler.start();
  void core.readiness.checkCredentials();
  // finished deliveries are kept two days (a redelivery within that is still a duplicate), then forgotten
  const prune = () =>
    core.store
      .prune(Date.now() - 48 * 3600_000)
      .then((n) => n > 0 && logger.info({ deliveries: n }, 'forgot finished deliveries older than two days'))
      .catch((error: unknown) => logger.warn({ err: error }, 'could not prune the inbox'));
  void prune();
  const pruning = setInterval(prune, 3600_000);
  pruning.unref();
  // the first modal after start-up should find teammates and tags already loaded
  core.directory.warm().catch((error: unknown) => logger.warn({ err: error }, 'could not preload teammates and tags'));
  if (!config.intercom.clientSecret) {
    logger.warn(
      { everySeconds: config.intercom.pollIntervalSeconds },
      'no INTERCOM_CLIENT_SECRET: webhooks are refused and conversations arrive by polling only',
    );
  }
  return {
    stop: () => {
      clearInterval(pruning);
      void core.queueing.scheduler.stop();
    },
  };
}
