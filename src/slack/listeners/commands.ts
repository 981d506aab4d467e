import type { App, BlockAction } from '@slack/bolt';
import { explainIntercomError } from '../../bridge/messages.ts';
import { contactOptionValue } from '../blocks/contact-modals.ts';
import { parseNext, QUEUE_ACTIONS, QUEUE_PAGE, queueMessage } from '../blocks/queue.ts';
import {
  articleResults,
  cardPreview,
  contactResults,
  notice,
  RESULT_ACTIONS,
  sharedArticle,
} from '../blocks/results.ts';
import { helpText, parseCommand, type QueueScope } from '../commands/grammar.ts';
import { escapeMrkdwn } from '../mrkdwn.ts';
import { mayRead, openModal } from './access.ts';
import type { ActionArgs, CommandArgs, Respond } from './args.ts';
import { ackOnly } from './cards.ts';
import { CONTACT_MODALS } from './contacts.ts';
import type { ListenerDeps } from './index.ts';
import { notify } from './tell.ts';

// `/intercom` and the buttons on its results: contact and article search, the conversation preview and its
// "Post to channel". Acknowledged first; results arrive through the response URL, only to the asker.

/** What the command listeners use: ListenerDeps, where `/intercom queue` and `digest` find theirs. */
export type CommandDeps = ListenerDeps;

export function register(app: App, deps: CommandDeps): void {
  app.command('/intercom', slashCommand(deps));
  app.action<BlockAction>(new RegExp(`^${QUEUE_ACTIONS.take}:`), takeFromQueue(deps));
  app.action<BlockAction>(QUEUE_ACTIONS.next, nextQueuePage(deps));
  app.action<BlockAction>(RESULT_ACTIONS.moreContacts, moreContacts(deps));
  app.action<BlockAction>(new RegExp(`^${RESULT_ACTIONS.shareArticle}:`), shareArticle(deps));
  app.action(new RegExp(`^${RESULT_ACTIONS.openLink}:`), ackOnly);
  app.action<BlockAction>(RESULT_ACTIONS.postConversation, postConversation(deps));
}

/** Slack caps a select option's value at 150 characters, and the email travels in one. */
const MAX_EMAIL = 144;

export const slashCommand =
  (deps: CommandDeps) =>
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
      case 'queue':
        return answer(deps, ack, respond, command.user_id, () => queuePage(deps, command.user_id, parsed.scope, 0));
      case 'digest':
        return postDigest(deps, ack, respond, { user: command.user_id, channel: command.channel_id });
    }
  };

const NOT_HERE = 'The queue and digests are not available on this bridge.';

/** A page of the queue for `user`; `me` needs their teammate (to know whose), whatever READ_ACCESS says. */
async function queuePage(deps: CommandDeps, user: string, scope: QueueScope, offset: number) {
  if (!deps.queue) return notice(NOT_HERE);
  let adminId: string | undefined;
  if (scope === 'me') {
    const who = await deps.identity.teammate(user, 'read');
    if ('refusal' in who) {
      return notice(`${escapeMrkdwn(who.refusal)}\nTry \`/intercom queue unassigned\` or \`/intercom queue all\`.`);
    }
    adminId = who.teammate.adminId;
  }
  const page = await deps.queue.page(scope, adminId, { offset, limit: QUEUE_PAGE });
  return queueMessage(page, { takeValue: (id) => deps.modalState.seal(takeState(id)) });
}

/** What a Take button's value seals: the conversation it takes, so a click names only what the bridge listed. */
const takeState = (conversationId: string) => `queue-take:${conversationId}`;

/** "Next" under a queue page: the following page, in place of this one. */
export const nextQueuePage =
  (deps: CommandDeps) =>
  async ({ ack, action, body, respond }: ActionArgs): Promise<void> => {
    await ack();
    const next = parseNext('value' in action ? action.value : undefined);
    if (!next || !(await mayRead(deps, body.user.id, respond))) return;
    try {
      await respond({ replace_original: true, ...(await queuePage(deps, body.user.id, next.scope, next.offset)) });
    } catch (error) {
      await failed(deps, respond, error, 'conversation');
    }
  };

/**
 * "Take" on a queue line: assigns the conversation to the clicker's teammate — the card's assign-to-me path
 * (Triage), which refuses someone with no teammate. The value must be the one the bridge sealed for this id.
 */
export const takeFromQueue =
  (deps: CommandDeps) =>
  async ({ ack, action, body, respond }: ActionArgs): Promise<void> => {
    await ack();
    const actionId = 'action_id' in action ? action.action_id : '';
    const conversationId = actionId.slice(QUEUE_ACTIONS.take.length + 1);
    const sealed = 'value' in action ? action.value : undefined;
    if (!conversationId || deps.modalState.open(sealed) !== takeState(conversationId)) {
      deps.logger.warn({ actionId }, 'a Take button the bridge did not issue: ignored');
      return;
    }
    const user = body.user.id;
    deps.afterAck.run('assign', async () => {
      const result = await deps.triage.perform(conversationId, user, { kind: 'assign', to: 'me' });
      if (!result.ok) {
        await notify(respond, result.message);
        return;
      }
      const text = `:white_check_mark: Conversation ${escapeMrkdwn(conversationId)} is assigned to you.`;
      await respond({ response_type: 'ephemeral', replace_original: false, text });
    });
  };

/** `/intercom digest`: the channel's digest, posted in it now, for someone who may read Intercom data. */
async function postDigest(
  deps: CommandDeps,
  ack: () => Promise<void>,
  respond: Respond,
  where: { user: string; channel: string },
): Promise<void> {
  await ack();
  if (!(await mayRead(deps, where.user, respond))) return;
  if (!deps.digests) {
    await respond({ response_type: 'ephemeral', ...notice(NOT_HERE) });
    return;
  }
  try {
    await deps.digests.postNow(where.channel);
  } catch (error) {
    deps.logger.warn({ err: error, channel: where.channel }, 'could not post the digest');
    const text = 'The digest could not be posted here. Is the app a member of this channel? Try again in a moment.';
    await respond({ response_type: 'ephemeral', ...notice(text) });
  }
}

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
