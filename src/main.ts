import { startBridge } from './app.ts';
import { loadRoutesFile, RoutesError } from './bridge/routing.ts';
import type { RoutesFileConfig } from './bridge/targets.ts';
import { ConfigError, loadConfig, loadDotEnv, secretsOf } from './config.ts';
import { createLogger } from './logger.ts';
import { StoreOpenError } from './store/index.ts';

// process entry: .env → config → logger → bridge; a bad config exits 1 with one line per problem (and one saying
// where to start), and so does a SQLite file that cannot be opened

/** Printed under the configuration problems: where a first-time operator starts. */
const WHERE_TO_START =
  'start from .env.example (copy it to .env and fill it in; every variable is in docs/configuration.md), ' +
  'then run `npm run doctor` to check it against Slack and Intercom';

loadDotEnv();
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.problems.map((p) => `config: ${p}`).join('\n')}\n${WHERE_TO_START}\n`);
  process.exit(1);
}

let routesFile: RoutesFileConfig = { routes: [], targets: {}, digests: [] };
try {
  if (config.routesFile) routesFile = loadRoutesFile(config.routesFile);
} catch (error) {
  if (!(error instanceof RoutesError)) throw error;
  process.stderr.write(`${error.problems.map((p) => `routes: ${p}`).join('\n')}\n`);
  process.exit(1);
}

const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, secrets: secretsOf(config) });

// What escapes every handler: a promise nobody awaited is logged and the bridge serves on (the request it belonged
// to has been answered or timed out); an exception thrown past everything leaves the process in a state nobody
// can vouch for, so it stops as for a signal — work in flight is leased and runs again on the next start.
let shutdown: ((signal: string, code?: number) => Promise<void>) | undefined;
process.on('unhandledRejection', (reason) => {
  logger.error({ err: reason }, 'a promise failed with nobody waiting for it: serving on');
});
process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'an exception escaped every handler: stopping');
  if (shutdown) void shutdown('uncaughtException', 1);
  else process.exit(1);
});

try {
  const bridge = await startBridge(config, logger, { routesFile });
  let stopping = false;
  shutdown = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests; finishing the work in flight');
    // within Docker's and Kubernetes' usual 30 s grace; work still unfinished is leased, so it runs again later
    const deadline = setTimeout(() => {
      logger.error('shutdown took over 25 s: exiting with work in flight (it will be retried)');
      process.exit(1);
    }, 25_000);
    deadline.unref();
    await bridge.stop().catch((error: unknown) => logger.error({ err: error }, 'the stop did not finish cleanly'));
    process.exit(code);
  };
  const stop = shutdown;
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
} catch (error) {
  // an operator's mistake, said in one line as for the configuration; anything else is a bug, with its stack
  if (error instanceof StoreOpenError) process.stderr.write(`store: ${error.message}\n`);
  else logger.fatal({ err: error }, 'bridge failed to start');
  process.exit(1);
}
