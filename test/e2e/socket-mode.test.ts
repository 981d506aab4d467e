import { afterEach, describe, expect, it } from 'vitest';
import type { FakeIntercom } from '../support/fake-intercom.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { CHANNEL, Harness } from '../support/harness.ts';
import { blockAction, eventEnvelope } from '../support/slack-requests.ts';

// SLACK_APP_TOKEN set: Slack's requests arrive over a Socket Mode WebSocket (the fake Slack's), while the HTTP
// listener still takes Intercom's webhooks and serves health and metrics.

const ALICE = 'U0ALICE01';
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function seed(_intercom: FakeIntercom, slack: FakeSlack) {
  slack.addUser({ id: ALICE, name: 'Alice', email: 'alice@example.com' });
}

describe('Socket Mode', () => {
  it('takes commands, clicks and events over the socket, and webhooks over HTTP', async () => {
    h = await Harness.start({ seed, env: { SLACK_APP_TOKEN: 'xapp-1-A0BRIDGE1-1-fakeapptoken' } });
    const harness = h;
    await harness.eventually(() => expect(harness.slack.socketConnected).toBe(true));
    expect((await fetch(`${harness.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${harness.url}/slack/events`, { method: 'POST' })).status).toBe(404);

    const help = await harness.slack.sendEnvelope('slash_commands', {
      command: '/intercom',
      text: 'help',
      user_id: ALICE,
      channel_id: CHANNEL,
      team_id: 'T00TEST01',
      response_url: `${harness.slack.url}/response/socket`,
      trigger_id: '1.2.3',
    });
    expect(JSON.stringify(help.payload)).toContain('/intercom contacts');

    const c = harness.intercom.addConversation({ subject: 'Over the socket' });
    const id = String(c.id);
    expect(
      (await harness.webhook(harness.notification('conversation.user.created', { type: 'conversation', id }))).status,
    ).toBe(200);
    await harness.eventually(() => expect(harness.cards()).toHaveLength(1));
    const card = harness.cards()[0];
    if (!card) throw new Error('no card');

    await harness.slack.sendEnvelope(
      'events_api',
      eventEnvelope(
        {
          type: 'reaction_added',
          user: ALICE,
          reaction: 'eyes',
          item: { type: 'message', channel: CHANNEL, ts: card.ts },
          event_ts: '1.1',
        },
        'EvSOCKET1',
      ),
    );
    await harness.eventually(() =>
      expect(harness.intercom.requests.filter((r) => r.path.endsWith('/parts')).map((r) => r.body)).toEqual([
        { message_type: 'assignment', type: 'admin', admin_id: '991', assignee_id: '991' },
      ]),
    );

    await harness.slack.sendEnvelope(
      'interactive',
      blockAction({ user: ALICE, actionId: `close:${id}`, channel: CHANNEL, message: card, value: id }),
    );
    await harness.eventually(() =>
      expect(harness.threadOf(card.ts).map((m) => m.text)).toContain('✅ *Alice Admin* closed the conversation'),
    );
  });

  it('a refused app token leaves the bridge up: webhooks are taken, /readyz says why, nothing crashes', async () => {
    h = await Harness.start({ seed, env: { SLACK_APP_TOKEN: 'xapp-1-A0BRIDGE1-1-notthetoken' } });
    const harness = h;
    expect((await fetch(`${harness.url}/healthz`)).status).toBe(200);
    const ready = await harness.eventually(async () => {
      const res = await fetch(`${harness.url}/readyz`);
      const body = (await res.json()) as { checks: { socket?: { ok: boolean | null; error?: string } } };
      if (body.checks.socket?.ok !== false) throw new Error('socket not reported yet');
      return { status: res.status, socket: body.checks.socket };
    });
    expect(ready).toEqual({ status: 503, socket: { ok: false, error: expect.stringContaining('invalid_auth') } });
    expect(harness.slack.socketConnected).toBe(false);
    const c = harness.intercom.addConversation({ subject: 'Still arriving' });
    const id = String(c.id);
    expect(
      (await harness.webhook(harness.notification('conversation.user.created', { type: 'conversation', id }))).status,
    ).toBe(200);
    await harness.eventually(() => expect(harness.cards()).toHaveLength(1));
    expect(harness.sink.text()).not.toContain('notthetoken');
  });
});
