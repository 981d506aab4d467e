import { describe, expect, it } from 'vitest';
import { Contact } from '../../../src/intercom/schemas.ts';
import { contactButton, contactList, noteSubmitted, tagSubmitted } from '../../../src/slack/listeners/contacts.ts';
import { UNREADABLE_TAGS } from '../../../src/slack/listeners/view-state.ts';
import {
  actionArgs,
  type Harness,
  listenerHarness,
  optionsArgs,
  RESPONSE_URL,
  type RecordedView,
  submittedView,
  USER,
  viewArgs,
  viewOf,
} from './support.ts';

/** A contact result's button, on the results message `/intercom contacts` showed. */
function resultButton(h: Harness, actionId: string, value: string | undefined, blocks: object[] = resultBlocks) {
  const body = {
    type: 'block_actions',
    user: { id: USER },
    channel: { id: 'C1' },
    response_url: RESPONSE_URL,
    trigger_id: '111.222.trigger',
    message: { type: 'message', ts: '1.1', blocks },
  };
  return actionArgs(h, body, { type: 'button', action_id: actionId, block_id: 'contact:42', action_ts: '1.2', value });
}

const resultBlocks = [
  { type: 'context', elements: [{ type: 'mrkdwn', text: '1 contact for “ann”' }] },
  { type: 'section', text: { type: 'mrkdwn', text: '*Ann &lt;Acme&gt; &amp; Co*\nann@example.com · never seen' } },
  { type: 'actions', block_id: 'contact:42', elements: [] },
];

/** The option the contact select starts with, in the opened modal. */
function initialContact(view: RecordedView) {
  const block = view.blocks.find((b) => b.block_id === 'contact') as {
    element: { initial_option?: { text: { text: string }; value: string } };
  };
  return block.element.initial_option;
}

describe('contactButton', () => {
  it.each([
    ['note', 'contact_note'],
    ['tag', 'contact_tag'],
    ['ticket', 'ticket_create'],
  ] as const)('%s: opens its modal with the contact picked, sealed with where to confirm', async (kind, callback) => {
    const h = listenerHarness();
    await contactButton(h.deps, kind)(resultButton(h, `contact_${kind}:42`, '42'));

    expect(h.order()).toEqual(['ack', 'views.open', 'identity.teammate']);
    const view = viewOf(h.calls('views.open')[0]);
    expect(view.callback_id).toBe(callback);
    expect(initialContact(view)).toEqual({
      text: expect.objectContaining({ text: 'Ann <Acme> & Co' }),
      value: 'id:42',
    });
    expect(JSON.parse(h.modalState.open(view.private_metadata) ?? '')).toEqual({
      responseUrl: RESPONSE_URL,
      channel: 'C1',
    });
  });

  it('a result whose name it cannot find is labelled by the contact’s id', async () => {
    const h = listenerHarness();
    await contactButton(h.deps, 'note')(resultButton(h, 'contact_note:42', '42', []));

    expect(initialContact(viewOf(h.calls('views.open')[0]))).toMatchObject({
      text: { text: 'Contact 42' },
      value: 'id:42',
    });
  });

  it('someone who may not act: the modal turns into the reason', async () => {
    const h = listenerHarness({ teammate: async () => ({ refusal: 'No Intercom teammate for you.' }) });
    await contactButton(h.deps, 'tag')(resultButton(h, 'contact_tag:42', '42'));

    const [update] = h.calls('views.update');
    expect(update?.[0]).toMatchObject({ view_id: 'V1' });
    expect(viewOf(update).submit).toBeUndefined();
    expect(JSON.stringify(viewOf(update).blocks)).toContain('No Intercom teammate for you.');
  });

  it('a button without a contact id: acked, no modal', async () => {
    const h = listenerHarness();
    await contactButton(h.deps, 'note')(resultButton(h, 'contact_note:', undefined));
    expect(h.order()).toEqual(['ack']);
  });
});

const suggestion = { type: 'block_suggestion', user: { id: USER }, action_id: 'contact', block_id: 'contact' };

describe('contactList', () => {
  it('offers the contacts matching what was typed, by id', async () => {
    const contacts = [Contact.parse({ id: '42', name: 'Ann Customer', email: 'ann@example.com' })];
    const h = listenerHarness({ contactMatches: async () => contacts });
    await contactList(h.deps)(optionsArgs(h, suggestion, 'ann'));

    expect(h.calls('lookup.contactMatches')).toEqual([['ann']]);
    expect(h.calls('ack')).toMatchObject([
      [{ options: [{ text: { text: 'Ann Customer (ann@example.com)' }, value: 'id:42' }] }],
    ]);
  });

  it('someone who may not read: no options, Intercom not searched', async () => {
    const h = listenerHarness({ reader: async () => ({ refusal: 'Only teammates.' }) });
    await contactList(h.deps)(optionsArgs(h, suggestion, 'ann'));

    expect(h.order()).toEqual(['identity.reader', 'ack']);
    expect(h.calls('ack')).toEqual([[{ options: [] }]]);
  });
});

/** A contact modal's state as the bridge sealed it when it opened the modal. */
const sealed = (h: Harness, context: object = { responseUrl: RESPONSE_URL, channel: 'C1' }) =>
  h.modalState.seal(JSON.stringify(context));

const picked = (value: unknown) => ({
  contact: { contact: { type: 'external_select', selected_option: { text: { text: 'Ann' }, value } } },
});
const note = (value: unknown) => ({ message: { message: { type: 'plain_text_input', value } } });
const errors = (fields: Record<string, string>) => ({ response_action: 'errors', errors: fields });

describe('noteSubmitted', () => {
  it('adds the note after the ack, then confirms through the response URL', async () => {
    const h = listenerHarness();
    await noteSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), { ...picked('id:42'), ...note(' VIP <3 ') })));
    expect(h.order()).toEqual(['ack']);
    expect(h.calls('ack')).toEqual([[]]);

    await h.settle();
    expect(h.calls('actions.note')).toEqual([[USER, { id: '42' }, '<p>VIP &lt;3</p>']]);
    expect(h.calls('responseUrls.post')).toEqual([
      [RESPONSE_URL, { response_type: 'ephemeral', replace_original: false, text: '✅ Note added.' }],
    ]);
    expect(h.calls('slack.dm')).toEqual([]);
  });

  it('a contact given by email (from the command) is passed on as an email', async () => {
    const h = listenerHarness();
    await noteSubmitted(h.deps)(
      viewArgs(h, submittedView(sealed(h), { ...picked('email:ann@example.com'), ...note('Hi') })),
    );
    await h.settle();
    expect(h.calls('actions.note')).toEqual([[USER, { email: 'ann@example.com' }, '<p>Hi</p>']]);
  });

  it('a failure is confirmed with what was written, so it is not lost', async () => {
    const h = listenerHarness({ note: async () => ({ ok: false, message: 'Intercom cannot find this contact.' }) });
    await noteSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), { ...picked('id:42'), ...note('Called them') })));
    await h.settle();

    expect(h.calls('responseUrls.post')).toMatchObject([
      [
        RESPONSE_URL,
        { text: '⚠️ Intercom cannot find this contact.\n\nWhat you wrote, so it is not lost:\n>>> Called them' },
      ],
    ]);
  });

  it('a response URL that is not Slack’s: confirmed in a DM instead, and a warning logged', async () => {
    const h = listenerHarness({ post: async () => ({ ok: false, reason: 'not_allowed' }) });
    await noteSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), { ...picked('id:42'), ...note('Hi') })));
    await h.settle();

    expect(h.calls('slack.dm')).toEqual([[USER, '✅ Note added.']]);
    expect(
      h.logged('a modal’s response URL is not Slack’s: sending the confirmation as a direct message'),
    ).toHaveLength(1);
  });

  it('a response URL that did not take it: confirmed in a DM, the outcome logged without the URL', async () => {
    const h = listenerHarness({ post: async () => ({ ok: false, status: 404 }) });
    await noteSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), { ...picked('id:42'), ...note('Hi') })));
    await h.settle();

    expect(h.calls('slack.dm')).toEqual([[USER, '✅ Note added.']]);
    const [line] = h.logged('the response URL did not take the confirmation: sending it as a direct message');
    expect(line).toMatchObject({ level: 30, status: 404 });
    expect(JSON.stringify(h.sink.lines())).not.toContain(RESPONSE_URL);
  });

  it('state the bridge did not seal: its response URL is not used, the confirmation goes by DM', async () => {
    const h = listenerHarness();
    const forged = JSON.stringify({ responseUrl: 'https://hooks.slack.com/commands/T1/9/forged' });
    await noteSubmitted(h.deps)(viewArgs(h, submittedView(forged, { ...picked('id:42'), ...note('Hi') })));
    await h.settle();

    expect(h.calls('responseUrls.post')).toEqual([]);
    expect(h.calls('slack.dm')).toEqual([[USER, '✅ Note added.']]);
  });

  it('a DM that fails too is logged', async () => {
    const h = listenerHarness({
      dm: async () => {
        throw new Error('cannot_dm_bot');
      },
    });
    await noteSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h, {}), { ...picked('id:42'), ...note('Hi') })));
    await h.settle();

    expect(h.logged('could not tell the user how their request went')).toMatchObject([
      { level: 40, err: { message: 'cannot_dm_bot' } },
    ]);
  });

  it.each([
    ['no contact', note('Hi'), { contact: 'Pick the contact.' }],
    ['a contact value it never offered', { ...picked('42'), ...note('Hi') }, { contact: 'Pick the contact.' }],
    ['no note', picked('id:42'), { message: 'Write the note first.' }],
    ['neither', {}, { contact: 'Pick the contact.', message: 'Write the note first.' }],
    [
      'a note too long',
      { ...picked('id:42'), ...note('x'.repeat(3001)) },
      { message: 'Keep it under 3000 characters.' },
    ],
  ])('%s: refused on the fields, nothing done', async (_, values, fields) => {
    const h = listenerHarness();
    await noteSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), values)));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors(fields)]]);
    expect(h.calls('actions.note')).toEqual([]);
    expect(h.calls('responseUrls.post')).toEqual([]);
  });
});

const tagValues = (selected: unknown, newTag?: unknown) => ({
  tags: { tags: { type: 'multi_external_select', selected_options: selected } },
  new_tag: { new_tag: { type: 'plain_text_input', value: newTag } },
});

describe('tagSubmitted (contact)', () => {
  it('tags the contact after the ack, and confirms', async () => {
    const h = listenerHarness();
    const values = { ...picked('id:42'), ...tagValues([{ text: { text: 'VIP' }, value: '5' }], ' Beta ') };
    await tagSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), values)));
    expect(h.calls('ack')).toEqual([[]]);

    await h.settle();
    expect(h.calls('actions.tag')).toEqual([[USER, { id: '42' }, ['5'], 'Beta']]);
    expect(h.calls('responseUrls.post')).toMatchObject([[RESPONSE_URL, { text: '✅ Contact tagged.' }]]);
  });

  it.each([
    ['no contact', tagValues([{ value: '5' }]), { contact: 'Pick the contact.' }],
    [
      'no tag picked or named',
      { ...picked('id:42'), ...tagValues([], '  ') },
      { tags: 'Pick a tag, or name a new one below.' },
    ],
    ['tags that cannot be read', { ...picked('id:42'), ...tagValues('5') }, { tags: UNREADABLE_TAGS }],
    [
      'nothing at all',
      tagValues(undefined),
      { contact: 'Pick the contact.', tags: 'Pick a tag, or name a new one below.' },
    ],
  ])('%s: refused on the fields, nothing done', async (_, values, fields) => {
    const h = listenerHarness();
    await tagSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h), values)));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors(fields)]]);
    expect(h.calls('actions.tag')).toEqual([]);
  });
});
