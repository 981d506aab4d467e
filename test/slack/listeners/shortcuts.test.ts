import { describe, expect, it } from 'vitest';
import { newTicket, ticketFromMessage } from '../../../src/slack/listeners/shortcuts.ts';
import { sharedAvailable } from '../../support/shared.ts';
import { type Harness, listenerHarness, RESPONSE_URL, shortcutArgs, slackSample, USER, viewOf } from './support.ts';

const PERMALINK = 'https://acme.slack.com/archives/C1/p1700000002000300';

/** The message shortcut, on a message with this text (a reply in the thread of `threadTs` when given). */
function onMessage(h: Harness, text: string | undefined, threadTs?: string) {
  return shortcutArgs(h, {
    type: 'message_action',
    callback_id: 'ticket_from_message',
    trigger_id: '111.222.trigger',
    response_url: RESPONSE_URL,
    team: { id: 'T1', domain: 'acme' },
    channel: { id: 'C1', name: 'support' },
    user: { id: USER, name: 'ann' },
    message: {
      type: 'message',
      user: 'U2',
      ts: '1700000002.000300',
      ...(text === undefined ? {} : { text }),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
  });
}

/** What a recorded view carries, read back as the bridge would. */
const stateOf = (h: Harness, call: unknown[] | undefined) =>
  JSON.parse(h.modalState.open(viewOf(call).private_metadata) ?? 'null') as Record<string, unknown>;

describe('ticketFromMessage', () => {
  it('opens the ticket modal at once, sealed with the message; then redraws it with its link and card', async () => {
    const h = listenerHarness({ conversationAt: async () => 'c7', permalink: async () => PERMALINK });
    await ticketFromMessage(h.deps)(onMessage(h, '\n  Printer on fire \nsince this morning  ', '1700000000.000100'));

    expect(h.order().slice(0, 2)).toEqual(['ack', 'views.open']);
    const [open] = h.calls('views.open');
    expect(open?.[0]).toMatchObject({ trigger_id: '111.222.trigger' });
    expect(viewOf(open).callback_id).toBe('ticket_create');
    expect(stateOf(h, open)).toEqual({
      responseUrl: RESPONSE_URL,
      channel: 'C1',
      title: 'Printer on fire',
      description: 'Printer on fire \nsince this morning',
      source: { channel: 'C1', ts: '1700000002.000300', root: '1700000000.000100' },
    });

    expect(h.calls('slack.permalink')).toEqual([['C1', '1700000002.000300']]);
    // the card is the thread's root
    expect(h.calls('cards.conversationAt')).toEqual([['C1', '1700000000.000100']]);
    expect(h.calls('identity.teammate')).toEqual([[USER]]);
    const [update] = h.calls('views.update');
    expect(update?.[0]).toMatchObject({ view_id: 'V1', hash: 'H1' });
    expect(stateOf(h, update)).toEqual({
      responseUrl: RESPONSE_URL,
      channel: 'C1',
      title: 'Printer on fire',
      description: 'Printer on fire \nsince this morning',
      permalink: PERMALINK,
      conversationId: 'c7',
    });
    const blocks = JSON.stringify(viewOf(update).blocks);
    expect(blocks).toContain(`<${PERMALINK}|a Slack message>`);
    expect(blocks).toContain('Linked to conversation c7 in Intercom.');
    expect(h.order().at(-1)).toBe('views.update');
  });

  it('on a message that is not in a thread, its card is looked for at the message itself', async () => {
    const h = listenerHarness();
    await ticketFromMessage(h.deps)(onMessage(h, 'Hello'));

    expect(h.calls('cards.conversationAt')).toEqual([['C1', '1700000002.000300']]);
    expect(stateOf(h, h.calls('views.update')[0])).not.toHaveProperty('conversationId');
  });

  it('a message without text: no title or description', async () => {
    const h = listenerHarness();
    await ticketFromMessage(h.deps)(onMessage(h, undefined));

    const state = stateOf(h, h.calls('views.open')[0]);
    expect(state).not.toHaveProperty('title');
    expect(state).not.toHaveProperty('description');
  });

  it('someone who may not act: the modal turns into the reason, and is not completed', async () => {
    const h = listenerHarness({ teammate: async () => ({ refusal: 'No Intercom teammate for you.' }) });
    await ticketFromMessage(h.deps)(onMessage(h, 'Printer on fire'));

    const updates = h.calls('views.update');
    expect(updates).toHaveLength(1);
    expect(updates[0]?.[0]).toMatchObject({ view_id: 'V1' });
    expect(viewOf(updates[0])).toMatchObject({ title: { text: 'Create ticket' } });
    expect(viewOf(updates[0]).submit).toBeUndefined();
    expect(JSON.stringify(viewOf(updates[0]).blocks)).toContain('No Intercom teammate for you.');
  });

  it('a permalink Slack would not give: the modal is completed without it, and a warning logged', async () => {
    const h = listenerHarness({
      permalink: async () => {
        throw new Error('message_not_found');
      },
    });
    await ticketFromMessage(h.deps)(onMessage(h, 'Printer on fire'));

    expect(stateOf(h, h.calls('views.update')[0])).not.toHaveProperty('permalink');
    expect(h.logged('could not get the message’s permalink')).toMatchObject([
      { level: 40, channel: 'C1', err: { message: 'message_not_found' } },
    ]);
  });

  it('a modal already redrawn by a type choice is left as it is, and that logged', async () => {
    const h = listenerHarness({
      viewsUpdate: async () => {
        throw Object.assign(new Error('hash_conflict'), {
          code: 'slack_webapi_platform_error',
          data: { ok: false, error: 'hash_conflict' },
        });
      },
    });
    await expect(ticketFromMessage(h.deps)(onMessage(h, 'Printer on fire'))).resolves.toBeUndefined();

    expect(h.calls('views.update')).toHaveLength(1);
    expect(h.logged('the modal changed before it could be completed')).toMatchObject([{ level: 30 }]);
  });

  it('a modal Slack did not open (no view id): nothing to redraw', async () => {
    const h = listenerHarness({ viewsOpen: async () => ({}) });
    await ticketFromMessage(h.deps)(onMessage(h, 'Printer on fire'));

    expect(h.calls('views.open')).toHaveLength(1);
    expect(h.calls('views.update')).toEqual([]);
  });

  it('a global shortcut sent to it: acked, no modal', async () => {
    const h = listenerHarness();
    const global = { type: 'shortcut', callback_id: 'ticket_from_message', trigger_id: '1.2.3', user: { id: USER } };
    await ticketFromMessage(h.deps)(shortcutArgs(h, global));
    expect(h.order()).toEqual(['ack']);
  });

  it.runIf(sharedAvailable('Slack’s message shortcut sample'))('reads Slack’s own message_action payload', async () => {
    const h = listenerHarness();
    await ticketFromMessage(h.deps)(shortcutArgs(h, slackSample('message_action.json')));

    const [open] = h.calls('views.open');
    expect(open?.[0]).toMatchObject({ trigger_id: '13345224609.8534564800.6f8ab1f53e13d0cd15f96106292d5536' });
    expect(stateOf(h, open)).toMatchObject({
      responseUrl: 'https://hooks.slack.com/app-actions/T0MJR11A4/21974584944/yk1S9ndf35Q1flupVG5JbpM6',
      channel: 'D0LFFBKLZ',
      title: "World's smallest big cat! <https://youtube.com/watch?v=W86cTIoMv2U>",
      source: { channel: 'D0LFFBKLZ', ts: '1516229207.000133', root: '1516229207.000133' },
    });
    expect(h.calls('identity.teammate')).toEqual([['U0D15K92L']]);
  });
});

describe('newTicket', () => {
  const anywhere = (h: Harness) =>
    shortcutArgs(h, { type: 'shortcut', callback_id: 'new_ticket', trigger_id: '111.222.trigger', user: { id: USER } });

  it('opens an empty ticket modal', async () => {
    const h = listenerHarness();
    await newTicket(h.deps)(anywhere(h));

    expect(h.order()).toEqual(['ack', 'views.open', 'identity.teammate']);
    const [open] = h.calls('views.open');
    expect(open?.[0]).toMatchObject({ trigger_id: '111.222.trigger' });
    expect(viewOf(open).callback_id).toBe('ticket_create');
    expect(stateOf(h, open)).toEqual({});
    expect(JSON.stringify(viewOf(open).blocks)).toContain('Choose a type to see its fields.');
  });

  it('someone who may not act: the modal turns into the reason', async () => {
    const h = listenerHarness({ teammate: async () => ({ refusal: 'No Intercom teammate for you.' }) });
    await newTicket(h.deps)(anywhere(h));

    const [update] = h.calls('views.update');
    expect(viewOf(update).submit).toBeUndefined();
    expect(JSON.stringify(viewOf(update).blocks)).toContain('No Intercom teammate for you.');
  });

  it('an identity check that fails leaves the modal open (the submission is checked again)', async () => {
    const h = listenerHarness({
      teammate: async () => {
        throw new Error('users.info failed');
      },
    });
    await newTicket(h.deps)(anywhere(h));

    expect(h.calls('views.open')).toHaveLength(1);
    expect(h.calls('views.update')).toEqual([]);
  });

  it.runIf(sharedAvailable('Slack’s global shortcut sample'))('reads Slack’s own global shortcut payload', async () => {
    const h = listenerHarness();
    await newTicket(h.deps)(shortcutArgs(h, slackSample('shortcut_global.json')));

    expect(h.calls('views.open')).toMatchObject([[{ trigger_id: '111.222.xxx' }]]);
    expect(h.calls('identity.teammate')).toEqual([['W111']]);
  });
});
