import { describe, expect, it } from 'vitest';
import type { Admin, Tag, Team } from '../../../src/intercom/schemas.ts';
import { Admin as AdminSchema, Tag as TagSchema, Team as TeamSchema } from '../../../src/intercom/schemas.ts';
import {
  ackOnly,
  assigneeList,
  assignSubmitted,
  cardButton,
  messageSubmitted,
  snoozeSubmitted,
  tagList,
  tagSubmitted,
} from '../../../src/slack/listeners/cards.ts';
import { UNREADABLE_TAGS } from '../../../src/slack/listeners/view-state.ts';
import { sharedAvailable } from '../../support/shared.ts';
import {
  actionArgs,
  type Harness,
  listenerHarness,
  NOW,
  optionsArgs,
  slackSample,
  submittedView,
  USER,
  viewArgs,
  viewOf,
} from './support.ts';

const CONTEXT = { conversationId: 'c1', channel: 'C1', cardTs: '1700000000.000100' };

/** A click on one of the card's buttons, from the card message with this header. */
function click(h: Harness, actionId: string, message: object | null = cardMessage('Refund please')) {
  const body = {
    type: 'block_actions',
    user: { id: USER },
    channel: { id: 'C1' },
    trigger_id: '111.222.trigger',
    ...(message ? { message } : {}),
  };
  return actionArgs(h, body, { type: 'button', action_id: actionId, block_id: 'actions', action_ts: '1.2' });
}

function cardMessage(header: string) {
  return {
    type: 'message',
    ts: CONTEXT.cardTs,
    blocks: [{ type: 'header', text: { type: 'plain_text', text: header } }],
  };
}

/** A triage modal's state as the bridge sealed it when it opened the modal. */
const sealed = (h: Harness, context: object = CONTEXT) => h.modalState.seal(JSON.stringify(context));

const message = (value: unknown) => ({ message: { message: { type: 'plain_text_input', value } } });
const errors = (fields: Record<string, string>) => ({ response_action: 'errors', errors: fields });

describe('cardButton', () => {
  it.each([
    ['reply', 'triage_reply', 'Send reply'],
    ['note', 'triage_note', 'Add note'],
    ['assign', 'triage_assign', 'Assign'],
    ['snooze', 'triage_snooze', 'Snooze'],
    ['tag', 'triage_tag', 'Tag'],
  ])(
    '%s: acks, checks the card, then opens its modal sealed with the conversation and card',
    async (kind, callback, submit) => {
      const h = listenerHarness();
      await cardButton(h.deps)(click(h, `${kind}:c1`));

      expect(h.order()).toEqual(['ack', 'cards.isCardOf', 'views.open', 'identity.teammate']);
      expect(h.calls('cards.isCardOf')).toEqual([['C1', CONTEXT.cardTs, 'c1']]);
      const [open] = h.calls('views.open');
      expect(open?.[0]).toMatchObject({ trigger_id: '111.222.trigger' });
      const view = viewOf(open);
      expect(view).toMatchObject({ callback_id: callback, submit: { text: submit } });
      // sealed: the bare JSON is not what Slack carries, and only this bridge can read it back
      expect(view.private_metadata).not.toBe(JSON.stringify(CONTEXT));
      expect(JSON.parse(h.modalState.open(view.private_metadata) ?? '')).toEqual(CONTEXT);
      // the card's header reminds the reader which conversation it is
      expect(JSON.stringify(view.blocks)).toContain('Refund please');
      expect(h.calls('identity.teammate')).toEqual([[USER]]);
      expect(h.calls('views.update')).toEqual([]);
      await h.settle();
      expect(h.calls('triage.perform')).toEqual([]);
    },
  );

  it('replaces the modal with the reason when the clicker may not act in Intercom', async () => {
    const refusal = 'Your Slack email matches no Intercom teammate. Nothing was changed in Intercom.';
    const h = listenerHarness({ teammate: async () => ({ refusal }) });
    await cardButton(h.deps)(click(h, 'reply:c1'));

    const [update] = h.calls('views.update');
    expect(update?.[0]).toMatchObject({ view_id: 'V1' });
    const view = viewOf(update);
    expect(view.submit).toBeUndefined();
    expect(view.title.text).toBe('Reply to customer');
    expect(JSON.stringify(view.blocks)).toContain('Your Slack email matches no Intercom teammate.');
  });

  it('a button naming another conversation than the card’s: nothing opened, and a warning logged', async () => {
    const h = listenerHarness({ isCardOf: async () => false });
    await cardButton(h.deps)(click(h, 'reply:c2'));
    await h.settle();

    expect(h.order()).toEqual(['ack', 'cards.isCardOf']);
    const [warning] = h.logged('card button naming another conversation: ignored');
    expect(warning).toMatchObject({ level: 40, channel: 'C1', cardTs: CONTEXT.cardTs, named: 'c2' });
  });

  it('a close that names another conversation is not performed either', async () => {
    const h = listenerHarness({ isCardOf: async () => false });
    await cardButton(h.deps)(click(h, 'close:c2'));
    await h.settle();

    expect(h.calls('triage.perform')).toEqual([]);
    expect(h.logged('card button naming another conversation: ignored')).toHaveLength(1);
  });

  it('close: performed after the ack, and a failure told to the clicker where they clicked', async () => {
    const h = listenerHarness({
      perform: async () => ({ ok: false, message: 'Intercom is rate-limiting the bridge.' }),
    });
    await cardButton(h.deps)(click(h, 'close:c1'));
    // the listener has returned: Slack has its answer, Intercom has not been called yet
    expect(h.order()).toEqual(['ack', 'cards.isCardOf']);

    await h.settle();
    expect(h.order()).toEqual(['ack', 'cards.isCardOf', 'triage.perform', 'slack.tellUser']);
    expect(h.calls('triage.perform')).toEqual([['c1', USER, { kind: 'close' }]]);
    expect(h.calls('slack.tellUser')).toEqual([
      [{ channel: 'C1', user: USER }, 'Intercom is rate-limiting the bridge.'],
    ]);
    expect(h.calls('views.open')).toEqual([]);
  });

  it('reopen: performed after the ack; success tells nothing (the card shows it)', async () => {
    const h = listenerHarness();
    await cardButton(h.deps)(click(h, 'reopen:c1'));
    await h.settle();

    expect(h.calls('triage.perform')).toEqual([['c1', USER, { kind: 'reopen' }]]);
    expect(h.calls('slack.tellUser')).toEqual([]);
  });

  it('a failure that cannot be told is logged', async () => {
    const h = listenerHarness({
      perform: async () => ({ ok: false, message: 'No.' }),
      tellUser: async () => {
        throw new Error('channel_not_found');
      },
    });
    await cardButton(h.deps)(click(h, 'close:c1'));
    await h.settle();

    const [warning] = h.logged('could not tell the user what went wrong');
    expect(warning).toMatchObject({ level: 40, err: { message: 'channel_not_found' } });
  });

  it.each([
    ['an action id that is not a card button', 'unassign:c1', cardMessage('x')],
    ['an action id without a conversation', 'close:', cardMessage('x')],
    ['a click with no message under it', 'close:c1', null],
  ])('%s: acked and nothing else', async (_, actionId, msg) => {
    const h = listenerHarness();
    await cardButton(h.deps)(click(h, actionId, msg));
    await h.settle();
    expect(h.order()).toEqual(['ack']);
  });

  it.runIf(sharedAvailable('Slack’s block_actions sample'))('reads Slack’s own block_actions payload', async () => {
    const sample = slackSample('block_actions_button.json');
    const [button] = sample.actions as Array<Record<string, unknown>>;
    const container = sample.container as { message_ts: string };
    const body = { ...sample, message: { type: 'message', ts: container.message_ts, blocks: [] } };
    const h = listenerHarness();
    await cardButton(h.deps)(actionArgs(h, body, { ...button, action_id: 'close:c9' }));
    await h.settle();

    expect(h.calls('cards.isCardOf')).toEqual([['C111', '111.222', 'c9']]);
    expect(h.calls('triage.perform')).toEqual([['c9', 'W111', { kind: 'close' }]]);
  });
});

describe('ackOnly', () => {
  it('acknowledges a link button’s click and does nothing else', async () => {
    const h = listenerHarness();
    await ackOnly({ ack: h.ack });
    expect(h.log).toEqual([{ to: 'ack', args: [] }]);
  });
});

const admins: Admin[] = [
  AdminSchema.parse({ type: 'admin', id: '7', name: 'Ann Lee', email: 'ann@example.com' }),
  AdminSchema.parse({ type: 'admin', id: '8', name: 'Bob Stone', email: 'bob@example.com' }),
];
const teams: Team[] = [TeamSchema.parse({ type: 'team', id: '3', name: 'Annual billing' })];
const tags: Tag[] = [TagSchema.parse({ id: '5', name: 'VIP' }), TagSchema.parse({ id: '6', name: 'Bug' })];

/** The option values an options answer offers, across its groups. */
function offered(call: unknown[] | undefined): string[] {
  const answer = call?.[0] as { options?: Array<{ value: string }>; option_groups?: Array<{ options: object[] }> };
  const options = answer.options ?? answer.option_groups?.flatMap((g) => g.options) ?? [];
  return (options as Array<{ value: string }>).map((o) => o.value);
}

const suggestion = { type: 'block_suggestion', user: { id: USER }, action_id: 'assignee', block_id: 'assignee' };

describe('assigneeList', () => {
  it('offers the teammates and teams matching what was typed', async () => {
    const h = listenerHarness({ admins: async () => admins, teams: async () => teams });
    await assigneeList(h.deps)(optionsArgs(h, suggestion, 'ann'));

    expect(h.calls('identity.reader')).toEqual([[USER]]);
    expect(h.calls('ack')).toHaveLength(1);
    expect(offered(h.calls('ack')[0])).toEqual(['admin:7', 'team:3']);
  });

  it('offers Me and Nobody when nothing was typed yet', async () => {
    const h = listenerHarness({ admins: async () => admins, teams: async () => [] });
    await assigneeList(h.deps)(optionsArgs(h, suggestion, undefined));
    expect(offered(h.calls('ack')[0])).toEqual(['me', 'nobody', 'admin:7', 'admin:8']);
  });

  it('someone who may not read Intercom data gets no options, and the directory is not asked', async () => {
    const h = listenerHarness({ reader: async () => ({ refusal: 'Only teammates.' }) });
    await assigneeList(h.deps)(optionsArgs(h, suggestion, 'ann'));

    expect(h.order()).toEqual(['identity.reader', 'ack']);
    expect(h.calls('ack')).toEqual([[{ options: [] }]]);
    expect(h.logged('refused: may not read Intercom data')).toMatchObject([{ level: 30, user: USER }]);
  });

  it('when Intercom fails, still answers (with the quick choices) and logs why', async () => {
    const h = listenerHarness({
      admins: async () => {
        throw new Error('Intercom is down');
      },
    });
    await assigneeList(h.deps)(optionsArgs(h, suggestion, ''));

    expect(offered(h.calls('ack')[0])).toEqual(['me', 'nobody']);
    expect(h.logged('could not load options from Intercom')).toMatchObject([{ err: { message: 'Intercom is down' } }]);
  });
});

describe('tagList', () => {
  it('offers the tags matching what was typed', async () => {
    const h = listenerHarness({ tags: async () => tags });
    await tagList(h.deps)(optionsArgs(h, suggestion, 'vi'));
    expect(offered(h.calls('ack')[0])).toEqual(['5']);
  });

  it('someone who may not read gets no options, and the tags are not loaded', async () => {
    const h = listenerHarness({ reader: async () => ({ refusal: 'Only teammates.' }) });
    await tagList(h.deps)(optionsArgs(h, suggestion, 'vi'));
    expect(h.calls('ack')).toEqual([[{ options: [] }]]);
    expect(h.calls('directory.tags')).toEqual([]);
  });

  it('an identity check that fails reads as a refusal, logged', async () => {
    const h = listenerHarness({
      reader: async () => {
        throw new Error('users.info failed');
      },
    });
    await tagList(h.deps)(optionsArgs(h, suggestion, ''));
    expect(h.calls('ack')).toEqual([[{ options: [] }]]);
    expect(h.logged('could not check who asked')).toMatchObject([{ level: 40, err: { message: 'users.info failed' } }]);
  });
});

describe('messageSubmitted', () => {
  const file = {
    id: 'F1',
    name: 'a.pdf',
    mimetype: 'application/pdf',
    size: 3,
    url_private_download: 'https://files.slack.com/files-pri/T1-F1/download/a.pdf',
  };
  const withFiles = (text: string, files: unknown) => ({
    ...message(text),
    files: { files: { type: 'file_input', files } },
  });

  it('with files: closes the modal, then queues a job naming them (never their bytes); Intercom is not called here', async () => {
    const h = listenerHarness();
    await messageSubmitted(h.deps, 'note')(viewArgs(h, submittedView(sealed(h), withFiles(' See <file> ', [file]))));
    expect(h.order()).toEqual(['ack']);
    await h.settle();
    expect(h.calls('triage.perform')).toEqual([]);
    const [[job]] = h.calls('enqueue') as [[{ topic: string; conversationId: string; payload: string }]];
    expect(job.topic).toBe('slack.modal_message');
    expect(job.conversationId).toBe('c1');
    expect(JSON.parse(job.payload)).toEqual({
      kind: 'note',
      channel: 'C1',
      user: USER,
      bodyHtml: '<p>See &lt;file&gt;</p>',
      typed: 'See <file>',
      files: [{ id: 'F1', name: 'a.pdf', mimetype: 'application/pdf', size: 3, url: file.url_private_download }],
    });
  });

  it('a file input holding anything but files is refused on its field; none attached is a plain submission', async () => {
    for (const files of ['F1', [{ name: 'x' }], { id: 'F1' }]) {
      const h = listenerHarness();
      await messageSubmitted(h.deps, 'reply')(viewArgs(h, submittedView(sealed(h), withFiles('Hi', files))));
      expect(h.calls('ack')).toEqual([[errors({ files: 'The files could not be read; attach them again.' })]]);
    }
    const h = listenerHarness();
    await messageSubmitted(h.deps, 'reply')(viewArgs(h, submittedView(sealed(h), withFiles('Hi', []))));
    await h.settle();
    expect(h.calls('enqueue')).toEqual([]);
    expect(h.calls('triage.perform')).toEqual([['c1', USER, { kind: 'reply', bodyHtml: '<p>Hi</p>' }]]);
  });

  it('reply: closes the modal, then replies as the submitter with the text as HTML', async () => {
    const h = listenerHarness();
    const view = submittedView(sealed(h), message('  Thanks for waiting <3 \n\nWe are on it.  '));
    await messageSubmitted(h.deps, 'reply')(viewArgs(h, view));
    expect(h.order()).toEqual(['ack']);
    expect(h.calls('ack')).toEqual([[]]);

    await h.settle();
    expect(h.calls('triage.perform')).toEqual([
      ['c1', USER, { kind: 'reply', bodyHtml: '<p>Thanks for waiting &lt;3</p><p>We are on it.</p>' }],
    ]);
    expect(h.calls('slack.tellUser')).toEqual([]);
  });

  it('note: performed as a note', async () => {
    const h = listenerHarness();
    await messageSubmitted(h.deps, 'note')(viewArgs(h, submittedView(sealed(h), message('Called them.'))));
    await h.settle();
    expect(h.calls('triage.perform')).toEqual([['c1', USER, { kind: 'note', bodyHtml: '<p>Called them.</p>' }]]);
  });

  it.each([
    ['empty', ''],
    ['only spaces', '   \n  '],
    ['not a string', 42],
    ['missing', undefined],
  ])('%s: the message field is refused and nothing is performed', async (_, value) => {
    const h = listenerHarness();
    await messageSubmitted(h.deps, 'reply')(viewArgs(h, submittedView(sealed(h), message(value))));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors({ message: 'Write the reply first.' })]]);
    expect(h.calls('triage.perform')).toEqual([]);
  });

  it('a note over 3,000 characters is refused on its field', async () => {
    const h = listenerHarness();
    await messageSubmitted(h.deps, 'note')(viewArgs(h, submittedView(sealed(h), message('x'.repeat(3001)))));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors({ message: 'Keep it under 3000 characters.' })]]);
    expect(h.calls('triage.perform')).toEqual([]);
  });

  it('a failure is told in the card’s channel, with what was written so it is not lost', async () => {
    const h = listenerHarness({ perform: async () => ({ ok: false, message: 'Intercom did not allow this.' }) });
    await messageSubmitted(h.deps, 'reply')(viewArgs(h, submittedView(sealed(h), message('Hello there'))));
    await h.settle();

    expect(h.calls('slack.tellUser')).toEqual([
      [
        { channel: 'C1', user: USER },
        'Intercom did not allow this.\n\nWhat you wrote, so it is not lost:\n>>> Hello there',
      ],
    ]);
  });

  it.each([
    ['unsealed state', JSON.stringify(CONTEXT)],
    ['state sealed by another bridge', `${'A'.repeat(22)}.${JSON.stringify(CONTEXT)}`],
    ['sealed state that is not a triage context', 'sealed:other'],
  ])('%s: acked, not performed, and a warning logged', async (_, metadata) => {
    const h = listenerHarness();
    const state = metadata === 'sealed:other' ? h.modalState.seal(JSON.stringify({ conversationId: '' })) : metadata;
    await messageSubmitted(h.deps, 'reply')(viewArgs(h, submittedView(state, message('Hello'))));
    await h.settle();

    expect(h.calls('ack')).toEqual([[]]);
    expect(h.calls('triage.perform')).toEqual([]);
    expect(h.logged('modal submitted without the state the bridge gave it: ignored')).toMatchObject([
      { level: 40, callback: 'reply' },
    ]);
  });
});

const assignee = (value: unknown) => ({
  assignee: { assignee: { type: 'external_select', selected_option: { text: { text: 'x' }, value } } },
});

describe('assignSubmitted', () => {
  it.each([
    ['me', 'me'],
    ['nobody', 'nobody'],
    ['admin:8', { type: 'admin', id: '8' }],
    ['team:3', { type: 'team', id: '3' }],
  ])('assigns to %s after the ack', async (value, to) => {
    const h = listenerHarness();
    await assignSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), assignee(value))));
    await h.settle();

    expect(h.calls('ack')).toEqual([[]]);
    expect(h.calls('triage.perform')).toEqual([['c1', USER, { kind: 'assign', to }]]);
  });

  it.each([
    ['nothing picked', {}],
    ['a value the select never offered', assignee('admin:../x')],
  ])('%s: refused on the field, nothing performed', async (_, values) => {
    const h = listenerHarness();
    await assignSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), values)));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors({ assignee: 'Pick someone, a team or nobody.' })]]);
    expect(h.calls('triage.perform')).toEqual([]);
  });
});

const snooze = (when: string | undefined, at?: unknown) => ({
  when: { when: { type: 'radio_buttons', selected_option: when ? { text: { text: when }, value: when } : null } },
  at: { at: { type: 'datetimepicker', selected_date_time: at } },
});

describe('snoozeSubmitted', () => {
  it('an hour: acked at once, then snoozed until an hour from now', async () => {
    const h = listenerHarness();
    await snoozeSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), snooze('hour'))));
    expect(h.order()).toEqual(['ack']);

    await h.settle();
    expect(h.calls('identity.slackUser')).toEqual([[USER]]);
    expect(h.calls('triage.perform')).toEqual([['c1', USER, { kind: 'snooze', until: NOW / 1000 + 3600 }]]);
  });

  it('tomorrow: 9:00 in the submitter’s own time zone, from their Slack profile', async () => {
    const h = listenerHarness({
      slackUser: async (id) => ({
        id,
        name: 'ann',
        email: null,
        timeZone: 'Europe/Paris',
        isBot: false,
        teamId: 'T1',
        enterpriseId: null,
      }),
    });
    await snoozeSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), snooze('tomorrow'))));
    await h.settle();

    // 9:00 in Paris on 16 January is 8:00 UTC
    const until = Date.UTC(2025, 0, 16, 8, 0, 0) / 1000;
    expect(h.calls('triage.perform')).toEqual([['c1', USER, { kind: 'snooze', until }]]);
  });

  it('a custom time ahead: snoozed until then', async () => {
    const h = listenerHarness();
    const at = NOW / 1000 + 2 * 3600;
    await snoozeSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), snooze('custom', at))));
    await h.settle();

    expect(h.calls('ack')).toEqual([[]]);
    expect(h.calls('triage.perform')).toEqual([['c1', USER, { kind: 'snooze', until: at }]]);
  });

  it.each([
    ['in the past', NOW / 1000 - 3600, 'Pick a time in the future.'],
    ['less than a minute ahead', NOW / 1000 + 30, 'Pick a time in the future.'],
    ['not picked', undefined, 'Pick the date and time to snooze until.'],
    ['over a year ahead', NOW / 1000 + 400 * 86_400, 'Pick a time within a year from now.'],
  ])('a custom time %s: refused on the time field, nothing performed', async (_, at, problem) => {
    const h = listenerHarness();
    await snoozeSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), snooze('custom', at))));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors({ at: problem })]]);
    expect(h.calls('triage.perform')).toEqual([]);
  });

  it.each([
    ['no choice', undefined],
    ['a choice the modal does not offer', 'constructor'],
  ])('%s: refused on the choice field', async (_, when) => {
    const h = listenerHarness();
    await snoozeSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), snooze(when))));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors({ when: 'Choose how long to snooze.' })]]);
    expect(h.calls('triage.perform')).toEqual([]);
  });
});

const tagValues = (picked: unknown, newTag?: unknown) => ({
  tags: { tags: { type: 'multi_external_select', selected_options: picked } },
  new_tag: { new_tag: { type: 'plain_text_input', value: newTag } },
});

describe('tagSubmitted', () => {
  it('tags with the picked tags and the new one named', async () => {
    const h = listenerHarness();
    const picked = [{ text: { type: 'plain_text', text: 'VIP' }, value: '5' }];
    await tagSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), tagValues(picked, '  Churn risk '))));
    await h.settle();

    expect(h.calls('ack')).toEqual([[]]);
    expect(h.calls('triage.perform')).toEqual([['c1', USER, { kind: 'tag', tagIds: ['5'], newTagName: 'Churn risk' }]]);
  });

  it('nothing picked and no new tag: refused on the tags field', async () => {
    const h = listenerHarness();
    await tagSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), tagValues([], '   '))));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors({ tags: 'Pick a tag, or name a new one below.' })]]);
    expect(h.calls('triage.perform')).toEqual([]);
  });

  it.each([
    ['not a list', { value: '5' }],
    ['an option without a string value', [{ value: 5 }]],
  ])('picked tags that are %s: refused as unreadable', async (_, picked) => {
    const h = listenerHarness();
    await tagSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), tagValues(picked, 'New'))));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors({ tags: UNREADABLE_TAGS })]]);
    expect(h.calls('triage.perform')).toEqual([]);
  });
});
