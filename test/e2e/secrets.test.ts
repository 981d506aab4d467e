import { afterEach, describe, expect, it } from 'vitest';
import type { FakeIntercom } from '../support/fake-intercom.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { CHANNEL, CLIENT_SECRET, Harness, SIGNING_SECRET } from '../support/harness.ts';

// A full flow with every token and secret set to a distinctive value, logging at trace level with the logger's
// scrubbing by value switched off (the harness gives it no secrets): not one of them may appear in any log line,
// any answer to Slack or Intercom, or any message shown to a person.

const ALICE = 'U0ALICE01';
const APP_TOKEN = 'xapp-1-A0BRIDGE1-1-fakeapptoken';
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function seed(_intercom: FakeIntercom, slack: FakeSlack) {
  slack.addUser({ id: ALICE, name: 'Alice', email: 'alice@example.com' });
}

describe('secrets', () => {
  it('never appear in logs, answers or messages, through successes and failures', async () => {
    h = await Harness.start({ seed });
    const harness = h;
    const secrets = [harness.slack.token, harness.intercom.token, SIGNING_SECRET, CLIENT_SECRET];
    const seen: string[] = [];

    // a card, a click, a modal, a command, a thread note
    const c = harness.intercom.addConversation({ subject: 'Secrets' });
    const id = String(c.id);
    seen.push(
      JSON.stringify(
        await harness.webhook(harness.notification('conversation.user.created', { type: 'conversation', id })),
      ),
    );
    await harness.drained();
    seen.push(JSON.stringify(await harness.click(ALICE, id, 'close')));
    await harness.click(ALICE, id, 'reply');
    const view = await harness.openedView('triage_reply');
    seen.push(JSON.stringify(await harness.submit(ALICE, view, { message: { message: { value: 'hello' } } })));
    const { answer, responseUrl } = await harness.command(ALICE, 'contacts alice');
    seen.push(JSON.stringify(answer));

    // and everything failing: bad signatures, Intercom refusing the token, Slack refusing the token
    seen.push(JSON.stringify(await harness.webhook({ nope: true }, { signature: 'sha1=bad' })));
    harness.intercom.fail({ method: 'POST', path: `/conversations/${id}/parts`, status: 401 });
    await harness.click(ALICE, id, 'reopen');
    harness.intercom.fail({ method: 'POST', path: '/contacts/search', status: 401 });
    await harness.command(ALICE, 'contacts bob');
    harness.slack.fail({ method: 'chat.postMessage', error: 'invalid_auth', times: 20 });
    const other = String(harness.intercom.addConversation({ subject: 'Refused' }).id);
    await harness.webhook(harness.notification('conversation.user.created', { type: 'conversation', id: other }));
    await harness.drained();
    await harness.eventually(() => expect(harness.slack.ephemerals.length).toBeGreaterThan(0));
    seen.push(await (await fetch(`${harness.url}/readyz`)).text());
    seen.push(await (await fetch(`${harness.url}/metrics`)).text());

    const everything = [
      harness.sink.text(),
      ...seen,
      ...harness.slack.ephemerals.map((e) => e.text),
      ...harness.slack.messages.map((m) => `${m.text}${JSON.stringify(m.blocks)}`),
      ...harness.slack.responses.map((r) => JSON.stringify(r.body)),
      ...[...harness.slack.views.values()].map((v) => JSON.stringify(v)),
    ].join('\n');
    expect(harness.sink.lines().length).toBeGreaterThan(40); // it really logged, at every level
    expect(everything).toContain('intercom answered 401'.replace('intercom', 'Intercom')); // failures were logged
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(harness.responsesTo(responseUrl.split('/').at(-1) as string).length).toBeGreaterThan(0);
  });

  it('the Socket Mode app token never appears either', async () => {
    h = await Harness.start({ seed, env: { SLACK_APP_TOKEN: APP_TOKEN } });
    const harness = h;
    await harness.eventually(() => expect(harness.slack.socketConnected).toBe(true));
    await harness.slack.sendEnvelope('slash_commands', {
      command: '/intercom',
      text: 'help',
      user_id: ALICE,
      channel_id: CHANNEL,
    });
    expect(harness.sink.text()).not.toContain(APP_TOKEN);
    expect(harness.sink.text()).not.toContain('fakeapptoken');
  });
});
