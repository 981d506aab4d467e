import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { type BridgeOverrides, type RunningBridge, startBridge } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { signWebhook } from '../../src/intercom/webhooks.ts';
import { bridgeEnv, CHANNEL, CLIENT_SECRET, SIGNING_SECRET } from './bridge-env.ts';
import { FakeIntercom } from './fake-intercom.ts';
import { FakeSlack } from './fake-slack.ts';
import { logSink } from './log-sink.ts';
import {
  blockAction,
  eventEnvelope,
  interactionBody,
  postToSlackEndpoint,
  type SlackAnswer,
  slashCommandBody,
  viewSubmission,
} from './slack-requests.ts';

export { CHANNEL, CLIENT_SECRET, SIGNING_SECRET };

/** The whole bridge on loopback: fake Intercom, fake Slack, the real app between them over real HTTP. */
export class Harness {
  readonly intercom: FakeIntercom;
  readonly slack: FakeSlack;
  /** Everything the bridge logs, down to trace; no secret values are given to it, so scrubbing by value is off. */
  readonly sink = logSink({ level: 'trace' });
  bridge: RunningBridge | undefined;
  readonly #databaseUrl: string;
  #n = 0;

  private constructor(intercom: FakeIntercom, slack: FakeSlack, databaseUrl: string) {
    this.intercom = intercom;
    this.slack = slack;
    this.#databaseUrl = databaseUrl;
  }

  static async start(
    options: {
      databaseUrl?: string;
      env?: Record<string, string>;
      /** Data the fakes hold before the bridge starts (it preloads teammates and tags at start-up). */
      seed?: (intercom: FakeIntercom, slack: FakeSlack) => void;
    } & BridgeOverrides = {},
  ) {
    const intercom = await FakeIntercom.start();
    const slack = await FakeSlack.start();
    slack.addChannel({ id: CHANNEL, name: 'support' });
    intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
    options.seed?.(intercom, slack);
    const harness = new Harness(intercom, slack, options.databaseUrl ?? 'sqlite::memory:');
    await harness.startBridge(options);
    return harness;
  }

  /** A bridge on fakes that already exist (a restart on the same store); stop it with `bridge.stop()`. */
  static async attach(
    options: {
      intercom: FakeIntercom;
      slack: FakeSlack;
      databaseUrl: string;
      env?: Record<string, string>;
    } & BridgeOverrides,
  ) {
    const { intercom, slack, databaseUrl, ...bridge } = options;
    const harness = new Harness(intercom, slack, databaseUrl);
    await harness.startBridge(bridge);
    return harness;
  }

  async startBridge(options: { env?: Record<string, string> } & BridgeOverrides = {}) {
    const config = loadConfig(bridgeEnv(this, { DATABASE_URL: this.#databaseUrl, PORT: '0', ...options.env }));
    const { env: _env, ...overrides } = options;
    this.bridge = await startBridge(config, this.sink.logger, {
      ...overrides,
      worker: { pollMs: 20, ...options.worker },
    });
    // the start-up catch-up pass is over before a test adds data, so it only finds what the test wants it to
    await this.bridge.catchUp.run();
  }

  get url(): string {
    return `http://127.0.0.1:${this.bridge?.port}`;
  }

  async stop(): Promise<void> {
    // a test that failed with a gate shut must not leave the bridge waiting on what the gate holds
    this.intercom.openGates();
    this.slack.openGates();
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

  /** Sends a signed interactivity payload (click, submission, options) to /slack/events. */
  interact(payload: unknown): Promise<SlackAnswer> {
    return postToSlackEndpoint(
      `${this.url}/slack/events`,
      SIGNING_SECRET,
      interactionBody(payload),
      'application/x-www-form-urlencoded',
    );
  }

  /** Sends a signed Events API callback; `retryNum` makes it look like Slack's retry of an earlier one. */
  slackEvent(event: Record<string, unknown>, options: { eventId?: string; retryNum?: number } = {}) {
    this.#n += 1;
    const headers: Record<string, string> = {};
    if (options.retryNum) {
      headers['x-slack-retry-num'] = String(options.retryNum);
      headers['x-slack-retry-reason'] = 'http_timeout';
    }
    const body = JSON.stringify(eventEnvelope(event, options.eventId ?? `Ev${this.#n}${Date.now()}`));
    return postToSlackEndpoint(`${this.url}/slack/events`, SIGNING_SECRET, body, 'application/json', headers);
  }

  /** Runs `/intercom <text>` as `user` in the support channel; `responses()` then holds what it answered later. */
  async command(user: string, text: string) {
    this.#n += 1;
    const id = `cmd${this.#n}`;
    const body = slashCommandBody({ user, text, channel: CHANNEL, responseUrl: `${this.slack.url}/response/${id}` });
    const answer = await postToSlackEndpoint(
      `${this.url}/slack/events`,
      SIGNING_SECRET,
      body,
      'application/x-www-form-urlencoded',
    );
    return { answer, responseUrl: `${this.slack.url}/response/${id}`, responses: () => this.responsesTo(id) };
  }

  /** What was posted to one response URL, in order. */
  responsesTo(id: string): Array<Record<string, unknown>> {
    return this.slack.responses.filter((r) => r.id === id).map((r) => r.body);
  }

  /** Waits for the n-th (1-based) message posted to a response URL. */
  async response(id: string, n = 1): Promise<Record<string, unknown>> {
    return this.eventually(() => {
      const body = this.responsesTo(id)[n - 1];
      if (!body) throw new Error(`no response ${n} on ${id} yet`);
      return body;
    });
  }

  /** Clicks a button on the card of a conversation, as `user`. */
  async click(user: string, conversationId: string, kind: string): Promise<SlackAnswer> {
    const card = await this.bridge?.store.getCard(conversationId);
    const message = this.slack.messages.find((m) => m.ts === card?.ts && m.channel === card?.channel);
    if (!card || !message) throw new Error(`conversation ${conversationId} has no card`);
    return this.interact(
      blockAction({
        user,
        actionId: `${kind}:${conversationId}`,
        channel: card.channel,
        message,
        value: conversationId,
      }),
    );
  }

  /** The modal opened last (waiting for it), as the fake Slack holds it. */
  async openedView(callbackId?: string): Promise<Record<string, unknown>> {
    return this.eventually(() => {
      const views = [...this.slack.views.values()].filter((v) => !callbackId || v.callback_id === callbackId);
      const view = views.at(-1);
      if (!view) throw new Error(`no modal ${callbackId ?? ''} opened`);
      return view;
    });
  }

  /** Submits a modal with input values `{ block: { action: value } }`. */
  submit(user: string, view: Record<string, unknown>, values: Record<string, unknown>): Promise<SlackAnswer> {
    return this.interact(viewSubmission(user, view, values));
  }

  /** Submits `view` with `state` in place of Slack's `{ values: {…} }` (undefined: no state at all). */
  submitState(user: string, view: Record<string, unknown>, state: unknown): Promise<SlackAnswer> {
    const payload = viewSubmission(user, view, {});
    return this.interact({ ...payload, view: { ...payload.view, state } });
  }

  /** Error-level log lines since line `from` (a listener that threw is one, with the global handler's apology). */
  errorLines(from: number) {
    return this.sink
      .lines()
      .slice(from)
      .filter((l) => Number(l.level) >= 50);
  }

  /** The cards posted: top-level messages carrying a card's metadata (not DMs, escalations or digests). */
  cards() {
    return this.slack.messages.filter(
      (m) => m.threadTs === undefined && m.metadata?.event_type === 'intercom_bridge_card',
    );
  }

  threadOf(ts: string) {
    return this.slack.messages.filter((m) => m.threadTs === ts);
  }
}

/** Modal states Slack never sends, but a request is not trusted to leave out: none, null, no values, bad values. */
export const NO_STATE = [undefined, null, {}, { values: null }, { values: 'x' }];

/** What a tag select's `selected_options` is never sent as by Slack, around a real tag id (`tagId`). */
function unreadableTagSelections(tagId: string): unknown[] {
  return [tagId, { value: tagId }, [null], [{ value: tagId }, null], [{ value: 5 }], [{ value: tagId }, {}], ['x']];
}

/**
 * Submits a tag modal (as `user`) once per unreadable tag selection (around `tagId`, with a new tag named and `fields`
 * beside it) and expects each answered with an error on the tags field.
 */
export async function expectUnreadableTagsRefused(
  h: Harness,
  user: string,
  view: Record<string, unknown>,
  tagId: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  for (const selected of unreadableTagSelections(tagId)) {
    const answer = await h.submit(user, view, {
      ...fields,
      tags: { tags: { type: 'multi_external_select', selected_options: selected } },
      new_tag: { new_tag: { type: 'plain_text_input', value: 'refund' } },
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body), JSON.stringify(selected)).toEqual({
      response_action: 'errors',
      errors: { tags: 'The tags picked could not be read; pick them again.' },
    });
  }
}
