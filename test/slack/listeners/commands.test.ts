import { describe, expect, it } from 'vitest';
import type { ContactSummary } from '../../../src/bridge/lookup.ts';
import { IntercomApiError } from '../../../src/intercom/errors.ts';
import { moreContacts, postConversation, shareArticle, slashCommand } from '../../../src/slack/listeners/commands.ts';
import { sharedAvailable } from '../../support/shared.ts';
import {
  actionArgs,
  commandArgs,
  type Harness,
  listenerHarness,
  RESPONSE_URL,
  slackSample,
  USER,
  viewOf,
} from './support.ts';

const REFUSAL = 'The bridge shows Intercom data only to Intercom teammates.';
const refused = async () => ({ refusal: REFUSAL });

/** `/intercom <text>` as Slack sends it. */
function run(h: Harness, text: string, command = '/intercom') {
  return commandArgs(h, {
    command,
    text,
    user_id: USER,
    channel_id: 'C1',
    team_id: 'T1',
    response_url: RESPONSE_URL,
    trigger_id: '111.222.trigger',
  });
}

/** What was said to the asker through `respond`. */
const said = (h: Harness) => h.calls('respond').map(([message]) => message as Record<string, unknown>);

/** The text of the only ack that carried a message. */
const ackText = (h: Harness) => (h.calls('ack')[0]?.[0] as { response_type: string; text: string } | undefined)?.text;

const ann: ContactSummary = {
  id: '42',
  name: 'Ann Customer',
  email: 'ann@example.com',
  company: null,
  lastSeenAt: null,
  role: 'user',
  url: null,
};

const notFound = () =>
  new IntercomApiError({ method: 'GET', path: '/conversations/123' }, 404, 'req1', [{ code: 'not_found' }]);

describe('slashCommand', () => {
  it.each(['help', '', '  ?  '])('%j: the help, in the ack, without asking who may read', async (text) => {
    const h = listenerHarness({ reader: refused });
    await slashCommand(h.deps)(run(h, text));

    expect(h.order()).toEqual(['ack']);
    expect(h.calls('ack')[0]?.[0]).toMatchObject({ response_type: 'ephemeral' });
    expect(ackText(h)).toContain('`/intercom contacts &lt;email or name&gt;`');
  });

  it('an unknown subcommand: says so, with the help under the command’s own name', async () => {
    const h = listenerHarness({ reader: refused });
    await slashCommand(h.deps)(run(h, 'frob<nicate> now', '/ic'));

    expect(h.order()).toEqual(['ack']);
    const text = ackText(h) ?? '';
    expect(text.split('\n\n')[0]).toBe('`frob&lt;nicate&gt;` is not something /ic knows.');
    expect(text).toContain('`/ic help`');
  });

  it('a subcommand used wrongly: how to use it', async () => {
    const h = listenerHarness();
    await slashCommand(h.deps)(run(h, 'contacts'));

    expect(h.order()).toEqual(['ack']);
    expect(ackText(h)).toMatch(/^`\/intercom contacts` needs an email or a name/);
  });

  it('contacts <q>: acks, then shows the matches only to the asker', async () => {
    const h = listenerHarness({ contacts: async () => ({ contacts: [ann], total: 1, next: undefined }) });
    await slashCommand(h.deps)(run(h, 'contacts ann'));

    expect(h.order()).toEqual(['ack', 'identity.reader', 'lookup.contacts', 'respond']);
    expect(h.calls('ack')).toEqual([[]]);
    expect(h.calls('identity.reader')).toEqual([[USER]]);
    expect(h.calls('lookup.contacts')).toEqual([['ann']]);
    const [message] = said(h);
    expect(message).toMatchObject({ response_type: 'ephemeral', text: 'Contacts for “ann”' });
    expect(JSON.stringify(message?.blocks)).toContain('contact_note:42');
  });

  it('contacts <q> from someone who may not read: the refusal, and Intercom is not searched', async () => {
    const h = listenerHarness({ reader: refused });
    await slashCommand(h.deps)(run(h, 'contacts ann'));

    expect(h.order()).toEqual(['ack', 'identity.reader', 'respond']);
    expect(said(h)).toMatchObject([{ response_type: 'ephemeral', replace_original: false, text: REFUSAL }]);
    expect(h.logged('refused: may not read Intercom data')).toMatchObject([{ level: 30, user: USER }]);
  });

  it('contacts <q> when Intercom fails: a plain sentence, and the failure logged', async () => {
    const h = listenerHarness({
      contacts: async () => {
        throw notFound();
      },
    });
    await slashCommand(h.deps)(run(h, 'contacts ann'));

    expect(said(h)).toMatchObject([
      {
        response_type: 'ephemeral',
        text: 'Intercom cannot find this contact any more (deleted or merged). Nothing was changed.',
      },
    ]);
    expect(h.logged('command failed')).toMatchObject([{ level: 40, err: { type: 'IntercomApiError' } }]);
  });

  it('articles <words>: the published articles found', async () => {
    const article = { id: '9', title: 'Reset your password', snippet: 'How to', url: 'https://help.example.com/9' };
    const h = listenerHarness({ articles: async () => ({ articles: [article], total: 1 }) });
    await slashCommand(h.deps)(run(h, 'articles reset password'));

    expect(h.calls('lookup.articles')).toEqual([['reset password']]);
    expect(said(h)).toMatchObject([{ response_type: 'ephemeral', text: 'Articles for “reset password”' }]);
  });

  it('conversation <id>: a preview of its card, with Post to channel', async () => {
    const h = listenerHarness();
    await slashCommand(h.deps)(run(h, 'conversation #123'));

    expect(h.calls('cardData')).toEqual([['123']]);
    const [message] = said(h);
    expect(message).toMatchObject({ response_type: 'ephemeral' });
    expect(JSON.stringify(message?.blocks)).toContain('"action_id":"conversation_post"');
    expect(JSON.stringify(message?.blocks)).toContain('"value":"123"');
  });

  it('conversation <id> that Intercom cannot find: said of the conversation', async () => {
    const h = listenerHarness({
      cardData: async () => {
        throw notFound();
      },
    });
    await slashCommand(h.deps)(run(h, 'conversation 123'));

    expect(said(h)).toMatchObject([
      { text: expect.stringMatching(/^Intercom cannot find this conversation any more/) },
    ]);
  });

  it('conversation <id> from someone who may not read: refused, the card not built', async () => {
    const h = listenerHarness({ reader: refused });
    await slashCommand(h.deps)(run(h, 'conversation 123'));

    expect(h.calls('cardData')).toEqual([]);
    expect(said(h)).toMatchObject([{ text: REFUSAL }]);
  });

  it.each([
    ['note', 'contact_note'],
    ['tag', 'contact_tag'],
  ])('%s <email>: opens its modal with the email picked, sealed with where to confirm', async (kind, callback) => {
    const h = listenerHarness();
    await slashCommand(h.deps)(run(h, `${kind} ann@example.com`));

    expect(h.order()).toEqual(['ack', 'views.open', 'identity.teammate']);
    expect(h.calls('ack')).toEqual([[]]);
    const [open] = h.calls('views.open');
    expect(open?.[0]).toMatchObject({ trigger_id: '111.222.trigger' });
    const view = viewOf(open);
    expect(view.callback_id).toBe(callback);
    expect(JSON.parse(h.modalState.open(view.private_metadata) ?? '')).toEqual({
      responseUrl: RESPONSE_URL,
      channel: 'C1',
    });
    expect(JSON.stringify(view.blocks)).toContain('"value":"email:ann@example.com"');
  });

  it('ticket: opens the ticket modal with no contact picked', async () => {
    const h = listenerHarness();
    await slashCommand(h.deps)(run(h, 'ticket'));

    const view = viewOf(h.calls('views.open')[0]);
    expect(view.callback_id).toBe('ticket_create');
    expect(JSON.stringify(view.blocks)).not.toContain('initial_option');
  });

  it('note from someone who may not act: the modal turns into the reason', async () => {
    const h = listenerHarness({ teammate: async () => ({ refusal: 'No Intercom teammate for you.' }) });
    await slashCommand(h.deps)(run(h, 'note'));

    const [update] = h.calls('views.update');
    expect(update?.[0]).toMatchObject({ view_id: 'V1' });
    expect(viewOf(update).submit).toBeUndefined();
    expect(JSON.stringify(viewOf(update).blocks)).toContain('No Intercom teammate for you.');
  });

  it('an email too long for a select option: said in the ack, no modal', async () => {
    const h = listenerHarness();
    await slashCommand(h.deps)(run(h, `note ${'a'.repeat(140)}@example.com`));

    expect(h.order()).toEqual(['ack']);
    expect(ackText(h)).toBe('That email is too long to look up; pick the contact in the form instead.');
  });

  it.runIf(sharedAvailable('Slack’s slash command sample'))('reads Slack’s own slash command payload', async () => {
    const h = listenerHarness();
    await slashCommand(h.deps)(commandArgs(h, slackSample('slash_command.json')));

    // its text, "Hi", is no subcommand; its command is /hello-world
    expect(h.order()).toEqual(['ack']);
    expect(ackText(h)).toMatch(/^`Hi` is not something \/hello-world knows\./);
  });
});

/** A click on a results message's button. */
function clickResult(h: Harness, actionId: string, value: string | undefined, channel: string | null = 'C1') {
  const body = {
    type: 'block_actions',
    user: { id: USER },
    ...(channel ? { channel: { id: channel } } : {}),
    response_url: RESPONSE_URL,
    trigger_id: '111.222.trigger',
  };
  return actionArgs(h, body, { type: 'button', action_id: actionId, block_id: 'b', action_ts: '1.2', value });
}

describe('moreContacts', () => {
  it('replaces the results with the next page', async () => {
    const h = listenerHarness({ contacts: async () => ({ contacts: [ann], total: 11, next: undefined }) });
    await moreContacts(h.deps)(clickResult(h, 'contacts_more', JSON.stringify({ q: 'ann', after: 'cursor2' })));

    expect(h.calls('lookup.contacts')).toEqual([['ann', { startingAfter: 'cursor2' }]]);
    expect(said(h)).toMatchObject([{ replace_original: true, text: 'Contacts for “ann”' }]);
  });

  it('someone who may not read: the refusal, no search', async () => {
    const h = listenerHarness({ reader: refused });
    await moreContacts(h.deps)(clickResult(h, 'contacts_more', JSON.stringify({ q: 'ann' })));

    expect(h.calls('lookup.contacts')).toEqual([]);
    expect(said(h)).toMatchObject([{ replace_original: false, text: REFUSAL }]);
  });

  it.each([
    ['not JSON', '{q:'],
    ['no query', JSON.stringify({ after: 'x' })],
    ['no value', undefined],
  ])('a value that is %s: nothing searched or said', async (_, value) => {
    const h = listenerHarness();
    await moreContacts(h.deps)(clickResult(h, 'contacts_more', value));

    expect(h.order()).toEqual(['ack', 'identity.reader']);
  });
});

describe('shareArticle', () => {
  it('posts the article’s link in the channel, saying who shared it', async () => {
    const h = listenerHarness();
    const value = JSON.stringify({ title: 'Reset your password', url: 'https://help.example.com/9' });
    await shareArticle(h.deps)(clickResult(h, 'article_share:9', value));

    const [message] = said(h);
    expect(message).toMatchObject({ response_type: 'in_channel', replace_original: false });
    expect(message?.text).toContain('https://help.example.com/9');
    expect(message?.text).toContain('Reset your password');
    expect(message?.text).toContain(`shared by <@${USER}>`);
  });

  it('someone who may not read: the refusal, nothing posted in the channel', async () => {
    const h = listenerHarness({ reader: refused });
    const value = JSON.stringify({ title: 'Reset your password', url: 'https://help.example.com/9' });
    await shareArticle(h.deps)(clickResult(h, 'article_share:9', value));

    expect(said(h)).toMatchObject([{ response_type: 'ephemeral', text: REFUSAL }]);
  });

  it('a value without a title or link: nothing posted', async () => {
    const h = listenerHarness();
    await shareArticle(h.deps)(clickResult(h, 'article_share:9', JSON.stringify({ title: 'No link' })));

    expect(h.calls('respond')).toEqual([]);
  });
});

describe('postConversation', () => {
  it('queued: the preview goes away (the card will appear in the channel)', async () => {
    const h = listenerHarness();
    await postConversation(h.deps)(clickResult(h, 'conversation_post', '123'));

    expect(h.order()).toEqual(['ack', 'cards.postHere', 'respond']);
    expect(h.calls('cards.postHere')).toEqual([[USER, '123', 'C1']]);
    expect(said(h)).toEqual([{ delete_original: true }]);
  });

  it('refused: why, only to the clicker, the preview kept', async () => {
    const h = listenerHarness({ postHere: async () => ({ kind: 'refused', why: 'No Intercom teammate for you.' }) });
    await postConversation(h.deps)(clickResult(h, 'conversation_post', '123'));

    expect(said(h)).toMatchObject([
      { response_type: 'ephemeral', replace_original: false, text: 'No Intercom teammate for you.' },
    ]);
  });

  it('has a card already: where it is, with its link', async () => {
    const permalink = 'https://acme.slack.com/archives/C2/p1700000000000100';
    const h = listenerHarness({ postHere: async () => ({ kind: 'has-card', channel: 'C2', permalink }) });
    await postConversation(h.deps)(clickResult(h, 'conversation_post', '123'));

    expect(said(h)).toEqual([
      {
        response_type: 'ephemeral',
        replace_original: false,
        text: `This conversation already has a card in <#C2>: ${permalink}`,
      },
    ]);
  });

  it('has a card already, whose link Slack did not give: the channel alone', async () => {
    const h = listenerHarness({ postHere: async () => ({ kind: 'has-card', channel: 'C2', permalink: undefined }) });
    await postConversation(h.deps)(clickResult(h, 'conversation_post', '123'));

    expect(said(h)).toMatchObject([{ text: 'This conversation already has a card in <#C2>' }]);
  });

  it.each([
    ['no conversation in the button', undefined, 'C1'],
    ['no channel (a preview in a DM with the app)', '123', null],
  ])('%s: nothing asked, nothing said', async (_, value, channel) => {
    const h = listenerHarness();
    await postConversation(h.deps)(clickResult(h, 'conversation_post', value, channel));

    expect(h.order()).toEqual(['ack']);
  });
});
