import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';

// The floor for the ack-latency benchmark: a Bolt app on its HTTP receiver, configured like the bridge's (bot
// token checked with auth.test against SLACK_API_URL, same signing secret), that acknowledges every action and
// does nothing else. Prints {"port": n} once listening.

const app = new App({
  token: process.env.SLACK_BOT_TOKEN ?? '',
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
  logLevel: LogLevel.WARN,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL ?? '' },
});
app.action(/.*/, async ({ ack }) => {
  await ack();
});

const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
