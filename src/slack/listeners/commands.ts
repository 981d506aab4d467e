import type { App, BlockAction } from '@slack/bolt';
import { explainIntercomError } from '../../bridge/messages.ts';
import { contactOptionValue } from '../blocks/contact-modals.ts';
import {
  articleResults,
  cardPreview,
  contactResults,
  notice,
  RESULT_ACTIONS,
  sharedArticle,
} from '../blocks/results.ts';
import { helpText, parseCommand } from '../commands/grammar.ts';
import { escapeMrkdwn } from '../mrkdwn.ts';
import { mayRead, openModal } from './access.ts';
import type { ActionArgs, CommandArgs, Respond } from './args.ts';
import { ackOnly } from './cards.ts';
import { CONTACT_MODALS } from './contacts.ts';
import type { ListenerDeps } from './index.ts';
import { notify } from './tell.ts';

// `/intercom` and the buttons on its results: contact and article search, the conversation preview and its
// "Post to channel". Acknowledged first; results arrive through the response URL, only to the asker.

export function register(app: App, deps: ListenerDeps): void {
  app.command('/intercom', slashCommand(deps));
  app.action<BlockAction>(RESULT_ACTIONS.moreContacts, moreContacts(deps));
  app.action<BlockAction>(new RegExp(`^${RESULT_ACTIONS.shareArticle}:`), shareArticle(deps));
  app.action(new RegExp(`^${RESULT_ACTIONS.openLink}:`), ackOnly);
  app.action<BlockAction>(RESULT_ACTIONS.postConversation, postConversation(deps));
}

/** Slack caps a select option's value at 150 characters, and the email travels in one. */
const MAX_EMAIL = 144;

export const slashCommand =
  (deps: ListenerDeps) =>
  async ({ ack, command, respond, client }: CommandArgs): Promise<void> => {
    const parsed = parseCommand(command.text ?? '');
    const name = command.command || '/intercom';
    switch (parsed.kind) {
      case 'help':
        return ack({ response_type: 'ephemeral', text: helpText(name) });
      case 'unknown': {
        const text = `\`${escapeMrkdwn(parsed.word)}\` is not something ${name} knows.\n\n${helpText(name)}`;
        return ack({ response_type: 'ephemeral', text });
      }
      case 'usage':
        return ack({ response_type: 'ephemeral', text: parsed.problem });
      case 'note':
      case 'tag':
      case 'ticket': {
        if (parsed.email && parsed.email.length > MAX_EMAIL) {
          const text = 'That email is too long to look up; pick the contact in the form instead.';
          return ack({ response_type: 'ephemeral', text });
        }
        await ack();
        const context = { responseUrl: command.response_url, channel: command.channel_id };
        const initial = parsed.email
          ? { text: parsed.email, value: contactOptionValue({ email: parsed.email }) }
          : undefined;
        const view = CONTACT_MODALS[parsed.kind](context, initial);
        await openModal(deps, client, { triggerId: command.trigger_id, user: command.user_id }, view);
        return;
      }
      case 'contacts':
        return answer(deps, ack, respond, command.user_id, async () =>
          contactResults(parsed.query, await deps.lookup.contacts(parsed.query)),
        );
      case 'articles':
        return answer(deps, ack, respond, command.user_id, async () =>
          articleResults(parsed.query, await deps.lookup.articles(parsed.query)),
        );
      case 'conversation':
        return answer(
          deps,
          ack,
          respond,
          command.user_id,
          async () => cardPreview(await deps.cardData(parsed.id)),
          'conversation',
        );
    }
  };

/** Acks, then shows what `load` finds from Intercom, only to the asker, if they may read it. */
async function answer(
  deps: ListenerDeps,
  ack: () => Promise<void>,
  respond: Respond,
  user: string,
  load: () => Promise<{ text: string }>,
  subject: 'conversation' | 'contact' = 'contact',
): Promise<void> {
  await ack();
  if (!(await mayRead(deps, user, respond))) return;
  try {
    await respond({ response_type: 'ephemeral', ...(await load()) });
  } catch (error) {
    await failed(deps, respond, error, subject);
  }
}

function failed(deps: ListenerDeps, respond: Respond, error: unknown, subject: 'conversation' | 'contact') {
  deps.logger.warn({ err: error }, 'command failed');
  const sentence = escapeMrkdwn(explainIntercomError(error, 'action', subject));
  // no replace_original: a failed More results page takes the place of the list it could not extend
  return respond({ response_type: 'ephemeral', ...notice(sentence) });
}

export const moreContacts =
  (deps: ListenerDeps) =>
  async ({ ack, action, body, respond }: ActionArgs): Promise<void> => {
    await ack();
    if (!(await mayRead(deps, body.user.id, respond))) return;
    const { q, after } = parseJson<{ q?: string; after?: string }>('value' in action ? action.value : undefined);
    if (!q) return;
    try {
      await respond({
        replace_original: true,
        ...contactResults(q, await deps.lookup.contacts(q, { startingAfter: after })),
      });
    } catch (error) {
      await failed(deps, respond, error, 'contact');
    }
  };

export const shareArticle =
  (deps: ListenerDeps) =>
  async ({ ack, action, body, respond }: ActionArgs): Promise<void> => {
    await ack();
    if (!(await mayRead(deps, body.user.id, respond))) return;
    const article = parseJson<{ title?: string; url?: string }>('value' in action ? action.value : undefined);
    if (!article.title || !article.url) return;
    await respond({
      response_type: 'in_channel',
      replace_original: false,
      ...sharedArticle({ title: article.title, url: article.url }, body.user.id),
    });
  };

export const postConversation =
  (deps: ListenerDeps) =>
  async ({ ack, action, body, respond }: ActionArgs): Promise<void> => {
    await ack();
    const conversationId = 'value' in action ? action.value : undefined;
    const channel = body.channel?.id;
    if (!conversationId || !channel) return;
    const result = await deps.cards.postHere(body.user.id, conversationId, channel);
    switch (result.kind) {
      case 'refused':
        await notify(respond, result.why);
        return;
      case 'has-card': {
        const where = result.permalink ? `: ${result.permalink}` : '';
        const text = `This conversation already has a card in <#${result.channel}>${where}`;
        await respond({ response_type: 'ephemeral', replace_original: false, text });
        return;
      }
      case 'queued':
        await respond({ delete_original: true });
        return;
    }
  };

export function parseJson<T extends object>(text: string | undefined): Partial<T> {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return value && typeof value === 'object' ? (value as Partial<T>) : {};
  } catch {
    return {};
  }
}
