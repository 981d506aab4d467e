import { setTimeout as sleep } from 'node:timers/promises';
import { type BridgeOverrides, type RunningBridge, startBridge } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { signWebhook } from '../../src/intercom/webhooks.ts';
import { FakeIntercom } from './fake-intercom.ts';
import { FakeSlack } from './fake-slack.ts';
import { logSink } from './log-sink.ts';

export const CLIENT_SECRET = 'intercom-client-secret-for-tests';
export const SIGNING_SECRET = 'slack-signing-secret-for-tests';
export const CHANNEL = 'C0SUPPORT1';

/** The whole bridge on loopback: fake Intercom, fake Slack, the real app between them over real HTTP. */
export class Harness {
  readonly intercom: FakeIntercom;
  readonly slack: FakeSlack;
  readonly sink = logSink({ level: 'debug' });
  bridge: RunningBridge | undefined;
  readonly #databaseUrl: string;
  #n = 0;

  private constructor(intercom: FakeIntercom, slack: FakeSlack, databaseUrl: string) {
    this.intercom = intercom;
    this.slack = slack;
    this.#databaseUrl = databaseUrl;
  }

  static async start(options: { databaseUrl?: string; env?: Record<string, string> } & BridgeOverrides = {}) {
    const intercom = await FakeIntercom.start();
    const slack = await FakeSlack.start();
    slack.addChannel({ id: CHANNEL, name: 'support' });
    intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
    const harness = new Harness(intercom, slack, options.databaseUrl ?? 'sqlite::memory:');
    await harness.startBridge(options);
    return harness;
  }

  async startBridge(options: { env?: Record<string, string> } & BridgeOverrides = {}) {
    const config = loadConfig({
      SLACK_BOT_TOKEN: this.slack.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_CHANNEL: CHANNEL,
      SLACK_API_URL: this.slack.apiUrl,
      INTERCOM_TOKEN: this.intercom.token,
      INTERCOM_CLIENT_SECRET: CLIENT_SECRET,
      INTERCOM_API_URL: this.intercom.url,
      DATABASE_URL: this.#databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      ...options.env,
    });
    this.bridge = await startBridge(config, this.sink.logger, { worker: { pollMs: 20, ...options.worker } });
    // the start-up catch-up pass is over before a test adds data, so it only finds what the test wants it to
    await this.bridge.catchUp.run();
  }

  get url(): string {
    return `http://127.0.0.1:${this.bridge?.port}`;
  }

  async stop(): Promise<void> {
    await this.bridge?.stop();
    await this.intercom.close();
    await this.slack.close();
  }

  /** A notification envelope like Intercom's, for a conversation topic. */
  notification(topic: string, item: Record<string, unknown>, fields: Record<string, unknown> = {}) {
    this.#n += 1;
    return {
      type: 'notification_event',
      app_id: 'wsp1test',
      id: `notif_${this.#n}_${Date.now()}`,
      topic,
      created_at: Math.floor(Date.now() / 1000),
      delivery_attempts: 1,
      first_sent_at: Math.floor(Date.now() / 1000),
      data: { type: 'notification_event_data', item },
      ...fields,
    };
  }

  /** POSTs a body to the webhook endpoint, signed unless told otherwise. */
  async webhook(body: unknown, options: { signature?: string | null; raw?: string } = {}) {
    const raw = options.raw ?? JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const signature = options.signature === undefined ? signWebhook(raw, CLIENT_SECRET) : options.signature;
    if (signature !== null) headers['x-hub-signature'] = signature;
    const res = await fetch(`${this.url}/intercom/webhooks`, { method: 'POST', headers, body: raw });
    return { status: res.status, body: (await res.text()) || undefined };
  }

  /** Waits until `check` passes (it throws until then), or fails with its last error. */
  async eventually<T>(check: () => T | Promise<T>, timeoutMs = 8_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await check();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(20);
      }
    }
  }

  /** Waits until the inbox has nothing pending. */
  async drained(timeoutMs = 8_000): Promise<void> {
    await this.eventually(async () => {
      const stats = await this.bridge?.store.inboxStats(Date.now());
      if (stats?.pending !== 0) throw new Error(`inbox not drained: ${JSON.stringify(stats)}`);
    }, timeoutMs);
  }

  cards() {
    return this.slack.messages.filter((m) => m.threadTs === undefined);
  }

  threadOf(ts: string) {
    return this.slack.messages.filter((m) => m.threadTs === ts);
  }
}
