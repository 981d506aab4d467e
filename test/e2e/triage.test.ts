import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { snoozeChoices } from '../../src/bridge/snooze.ts';
import type { FakeIntercom, RecordedRequest } from '../support/fake-intercom.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { CHANNEL, expectUnreadableTagsRefused, Harness, NO_STATE } from '../support/harness.ts';
import { blockSuggestion, type SlackAnswer } from '../support/slack-requests.ts';

// Button-driven triage over real HTTP: signed Slack requests into the running bridge, the fake Intercom
// recording every write, the fake Slack holding cards, threads, modals, ephemerals and reactions.

const ALICE = 'U0ALICE01'; // alice@example.com → Intercom admin 991 (added by the harness)
const MALLORY = 'U0MALLORY'; // an email no Intercom teammate has
const DEVON = 'U0DEVON01'; // an email no teammate has either, but ADMIN_OVERRIDES maps him where a test says so

let h: Harness;

function seed(intercom: FakeIntercom, slack: FakeSlack) {
  slack.addUser({ id: ALICE, name: 'Alice', email: 'Alice@Example.com', tz: 'America/New_York' });
  slack.addUser({ id: MALLORY, name: 'Mallory', email: 'mallory@elsewhere.test' });
  intercom.addAdmin({ name: 'Bob Builder', email: 'bob@example.com', id: '992' });
  intercom.addTeam({ name: 'Billing', id: '5017' });
  intercom.addTag('VIP');
}

beforeEach(async () => {
  h = await Harness.start({ seed });
});
afterEach(async () => {
  await h.stop();
});

/** A conversation with its card posted (through the webhook, as in production). */
async function conversationWithCard(fields: { subject?: string } = {}): Promise<string> {
  const c = h.intercom.addConversation({ subject: fields.subject ?? 'Refund please' });
  const id = String(c.id);
  await h.webhook(h.notification('conversation.user.created', { type: 'conversation', id }));
  await h.eventually(async () => {
    if (!(await h.bridge?.store.getCard(id))) throw new Error('no card yet');
  });
  await h.drained();
  return id;
}

/** Requests that change something in Intercom (searches are POSTs that do not). */
const writes = () => h.intercom.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/search'));
const lastBody = (path: RegExp) =>
  h.intercom.requests.filter((r) => path.test(r.path) && r.method === 'POST').at(-1)?.body as Record<string, unknown>;

async function cardOf(id: string) {
  const card = await h.bridge?.store.getCard(id);
  const message = h.slack.messages.find((m) => m.ts === card?.ts);
  if (!card || !message) throw new Error('no card');
  return { ...card, message, thread: () => h.threadOf(card.ts).map((m) => m.text) };
}

const buttonsOf = (blocks: unknown[]) =>
  (blocks.at(-1) as { elements: Array<{ text: { text: string } }> }).elements.map((e) => e.text.text);

/** Sends the echo webhook Intercom sends for a change made through the API, and waits for it to be handled. */
async function echo(topic: string, id: string) {
  await h.webhook(h.notification(topic, { type: 'conversation', id }));
  await h.drained();
}

/** Waits until the bridge has logged that it left a Slack event alone (events are answered before listeners run). */
async function ignoredEvent(what: 'message' | 'reaction', ts: string, reason: string) {
  await h.eventually(() =>
    expect(h.sink.lines().filter((l) => l.msg === `Slack ${what} ignored` && l.ts === ts)).toEqual([
      expect.objectContaining({ reason }),
    ]),
  );
}

describe('card buttons', () => {
  it('Close: closes as the clicker’s teammate, updates the card, and says so once despite the echo', async () => {
    const id = await conversationWithCard();
    const answer = await h.click(ALICE, id, 'close');
    expect(answer.status).toBe(200);
    await h.eventually(async () =>
      expect((await cardOf(id)).thread()).toContain('✅ *Alice Admin* closed the conversation'),
    );
    expect(lastBody(/\/parts$/)).toEqual({ message_type: 'close', type: 'admin', admin_id: '991' });
    const card = await cardOf(id);
    expect(buttonsOf(card.message.blocks)).toContain('Reopen');
    expect(JSON.stringify(card.message.blocks)).toContain('Closed');

    await echo('conversation.admin.closed', id);
    expect(card.thread().filter((t) => t.includes('closed the conversation'))).toHaveLength(1);
  });

  it('Reopen: opens the conversation again', async () => {
    const id = await conversationWithCard();
    await h.click(ALICE, id, 'close');
    await h.eventually(async () => expect(buttonsOf((await cardOf(id)).message.blocks)).toContain('Reopen'));
    await h.click(ALICE, id, 'reopen');
    await h.eventually(async () =>
      expect((await cardOf(id)).thread()).toContain('🔓 *Alice Admin* reopened the conversation'),
    );
    expect(lastBody(/\/parts$/)).toEqual({ message_type: 'open', admin_id: '991' });
    expect(buttonsOf((await cardOf(id)).message.blocks)).toContain('Snooze');
  });

  it('refuses a Slack user with no Intercom teammate, plainly, and changes nothing', async () => {
    const id = await conversationWithCard();
    const before = writes().length;
    const cardBefore = JSON.stringify((await cardOf(id)).message.blocks);
    await h.click(MALLORY, id, 'close');
    const told = await h.eventually(() => {
      const e = h.slack.ephemerals.find((x) => x.user === MALLORY);
      if (!e) throw new Error('no ephemeral yet');
      return e;
    });
    expect(told.channel).toBe(CHANNEL);
    expect(told.text).toContain('No Intercom teammate has your Slack email (mallory@elsewhere.test)');
    expect(told.text).toContain('Nothing was changed');
    expect(writes()).toHaveLength(before);
    await h.drained();
    expect(JSON.stringify((await cardOf(id)).message.blocks)).toBe(cardBefore);

    // a modal button opens the modal at once, then turns it into the reason
    await h.click(MALLORY, id, 'reply');
    await h.eventually(async () => {
      const view = await h.openedView();
      expect(view.submit).toBeUndefined();
      expect(JSON.stringify(view.blocks)).toContain('No Intercom teammate has your Slack email');
    });
    expect(writes()).toHaveLength(before);
  });

  it('answers a click and two modal submissions while Intercom has answered none of their writes', async () => {
    const closing = await conversationWithCard();
    const replying = await conversationWithCard();
    const noting = await conversationWithCard();
    // the modals are opened first: opening one writes nothing to Intercom
    await h.click(ALICE, replying, 'reply');
    const replyView = await h.openedView('triage_reply');
    await h.click(ALICE, noting, 'note');
    const noteView = await h.openedView('triage_note');
    const message = (value: string) => ({ message: { message: { type: 'plain_text_input', value } } });

    // Intercom takes each write but holds its answer until the gate opens, below, after Slack has had every answer:
    // a bridge that waited for a write before answering Slack would never answer, and the test would fail
    const writesHeld = h.intercom.hold({ method: 'POST', path: /^\/conversations\/\d+\/(parts|reply)$/ });
    const answered = async (send: Promise<SlackAnswer>) => {
      const answer = await send;
      return { ...answer, intercomAnswered: !writesHeld.shut };
    };
    const close = await answered(h.click(ALICE, closing, 'close'));
    const reply = await answered(h.submit(ALICE, replyView, message('Refund sent today')));
    const note = await answered(h.submit(ALICE, noteView, message('Checked with billing')));

    for (const answer of [close, reply, note]) {
      expect(answer.status).toBe(200);
      expect(answer.intercomAnswered).toBe(false);
    }
    expect([reply.body, note.body]).toEqual(['', '']); // the modals close

    // then each write reaches Intercom, exactly as it should, and waits there unanswered
    await writesHeld.reached(3);
    expect(writesHeld.held).toBe(3);
    const write = (path: string) => {
      const found = writesHeld.arrived.filter((r) => r.path === path);
      expect(found).toHaveLength(1);
      return found[0] as RecordedRequest;
    };
    const closed = write(`/conversations/${closing}/parts`);
    const replied = write(`/conversations/${replying}/reply`);
    const noted = write(`/conversations/${noting}/reply`);
    expect(closed.body).toEqual({ message_type: 'close', type: 'admin', admin_id: '991' });
    expect(replied.body).toEqual({
      message_type: 'comment',
      type: 'admin',
      admin_id: '991',
      body: '<p>Refund sent today</p>',
    });
    expect(noted.body).toEqual({
      message_type: 'note',
      type: 'admin',
      admin_id: '991',
      body: '<p>Checked with billing</p>',
    });

    // and the thread says what was done once Intercom has answered, not before
    expect((await cardOf(closing)).thread()).not.toContain('✅ *Alice Admin* closed the conversation');
    writesHeld.open();
    await h.eventually(async () => {
      expect((await cardOf(closing)).thread()).toContain('✅ *Alice Admin* closed the conversation');
      expect((await cardOf(replying)).thread().some((t) => t.includes('replied to the customer'))).toBe(true);
      expect((await cardOf(noting)).thread().some((t) => t.startsWith('📝 *Alice Admin* added a note'))).toBe(true);
    }, 10_000);
    expect(writesHeld.held).toBe(0);
  });

  it('acts as the admin ADMIN_OVERRIDES names for a Slack user whose email matches no teammate', async () => {
    await h.stop();
    h = await Harness.start({
      seed: (intercom, slack) => {
        seed(intercom, slack);
        slack.addUser({ id: DEVON, name: 'Devon', email: 'devon@personal.test' });
      },
      env: { ADMIN_OVERRIDES: `U0SOMEONE=991,${DEVON}=992` },
    });
    const id = await conversationWithCard();
    await h.click(DEVON, id, 'note');
    const view = await h.openedView('triage_note');
    await h.submit(DEVON, view, { message: { message: { type: 'plain_text_input', value: 'Mapped by hand' } } });
    await h.eventually(() =>
      expect(lastBody(/\/reply$/)).toEqual({
        message_type: 'note',
        type: 'admin',
        admin_id: '992',
        body: '<p>Mapped by hand</p>',
      }),
    );
    await h.click(DEVON, id, 'close');
    await h.eventually(() =>
      expect(lastBody(/\/parts$/)).toEqual({ message_type: 'close', type: 'admin', admin_id: '992' }),
    );
    await h.eventually(async () => {
      const thread = (await cardOf(id)).thread();
      expect(thread.some((t) => t.startsWith('📝 *Bob Builder* added a note'))).toBe(true);
      expect(thread).toContain('✅ *Bob Builder* closed the conversation');
    });
    expect(h.slack.ephemerals).toEqual([]); // no refusal
    expect(h.slack.callsOf('views.update')).toEqual([]); // the modal was never turned into one either
  });

  it('tells the clicker what Intercom said when it fails, and leaves the card as it was', async () => {
    const id = await conversationWithCard();
    const cardBefore = JSON.stringify((await cardOf(id)).message.blocks);
    const updatesBefore = h.slack.callsOf('chat.update').length;
    h.intercom.fail({ method: 'POST', path: `/conversations/${id}/parts`, status: 404 });
    await h.click(ALICE, id, 'close');
    const told = await h.eventually(() => {
      const e = h.slack.ephemerals.find((x) => x.user === ALICE);
      if (!e) throw new Error('no ephemeral yet');
      return e;
    });
    expect(told.text).toBe('Intercom cannot find this conversation any more (deleted or merged). Nothing was changed.');
    h.intercom.fail({ method: 'POST', path: `/conversations/${id}/parts`, status: 403 });
    await h.click(ALICE, id, 'close');
    await h.eventually(() => expect(h.slack.ephemerals.at(-1)?.text).toMatch(/^Intercom did not allow this/));
    await h.drained();
    expect(h.slack.callsOf('chat.update')).toHaveLength(updatesBefore);
    expect(JSON.stringify((await cardOf(id)).message.blocks)).toBe(cardBefore);
  });
});

describe('modals', () => {
  it('Reply: says it reaches the customer, sends a comment as the teammate, and threads it once', async () => {
    const id = await conversationWithCard({ subject: 'Where is my order?' });
    await h.click(ALICE, id, 'reply');
    const view = await h.openedView('triage_reply');
    expect(JSON.stringify(view.blocks)).toContain('The customer will see this');
    expect(JSON.stringify(view.blocks)).toContain('Where is my order?');
    const answer = await h.submit(ALICE, view, {
      message: { message: { type: 'plain_text_input', value: 'On its way <b>today</b>\n\nBye & thanks' } },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
    await h.eventually(() => expect(lastBody(/\/reply$/)).toBeDefined());
    expect(lastBody(/\/reply$/)).toEqual({
      message_type: 'comment',
      type: 'admin',
      admin_id: '991',
      body: '<p>On its way &lt;b&gt;today&lt;/b&gt;</p><p>Bye &amp; thanks</p>',
    });
    const card = await cardOf(id);
    await h.eventually(() =>
      expect(card.thread().filter((t) => t.includes('replied to the customer'))).toHaveLength(1),
    );
    await echo('conversation.admin.replied', id);
    expect(card.thread().filter((t) => t.includes('replied to the customer'))).toHaveLength(1);
  });

  it('Note: says only teammates see it, and sends a note', async () => {
    const id = await conversationWithCard();
    await h.click(ALICE, id, 'note');
    const view = await h.openedView('triage_note');
    expect(JSON.stringify(view.blocks)).toContain('Only teammates see this');
    await h.submit(ALICE, view, { message: { message: { type: 'plain_text_input', value: 'VIP, be nice' } } });
    await h.eventually(() => expect(lastBody(/\/reply$/)?.message_type).toBe('note'));
    expect(lastBody(/\/reply$/)?.admin_id).toBe('991');
    await h.eventually(async () =>
      expect((await cardOf(id)).thread().some((t) => t.startsWith('📝 *Alice Admin* added a note'))).toBe(true),
    );
  });

  it('keeps the modal open with an error on the field for an empty message, and calls nobody', async () => {
    const id = await conversationWithCard();
    await h.click(ALICE, id, 'reply');
    const view = await h.openedView('triage_reply');
    const before = writes().length;
    const answer = await h.submit(ALICE, view, { message: { message: { type: 'plain_text_input', value: '   ' } } });
    expect(JSON.parse(answer.body)).toEqual({
      response_action: 'errors',
      errors: { message: 'Write the reply first.' },
    });
    expect(writes()).toHaveLength(before);
  });

  it('treats a message field that is not text as empty (a malformed submission gets field errors, not a 500)', async () => {
    const id = await conversationWithCard();
    await h.click(ALICE, id, 'reply');
    const view = await h.openedView('triage_reply');
    for (const value of [123, {}, [], true]) {
      const answer = await h.submit(ALICE, view, { message: { message: { type: 'plain_text_input', value } } });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body).errors).toEqual({ message: 'Write the reply first.' });
    }
  });

  it('reads a submission without input state as nothing entered: errors on its fields, no apology, no error', async () => {
    const id = await conversationWithCard();
    const expected = {
      reply: { message: 'Write the reply first.' },
      note: { message: 'Write the note first.' },
      assign: { assignee: 'Pick someone, a team or nobody.' },
      tag: { tags: 'Pick a tag, or name a new one below.' },
    };
    const linesBefore = h.sink.lines().length;
    const before = writes().length;
    for (const [kind, errors] of Object.entries(expected)) {
      await h.click(ALICE, id, kind);
      const view = await h.openedView(`triage_${kind}`);
      for (const state of NO_STATE) {
        const answer = await h.submitState(ALICE, view, state);
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body), `${kind}, state ${JSON.stringify(state)}`).toEqual({
          response_action: 'errors',
          errors,
        });
      }
    }
    await h.drained();
    expect(writes()).toHaveLength(before);
    expect(h.slack.ephemerals).toEqual([]);
    expect(h.errorLines(linesBefore)).toEqual([]);
  });

  it('gives a failed reply back to its writer, so nothing typed is lost', async () => {
    const id = await conversationWithCard();
    await h.click(ALICE, id, 'reply');
    const view = await h.openedView('triage_reply');
    h.intercom.fail({ method: 'POST', path: `/conversations/${id}/reply`, status: 422 });
    await h.submit(ALICE, view, { message: { message: { type: 'plain_text_input', value: 'A long careful answer' } } });
    const told = await h.eventually(() => {
      const e = h.slack.ephemerals.find((x) => x.user === ALICE);
      if (!e) throw new Error('no ephemeral yet');
      return e;
    });
    expect(told.text).toMatch(/^Intercom rejected this/);
    expect(told.text).toContain('A long careful answer');
  });

  it('Assign: offers me, nobody, teammates and teams, and assigns as chosen', async () => {
    const id = await conversationWithCard();
    await h.click(ALICE, id, 'assign');
    const view = await h.openedView('triage_assign');
    const options = JSON.parse((await h.interact(blockSuggestion(ALICE, 'assignee', '', view))).body);
    const values = options.option_groups.flatMap((g: { options: Array<{ value: string }> }) =>
      g.options.map((o) => o.value),
    );
    expect(values).toEqual(['me', 'nobody', 'admin:991', 'admin:992', 'team:5017']);
    const typed = JSON.parse((await h.interact(blockSuggestion(ALICE, 'assignee', 'bil', view))).body);
    expect(typed.option_groups).toEqual([
      {
        label: { type: 'plain_text', text: 'Teams', emoji: true },
        options: [{ text: { type: 'plain_text', text: 'Billing', emoji: true }, value: 'team:5017' }],
      },
    ]);

    const choose = async (value: string) => {
      await h.submit(ALICE, view, { assignee: { assignee: { type: 'external_select', selected_option: { value } } } });
      await h.eventually(() =>
        expect(h.intercom.requests.filter((r) => r.path.endsWith('/parts')).length).toBeGreaterThan(0),
      );
    };
    await choose('admin:992');
    await h.eventually(() =>
      expect(lastBody(/\/parts$/)).toEqual({
        message_type: 'assignment',
        type: 'admin',
        admin_id: '991',
        assignee_id: '992',
      }),
    );
    await h.eventually(async () =>
      expect((await cardOf(id)).thread()).toContain('👤 *Alice Admin* assigned the conversation to *Bob Builder*'),
    );
    await choose('team:5017');
    await h.eventually(() =>
      expect(lastBody(/\/parts$/)).toEqual({
        message_type: 'assignment',
        type: 'team',
        admin_id: '991',
        assignee_id: '5017',
      }),
    );
    await choose('me');
    await h.eventually(() => expect(lastBody(/\/parts$/)?.assignee_id).toBe('991'));
    await choose('nobody');
    await h.eventually(() => expect(lastBody(/\/parts$/)?.assignee_id).toBe('0'));
    await h.drained();
    expect(JSON.stringify((await cardOf(id)).message.blocks)).toContain('Billing');

    const bad = await h.submit(ALICE, view, {
      assignee: { assignee: { type: 'external_select', selected_option: null } },
    });
    expect(JSON.parse(bad.body).errors).toEqual({ assignee: 'Pick someone, a team or nobody.' });
  });

  it('Snooze: tomorrow 9:00 in the clicker’s time zone, or a chosen time; past times are refused on the field', async () => {
    const id = await conversationWithCard();
    await h.click(ALICE, id, 'snooze');
    const view = await h.openedView('triage_snooze');
    const when = (value: string) => ({ type: 'radio_buttons', selected_option: { value } });

    const expected = snoozeChoices(Date.now(), 'America/New_York').tomorrowMorning;
    await h.submit(ALICE, view, {
      when: { when: when('tomorrow') },
      at: { at: { type: 'datetimepicker', selected_date_time: null } },
    });
    await h.eventually(() =>
      expect(lastBody(/\/parts$/)).toEqual({ message_type: 'snoozed', admin_id: '991', snoozed_until: expected }),
    );
    await h.eventually(async () =>
      expect(JSON.stringify((await cardOf(id)).message.blocks)).toContain('Snoozed until'),
    );

    const past = await h.submit(ALICE, view, {
      when: { when: when('custom') },
      at: { at: { type: 'datetimepicker', selected_date_time: 1_000_000 } },
    });
    expect(JSON.parse(past.body)).toEqual({ response_action: 'errors', errors: { at: 'Pick a time in the future.' } });
    const none = await h.submit(ALICE, view, {
      when: { when: when('custom') },
      at: { at: { type: 'datetimepicker', selected_date_time: null } },
    });
    expect(JSON.parse(none.body).errors).toEqual({ at: 'Pick the date and time to snooze until.' });

    const chosen = Math.floor(Date.now() / 1000) + 3 * 86_400;
    await h.submit(ALICE, view, {
      when: { when: when('custom') },
      at: { at: { type: 'datetimepicker', selected_date_time: chosen } },
    });
    await h.eventually(() => expect(lastBody(/\/parts$/)?.snoozed_until).toBe(chosen));
  });

  it('Snooze: an unknown option, or a custom time past, absurd or over a year ahead, is refused on its field', async () => {
    const id = await conversationWithCard();
    await h.click(ALICE, id, 'snooze');
    const view = await h.openedView('triage_snooze');
    const snoozes = () => h.intercom.requests.filter((r) => r.path === `/conversations/${id}/parts`);
    const linesBefore = h.sink.lines().length;
    const nowS = Math.floor(Date.now() / 1000);
    const submit = (when: unknown, at: unknown = null) =>
      h.submit(ALICE, view, {
        when: { when: { type: 'radio_buttons', selected_option: when } },
        at: { at: { type: 'datetimepicker', selected_date_time: at } },
      });

    for (const option of ['week', 'Hour', '', 'toString', '__proto__', 5, null, ['hour']]) {
      const answer = await submit(option === null ? null : { value: option });
      expect(JSON.parse(answer.body), JSON.stringify(option)).toEqual({
        response_action: 'errors',
        errors: { when: 'Choose how long to snooze.' },
      });
    }
    for (const state of NO_STATE) {
      const answer = await h.submitState(ALICE, view, state);
      expect(JSON.parse(answer.body).errors, JSON.stringify(state)).toEqual({ when: 'Choose how long to snooze.' });
    }
    const refused: Array<[unknown, string]> = [
      [1e300, 'Pick a time within a year from now.'],
      [Number.MAX_SAFE_INTEGER, 'Pick a time within a year from now.'],
      [nowS + 366 * 86_400, 'Pick a time within a year from now.'],
      [nowS + 3 * 365 * 86_400, 'Pick a time within a year from now.'],
      [nowS - 86_400, 'Pick a time in the future.'],
      [-1, 'Pick a time in the future.'],
      [String(nowS + 86_400), 'Pick the date and time to snooze until.'],
    ];
    for (const [at, problem] of refused) {
      const answer = await submit({ value: 'custom' }, at);
      expect(JSON.parse(answer.body), String(at)).toEqual({ response_action: 'errors', errors: { at: problem } });
    }
    await h.drained();
    expect(snoozes()).toEqual([]);
    expect(h.errorLines(linesBefore)).toEqual([]);

    // the horizon is a year: a time just inside it is sent as picked
    const farthest = nowS + 365 * 86_400 - 60;
    expect((await submit({ value: 'custom' }, farthest)).body).toBe('');
    await h.eventually(() =>
      expect(snoozes().map((r) => r.body)).toEqual([expect.objectContaining({ snoozed_until: farthest })]),
    );
  });

  it('Snooze: in 1 hour, and next Monday at 9:00 on the clicker’s own wall clock (Slack profile tz)', async () => {
    const zone = 'Asia/Kolkata'; // UTC+5:30: no whole-hour mistake and no fallback to UTC lands on its 9:00
    const alice = h.slack.users.get(ALICE);
    if (alice) alice.tz = zone; // before the bridge first reads her profile
    const id = await conversationWithCard();
    await h.click(ALICE, id, 'snooze');
    const view = await h.openedView('triage_snooze');
    const snoozeFor = async (value: string, nth: number) => {
      const before = Date.now();
      await h.submit(ALICE, view, {
        when: { when: { type: 'radio_buttons', selected_option: { value } } },
        at: { at: { type: 'datetimepicker', selected_date_time: null } },
      });
      const body = await h.eventually(() => {
        const bodies = h.intercom.requests.filter((r) => r.path === `/conversations/${id}/parts`).map((r) => r.body);
        expect(bodies).toHaveLength(nth);
        return bodies[nth - 1] as { snoozed_until: number };
      });
      expect(body).toEqual({ message_type: 'snoozed', admin_id: '991', snoozed_until: expect.any(Number) });
      return { until: body.snoozed_until, before, after: Date.now() };
    };

    // in 1 hour: an hour after the moment of the submission, to the second
    const hour = await snoozeFor('hour', 1);
    expect(hour.until).toBeGreaterThanOrEqual(Math.floor(hour.before / 1000) + 3600);
    expect(hour.until).toBeLessThanOrEqual(Math.floor(hour.after / 1000) + 3600);

    // next Monday 9:00 in Kolkata: the same instant the presets give (before or after the submission, in case it
    // straddled midnight there), and, read on a Kolkata clock, a Monday at 09:00 one to seven days from today
    const monday = await snoozeFor('monday', 2);
    expect([snoozeChoices(monday.before, zone).nextMonday, snoozeChoices(monday.after, zone).nextMonday]).toContain(
      monday.until,
    );
    const clock = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    expect(clock.format(monday.until * 1000)).toBe('Mon 09:00:00');
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    const daysAhead =
      (Date.parse(day.format(monday.until * 1000)) - Date.parse(day.format(monday.before))) / 86_400_000;
    expect(daysAhead).toBeGreaterThanOrEqual(1);
    expect(daysAhead).toBeLessThanOrEqual(7);
  });

  it('Assign and Snooze: the thread line appears once, whether Intercom’s webhook comes after or before the sync', async () => {
    const id = await conversationWithCard();
    const card = await cardOf(id);
    const lines = (what: string) => card.thread().filter((t) => t.includes(what));

    await h.click(ALICE, id, 'assign');
    const assign = await h.openedView('triage_assign');
    await h.submit(ALICE, assign, {
      assignee: { assignee: { type: 'external_select', selected_option: { value: 'admin:992' } } },
    });
    await h.eventually(() =>
      expect(lines('assigned the conversation')).toEqual([
        '👤 *Alice Admin* assigned the conversation to *Bob Builder*',
      ]),
    );
    await echo('conversation.admin.assigned', id);
    await echo('conversation.admin.assigned', id); // a second notification of the same change
    expect(lines('assigned the conversation')).toHaveLength(1);

    // this time the webhook arrives while the bridge still waits for Intercom's answer, so its sync runs first
    h.intercom.latencyMs = (req) => (req.method === 'POST' ? 1_000 : 0);
    await h.click(ALICE, id, 'snooze');
    const snooze = await h.openedView('triage_snooze');
    await h.submit(ALICE, snooze, {
      when: { when: { type: 'radio_buttons', selected_option: { value: 'tomorrow' } } },
      at: { at: { type: 'datetimepicker', selected_date_time: null } },
    });
    await h.eventually(() => expect(lastBody(/\/parts$/)?.message_type).toBe('snoozed'));
    await echo('conversation.admin.snoozed', id);
    expect(lines('snoozed the conversation')).toHaveLength(1); // posted by the webhook's sync
    expect(h.sink.lines().filter((l) => l.msg === 'action done' && l.action === 'snooze')).toEqual([]);
    // then the sync the snooze itself queued (the assignment queued the first) runs, and adds nothing
    const syncs = () => h.sink.lines().filter((l) => l.msg === 'delivery processed' && l.topic === 'bridge.sync');
    await h.eventually(() => expect(syncs()).toHaveLength(2));
    expect(lines('snoozed the conversation')).toEqual([
      expect.stringMatching(/^💤 \*Alice Admin\* snoozed the conversation until /),
    ]);
  });

  it('Tag: existing tags and a new one, each applied as the teammate; the line appears once despite the echo', async () => {
    const id = await conversationWithCard();
    const vip = h.intercom.tags.find((t) => t.name === 'VIP') ?? {};
    await h.click(ALICE, id, 'tag');
    const view = await h.openedView('triage_tag');
    const options = JSON.parse((await h.interact(blockSuggestion(ALICE, 'tags', 'vi', view))).body);
    expect(options.options.map((o: { value: string }) => o.value)).toEqual([String(vip.id)]);

    await h.submit(ALICE, view, {
      tags: { tags: { type: 'multi_external_select', selected_options: [{ value: String(vip.id) }] } },
      new_tag: { new_tag: { type: 'plain_text_input', value: ' refund ' } },
    });
    await h.eventually(() =>
      expect(h.intercom.requests.filter((r) => /\/conversations\/.+\/tags$/.test(r.path))).toHaveLength(2),
    );
    expect(lastBody(/^\/tags$/)).toEqual({ name: 'refund' });
    const refund = h.intercom.tags.find((t) => t.name === 'refund');
    expect(h.intercom.requests.filter((r) => /\/conversations\/.+\/tags$/.test(r.path)).map((r) => r.body)).toEqual([
      { id: String(vip.id), admin_id: '991' },
      { id: String(refund?.id), admin_id: '991' },
    ]);
    const card = await cardOf(id);
    await h.eventually(() =>
      expect(card.thread().filter((t) => t.startsWith('🏷️'))).toEqual([
        '🏷️ *Alice Admin* tagged the conversation: VIP, refund',
      ]),
    );
    await h.webhook(
      h.notification('conversation_part.tag.created', { type: 'conversation_part', conversation_id: id }),
    );
    await h.drained();
    expect(card.thread().filter((t) => t.startsWith('🏷️'))).toHaveLength(1);
    expect(JSON.stringify(card.message.blocks)).toContain('VIP, refund');

    const empty = await h.submit(ALICE, view, {});
    expect(JSON.parse(empty.body).errors).toEqual({ tags: 'Pick a tag, or name a new one below.' });
  });
});

describe('the tag modal refuses a tag select that does not hold options', () => {
  it('errors on the field for anything but options with string values, even with a new tag named; nothing sent', async () => {
    const id = await conversationWithCard();
    const vip = String(h.intercom.tags.find((t) => t.name === 'VIP')?.id);
    await h.click(ALICE, id, 'tag');
    const view = await h.openedView('triage_tag');
    const linesBefore = h.sink.lines().length;
    const before = writes().length;
    await expectUnreadableTagsRefused(h, ALICE, view, vip);
    await h.drained();
    expect(writes()).toHaveLength(before);
    expect(h.slack.ephemerals).toEqual([]);
    expect(h.errorLines(linesBefore)).toEqual([]);
  });
});

describe('thread messages', () => {
  const reply = (card: { channel: string; ts: string }, fields: Record<string, unknown>) => ({
    type: 'message',
    channel: card.channel,
    channel_type: 'channel',
    user: ALICE,
    text: 'Customer called: <https://crm.example/42|ticket 42> &amp; <@U0BOB0001> knows',
    ts: `${Number(card.ts.split('.')[0]) + 5}.000100`,
    thread_ts: card.ts,
    parent_user_id: 'UBOT00001',
    event_ts: `${Number(card.ts.split('.')[0]) + 5}.000100`,
    ...fields,
  });

  it('become one internal note as the writer, confirmed with a reaction, despite Slack retries and the echo', async () => {
    const id = await conversationWithCard();
    const card = await cardOf(id);
    const event = reply(card, {});
    expect((await h.slackEvent(event, { eventId: 'EvNOTE1' })).status).toBe(200);
    expect((await h.slackEvent(event, { eventId: 'EvNOTE1', retryNum: 1 })).status).toBe(200);
    await h.eventually(() => expect(h.slack.reactions).toEqual([{ channel: CHANNEL, ts: event.ts, name: 'memo' }]));
    await h.drained();
    const notes = h.intercom.requests.filter((r) => r.path === `/conversations/${id}/reply`);
    expect(notes.map((r) => r.body)).toEqual([
      {
        message_type: 'note',
        type: 'admin',
        admin_id: '991',
        body: '<p>Customer called: <a href="https://crm.example/42">ticket 42</a> &amp; @U0BOB0001 knows</p>',
      },
    ]);
    await echo('conversation.admin.noted', id);
    expect(card.thread().filter((t) => t.includes('added a note'))).toEqual([]);
  });

  it('ignore the bot’s own posts, edits, top-level messages and threads that are not cards', async () => {
    const id = await conversationWithCard();
    const card = await cardOf(id);
    const ignored = [
      [reply(card, { user: undefined, bot_id: 'BBOT00001', ts: '1800000100.000001' }), 'not written by a person'],
      // another app's bot: Slack names its bot user too
      [reply(card, { user: 'U0OTHERBT', bot_id: 'B0OTHER01', ts: '1800000100.000006' }), 'not written by a person'],
      [reply(card, { subtype: 'message_changed', ts: '1800000100.000002' }), 'subtype message_changed'],
      [reply(card, { thread_ts: undefined, ts: '1800000100.000003' }), 'not a thread reply'],
      [reply(card, { thread_ts: '1700000000.000009', ts: '1800000100.000004' }), 'not in the thread of a card'],
    ] as const;
    for (const [event] of ignored) await h.slackEvent(event);
    // each was seen by the listener and left alone, for its own reason
    for (const [event, reason] of ignored) await ignoredEvent('message', event.ts, reason);
    // control: the same message, as a person's reply in the card's thread, does become a note
    const kept = reply(card, { ts: '1800000100.000005' });
    await h.slackEvent(kept);
    await h.eventually(() => expect(h.slack.reactions).toEqual([{ channel: CHANNEL, ts: kept.ts, name: 'memo' }]));
    await h.drained();
    expect(h.intercom.requests.filter((r) => r.path.endsWith('/reply'))).toHaveLength(1);
  });

  it('tell an unmapped writer why the message did not become a note', async () => {
    const id = await conversationWithCard();
    const card = await cardOf(id);
    await h.slackEvent(reply(card, { user: MALLORY }));
    const told = await h.eventually(() => {
      const e = h.slack.ephemerals.find((x) => x.user === MALLORY);
      if (!e) throw new Error('no ephemeral yet');
      return e;
    });
    expect(told.threadTs).toBe(card.ts);
    expect(told.text).toContain('was not added to Intercom as a note');
    expect(h.intercom.requests.filter((r) => r.path.endsWith('/reply'))).toEqual([]);
  });

  it('do nothing with THREAD_MESSAGES=off', async () => {
    await h.stop();
    h = await Harness.start({ seed, env: { THREAD_MESSAGES: 'off' } });
    const id = await conversationWithCard();
    const card = await cardOf(id);
    const event = reply(card, {});
    await h.slackEvent(event);
    await ignoredEvent('message', event.ts, 'THREAD_MESSAGES=off');
    // control: events still reach the bridge (a ✅ on the same card closes it), and the message made no note
    await h.slackEvent({
      type: 'reaction_added',
      user: ALICE,
      reaction: 'white_check_mark',
      item_user: 'UBOT00001',
      item: { type: 'message', channel: card.channel, ts: card.ts },
      event_ts: `${Date.now() / 1000}`,
    });
    await h.eventually(() => expect(lastBody(/\/parts$/)?.message_type).toBe('close'));
    await h.drained();
    expect(h.intercom.requests.filter((r) => r.path.endsWith('/reply'))).toEqual([]);
    expect(h.slack.reactions).toEqual([]);
    expect(h.slack.ephemerals).toEqual([]);
  });
});

describe('reactions on the card', () => {
  const reacted = (card: { channel: string; ts: string }, reaction: string, user = ALICE) => ({
    type: 'reaction_added',
    user,
    reaction,
    item_user: 'UBOT00001',
    item: { type: 'message', channel: card.channel, ts: card.ts },
    event_ts: `${Date.now() / 1000}`,
  });

  it('👀 assigns to the person reacting and ✅ closes; a retried event does it once', async () => {
    const id = await conversationWithCard();
    const card = await cardOf(id);
    await h.slackEvent(reacted(card, 'eyes'), { eventId: 'EvEYES' });
    await h.slackEvent(reacted(card, 'eyes'), { eventId: 'EvEYES', retryNum: 1 });
    await h.eventually(() =>
      expect(lastBody(/\/parts$/)).toEqual({
        message_type: 'assignment',
        type: 'admin',
        admin_id: '991',
        assignee_id: '991',
      }),
    );
    await h.slackEvent(reacted(card, 'white_check_mark'), { eventId: 'EvDONE' });
    await h.eventually(() => expect(lastBody(/\/parts$/)?.message_type).toBe('close'));
    await h.drained();
    expect(
      h.intercom.requests
        .filter((r) => r.path.endsWith('/parts'))
        .map((r) => (r.body as { message_type: string }).message_type),
    ).toEqual(['assignment', 'close']);
    expect(card.thread()).toContain('👤 *Alice Admin* assigned the conversation to *Alice Admin*');
  });

  it('are refused for unmapped people and ignored for other emoji', async () => {
    const id = await conversationWithCard();
    const card = await cardOf(id);
    await h.slackEvent(reacted(card, 'tada'));
    await ignoredEvent('reaction', card.ts, 'not an emoji that acts');
    await h.slackEvent(reacted(card, 'eyes', MALLORY));
    await h.eventually(() =>
      expect(h.slack.ephemerals.find((e) => e.user === MALLORY)?.text).toContain('No Intercom teammate'),
    );
    await h.drained();
    expect(writes()).toEqual([]);
    // control: the same reaction from a mapped teammate does act
    await h.slackEvent(reacted(card, 'eyes'));
    await h.eventually(() => expect(writes().map((r) => r.path)).toEqual([`/conversations/${id}/parts`]));
  });

  it('do nothing with REACTIONS=off', async () => {
    await h.stop();
    h = await Harness.start({ seed, env: { REACTIONS: 'off' } });
    const id = await conversationWithCard();
    const card = await cardOf(id);
    await h.slackEvent(reacted(card, 'white_check_mark'));
    await ignoredEvent('reaction', card.ts, 'REACTIONS=off');
    // control: events still reach the bridge (a thread message becomes a note), and the ✅ closed nothing
    await h.slackEvent({
      type: 'message',
      channel: card.channel,
      channel_type: 'channel',
      user: ALICE,
      text: 'still here',
      ts: `${Number(card.ts.split('.')[0]) + 5}.000100`,
      thread_ts: card.ts,
    });
    await h.eventually(() => expect(h.slack.reactions.map((r) => r.name)).toEqual(['memo']));
    await h.drained();
    expect(writes().map((r) => r.path)).toEqual([`/conversations/${id}/reply`]);
  });
});
