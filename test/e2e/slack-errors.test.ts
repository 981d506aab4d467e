import type { App } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SLACK_REQUEST_FAILED } from '../../src/bridge/messages.ts';
import { CHANNEL, Harness, SIGNING_SECRET } from '../support/harness.ts';
import {
  blockAction,
  globalShortcut,
  postToSlackEndpoint,
  slashCommandBody,
  viewSubmission,
} from '../support/slack-requests.ts';

// Bolt's global error handler, seen from Slack: listeners that throw are added to the running app, and what
// Slack gets back (and what the log says) is checked. Without the handler each of these was a bare 500.

const ALICE = 'U0ALICE01';

let h: Harness;
let app: App;

beforeEach(async () => {
  h = await Harness.start({
    seed: (_intercom, slack) => slack.addUser({ id: ALICE, name: 'Alice', email: 'alice@example.com' }),
  });
  if (!h.bridge) throw new Error('no bridge');
  app = h.bridge.slack;
});
afterEach(async () => {
  await h.stop();
});

const failures = () => h.sink.lines().filter((l) => l.component === 'slack-errors');
const click = (actionId: string) =>
  h.interact(
    blockAction({
      user: ALICE,
      actionId,
      channel: CHANNEL,
      message: { ts: '1800000000.000100', text: 'x', blocks: [] },
    }),
  );

describe('a listener that fails before answering', () => {
  it('a click: acknowledged, the clicker told in the channel, the error logged with what identifies it', async () => {
    app.action('explode', async () => {
      throw new Error('listener broke');
    });
    const answer = await click('explode');
    expect(answer.status).toBe(200);
    const told = await h.eventually(() => {
      const e = h.slack.ephemerals.find((x) => x.user === ALICE);
      if (!e) throw new Error('nobody told yet');
      return e;
    });
    expect(told).toMatchObject({ channel: CHANNEL, text: SLACK_REQUEST_FAILED });
    expect(failures()).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'Slack request failed before it was answered: answered with an apology',
        kind: 'block_actions',
        id: 'explode',
        user: ALICE,
        channel: CHANNEL,
        answered: true,
        told: true,
        err: expect.objectContaining({ message: 'listener broke' }),
      }),
    ]);
    // the request's secrets and capability URLs stay out of the log
    expect(h.sink.text()).not.toContain(h.slack.token);
    expect(h.sink.text()).not.toContain(SIGNING_SECRET);
    expect(h.sink.text()).not.toContain('hooks.slack.com');
  });

  it('a click on the Home tab (no channel): the clicker told by a DM', async () => {
    app.action('explode_home', async () => {
      throw new Error('listener broke');
    });
    const {
      channel: _channel,
      message: _message,
      container: _container,
      response_url: _url,
      ...rest
    } = blockAction({
      user: ALICE,
      actionId: 'explode_home',
      channel: CHANNEL,
      message: { ts: '1', text: 'x', blocks: [] },
    });
    const answer = await h.interact({
      ...rest,
      container: { type: 'view', view_id: 'V0HOME001' },
      view: { type: 'home' },
    });
    expect(answer.status).toBe(200);
    await h.eventually(() =>
      expect(h.slack.messages.filter((m) => m.channel === ALICE).map((m) => m.text)).toEqual([SLACK_REQUEST_FAILED]),
    );
    expect(failures()).toEqual([expect.objectContaining({ kind: 'block_actions', id: 'explode_home', told: true })]);
  });

  it('a modal submission: the apology shows on its first input, so the modal and what was typed stay', async () => {
    app.view('explode_view', async () => {
      throw new Error('listener broke');
    });
    const view = {
      id: 'V0EXPLODE1',
      callback_id: 'explode_view',
      private_metadata: '',
      blocks: [
        { type: 'section', block_id: 'intro', text: { type: 'mrkdwn', text: 'hi' } },
        { type: 'input', block_id: 'message', element: { type: 'plain_text_input', action_id: 'message' } },
      ],
    };
    const answer = await h.interact(
      viewSubmission(ALICE, view, { message: { message: { type: 'plain_text_input', value: 'typed' } } }),
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ response_action: 'errors', errors: { message: SLACK_REQUEST_FAILED } });
    expect(failures()).toEqual([expect.objectContaining({ kind: 'view_submission', id: 'explode_view' })]);
  });

  it('a slash command: answered ephemerally', async () => {
    app.command('/explode', async () => {
      throw new Error('listener broke');
    });
    const body = slashCommandBody({
      user: ALICE,
      text: '',
      channel: CHANNEL,
      responseUrl: `${h.slack.url}/response/x`,
    });
    const answer = await postToSlackEndpoint(
      `${h.url}/slack/events`,
      SIGNING_SECRET,
      body.replace('command=%2Fintercom', 'command=%2Fexplode'),
      'application/x-www-form-urlencoded',
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ response_type: 'ephemeral', text: SLACK_REQUEST_FAILED });
    expect(failures()).toEqual([
      expect.objectContaining({ kind: 'slash_command', id: '/explode', user: ALICE, answered: true }),
    ]);
  });
});

describe('a listener that fails before answering, with nowhere to show an apology', () => {
  it('a global shortcut: acknowledged, and the log says nobody was told', async () => {
    app.shortcut('explode_shortcut', async () => {
      throw new Error('listener broke');
    });
    const answer = await h.interact(globalShortcut({ user: ALICE, callbackId: 'explode_shortcut' }));
    expect(answer.status).toBe(200);
    await h.eventually(() =>
      expect(failures()).toEqual([
        expect.objectContaining({
          msg: 'Slack request failed before it was answered: answered, with nowhere to show an apology',
          kind: 'shortcut',
          answered: true,
          told: false,
        }),
      ]),
    );
    expect(h.slack.ephemerals).toEqual([]);
  });
});

describe('a listener that fails after answering', () => {
  it('is logged once and not answered again: nobody is told "nothing was changed"', async () => {
    app.action('late', async ({ ack }) => {
      await ack();
      throw new Error('after the answer');
    });
    const answer = await click('late');
    expect(answer).toMatchObject({ status: 200, body: '' });
    await h.eventually(() =>
      expect(failures()).toEqual([
        expect.objectContaining({
          level: 50,
          msg: 'Slack request failed',
          id: 'late',
          answered: false,
          err: expect.objectContaining({ message: 'after the answer' }),
        }),
      ]),
    );
    expect(h.slack.ephemerals).toEqual([]);
  });

  it('an event listener: logged with the event type (Bolt answered the event before listeners ran)', async () => {
    app.event('app_mention', async () => {
      throw new Error('event listener broke');
    });
    const answer = await h.slackEvent({
      type: 'app_mention',
      user: ALICE,
      channel: CHANNEL,
      text: '<@UBOT00001> hi',
      ts: '1800000000.000200',
      event_ts: '1800000000.000200',
    });
    expect(answer.status).toBe(200);
    await h.eventually(() =>
      expect(failures()).toEqual([
        expect.objectContaining({ kind: 'event_callback', id: 'app_mention', user: ALICE, answered: false }),
      ]),
    );
  });
});

it('leaves a token Slack will not confirm to Bolt: 401, so Slack retries, and logged', async () => {
  h.slack.fail({ method: 'auth.test', error: 'invalid_auth', times: 5 });
  const answer = await click('open:1');
  expect(answer.status).toBe(401);
  expect(failures()).toEqual([
    expect.objectContaining({ msg: 'Slack request refused: the bot token could not be checked', id: 'open:1' }),
  ]);
  expect(h.slack.ephemerals).toEqual([]);
});
