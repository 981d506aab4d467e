import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App } from '@slack/bolt';
import type { Config } from './config.ts';
import { IntercomClient } from './intercom/client.ts';
import type { Logger } from './logger.ts';
import { toBoltLogger } from './slack/bolt-logger.ts';

export interface RunningBridge {
  readonly port: number;
  readonly intercom: IntercomClient;
  readonly slack: App;
  stop(): Promise<void>;
}

/**
 * Builds the clients and the Bolt app from a Config and starts the HTTP listener (Slack on /slack/events,
 * health on /healthz). Kept apart from main.ts so tests can start the whole bridge in-process.
 */
export async function startBridge(config: Config, logger: Logger): Promise<RunningBridge> {
  if (config.slack.appToken) {
    // the config accepts it because DESIGN.md promises it; refusing beats silently ignoring it
    throw new Error('SLACK_APP_TOKEN is set, but Socket Mode is not available yet: unset it and use HTTP mode');
  }
  const intercom = new IntercomClient({
    token: config.intercom.token,
    region: config.intercom.region,
    baseUrl: config.intercom.apiUrl,
    apiVersion: config.intercom.apiVersion,
    timeoutMs: config.intercom.timeoutMs,
    logger: logger.child({ component: 'intercom' }),
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
    ],
  });

  const server = (await slack.start({ port: config.http.port, host: config.http.host })) as Server;
  const { port } = server.address() as AddressInfo;
  logger.info({ port, host: config.http.host, intercomApi: intercom.http.origin }, 'bridge listening');

  return {
    port,
    intercom,
    slack,
    async stop() {
      await slack.stop();
      await intercom.close();
      logger.info('bridge stopped');
    },
  };
}
