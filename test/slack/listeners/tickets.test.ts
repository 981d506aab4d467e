import { describe, expect, it } from 'vitest';
import { IntercomRateLimitedError } from '../../../src/intercom/errors.ts';
import { TicketType } from '../../../src/intercom/schemas.ts';
import {
  resolveSource,
  ticketSubmitted,
  ticketTypeList,
  typeChosen,
  typeRetried,
} from '../../../src/slack/listeners/tickets.ts';
import {
  actionArgs,
  type Harness,
  listenerHarness,
  optionsArgs,
  RESPONSE_URL,
  submittedView,
  USER,
  viewArgs,
  viewOf,
} from './support.ts';

const bug = TicketType.parse({
  type: 'ticket_type',
  id: 'tt1',
  name: 'Bug',
  category: 'Customer',
  ticket_type_attributes: {
    data: [
      { id: 'a1', name: '_default_title_', data_type: 'string', required_to_create: true, order: 0 },
      { id: 'a2', name: 'Severity', data_type: 'integer', required_to_create: false, order: 1 },
    ],
  },
});
const BUG_FIELDS = [
  ['a1', '_default_title_', 'string', true],
  ['a2', 'Severity', 'integer', false],
];

const OPENED = { responseUrl: RESPONSE_URL, channel: 'C1' };
const sealed = (h: Harness, context: object) => h.modalState.seal(JSON.stringify(context));
const contactPicked = {
  contact: {
    contact: {
      type: 'external_select',
      selected_option: { text: { type: 'plain_text', text: 'Ann' }, value: 'id:42' },
    },
  },
};

/** The ticket modal, open, with the contact picked; the state the bridge sealed in it. */
const openModal = (h: Harness, context: object = OPENED) => ({
  id: 'V1',
  hash: 'H1',
  type: 'modal',
  callback_id: 'ticket_create',
  private_metadata: sealed(h, context),
  state: { values: contactPicked },
});

/** A choice in the modal's type select (it dispatches its action). */
function choose(h: Harness, typeId: string | undefined, view: object | null = openModal(h)) {
  const body = { type: 'block_actions', user: { id: USER }, trigger_id: '1.2.3', ...(view ? { view } : {}) };
  const action = {
    type: 'external_select',
    action_id: 'ticket_type',
    block_id: 'ticket_type',
    action_ts: '1.2',
    ...(typeId ? { selected_option: { text: { type: 'plain_text', text: 'Bug' }, value: typeId } } : {}),
  };
  return actionArgs(h, body, action);
}

/** What the redrawn modal carries, read back as the bridge would. */
const stateOf = (h: Harness, call: unknown[] | undefined) =>
  JSON.parse(h.modalState.open(viewOf(call).private_metadata) ?? 'null') as Record<string, unknown>;

describe('ticketTypeList', () => {
  const suggestion = {
    type: 'block_suggestion',
    user: { id: USER },
    action_id: 'ticket_type',
    block_id: 'ticket_type',
  };

  it('offers the ticket types matching what was typed', async () => {
    const h = listenerHarness({ ticketTypes: async () => [bug] });
    await ticketTypeList(h.deps)(optionsArgs(h, suggestion, 'bu'));

    expect(h.calls('ack')).toMatchObject([[{ options: [{ text: { text: 'Bug · Customer' }, value: 'tt1' }] }]]);
  });

  it('someone who may not read: no options, the types not loaded', async () => {
    const h = listenerHarness({ reader: async () => ({ refusal: 'Only teammates.' }) });
    await ticketTypeList(h.deps)(optionsArgs(h, suggestion, 'bu'));

    expect(h.calls('ack')).toEqual([[{ options: [] }]]);
    expect(h.calls('directory.ticketTypes')).toEqual([]);
  });
});

describe('typeChosen', () => {
  it('redraws the modal with the type’s fields, keeping the contact, and seals what it shows', async () => {
    const h = listenerHarness({ ticketTypes: async () => [bug] });
    await typeChosen(h.deps)(choose(h, 'tt1'));

    expect(h.order()).toEqual(['ack', 'directory.ticketTypes', 'views.update']);
    expect(h.calls('directory.ticketTypes')).toEqual([['tt1']]);
    const [update] = h.calls('views.update');
    expect(update?.[0]).toMatchObject({ view_id: 'V1', hash: 'H1' });
    expect(stateOf(h, update)).toEqual({ ...OPENED, typeId: 'tt1', fields: BUG_FIELDS });
    const blocks = JSON.stringify(viewOf(update).blocks);
    expect(blocks).toContain('"block_id":"attr:a1"');
    expect(blocks).toContain('"block_id":"attr:a2"');
    expect(blocks).toContain('"value":"id:42"');
  });

  it('a type Intercom no longer has: says so, with no retry', async () => {
    const h = listenerHarness({ ticketTypes: async () => [bug] });
    await typeChosen(h.deps)(choose(h, 'tt9'));

    const [update] = h.calls('views.update');
    const blocks = JSON.stringify(viewOf(update).blocks);
    expect(blocks).toContain('This ticket type is no longer available in Intercom; choose another.');
    expect(blocks).not.toContain('ticket_type_retry');
    expect(stateOf(h, update)).toEqual(OPENED);
  });

  it('types that could not be loaded: why, with a Try again button for the type, and a warning logged', async () => {
    const limited = new IntercomRateLimitedError({ method: 'GET', path: '/ticket_types' }, 'r1', [], 30_000);
    const h = listenerHarness({
      ticketTypes: async () => {
        throw limited;
      },
    });
    await typeChosen(h.deps)(choose(h, 'tt1'));

    const { blocks } = viewOf(h.calls('views.update')[0]);
    const problem = blocks.find((b) => b.block_id === 'ticket_type_problem');
    expect(JSON.stringify(problem)).toContain('Intercom is rate-limiting the bridge right now');
    expect(problem?.accessory).toMatchObject({ type: 'button', action_id: 'ticket_type_retry', value: 'tt1' });
    expect(h.logged('could not load the ticket type')).toMatchObject([{ level: 40, typeId: 'tt1' }]);
  });

  it('a modal opened from a message: its permalink and card are looked up, and `source` dropped', async () => {
    const h = listenerHarness({ ticketTypes: async () => [bug], conversationAt: async () => 'c7' });
    const source = { channel: 'C1', ts: '1700000002.000300', root: '1700000000.000100' };
    await typeChosen(h.deps)(choose(h, 'tt1', openModal(h, { ...OPENED, source })));

    expect(h.calls('slack.permalink')).toEqual([['C1', '1700000002.000300']]);
    expect(h.calls('cards.conversationAt')).toEqual([['C1', '1700000000.000100']]);
    expect(stateOf(h, h.calls('views.update')[0])).toEqual({
      ...OPENED,
      permalink: 'https://acme.slack.com/archives/C1/p1700000002000300',
      conversationId: 'c7',
      typeId: 'tt1',
      fields: BUG_FIELDS,
    });
  });

  it('when another redraw got there first (hash_conflict), it goes in without the hash', async () => {
    let updates = 0;
    const h = listenerHarness({
      ticketTypes: async () => [bug],
      viewsUpdate: async () => {
        updates += 1;
        if (updates === 1)
          throw Object.assign(new Error('hash_conflict'), {
            code: 'slack_webapi_platform_error',
            data: { ok: false, error: 'hash_conflict' },
          });
        return {};
      },
    });
    await typeChosen(h.deps)(choose(h, 'tt1'));

    const [first, second] = h.calls('views.update');
    expect(first?.[0]).toMatchObject({ view_id: 'V1', hash: 'H1' });
    expect(second?.[0]).not.toHaveProperty('hash');
    expect(second?.[0]).toMatchObject({ view_id: 'V1' });
    expect(viewOf(second)).toEqual(viewOf(first));
  });

  it('any other failure of the redraw reaches Bolt', async () => {
    const h = listenerHarness({
      ticketTypes: async () => [bug],
      viewsUpdate: async () => {
        throw Object.assign(new Error('not_found'), { data: { ok: false, error: 'not_found' } });
      },
    });
    await expect(typeChosen(h.deps)(choose(h, 'tt1'))).rejects.toThrow('not_found');
    expect(h.calls('views.update')).toHaveLength(1);
  });

  it.each([
    ['no type chosen', undefined, true],
    ['no modal around the select', 'tt1', false],
  ])('%s: acked, nothing redrawn', async (_, typeId, inModal) => {
    const h = listenerHarness({ ticketTypes: async () => [bug] });
    await typeChosen(h.deps)(choose(h, typeId, inModal ? openModal(h) : null));
    expect(h.order()).toEqual(['ack']);
  });
});

describe('typeRetried', () => {
  const retry = (h: Harness, action: object) =>
    actionArgs(h, { type: 'block_actions', user: { id: USER }, view: openModal(h) }, action);

  it('Try again loads the type again and redraws the modal', async () => {
    const h = listenerHarness({ ticketTypes: async () => [bug] });
    await typeRetried(h.deps)(retry(h, { type: 'button', action_id: 'ticket_type_retry', value: 'tt1' }));

    expect(h.calls('directory.ticketTypes')).toEqual([['tt1']]);
    expect(stateOf(h, h.calls('views.update')[0])).toMatchObject({ typeId: 'tt1', fields: BUG_FIELDS });
  });

  it('an action that is not the button, or one without a type: acked, nothing loaded', async () => {
    const h = listenerHarness();
    await typeRetried(h.deps)(retry(h, { type: 'external_select', action_id: 'ticket_type_retry', value: 'tt1' }));
    await typeRetried(h.deps)(retry(h, { type: 'button', action_id: 'ticket_type_retry' }));
    expect(h.order()).toEqual(['ack', 'ack']);
  });
});

describe('resolveSource', () => {
  it('a context without a source is returned as it is, nothing looked up', async () => {
    const h = listenerHarness();
    expect(await resolveSource(h.deps, OPENED)).toEqual(OPENED);
    expect(h.log).toEqual([]);
  });

  it('lookups that fail leave their part out, each logged', async () => {
    const h = listenerHarness({
      permalink: async () => {
        throw new Error('message_not_found');
      },
      conversationAt: async () => {
        throw new Error('database is locked');
      },
    });
    const context = { ...OPENED, conversationId: 'c1', source: { channel: 'C1', ts: '2.2', root: '1.1' } };
    expect(await resolveSource(h.deps, context)).toEqual({ ...OPENED, conversationId: 'c1' });
    expect(h.logged('could not get the message’s permalink')).toMatchObject([{ level: 40, channel: 'C1' }]);
    expect(h.logged('could not look up the card of the message')).toMatchObject([{ level: 40 }]);
  });

  it('a conversation the modal already links to is kept over the card’s', async () => {
    const h = listenerHarness({ conversationAt: async () => 'c7' });
    const context = { conversationId: 'c1', source: { channel: 'C1', ts: '2.2', root: '1.1' } };
    expect(await resolveSource(h.deps, context)).toMatchObject({ conversationId: 'c1' });
  });
});

const typePicked = (typeId: string) => ({
  ticket_type: { ticket_type: { type: 'external_select', selected_option: { text: { text: 'Bug' }, value: typeId } } },
});
const attribute = (id: string, value: string) => ({ [`attr:${id}`]: { value: { type: 'plain_text_input', value } } });
const errors = (fields: Record<string, string>) => ({ response_action: 'errors', errors: fields });

describe('ticketSubmitted', () => {
  const shown = { ...OPENED, conversationId: 'c7', typeId: 'tt1', fields: BUG_FIELDS };

  it('creates the ticket after the ack with the fields as attributes, linked, and confirms', async () => {
    const h = listenerHarness();
    const values = {
      ...contactPicked,
      ...typePicked('tt1'),
      ...attribute('a1', ' Printer on fire '),
      ...attribute('a2', '3'),
    };
    await ticketSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h, shown), values)));
    expect(h.order()).toEqual(['ack']);
    expect(h.calls('ack')).toEqual([[]]);

    await h.settle();
    expect(h.calls('actions.ticket')).toEqual([
      [
        USER,
        {
          ticketTypeId: 'tt1',
          contact: { id: '42' },
          attributes: { _default_title_: 'Printer on fire', Severity: 3 },
          conversationId: 'c7',
        },
      ],
    ]);
    expect(h.calls('responseUrls.post')).toMatchObject([[RESPONSE_URL, { text: '✅ Ticket created.' }]]);
  });

  it('fields too many for the modal’s state are read from the cached ticket types', async () => {
    const h = listenerHarness({ cachedTicketType: (id) => (id === 'tt1' ? bug : undefined) });
    const values = { ...contactPicked, ...typePicked('tt1'), ...attribute('a1', 'Broken') };
    await ticketSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h, { ...OPENED, typeId: 'tt1' }), values)));
    await h.settle();

    expect(h.calls('directory.cachedTicketType')).toEqual([['tt1']]);
    expect(h.calls('actions.ticket')).toMatchObject([[USER, { attributes: { _default_title_: 'Broken' } }]]);
  });

  it.each([
    ['another type than the one shown', { ...OPENED, typeId: 'tt1', fields: BUG_FIELDS }, 'tt2'],
    ['a type before any fields were shown', OPENED, 'tt1'],
  ])('%s: told to wait for its fields, nothing created', async (_, context, chosen) => {
    const h = listenerHarness();
    const values = { ...contactPicked, ...typePicked(chosen), ...attribute('a1', 'Broken') };
    await ticketSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h, context), values)));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors({ ticket_type: 'Wait for this type’s fields to appear.' })]]);
    expect(h.calls('actions.ticket')).toEqual([]);
  });

  it('no contact and no type: both refused', async () => {
    const h = listenerHarness();
    await ticketSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h, shown), {})));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors({ contact: 'Pick the contact.', ticket_type: 'Choose a ticket type.' })]]);
    expect(h.calls('actions.ticket')).toEqual([]);
  });

  it('a required field empty and a number that is not one: refused on those fields', async () => {
    const h = listenerHarness();
    const values = { ...contactPicked, ...typePicked('tt1'), ...attribute('a1', '  '), ...attribute('a2', '2.5') };
    await ticketSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h, shown), values)));
    await h.settle();

    expect(h.calls('ack')).toEqual([
      [errors({ 'attr:a1': 'Required for this ticket type.', 'attr:a2': 'Enter a whole number.' })],
    ]);
    expect(h.calls('actions.ticket')).toEqual([]);
  });

  it('fields neither in the modal’s state nor cached: told to choose the type again', async () => {
    const h = listenerHarness();
    const values = { ...contactPicked, ...typePicked('tt1'), ...attribute('a1', 'Broken') };
    await ticketSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h, { ...OPENED, typeId: 'tt1' }), values)));
    await h.settle();

    expect(h.calls('ack')).toEqual([
      [
        errors({
          ticket_type: 'The bridge lost track of this type’s fields: choose another type, then this one again.',
        }),
      ],
    ]);
    expect(h.calls('actions.ticket')).toEqual([]);
  });

  it('a type requiring what the form cannot offer: refused, naming it', async () => {
    const h = listenerHarness();
    const context = { ...shown, unfillable: ['Region'] };
    const values = { ...contactPicked, ...typePicked('tt1'), ...attribute('a1', 'Broken') };
    await ticketSubmitted(h.deps)(viewArgs(h, submittedView(sealed(h, context), values)));
    await h.settle();

    const [[answer]] = h.calls('ack') as [[{ errors: Record<string, string> }]];
    expect(Object.keys(answer.errors)).toEqual(['ticket_type']);
    expect(answer.errors.ticket_type).toMatch(/^This type requires “Region”, which cannot be filled in from Slack/);
    expect(h.calls('actions.ticket')).toEqual([]);
  });

  it('state the bridge did not seal reads as none: the type counts as not shown yet', async () => {
    const h = listenerHarness();
    const values = { ...contactPicked, ...typePicked('tt1'), ...attribute('a1', 'Broken') };
    await ticketSubmitted(h.deps)(viewArgs(h, submittedView(JSON.stringify(shown), values)));
    await h.settle();

    expect(h.calls('ack')).toEqual([[errors({ ticket_type: 'Wait for this type’s fields to appear.' })]]);
    expect(h.calls('actions.ticket')).toEqual([]);
  });
});
