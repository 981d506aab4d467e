import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModalState } from '../../src/slack/modal-state.ts';
import { RESPONSE_URL_TIMEOUT_MS } from '../../src/slack/response-urls.ts';
import type { FakeIntercom } from '../support/fake-intercom.ts';
import type { FakeSlack } from '../support/fake-slack.ts';
import { CHANNEL, expectUnreadableTagsRefused, Harness, NO_STATE } from '../support/harness.ts';
import {
  blockAction,
  blockSuggestion,
  globalShortcut,
  messageShortcut,
  viewAction,
} from '../support/slack-requests.ts';

// `/intercom` over real HTTP: signed slash commands, button clicks, options, shortcuts and submissions into the
// running bridge; results read back from the fake Slack's response URLs, writes from the fake Intercom.

const ALICE = 'U0ALICE01';
const MALLORY = 'U0MALLORY';

let h: Harness;
/** Other bridges on the same fakes (another replica behind the load balancer), stopped after each test. */
let replicas: Harness[] = [];

function seed(intercom: FakeIntercom, slack: FakeSlack) {
  slack.addUser({ id: ALICE, name: 'Alice', email: 'alice@example.com', tz: 'Europe/Berlin' });
  slack.addUser({ id: MALLORY, name: 'Mallory', email: 'mallory@elsewhere.test' });
  intercom.addTag('VIP');
  intercom.addTicketType({
    name: 'Bug report',
    attributes: [
      {
        name: 'Severity',
        data_type: 'list',
        required_to_create: true,
        input_options: {
          list_options: [
            { id: 'sev-1', label: 'High' },
            { id: 'sev-2', label: 'Low' },
            { id: 'sev-0', label: 'Old', archived: true },
          ],
        },
      },
      { name: 'Affected users', data_type: 'integer' },
      { name: 'Reproducible', data_type: 'boolean' },
      { name: 'Seen at', data_type: 'datetime' },
      { name: 'Steps', data_type: 'string', required_to_create: true, input_options: { multiline: true } },
      { name: 'Internal only', data_type: 'string', visible_on_create: false },
      { name: 'Screenshot', data_type: 'files' },
    ],
  });
  intercom.addTicketType({ name: 'Retired type', archived: true });
  intercom.addTicketType({ name: 'Question' });
}

beforeEach(async () => {
  h = await Harness.start({ seed });
});
afterEach(async () => {
  for (const replica of replicas) await replica.bridge?.stop();
  replicas = [];
  await h.stop();
});

/**
 * Another bridge on the same fakes with its own store and caches (a second replica, or this one after a restart),
 * once it has asked Intercom for the lists it preloads, so that what it asks later is the test's doing.
 */
async function secondReplica(): Promise<Harness> {
  const since = h.intercom.requests.length;
  const replica = await Harness.attach({ intercom: h.intercom, slack: h.slack, databaseUrl: 'sqlite::memory:' });
  replicas.push(replica);
  await h.eventually(() => {
    const asked = h.intercom.requests.slice(since).filter((r) => r.status !== undefined);
    const paths = new Set(asked.filter((r) => r.method === 'GET').map((r) => r.path));
    for (const path of ['/admins', '/teams', '/tags', '/ticket_types', '/me']) expect(paths).toContain(path);
  });
  return replica;
}

const posts = (path: RegExp) => h.intercom.requests.filter((r) => r.method === 'POST' && path.test(r.path));
const text = (message: Record<string, unknown>) => JSON.stringify(message.blocks ?? message.text);
const idOf = (responseUrl: string) => responseUrl.split('/').at(-1) as string;
/** The state a modal carries, as the bridge sealed it (its key comes from the bot token). */
const state = () => new ModalState(h.slack.token);
const metadataOf = (view: Record<string, unknown>) => JSON.parse(String(state().open(view.private_metadata)));
/** Metadata as the bridge would have issued it: how a test stands in for a modal opened another way. */
const issued = (metadata: Record<string, unknown>) => state().seal(JSON.stringify(metadata));
const ticketType = (name: string) => {
  const type = h.intercom.ticketTypes.find((t) => t.name === name);
  if (!type) throw new Error(`no ticket type ${name}`);
  return { id: String(type.id), name };
};
const picked = (value: string, label = value) => ({
  contact: { contact: { selected_option: { text: { type: 'plain_text', text: label }, value } } },
});

/** Chooses a ticket type in the modal (through `via`, this bridge unless told) and waits for its fields. */
function pickType(
  view: Record<string, unknown>,
  type: { id: string; name: string },
  state: Record<string, unknown>,
  via: Harness = h,
) {
  return via.interact(
    viewAction(
      ALICE,
      view,
      {
        action_id: 'ticket_type',
        type: 'external_select',
        selected_option: { text: { type: 'plain_text', text: type.name }, value: type.id },
      },
      state,
    ),
  );
}

async function chooseType(
  view: Record<string, unknown>,
  type: { id: string; name: string },
  state: Record<string, unknown>,
  via: Harness = h,
): Promise<Record<string, unknown>> {
  await pickType(view, type, state, via);
  return h.eventually(() => {
    const updated = h.slack.views.get(String(view.id));
    if (!updated || metadataOf(updated).typeId !== type.id) throw new Error('the type’s fields are not shown yet');
    return updated;
  });
}

type InputBlock = { type: string; block_id?: string; label?: { text: string }; element?: { initial_value?: string } };
const inputNamed = (view: Record<string, unknown>, label: string) => {
  const block = (view.blocks as InputBlock[]).find((b) => b.type === 'input' && b.label?.text === label);
  if (!block?.block_id) throw new Error(`no input ${label}`);
  return block as InputBlock & { block_id: string };
};

describe('/intercom help and grammar', () => {
  it.each(['', 'help', '  HELP  ', 'frobnicate now', 'contacts', 'conversation abc', 'note not-an-email'])(
    '“%s” answers at once with help or how to use it, and asks Intercom nothing',
    async (input) => {
      const before = h.intercom.requests.length;
      const { answer } = await h.command(ALICE, input);
      expect(answer.status).toBe(200);
      const body = JSON.parse(answer.body) as { text: string; response_type: string };
      expect(body.response_type).toBe('ephemeral');
      expect(body.text).toMatch(/\/intercom/);
      if (input === 'frobnicate now') expect(body.text).toContain('`frobnicate` is not something /intercom knows');
      if (input === 'contacts') expect(body.text).toContain('needs an email or a name');
      expect(h.intercom.requests.length).toBe(before);
    },
  );
});

describe('/intercom contacts', () => {
  it('searches an email exactly and shows the contact with its buttons', async () => {
    const company = { type: 'company', id: 'co1', name: 'Initech' };
    h.intercom.companies.push(company);
    const ann = h.intercom.addContact({
      email: 'ann@example.com',
      name: 'Ann Lee',
      last_seen_at: 1_790_000_000,
      companies: { type: 'list', data: [{ type: 'company', id: 'co1' }] },
    });
    const { answer, responseUrl } = await h.command(ALICE, 'search   “ANN@example.com”');
    expect(answer.body).toBe('');
    const result = await h.response(idOf(responseUrl));
    expect(posts(/^\/contacts\/search$/).at(-1)?.body).toEqual({
      query: { field: 'email', operator: '=', value: 'ann@example.com' },
      pagination: { per_page: 10 },
    });
    expect(result.response_type).toBe('ephemeral');
    expect(text(result)).toContain('*Ann Lee*');
    expect(text(result)).toContain('Initech');
    expect(text(result)).toContain('last seen');
    const actionIds = JSON.stringify(result.blocks).match(/"action_id":"[^"]+"/g);
    expect(actionIds).toEqual([
      `"action_id":"contact_note:${ann.id}"`,
      `"action_id":"contact_tag:${ann.id}"`,
      `"action_id":"contact_ticket:${ann.id}"`,
      `"action_id":"open_link:${ann.id}"`,
    ]);
  });

  it('searches names and emails by fragment, ten at a time, with More results paging on', async () => {
    for (let i = 0; i < 12; i++) h.intercom.addContact({ email: `zoë${i}@example.com`, name: `Zoë Ågren ${i}` });
    const { responseUrl } = await h.command(ALICE, 'contacts Zoë');
    const first = await h.response(idOf(responseUrl));
    expect(posts(/^\/contacts\/search$/).at(-1)?.body).toMatchObject({
      query: {
        operator: 'OR',
        value: [
          { field: 'name', operator: '~', value: 'Zoë' },
          { field: 'email', operator: '~', value: 'Zoë' },
        ],
      },
    });
    expect((text(first).match(/Zoë Ågren/g) ?? []).length).toBe(10);
    const more = (first.blocks as Array<{ elements?: Array<{ action_id: string; value: string }> }>)
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'contacts_more');
    expect(more).toBeDefined();
    await h.interact({
      ...blockAction({
        user: ALICE,
        actionId: 'contacts_more',
        channel: CHANNEL,
        message: { ts: '1.1', text: '', blocks: [] },
        value: more?.value,
      }),
      response_url: responseUrl,
    });
    const second = await h.response(idOf(responseUrl), 2);
    expect(second.replace_original).toBe(true);
    expect((text(second).match(/Zoë Ågren/g) ?? []).length).toBe(2);
    expect(text(second)).not.toContain('contacts_more');
  });

  it('says so when nothing matches, and turns an Intercom failure into a sentence', async () => {
    const none = await h.command(ALICE, 'contacts nobody-at-all');
    expect(text(await h.response(idOf(none.responseUrl)))).toContain('No Intercom contact matches “nobody-at-all”');
    h.intercom.fail({ method: 'POST', path: '/contacts/search', status: 403 });
    const refused = await h.command(ALICE, 'contacts ann');
    const answer = await h.response(idOf(refused.responseUrl));
    expect(text(answer)).toContain('Intercom did not allow this');
    expect(text(answer)).not.toMatch(/Error|stack/);
  });
});

describe('/intercom articles', () => {
  it('finds published articles with a snippet and a link, and shares one in the channel', async () => {
    const article = h.intercom.addArticle({ title: 'Reset your password', body: 'Open settings & choose Reset' });
    h.intercom.addArticle({ title: 'Reset drafts', state: 'draft' });
    const { responseUrl } = await h.command(ALICE, 'articles reset');
    const result = await h.response(idOf(responseUrl));
    const search = h.intercom.requests.find((r) => r.path === '/articles/search');
    expect(search?.query).toMatchObject({ phrase: 'reset', state: 'published', highlight: 'true' });
    expect(text(result)).toContain(`<https://help.example.com/articles/${article.id}|Reset your password>`);
    expect(text(result)).toContain('Open settings &amp; choose Reset');
    expect(text(result)).not.toContain('Reset drafts');
    const share = (result.blocks as Array<{ accessory?: { action_id: string; value: string } }>).find(
      (b) => b.accessory,
    )?.accessory;
    await h.interact({
      ...blockAction({
        user: ALICE,
        actionId: share?.action_id ?? '',
        channel: CHANNEL,
        message: { ts: '1.1', text: '', blocks: [] },
        value: share?.value,
      }),
      response_url: responseUrl,
    });
    const shared = await h.response(idOf(responseUrl), 2);
    expect(shared).toMatchObject({ response_type: 'in_channel', replace_original: false });
    expect(shared.text).toContain(
      `<https://help.example.com/articles/${article.id}|Reset your password> — shared by <@${ALICE}>`,
    );
  });
});

describe('/intercom conversation', () => {
  it('shows the card only to the asker, and Post to channel makes it the conversation’s card there', async () => {
    const c = h.intercom.addConversation({ subject: 'Broken invoice' });
    const { responseUrl } = await h.command(ALICE, `conversation #${c.id}`);
    const preview = await h.response(idOf(responseUrl));
    expect(text(preview)).toContain('Broken invoice');
    expect(text(preview)).toContain('conversation_post');
    expect(text(preview)).not.toContain(`"close:${c.id}"`);
    expect(h.cards()).toHaveLength(0);

    await h.interact({
      ...blockAction({
        user: ALICE,
        actionId: 'conversation_post',
        channel: CHANNEL,
        message: { ts: '1.1', text: '', blocks: [] },
        value: String(c.id),
      }),
      response_url: responseUrl,
    });
    await h.eventually(() => expect(h.cards()).toHaveLength(1));
    expect(h.cards()[0]?.channel).toBe(CHANNEL);
    expect(await h.bridge?.store.getCard(String(c.id))).toMatchObject({ channel: CHANNEL });

    await h.interact({
      ...blockAction({
        user: ALICE,
        actionId: 'conversation_post',
        channel: CHANNEL,
        message: { ts: '1.1', text: '', blocks: [] },
        value: String(c.id),
      }),
      response_url: responseUrl,
    });
    await h.eventually(() =>
      expect(String(h.responsesTo(idOf(responseUrl)).at(-1)?.text)).toContain(
        'already has a card in <#C0SUPPORT1>: https://test.slack.com/archives/',
      ),
    );
    expect(h.cards()).toHaveLength(1);
  });

  it('says plainly when the conversation does not exist', async () => {
    const { responseUrl } = await h.command(ALICE, 'conversation 424242');
    expect(text(await h.response(idOf(responseUrl)))).toContain('Intercom cannot find this conversation');
  });
});

describe('note, tag and ticket modals', () => {
  it('note: prefilled from the command’s email, written as the teammate, confirmed through the command', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    const { responseUrl } = await h.command(ALICE, 'note Ann@Example.com');
    const view = await h.openedView('contact_note');
    expect(JSON.stringify(view.blocks)).toContain(
      '"initial_option":{"text":{"type":"plain_text","text":"ann@example.com","emoji":true},"value":"email:ann@example.com"}',
    );
    const options = JSON.parse((await h.interact(blockSuggestion(ALICE, 'contact', 'ann', view))).body);
    expect(options.options).toEqual([
      { text: { type: 'plain_text', text: 'Ann Lee (ann@example.com)', emoji: true }, value: `id:${ann.id}` },
    ]);

    const empty = await h.submit(ALICE, view, {
      contact: { contact: { selected_option: null } },
      message: { message: { value: '' } },
    });
    expect(JSON.parse(empty.body).errors).toEqual({ contact: 'Pick the contact.', message: 'Write the note first.' });

    await h.submit(ALICE, view, {
      contact: { contact: { selected_option: { value: 'email:ann@example.com' } } },
      message: { message: { value: 'Called about <billing>' } },
    });
    const confirmation = await h.response(idOf(responseUrl));
    expect(posts(/\/notes$/).map((r) => [r.path, r.body])).toEqual([
      [`/contacts/${ann.id}/notes`, { body: '<p>Called about &lt;billing&gt;</p>', admin_id: '991' }],
    ]);
    expect(confirmation).toMatchObject({
      response_type: 'ephemeral',
      text: '✅ Note added to Ann Lee (ann@example.com).',
    });
  });

  it('reads a submission without input state as nothing entered: errors on its fields, no apology, no error', async () => {
    const expected = {
      contact_note: { contact: 'Pick the contact.', message: 'Write the note first.' },
      contact_tag: { contact: 'Pick the contact.', tags: 'Pick a tag, or name a new one below.' },
      ticket_create: { contact: 'Pick the contact.', ticket_type: 'Choose a ticket type.' },
    };
    const linesBefore = h.sink.lines().length;
    const { responseUrl } = await h.command(ALICE, 'note ann@example.com');
    const views = { contact_note: await h.openedView('contact_note') } as Record<string, Record<string, unknown>>;
    await h.command(ALICE, 'tag ann@example.com');
    views.contact_tag = await h.openedView('contact_tag');
    await h.command(ALICE, 'ticket ann@example.com');
    views.ticket_create = await h.openedView('ticket_create');
    const messagesBefore = h.slack.messages.length;
    for (const [callback, errors] of Object.entries(expected)) {
      for (const state of NO_STATE) {
        const answer = await h.submitState(ALICE, views[callback] ?? {}, state);
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body), `${callback}, state ${JSON.stringify(state)}`).toEqual({
          response_action: 'errors',
          errors,
        });
      }
    }
    // nothing written, nobody told anything
    expect(h.intercom.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/search'))).toEqual([]);
    expect(h.responsesTo(idOf(responseUrl))).toEqual([]);
    expect(h.slack.messages.slice(messagesBefore)).toEqual([]);
    expect(h.errorLines(linesBefore)).toEqual([]);
  });

  it('refuses a Slack user with no Intercom teammate before they type anything', async () => {
    await h.command(MALLORY, 'note');
    await h.eventually(async () => {
      const view = await h.openedView();
      expect(view.submit).toBeUndefined();
      expect(JSON.stringify(view.blocks)).toContain('No Intercom teammate has your Slack email');
    });
  });

  /** `/intercom contacts <email>`, then a click on one of the result's buttons for that contact. */
  async function clickResult(action: 'contact_note' | 'contact_tag' | 'contact_ticket', email: string) {
    const { responseUrl } = await h.command(ALICE, `contacts ${email}`);
    const result = await h.response(idOf(responseUrl));
    const button = (result.blocks as Array<{ elements?: Array<{ action_id: string; value: string }> }>)
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id?.startsWith(`${action}:`));
    if (!button) throw new Error(`no ${action} button in the result`);
    await h.interact({
      ...blockAction({
        user: ALICE,
        actionId: button.action_id,
        channel: CHANNEL,
        message: { ts: '1.1', text: '', blocks: result.blocks as unknown[] },
        value: button.value,
      }),
      response_url: responseUrl,
    });
    return { responseUrl };
  }

  it('Add note on a search result: the contact picked, the note written on it as the teammate', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann <Lee>' });
    const { responseUrl } = await clickResult('contact_note', 'ann@example.com');
    const view = await h.openedView('contact_note');
    expect(JSON.stringify(view.blocks)).toContain(
      `"initial_option":{"text":{"type":"plain_text","text":"Ann <Lee>","emoji":true},"value":"id:${ann.id}"}`,
    );
    expect(metadataOf(view)).toMatchObject({ responseUrl, channel: CHANNEL });
    const answer = await h.submit(ALICE, view, {
      contact: { contact: { selected_option: { value: `id:${ann.id}` } } },
      message: { message: { value: 'Wants the annual plan\nCall back Friday' } },
    });
    expect(answer).toMatchObject({ status: 200, body: '' });
    const confirmation = await h.response(idOf(responseUrl), 2);
    expect(posts(/\/notes$/).map((r) => [r.path, r.body])).toEqual([
      [`/contacts/${ann.id}/notes`, { body: '<p>Wants the annual plan<br>Call back Friday</p>', admin_id: '991' }],
    ]);
    expect(confirmation).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: '✅ Note added to Ann &lt;Lee&gt;.',
    });
  });

  it('Create ticket on a search result: the contact picked, the ticket created for that contact id', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    const { responseUrl } = await clickResult('contact_ticket', 'ann@example.com');
    const first = await h.openedView('ticket_create');
    expect(JSON.stringify(first.blocks)).toContain(`"value":"id:${ann.id}"`);
    const question = ticketType('Question');
    const state = picked(`id:${ann.id}`, 'Ann Lee');
    const view = await chooseType(first, question, state);
    expect(JSON.stringify(view.blocks)).toContain(`"value":"id:${ann.id}"`);
    const searches = posts(/^\/contacts\/search$/).length;
    await h.submit(ALICE, view, {
      ...state,
      ticket_type: { ticket_type: { selected_option: { value: question.id } } },
      [inputNamed(view, 'Title').block_id]: { value: { value: 'Invoice address wrong' } },
    });
    const confirmation = await h.response(idOf(responseUrl), 2);
    expect(posts(/^\/tickets$/).map((r) => r.body)).toEqual([
      {
        ticket_type_id: question.id,
        contacts: [{ id: String(ann.id) }],
        ticket_attributes: { _default_title_: 'Invoice address wrong' },
      },
    ]);
    // picked by id: no search by email before the ticket
    expect(posts(/^\/contacts\/search$/)).toHaveLength(searches);
    expect(String(confirmation.text)).toMatch(
      /^✅ Ticket #1 \(Question\) created: Invoice address wrong\. https:\/\/app\.intercom\.com\/a\/inbox\/wsp1test\//,
    );
  });

  it('tag from the command’s email: prefilled, the new tag created, then the contact tagged with it', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    const tagsBefore = h.intercom.tags.length;
    const { responseUrl } = await h.command(ALICE, 'tag ANN@example.com');
    const view = await h.openedView('contact_tag');
    expect(JSON.stringify(view.blocks)).toContain(
      '"initial_option":{"text":{"type":"plain_text","text":"ann@example.com","emoji":true},"value":"email:ann@example.com"}',
    );
    const empty = await h.submit(ALICE, view, {
      contact: { contact: { selected_option: { value: 'email:ann@example.com' } } },
      tags: { tags: { selected_options: [] } },
      new_tag: { new_tag: { value: '  ' } },
    });
    expect(JSON.parse(empty.body).errors).toEqual({ tags: 'Pick a tag, or name a new one below.' });
    expect(posts(/tags$/)).toEqual([]);

    await h.submit(ALICE, view, {
      contact: { contact: { selected_option: { value: 'email:ann@example.com' } } },
      tags: { tags: { selected_options: [] } },
      new_tag: { new_tag: { value: 'Renewal 2026' } },
    });
    const confirmation = await h.response(idOf(responseUrl));
    const renewal = h.intercom.tags.find((t) => t.name === 'Renewal 2026');
    expect(h.intercom.tags).toHaveLength(tagsBefore + 1);
    expect(
      h.intercom.requests
        .filter((r) => r.method === 'POST' && /tags$|^\/contacts\/search$/.test(r.path))
        .map((r) => [r.path, r.body]),
    ).toEqual([
      [
        '/contacts/search',
        { query: { field: 'email', operator: '=', value: 'ann@example.com' }, pagination: { per_page: 1 } },
      ],
      ['/tags', { name: 'Renewal 2026' }],
      [`/contacts/${ann.id}/tags`, { id: String(renewal?.id) }],
    ]);
    expect(confirmation.text).toBe('✅ Tagged Ann Lee (ann@example.com): Renewal 2026.');
  });

  it('tag: from a result button, with an existing tag and a new one', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    const { responseUrl } = await h.command(ALICE, 'contacts ann@example.com');
    const result = await h.response(idOf(responseUrl));
    await h.interact({
      ...blockAction({
        user: ALICE,
        actionId: `contact_tag:${ann.id}`,
        channel: CHANNEL,
        message: { ts: '1.1', text: '', blocks: result.blocks as unknown[] },
        value: String(ann.id),
      }),
      response_url: responseUrl,
    });
    const view = await h.openedView('contact_tag');
    expect(JSON.stringify(view.blocks)).toContain(
      `"initial_option":{"text":{"type":"plain_text","text":"Ann Lee","emoji":true},"value":"id:${ann.id}"}`,
    );
    const vip = h.intercom.tags.find((t) => t.name === 'VIP');
    await h.submit(ALICE, view, {
      contact: { contact: { selected_option: { value: `id:${ann.id}` } } },
      tags: { tags: { selected_options: [{ value: String(vip?.id) }] } },
      new_tag: { new_tag: { value: 'churn-risk' } },
    });
    const confirmation = await h.response(idOf(responseUrl), 2);
    const churn = h.intercom.tags.find((t) => t.name === 'churn-risk');
    expect(posts(/^\/contacts\/.+\/tags$/).map((r) => r.body)).toEqual([
      { id: String(vip?.id) },
      { id: String(churn?.id) },
    ]);
    expect(confirmation.text).toBe('✅ Tagged Ann Lee: VIP, churn-risk.');
  });

  it('tag: a tag select holding anything but options with string values is refused on the field; nothing sent', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    const vip = String(h.intercom.tags.find((t) => t.name === 'VIP')?.id);
    const { responseUrl } = await h.command(ALICE, 'tag ann@example.com');
    const view = await h.openedView('contact_tag');
    const linesBefore = h.sink.lines().length;
    await expectUnreadableTagsRefused(h, ALICE, view, vip, {
      contact: { contact: { selected_option: { value: `id:${ann.id}` } } },
    });
    expect(posts(/tags$/)).toEqual([]);
    expect(h.responsesTo(idOf(responseUrl))).toEqual([]);
    expect(h.errorLines(linesBefore)).toEqual([]);
  });

  it('ticket: types without archived ones, the chosen type’s fields, required ones enforced, then POST /tickets', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    const { responseUrl } = await h.command(ALICE, 'ticket ann@example.com');
    const first = await h.openedView('ticket_create');
    const types = JSON.parse((await h.interact(blockSuggestion(ALICE, 'ticket_type', '', first))).body);
    const bug = h.intercom.ticketTypes.find((t) => t.name === 'Bug report');
    const question = h.intercom.ticketTypes.find((t) => t.name === 'Question');
    expect(types.options.map((o: { value: string }) => o.value)).toEqual([String(bug?.id), String(question?.id)]);

    const contactState = {
      contact: {
        contact: {
          selected_option: { text: { type: 'plain_text', text: 'ann@example.com' }, value: 'email:ann@example.com' },
        },
      },
    };
    await pickType(first, { id: String(bug?.id), name: 'Bug report' }, contactState);
    const view = await h.eventually(() => {
      const updated = h.slack.views.get(String(first.id));
      if (!updated || !JSON.stringify(updated.blocks).includes('Severity')) throw new Error('not updated yet');
      return updated;
    });
    const blocks = view.blocks as Array<{
      block_id?: string;
      label?: { text: string };
      optional?: boolean;
      element?: { type: string; multiline?: boolean; options?: unknown[] };
    }>;
    const field = (label: string) => blocks.find((b) => b.label?.text === label);
    expect(blocks.filter((b) => b.block_id?.toString().startsWith('attr:') ?? false).map((b) => b.label?.text)).toEqual(
      ['Title', 'Description', 'Severity', 'Affected users', 'Reproducible', 'Seen at', 'Steps'],
    );
    expect(field('Severity')).toMatchObject({ optional: false, element: { type: 'static_select' } });
    expect(field('Severity')?.element?.options).toHaveLength(2);
    expect(field('Affected users')?.element?.type).toBe('number_input');
    expect(field('Reproducible')?.element?.type).toBe('checkboxes');
    expect(field('Seen at')?.element?.type).toBe('datetimepicker');
    expect(field('Steps')).toMatchObject({ optional: false, element: { type: 'plain_text_input', multiline: true } });

    const id = (label: string) => String((field(label) as { block_id: string }).block_id);
    const values = (extra: Record<string, unknown>) => ({
      ...contactState,
      ticket_type: { ticket_type: { selected_option: { value: String(bug?.id) } } },
      [id('Title')]: { value: { value: 'Export fails' } },
      [id('Affected users')]: { value: { value: 'many' } },
      ...extra,
    });
    const invalid = await h.submit(ALICE, view, values({}));
    expect(JSON.parse(invalid.body).errors).toEqual({
      [id('Severity')]: 'Required for this ticket type.',
      [id('Affected users')]: 'Enter a whole number.',
      [id('Steps')]: 'Required for this ticket type.',
    });
    expect(posts(/^\/tickets$/)).toHaveLength(0);

    await h.submit(
      ALICE,
      view,
      values({
        [id('Affected users')]: { value: { value: '12' } },
        [id('Severity')]: { value: { selected_option: { value: 'sev-1' } } },
        [id('Reproducible')]: { value: { selected_options: [{ value: 'true' }] } },
        [id('Seen at')]: { value: { selected_date_time: 1_790_000_000 } },
        [id('Steps')]: { value: { value: 'Click export\nWait' } },
      }),
    );
    const confirmation = await h.response(idOf(responseUrl));
    expect(posts(/^\/tickets$/).map((r) => r.body)).toEqual([
      {
        ticket_type_id: String(bug?.id),
        contacts: [{ id: String(ann.id) }],
        ticket_attributes: {
          _default_title_: 'Export fails',
          Severity: 'sev-1',
          'Affected users': 12,
          Reproducible: true,
          'Seen at': 1_790_000_000,
          Steps: 'Click export\nWait',
        },
      },
    ]);
    expect(String(confirmation.text)).toMatch(
      /^✅ Ticket #1 \(Bug report\) created: Export fails\. https:\/\/app\.intercom\.com\//,
    );
  });

  it('message shortcut: opens at once, then the permalink from Slack; the ticket carries both and links the card’s conversation', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    const c = h.intercom.addConversation({ subject: 'Login loop' });
    await h.webhook(h.notification('conversation.user.created', { type: 'conversation', id: String(c.id) }));
    await h.eventually(() => expect(h.cards()).toHaveLength(1));
    const card = h.cards()[0];
    const text = 'Customer stuck in a login loop\nsince Tuesday';
    const responseUrl = `${h.slack.url}/response/shortcut1`;
    await h.interact(
      messageShortcut({
        user: ALICE,
        callbackId: 'ticket_from_message',
        channel: CHANNEL,
        message: { ts: '1800000500.000100', thread_ts: card?.ts, text },
        responseUrl,
      }),
    );

    // opened with the trigger id before anything was looked up, the message's text already in it
    await h.eventually(() => expect(h.slack.callsOf('chat.getPermalink')).toHaveLength(1));
    const methods = h.slack.calls.map((call) => call.method);
    expect(methods.indexOf('views.open')).toBeLessThan(methods.indexOf('chat.getPermalink'));
    const atOpen = JSON.parse(String(h.slack.callsOf('views.open')[0]?.args.view));
    expect(metadataOf(atOpen)).toMatchObject({ title: 'Customer stuck in a login loop', description: text });
    expect(JSON.stringify(atOpen.blocks)).toContain('From a Slack message: Customer stuck in a login loop');
    expect(h.slack.callsOf('chat.getPermalink')[0]?.args).toMatchObject({
      channel: CHANNEL,
      message_ts: '1800000500.000100',
    });

    // then redrawn with the permalink Slack gave and the conversation whose thread the message is in
    const permalink = `https://test.slack.com/archives/${CHANNEL}/p1800000500000100`;
    const { id } = await h.openedView('ticket_create');
    const first = await h.eventually(() => {
      const view = h.slack.views.get(String(id));
      if (!view || !metadataOf(view).permalink) throw new Error('no permalink yet');
      return view;
    });
    expect(metadataOf(first)).toMatchObject({ permalink, conversationId: String(c.id), responseUrl });
    expect(metadataOf(first).source).toBeUndefined();
    expect(JSON.stringify(first.blocks)).toContain(`From <${permalink}|a Slack message>`);
    expect(JSON.stringify(first.blocks)).toContain(`Linked to conversation ${c.id} in Intercom`);

    const options = JSON.parse((await h.interact(blockSuggestion(ALICE, 'contact', 'ann', first))).body);
    const contact = options.options[0] as { text: { text: string }; value: string };
    expect(contact.value).toBe(`id:${ann.id}`);
    const state = picked(contact.value, contact.text.text);
    const bug = ticketType('Bug report');
    const view = await chooseType(first, bug, state);
    const title = inputNamed(view, 'Title');
    const description = inputNamed(view, 'Description');
    expect(title.element?.initial_value).toBe('Customer stuck in a login loop');
    expect(description.element?.initial_value).toBe(`${text}\n\nFrom Slack: ${permalink}`);

    // Slack sends back what the inputs hold: the prefilled text, and what was chosen
    const answer = await h.submit(ALICE, view, {
      ...state,
      ticket_type: { ticket_type: { selected_option: { value: bug.id } } },
      [title.block_id]: { value: { value: title.element?.initial_value } },
      [description.block_id]: { value: { value: description.element?.initial_value } },
      [inputNamed(view, 'Severity').block_id]: { value: { selected_option: { value: 'sev-2' } } },
      [inputNamed(view, 'Steps').block_id]: { value: { value: 'Log in' } },
    });
    expect(answer).toMatchObject({ status: 200, body: '' });
    const confirmation = await h.response('shortcut1');
    expect(posts(/^\/tickets$/).map((r) => r.body)).toEqual([
      {
        ticket_type_id: bug.id,
        contacts: [{ id: String(ann.id) }],
        ticket_attributes: {
          _default_title_: 'Customer stuck in a login loop',
          _default_description_: `${text}\n\nFrom Slack: ${permalink}`,
          Severity: 'sev-2',
          Reproducible: false,
          Steps: 'Log in',
        },
        conversation_to_link_id: String(c.id),
      },
    ]);
    const ticket = [...h.intercom.tickets.values()][0];
    expect(confirmation).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(confirmation.text).toBe(
      `✅ Ticket #1 (Bug report) created: Customer stuck in a login loop. https://app.intercom.com/a/inbox/wsp1test/inbox/shared/all/conversation/${ticket?.id}`,
    );
  });

  /** Alice's "Create Intercom ticket" on a channel message (not in a card's thread) with this text. */
  const ticketShortcutOn = (text: string) =>
    h.interact(
      messageShortcut({
        user: ALICE,
        callbackId: 'ticket_from_message',
        channel: CHANNEL,
        message: { ts: '1800000600.000100', text },
        responseUrl: `${h.slack.url}/response/shortcut2`,
      }),
    );

  it('message shortcut: a type chosen before the permalink arrives still shows its fields (Slack refuses the stale redraw)', async () => {
    h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    h.slack.latencyMs = (method) => (method === 'chat.getPermalink' ? 300 : 0);
    await ticketShortcutOn('Printer on fire');
    // the type is chosen on the modal as first opened, while the shortcut's own redraw still waits for Slack
    const opened = await h.openedView('ticket_create');
    const bug = ticketType('Bug report');
    const view = await chooseType(opened, bug, picked('email:ann@example.com'));
    await new Promise((r) => setTimeout(r, 700)); // both redraws have landed or been refused by now
    const shown = h.slack.views.get(String(view.id)) ?? {};
    expect(metadataOf(shown).typeId).toBe(bug.id);
    expect(inputNamed(shown, 'Title').element?.initial_value).toBe('Printer on fire');
    expect(metadataOf(shown).permalink).toBe(`https://test.slack.com/archives/${CHANNEL}/p1800000600000100`);
    expect(h.sink.lines().filter((l) => Number(l.level) >= 50)).toEqual([]);
  });

  it('message shortcut: still opens, without a link, when Slack will not give the permalink', async () => {
    h.slack.fail({ method: 'chat.getPermalink', error: 'channel_not_found' });
    await ticketShortcutOn('Refund please');
    const opened = await h.openedView('ticket_create');
    await h.eventually(() =>
      expect(h.sink.lines().some((l) => l.msg === 'could not get the message’s permalink')).toBe(true),
    );
    // the type is chosen on the modal as redrawn after the failed lookup (chosen before it, the type's own redraw
    // would ask Slack again, and rightly show a link Slack then gives)
    const redrawn = await h.eventually(() => {
      const current = h.slack.views.get(String(opened.id));
      if (!current || metadataOf(current).source !== undefined) throw new Error('not redrawn yet');
      return current;
    });
    const view = await chooseType(redrawn, ticketType('Question'), picked('email:ann@example.com'));
    expect(inputNamed(view, 'Description').element?.initial_value).toBe('Refund please');
    expect(metadataOf(view).permalink).toBeUndefined();
    expect(metadataOf(view).conversationId).toBeUndefined();
  });

  it('global shortcut: an empty ticket modal, confirmed in a direct message', async () => {
    h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    const simple = h.intercom.ticketTypes.find((t) => t.name === 'Question') ?? {};
    await h.interact(globalShortcut({ user: ALICE, callbackId: 'new_ticket' }));
    const first = await h.openedView('ticket_create');
    expect(JSON.stringify(first.blocks)).toContain('Choose a type to see its fields');
    const contactState = {
      contact: {
        contact: { selected_option: { text: { type: 'plain_text', text: 'Ann' }, value: 'email:ann@example.com' } },
      },
    };
    await pickType(first, { id: String(simple.id), name: 'Question' }, contactState);
    const view = await h.eventually(() => {
      const v = h.slack.views.get(String(first.id));
      if (!v || !metadataOf(v).typeId) throw new Error('not updated');
      return v;
    });
    const stale = await h.submit(ALICE, first, {
      ...contactState,
      ticket_type: { ticket_type: { selected_option: { value: String(simple.id) } } },
    });
    expect(JSON.parse(stale.body).errors).toEqual({ ticket_type: 'Wait for this type’s fields to appear.' });
    await h.submit(ALICE, view, {
      ...contactState,
      ticket_type: { ticket_type: { selected_option: { value: String(simple.id) } } },
    });
    await h.eventually(() =>
      expect(h.slack.messages.find((m) => m.channel === ALICE)?.text).toMatch(/^✅ Ticket #1 \(Question\) created\./),
    );
  });
});

describe('confirmations when the response URL does not take them', () => {
  it('a response URL in the modal that is not Slack’s, or no URL: nothing is posted there; the confirmation comes as a DM', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    const reached: string[] = [];
    const elsewhere = createServer((socket) => {
      reached.push('connection');
      socket.destroy();
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    try {
      await h.command(ALICE, 'note ann@example.com');
      const view = await h.openedView('contact_note');
      const port = (elsewhere.address() as { port: number }).port;
      const notSlack = [`http://127.0.0.1:${port}/response/x`, 'not a url', `https://hooks.slack.com.evil.test/x`];
      for (const [i, responseUrl] of notSlack.entries()) {
        await h.submit(
          ALICE,
          { ...view, private_metadata: issued({ ...metadataOf(view), responseUrl }) },
          {
            contact: { contact: { selected_option: { value: `id:${ann.id}` } } },
            message: { message: { value: `Note ${i}` } },
          },
        );
        await h.eventually(() =>
          expect(h.slack.messages.filter((m) => m.channel === ALICE).map((m) => m.text)).toHaveLength(i + 1),
        );
      }
      expect(h.slack.messages.filter((m) => m.channel === ALICE).map((m) => m.text)).toEqual(
        Array(3).fill('✅ Note added to Ann Lee.'),
      );
      expect(posts(/\/notes$/).map((r) => r.body)).toEqual(
        [0, 1, 2].map((i) => ({ body: `<p>Note ${i}</p>`, admin_id: '991' })),
      );
      expect(reached).toEqual([]);
      expect(h.sink.lines().filter((l) => String(l.msg).includes('response URL is not Slack’s'))).toHaveLength(3);
      // the URL is a credential of sorts (anyone holding it can post to the person): it stays out of the logs
      expect(h.sink.text()).not.toContain('not a url');
      expect(h.sink.text()).not.toContain('could not tell the user how their request went');
    } finally {
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });

  it('a response URL that never answers: the confirmation comes as a DM once that post has timed out', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    // the response URL takes the message and holds its answer; the gate opens only when the fakes close
    const silent = h.slack.holdResponses({ id: 'silent' });
    const fellBack = () => h.sink.lines().filter((l) => String(l.msg).startsWith('the response URL did not take'));
    // what was so when the DM reached Slack
    const atDm: Array<{ held: number; reasons: unknown[] }> = [];
    h.slack.onCall = (call) => {
      if (call.method === 'chat.postMessage' && call.args.channel === ALICE) {
        atDm.push({ held: silent.held, reasons: fellBack().map((l) => l.reason) });
      }
    };
    await h.command(ALICE, 'note ann@example.com');
    const view = await h.openedView('contact_note');
    const responseUrl = `${h.slack.url}/response/silent`;
    await h.submit(
      ALICE,
      { ...view, private_metadata: issued({ ...metadataOf(view), responseUrl }) },
      {
        contact: { contact: { selected_option: { value: `id:${ann.id}` } } },
        message: { message: { value: 'Noted' } },
      },
    );
    await h.eventually(
      () => expect(h.slack.messages.filter((m) => m.channel === ALICE).map((m) => m.text)).toHaveLength(1),
      RESPONSE_URL_TIMEOUT_MS + 5_000,
    );
    // the response URL had the message and had not answered, and the bridge had already logged that the post timed
    // out, when the DM came: it came because of the timeout, and only after it
    expect(atDm).toEqual([{ held: 1, reasons: ['TimeoutError'] }]);
    expect(silent.shut).toBe(true);
    expect(h.responsesTo('silent')).toHaveLength(1);
    expect(fellBack().map((l) => l.reason)).toEqual(['TimeoutError']);
  });

  it('a response URL that answers an error: the confirmation comes as a DM too', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    await h.command(ALICE, 'note ann@example.com');
    const view = await h.openedView('contact_note');
    const responseUrl = `${h.slack.url}/api/no.such.response`;
    h.slack.fail({ method: 'no.such.response', status: 500 });
    await h.submit(
      ALICE,
      { ...view, private_metadata: issued({ ...metadataOf(view), responseUrl }) },
      {
        contact: { contact: { selected_option: { value: `id:${ann.id}` } } },
        message: { message: { value: 'Noted' } },
      },
    );
    await h.eventually(() =>
      expect(h.slack.messages.filter((m) => m.channel === ALICE).map((m) => m.text)).toEqual([
        '✅ Note added to Ann Lee.',
      ]),
    );
    expect(h.sink.lines().filter((l) => String(l.msg).startsWith('the response URL did not take'))).toEqual([
      expect.objectContaining({ status: 500 }),
    ]);
  });
});

describe('ticket submissions are answered before Intercom is asked anything', () => {
  it('a replica whose ticket types never loaded still checks and acknowledges a submission from the modal alone', async () => {
    const ann = h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    const bug = ticketType('Bug report');
    const { responseUrl } = await h.command(ALICE, 'ticket ann@example.com');
    const view = await chooseType(await h.openedView('ticket_create'), bug, picked('email:ann@example.com'));

    // another replica gets the submission; Intercom refused it the ticket types at start-up, and would again
    const listed = h.intercom.calls('GET', '/ticket_types').length;
    h.intercom.fail({ method: 'GET', path: '/ticket_types', status: 403, times: 2 });
    const other = await secondReplica();
    expect(h.intercom.calls('GET', '/ticket_types')).toHaveLength(listed + 1);
    const since = h.intercom.requests.length;
    const values = (extra: Record<string, unknown>) => ({
      ...picked('email:ann@example.com'),
      ticket_type: { ticket_type: { selected_option: { value: bug.id } } },
      [inputNamed(view, 'Steps').block_id]: { value: { value: 'Open the app' } },
      ...extra,
    });

    const invalid = await other.submit(ALICE, view, values({}));
    expect(invalid.status).toBe(200);
    expect(JSON.parse(invalid.body)).toEqual({
      response_action: 'errors',
      errors: { [inputNamed(view, 'Severity').block_id]: 'Required for this ticket type.' },
    });
    expect(h.intercom.requests.slice(since)).toEqual([]);

    const answer = await other.submit(
      ALICE,
      view,
      values({ [inputNamed(view, 'Severity').block_id]: { value: { selected_option: { value: 'sev-1' } } } }),
    );
    expect(answer).toMatchObject({ status: 200, body: '' });
    const confirmation = await h.response(idOf(responseUrl));
    expect(String(confirmation.text)).toMatch(/^✅ Ticket #1 \(Bug report\) created\./);
    expect(posts(/^\/tickets$/).map((r) => r.body)).toEqual([
      {
        ticket_type_id: bug.id,
        contacts: [{ id: String(ann.id) }],
        ticket_attributes: { Severity: 'sev-1', Reproducible: false, Steps: 'Open the app' },
      },
    ]);
    // the work after the ack needed the contact and the ticket, never the ticket types
    const after = h.intercom.requests.slice(since).map((r) => `${r.method} ${r.path}`);
    expect(after).not.toContain('GET /ticket_types');
    expect(after).toContain('POST /tickets');
  });

  it('a type with too many fields for the modal’s metadata is checked against the cached types, not Intercom', async () => {
    const attributes = Array.from({ length: 60 }, (_, i) => ({
      name: `Question number ${i + 1} that the support team asks of every customer`,
      data_type: 'string',
      required_to_create: i === 0,
    }));
    h.intercom.addTicketType({ name: 'Audit', attributes });
    // a replica started after the type was made has it cached from start-up
    const listed = h.intercom.calls('GET', '/ticket_types').length;
    const other = await secondReplica();
    expect(h.intercom.calls('GET', '/ticket_types')).toHaveLength(listed + 1);
    await other.command(ALICE, 'ticket');
    const first = await h.openedView('ticket_create');
    const audit = ticketType('Audit');
    const view = await chooseType(first, audit, picked('email:ann@example.com'), other);
    expect(metadataOf(view).fields).toBeUndefined();
    expect(String(view.private_metadata).length).toBeLessThanOrEqual(3000);

    const since = h.intercom.requests.length;
    const required = inputNamed(view, attributes[0]?.name ?? '').block_id;
    const answer = await other.submit(ALICE, view, {
      ...picked('email:ann@example.com'),
      ticket_type: { ticket_type: { selected_option: { value: audit.id } } },
    });
    expect(JSON.parse(answer.body).errors).toEqual({ [required]: 'Required for this ticket type.' });
    expect(h.intercom.requests.slice(since)).toEqual([]);

    // a replica that holds no ticket types (Intercom refused them at start-up) asks for the type again, not Intercom
    h.intercom.fail({ method: 'GET', path: '/ticket_types', status: 403 });
    const bare = await secondReplica();
    const before = h.intercom.requests.length;
    const lost = await bare.submit(ALICE, view, {
      ...picked('email:ann@example.com'),
      ticket_type: { ticket_type: { selected_option: { value: audit.id } } },
    });
    expect(JSON.parse(lost.body).errors).toEqual({
      ticket_type: 'The bridge lost track of this type’s fields: choose another type, then this one again.',
    });
    expect(h.intercom.requests.slice(before)).toEqual([]);
  });

  it('choosing a type Intercom will not list says so in the modal, and Try again shows its fields', async () => {
    const { responseUrl } = await h.command(ALICE, 'ticket ann@example.com');
    const first = await h.openedView('ticket_create');
    const state = picked('email:ann@example.com', 'ann@example.com');

    // a type archived since the list was shown
    const retired = h.intercom.ticketTypes.find((t) => t.name === 'Retired type');
    await pickType(first, { id: String(retired?.id), name: 'Retired type' }, state);
    await h.eventually(() =>
      expect(JSON.stringify(h.slack.views.get(String(first.id))?.blocks)).toContain(
        '⚠️ This ticket type is no longer available in Intercom; choose another.',
      ),
    );

    // a replica that cannot list the types: Intercom refuses, and the modal says so instead of staying as it was
    const bug = ticketType('Bug report');
    const listed = h.intercom.calls('GET', '/ticket_types').length;
    h.intercom.fail({ method: 'GET', path: '/ticket_types', status: 403, times: 2 });
    const other = await secondReplica();
    expect(h.intercom.calls('GET', '/ticket_types')).toHaveLength(listed + 1);
    const current = h.slack.views.get(String(first.id)) ?? first;
    await pickType(current, { id: bug.id, name: bug.name }, state, other);
    const failed = await h.eventually(() => {
      const view = h.slack.views.get(String(first.id));
      if (!JSON.stringify(view?.blocks).includes('ticket_type_retry')) throw new Error('no problem shown yet');
      return view as Record<string, unknown>;
    });
    expect(h.intercom.calls('GET', '/ticket_types')).toHaveLength(listed + 2);
    const problem = (failed.blocks as Array<{ block_id?: string; text?: { text: string } }>).find(
      (b) => b.block_id === 'ticket_type_problem',
    );
    expect(problem?.text?.text).toBe(
      '⚠️ Intercom did not allow the bridge to read ticket types, so this type’s fields could not be loaded.',
    );
    expect(JSON.stringify(failed.blocks)).not.toContain('"attr:');
    expect(JSON.stringify(failed.blocks)).toContain('"value":"email:ann@example.com"');
    // submitting now is told to wait for the fields, not sent
    const early = await other.submit(ALICE, failed, {
      ...state,
      ticket_type: { ticket_type: { selected_option: { value: bug.id } } },
    });
    expect(JSON.parse(early.body).errors).toEqual({ ticket_type: 'Wait for this type’s fields to appear.' });

    await other.interact(
      viewAction(ALICE, failed, { action_id: 'ticket_type_retry', type: 'button', value: bug.id }, state),
    );
    const shown = await h.eventually(() => {
      const view = h.slack.views.get(String(first.id));
      if (!view || metadataOf(view).typeId !== bug.id) throw new Error('fields not shown yet');
      return view;
    });
    expect(JSON.stringify(shown.blocks)).not.toContain('ticket_type_problem');
    expect(inputNamed(shown, 'Severity').block_id).toMatch(/^attr:/);
    expect(h.responsesTo(idOf(responseUrl))).toEqual([]);
  });
});

describe('when Intercom says no', () => {
  it('a note for an email nobody has is refused plainly, and the text is handed back', async () => {
    const { responseUrl } = await h.command(ALICE, 'note nobody@example.com');
    const view = await h.openedView('contact_note');
    await h.submit(ALICE, view, {
      contact: { contact: { selected_option: { value: 'email:nobody@example.com' } } },
      message: { message: { value: 'Remember <this>' } },
    });
    const answer = await h.response(idOf(responseUrl));
    expect(answer.text).toBe(
      '⚠️ No Intercom contact has the email nobody@example.com. Nothing was changed.\n\nWhat you wrote, so it is not lost:\n>>> Remember &lt;this&gt;',
    );
    expect(posts(/\/notes$/)).toEqual([]);
  });

  it('a ticket Intercom rejects is reported with Intercom’s reason', async () => {
    h.intercom.addContact({ email: 'ann@example.com', name: 'Ann Lee' });
    const question = h.intercom.ticketTypes.find((t) => t.name === 'Question');
    const { responseUrl } = await h.command(ALICE, 'ticket ann@example.com');
    const first = await h.openedView('ticket_create');
    const contactState = {
      contact: {
        contact: { selected_option: { text: { type: 'plain_text', text: 'Ann' }, value: 'email:ann@example.com' } },
      },
    };
    await pickType(first, { id: String(question?.id), name: 'Question' }, contactState);
    const view = await h.eventually(() => {
      const v = h.slack.views.get(String(first.id));
      if (!v || !metadataOf(v).typeId) throw new Error('not updated');
      return v;
    });
    h.intercom.fail({ method: 'POST', path: '/tickets', status: 400 });
    await h.submit(ALICE, view, {
      ...contactState,
      ticket_type: { ticket_type: { selected_option: { value: String(question?.id) } } },
    });
    const answer = await h.response(idOf(responseUrl));
    expect(String(answer.text)).toMatch(/^⚠️ Intercom rejected this/);
    expect(String(answer.text)).toContain('Nothing was changed.');
  });
});

describe('odd input to results and buttons', () => {
  it('ignores a More results button whose value is not ours, and answers a failed page plainly', async () => {
    const { responseUrl } = await h.command(ALICE, 'contacts zz');
    await h.response(idOf(responseUrl));
    const click = (value: string) =>
      h.interact({
        ...blockAction({
          user: ALICE,
          actionId: 'contacts_more',
          channel: CHANNEL,
          message: { ts: '1.1', text: '', blocks: [] },
          value,
        }),
        response_url: responseUrl,
      });
    expect((await click('not json')).status).toBe(200);
    expect((await click('{"after":"x"}')).status).toBe(200);
    h.intercom.fail({ method: 'POST', path: '/contacts/search', status: 500, times: 5 });
    await click('{"q":"zz","after":"x"}');
    const answer = await h.response(idOf(responseUrl), 2);
    expect(String(JSON.stringify(answer))).toContain('Intercom did not confirm this in time');
    expect(h.responsesTo(idOf(responseUrl))).toHaveLength(2);
  });

  it('answers a failed article search and conversation preview with a sentence', async () => {
    h.intercom.fail({ method: 'GET', path: '/articles/search', status: 401 });
    const articles = await h.command(ALICE, 'articles anything');
    const answer = JSON.stringify(await h.response(idOf(articles.responseUrl)));
    expect(answer).toContain(
      'Intercom refused the bridge’s access token; whoever runs the bot must check INTERCOM_TOKEN.',
    );

    const c = h.intercom.addConversation({ subject: 'Locked out' });
    h.intercom.fail({ method: 'GET', path: `/conversations/${c.id}`, status: 403 });
    const preview = await h.command(ALICE, `conversation ${c.id}`);
    const refused = await h.response(idOf(preview.responseUrl));
    expect(refused.response_type).toBe('ephemeral');
    expect(text(refused)).toContain('Intercom did not allow this (Intercom says: injected fault).');
    expect(text(refused)).not.toContain('Locked out');
    expect(text(refused)).not.toMatch(/Error|stack|conversation_post/);
    expect(h.intercom.calls('GET', `/conversations/${c.id}`).map((r) => r.status)).toEqual([403]);
  });
});

describe('limits Slack sets', () => {
  it('answers an email too long for a select option plainly, and opens nothing', async () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.com`;
    const { answer } = await h.command(ALICE, `note ${email}`);
    expect(JSON.parse(answer.body).text).toBe(
      'That email is too long to look up; pick the contact in the form instead.',
    );
    expect(h.slack.views.size).toBe(0);
  });
});
