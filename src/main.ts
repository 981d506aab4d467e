import { startBridge } from './app.ts';
import { loadRoutes, type RouteRule, RoutesError } from './bridge/routing.ts';
import { ConfigError, loadConfig, loadDotEnv, secretsOf } from './config.ts';
import { createLogger } from './logger.ts';

// process entry: .env → config → logger → bridge; a bad config exits 1 with one line per problem

loadDotEnv();
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.problems.map((p) => `config: ${p}`).join('\n')}\n`);
  process.exit(1);
}

let routes: RouteRule[] = [];
try {
  routes = config.routesFile ? loadRoutes(config.routesFile) : [];
} catch (error) {
  if (!(error instanceof RoutesError)) throw error;
  process.stderr.write(`${error.problems.map((p) => `routes: ${p}`).join('\n')}\n`);
  process.exit(1);
}

const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, secrets: secretsOf(config) });

try {
  const bridge = await startBridge(config, logger, { routes });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests; finishing the work in flight');
    // within Docker's and Kubernetes' usual 30 s grace; work still unfinished is leased, so it runs again later
    const deadline = setTimeout(() => {
      logger.error('shutdown took over 25 s: exiting with work in flight (it will be retried)');
      process.exit(1);
    }, 25_000);
    deadline.unref();
    await bridge.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
} catch (error) {
  logger.fatal({ err: error }, 'bridge failed to start');
  process.exit(1);
}
