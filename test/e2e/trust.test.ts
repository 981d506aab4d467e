import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RESULT_ACTIONS } from '../../src/slack/blocks/results.ts';
import { ModalState } from '../../src/slack/modal-state.ts';
import type { FakeIntercom } from '../support/fake-intercom.ts';
import { type FakeSlack, TEAM_ID } from '../support/fake-slack.ts';
import { CHANNEL, Harness, SIGNING_SECRET } from '../support/harness.ts';
import {
  blockAction,
  blockSuggestion,
  eventEnvelope,
  interactionBody,
  postToSlackEndpoint,
  viewSubmission,
} from '../support/slack-requests.ts';

// The trust boundaries of DESIGN.md, through real HTTP: requests correctly signed with our secret that name
// another workspace, app or org, come from a Slack Connect guest, are replayed, come from someone with no
// Intercom seat, or carry ids and URLs the bridge did not issue. Each changes nothing and reads nothing.

const ALICE = 'U0ALICE01'; // alice@example.com → Intercom admin 991 (added by the harness)
const MALLORY = 'U0MALLORY'; // in our workspace, but no Intercom teammate has her email
const GUEST = 'U0GUEST01'; // a Slack Connect guest from another workspace whose email is Bob's
const OTHER_TEAM = 'T0OTHER01';

let h: Harness;

function seed(intercom: FakeIntercom, slack: FakeSlack) {
  slack.addUser({ id: ALICE, name: 'Alice', email: 'alice@example.com' });
  slack.addUser({ id: MALLORY, name: 'Mallory', email: 'mallory@elsewhere.test' });
  slack.addUser({ id: GUEST, name: 'Bob', email: 'bob@example.com', teamId: OTHER_TEAM });
  intercom.addAdmin({ name: 'Bob Builder', email: 'bob@example.com', id: '992' });
  intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
}

beforeEach(async () => {
  h = await Harness.start({ seed });
});
afterEach(async () => {
  await h.stop();
});

/** Requests that change something in Intercom (searches are POSTs that do not). */
const writes = () => h.intercom.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/search'));
/** Requests that read Intercom data on someone's behalf (lists and searches). */
const reads = () => h.intercom.requests.filter((r) => r.path.endsWith('/search') || r.method === 'GET');
const refusals = () => h.sink.lines().filter((l) => l.msg === 'Slack request refused');

async function conversationWithCard(subject = 'Refund please') {
  const c = h.intercom.addConversation({ subject });
  const id = String(c.id);
  await h.webhook(h.notification('conversation.user.created', { type: 'conversation', id }));
  await h.eventually(async () => {
    if (!(await h.bridge?.store.getCard(id))) throw new Error('no card yet');
  });
  await h.drained();
  const card = await h.bridge?.store.getCard(id);
  const message = h.slack.messages.find((m) => m.ts === card?.ts);
  if (!card || !message) throw new Error('no card');
  return { id, message };
}

/** Waits a moment for work that should not happen, so its absence means something. */
async function settle() {
  await new Promise((resolve) => setTimeout(resolve, 300));
  await h.drained();
}

describe('one workspace, one app', () => {
  const elsewhere: Array<[string, (p: Record<string, unknown>) => Record<string, unknown>]> = [
    ['another team_id', (p) => ({ ...p, team: { id: OTHER_TEAM, domain: 'other' } })],
    ['another api_app_id', (p) => ({ ...p, api_app_id: 'A0SOMEONE' })],
    ['an enterprise ours is not in', (p) => ({ ...p, enterprise: { id: 'E0OTHER01', name: 'Other' } })],
    ['a user of another team', (p) => ({ ...p, user: { ...(p.user as object), team_id: OTHER_TEAM } })],
  ];

  it.each(elsewhere)('a Close click naming %s closes nothing', async (_what, forge) => {
    const { id, message } = await conversationWithCard();
    const click = blockAction({ user: ALICE, actionId: `close:${id}`, channel: CHANNEL, message, value: id });
    const answer = await h.interact(forge(click));
    expect(answer.status).toBe(200);
    await settle();
    expect(writes()).toEqual([]);
    expect(refusals()).toHaveLength(1);
    // the same click, as our workspace sends it, does close: the refusal was the workspace check
    await h.interact(click);
    await h.eventually(() => expect(writes().map((w) => w.path)).toEqual([`/conversations/${id}/parts`]));
  });

  it('a slash command naming another team searches nothing', async () => {
    const body = new URLSearchParams({
      team_id: OTHER_TEAM,
      api_app_id: 'A0BRIDGE1',
      channel_id: CHANNEL,
      user_id: ALICE,
      command: '/intercom',
      text: 'contacts ann@example.com',
      response_url: `${h.slack.url}/response/other`,
      trigger_id: '1.2.other',
    }).toString();
    const answer = await postToSlackEndpoint(
      `${h.url}/slack/events`,
      SIGNING_SECRET,
      body,
      'application/x-www-form-urlencoded',
    );
    expect(answer).toMatchObject({ status: 200, body: '' });
    await settle();
    expect(reads().filter((r) => r.path === '/contacts/search')).toEqual([]);
    expect(h.responsesTo('other')).toEqual([]);
  });

  it('a thread reply event from another team becomes no note', async () => {
    const { id, message } = await conversationWithCard();
    const event = { type: 'message', user: ALICE, channel: CHANNEL, ts: '1800000999.000100', thread_ts: message.ts };
    const envelope = { ...eventEnvelope(event, 'EvOTHER1'), team_id: OTHER_TEAM };
    const answer = await postToSlackEndpoint(
      `${h.url}/slack/events`,
      SIGNING_SECRET,
      JSON.stringify({ ...envelope, event: { ...event, text: 'forged note' } }),
      'application/json',
    );
    expect(answer.status).toBe(200);
    await settle();
    expect(writes().filter((w) => w.path === `/conversations/${id}/reply`)).toEqual([]);
  });

  it('a Slack Connect guest whose email is a teammate’s cannot act as that teammate', async () => {
    const { id, message } = await conversationWithCard();
    // the payload names our team (the channel is ours); the person is from another one
    await h.interact(blockAction({ user: GUEST, actionId: `close:${id}`, channel: CHANNEL, message, value: id }));
    await h.eventually(() =>
      expect(h.slack.ephemerals.map((e) => e.text)).toEqual([
        expect.stringContaining('not a member of the Slack workspace this bridge serves'),
      ]),
    );
    expect(writes()).toEqual([]);
  });
});

describe('replays', () => {
  it('the same Reply submission three times sends one reply', async () => {
    const { id } = await conversationWithCard();
    await h.click(ALICE, id, 'reply');
    const view = await h.openedView('triage_reply');
    const submission = viewSubmission(ALICE, view, { message: { message: { value: 'We have refunded you.' } } });
    for (let i = 0; i < 3; i++) expect((await h.interact(submission)).status).toBe(200);
    await h.eventually(() => expect(writes().map((w) => w.path)).toEqual([`/conversations/${id}/reply`]));
    await settle();
    expect(writes()).toHaveLength(1);
    expect(refusals().map((l) => l.reason)).toEqual(['already handled (a replay)', 'already handled (a replay)']);
  });

  it('the same Close click three times closes once', async () => {
    const { id, message } = await conversationWithCard();
    const click = blockAction({ user: ALICE, actionId: `close:${id}`, channel: CHANNEL, message, value: id });
    for (let i = 0; i < 3; i++) expect((await h.interact(click)).status).toBe(200);
    await h.eventually(() => expect(writes()).toHaveLength(1));
    await settle();
    expect(writes()).toHaveLength(1);
  });

  it('the same contact note submission three times adds one note', async () => {
    const ann = [...h.intercom.contacts.values()].find((c) => c.email === 'ann@example.com');
    await h.command(ALICE, 'note ann@example.com');
    const view = await h.openedView('contact_note');
    const submission = viewSubmission(ALICE, view, {
      contact: { contact: { selected_option: { value: `id:${ann?.id}` } } },
      message: { message: { value: 'Called her back' } },
    });
    for (let i = 0; i < 3; i++) await h.interact(submission);
    await h.eventually(() => expect(writes().map((w) => w.path)).toEqual([`/contacts/${ann?.id}/notes`]));
    await settle();
    expect(writes()).toHaveLength(1);
  });

  it('a replay that reaches another replica on the same store is refused there too', async () => {
    const { id, message } = await conversationWithCard();
    const click = blockAction({ user: ALICE, actionId: `close:${id}`, channel: CHANNEL, message, value: id });
    await h.interact(click);
    // the store is what replicas share: a key it holds is a replay wherever it arrives
    expect(await h.bridge?.store.firstSeen(`trigger:${click.trigger_id}`, Date.now())).toBe(false);
  });
});

describe('who may read', () => {
  it('someone with no Intercom seat cannot search contacts, preview a conversation or list options', async () => {
    const { id } = await conversationWithCard();
    const readsBefore = reads().length;
    const search = await h.command(MALLORY, 'contacts ann@example.com');
    const preview = await h.command(MALLORY, `conversation ${id}`);
    for (const asked of [search, preview]) {
      const [said] = await h.eventually(() => {
        const r = asked.responses();
        if (r.length === 0) throw new Error('no answer yet');
        return r;
      });
      expect(JSON.stringify(said)).toContain('The bridge shows Intercom data only to Intercom teammates.');
    }
    const options = await h.interact(blockSuggestion(MALLORY, 'contact', 'ann', { id: 'V1', callback_id: 'x' }));
    expect(JSON.parse(options.body)).toEqual({ options: [] });
    await settle();
    expect(reads().length).toBe(readsBefore);
  });

  it('someone with no seat cannot post a conversation to a channel', async () => {
    const c = h.intercom.addConversation({ subject: 'Not yet posted' });
    const id = String(c.id);
    const responseUrl = `${h.slack.url}/response/post`;
    const cardsBefore = h.cards().length;
    await h.interact({
      ...blockAction({
        user: MALLORY,
        actionId: RESULT_ACTIONS.postConversation,
        channel: CHANNEL,
        message: { ts: '1.1', text: '', blocks: [] },
        value: id,
      }),
      response_url: responseUrl,
      container: { type: 'message', message_ts: '1.1', channel_id: CHANNEL, is_ephemeral: true },
    });
    await h.eventually(() => expect(JSON.stringify(h.responsesTo('post'))).toContain('No Intercom teammate'));
    await settle();
    expect(h.cards()).toHaveLength(cardsBefore);
  });

  it('READ_ACCESS=workspace lets anyone in the workspace search, but not a guest', async () => {
    await h.bridge?.stop();
    await h.startBridge({ env: { READ_ACCESS: 'workspace' } });
    const search = await h.command(MALLORY, 'contacts ann@example.com');
    await h.eventually(() => expect(JSON.stringify(search.responses())).toContain('Ann Lee'));
    const guest = await h.command(GUEST, 'contacts ann@example.com');
    await h.eventually(() => expect(JSON.stringify(guest.responses())).toContain('not a member'));
  });
});

describe('ids and URLs the bridge did not issue', () => {
  it('a Close button naming conversation B, clicked on card A, closes neither', async () => {
    const a = await conversationWithCard('A');
    const b = await conversationWithCard('B');
    await h.interact(
      blockAction({ user: ALICE, actionId: `close:${b.id}`, channel: CHANNEL, message: a.message, value: b.id }),
    );
    await settle();
    expect(writes()).toEqual([]);
    expect(h.sink.lines().filter((l) => l.msg === 'card button naming another conversation: ignored')).toHaveLength(1);
  });

  it('a Reply submission whose state names another conversation replies nowhere', async () => {
    const a = await conversationWithCard('A');
    const b = await conversationWithCard('B');
    await h.click(ALICE, a.id, 'reply');
    const view = await h.openedView('triage_reply');
    const forged = JSON.stringify({ conversationId: b.id, channel: CHANNEL, cardTs: a.message.ts });
    // the state as the bridge's seal would read it, but not sealed by it; and a seal moved onto other state
    const seal = String(view.private_metadata).split('.')[0];
    for (const metadata of [forged, `${seal}.${forged}`]) {
      await h.submit(ALICE, { ...view, private_metadata: metadata }, { message: { message: { value: 'hi' } } });
    }
    await settle();
    expect(writes()).toEqual([]);
    // the modal as issued does reply, to A
    await h.submit(ALICE, view, { message: { message: { value: 'hi' } } });
    await h.eventually(() => expect(writes().map((w) => w.path)).toEqual([`/conversations/${a.id}/reply`]));
  });

  it('a request naming a response URL that is not Slack’s is not answered there, nor acted on', async () => {
    const elsewhere = `http://127.0.0.1:9/response/x`;
    const body = new URLSearchParams({
      team_id: TEAM_ID,
      api_app_id: 'A0BRIDGE1',
      channel_id: CHANNEL,
      user_id: ALICE,
      command: '/intercom',
      text: 'contacts ann@example.com',
      response_url: elsewhere,
      trigger_id: '1.2.elsewhere',
    }).toString();
    await postToSlackEndpoint(`${h.url}/slack/events`, SIGNING_SECRET, body, 'application/x-www-form-urlencoded');
    await settle();
    expect(reads().filter((r) => r.path === '/contacts/search')).toEqual([]);
    expect(refusals().map((l) => l.reason)).toEqual(['a response URL that is not Slack’s']);
  });

  it('the seal is the bridge’s own: one made with another key reads as no state', () => {
    const ours = new ModalState(h.slack.token);
    const theirs = new ModalState('xoxb-someone-else');
    const state = JSON.stringify({ conversationId: '1' });
    expect(ours.open(ours.seal(state))).toBe(state);
    expect(ours.open(theirs.seal(state))).toBeUndefined();
    expect(ours.open(state)).toBeUndefined();
    expect(ours.open(undefined)).toBeUndefined();
  });
});

describe('what reaches Slack and the logs', () => {
  it('no modal body (with its response URL) is logged, even at trace', async () => {
    await h.command(ALICE, 'note ann@example.com');
    await h.openedView('contact_note');
    const responseUrls = h.slack.calls
      .filter((c) => c.method === 'views.open')
      .map((c) => JSON.stringify(c.args))
      .join('');
    expect(responseUrls).toContain('/response/');
    expect(h.sink.text()).not.toContain('private_metadata');
    expect(h.sink.text()).not.toMatch(/http request (body|result)/);
  });

  it('the same signed click sent twice at once closes once', async () => {
    const { id, message } = await conversationWithCard();
    const click = blockAction({ user: ALICE, actionId: `close:${id}`, channel: CHANNEL, message, value: id });
    const raw = interactionBody(click);
    const [first, second] = await Promise.all([
      postToSlackEndpoint(`${h.url}/slack/events`, SIGNING_SECRET, raw, 'application/x-www-form-urlencoded'),
      postToSlackEndpoint(`${h.url}/slack/events`, SIGNING_SECRET, raw, 'application/x-www-form-urlencoded'),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    await h.eventually(() => expect(writes()).toHaveLength(1));
    await settle();
    expect(writes()).toHaveLength(1);
  });
});
