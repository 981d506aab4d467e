import type { SlackPort } from '../../bridge/ports.ts';
import type { Logger } from '../../logger.ts';
import { notice } from '../blocks/results.ts';
import { escapeMrkdwn } from '../mrkdwn.ts';
import type { ResponseUrls } from '../response-urls.ts';
import type { Respond } from './args.ts';

// How a person learns what became of what they asked, once Slack has had its answer: a command or a result's
// button answers through `respond` (only to them); the card's actions tell only of failure (success shows on the
// card), in an ephemeral message where they clicked; the contact modals confirm either way, through the response
// URL they were opened from, else in a direct message.

/** How it went: done, or a plain sentence for the person (from bridge/). */
export type Outcome = { ok: true; message?: string } | { ok: false; message: string };

type TellDeps = { slack: SlackPort; logger: Logger };

/** What the person typed, quoted back under a failure so it is not lost. */
function keep(typed: string | undefined): string {
  return typed ? `\n\nWhat you wrote, so it is not lost:\n>>> ${escapeMrkdwn(typed)}` : '';
}

/**
 * A sentence (from bridge/) for the person who typed the command or clicked the result: only they see it, and
 * the message they clicked on stays.
 */
export function notify(respond: Respond, sentence: string): Promise<unknown> {
  return respond({ response_type: 'ephemeral', replace_original: false, ...notice(escapeMrkdwn(sentence)) });
}

/** A failure, told in an ephemeral message in the channel where the person acted; nothing when it went well. */
export async function tellFailure(
  deps: TellDeps,
  where: { channel: string; user: string },
  outcome: Outcome,
  typed?: string,
): Promise<void> {
  if (outcome.ok) return;
  await deps.slack.tellUser(where, `${escapeMrkdwn(outcome.message)}${keep(typed)}`).catch((error: unknown) => {
    deps.logger.warn({ err: error }, 'could not tell the user what went wrong');
  });
}

/**
 * How it went, either way: through the response URL the modal was opened from, else (none, or it did not take
 * the message for any reason) in a direct message.
 */
export async function confirm(
  deps: TellDeps & { responseUrls: ResponseUrls },
  to: { user: string; responseUrl: string | undefined },
  outcome: { ok: boolean; message: string },
  typed?: string,
): Promise<void> {
  const text = `${outcome.ok ? '✅' : '⚠️'} ${escapeMrkdwn(outcome.message)}${outcome.ok ? '' : keep(typed)}`;
  if (to.responseUrl && (await postToResponseUrl(deps, to.responseUrl, text))) return;
  try {
    await deps.slack.dm(to.user, text);
  } catch (error) {
    deps.logger.warn({ err: error }, 'could not tell the user how their request went');
  }
}

/** Posts an ephemeral message to a response URL; false when it did not arrive (an error status, no answer in time). */
async function postToResponseUrl(
  deps: { responseUrls: ResponseUrls; logger: Logger },
  responseUrl: string,
  text: string,
): Promise<boolean> {
  const outcome = await deps.responseUrls.post(responseUrl, {
    response_type: 'ephemeral',
    replace_original: false,
    text,
  });
  if (outcome.ok) return true;
  if ('reason' in outcome && outcome.reason === 'not_allowed') {
    deps.logger.warn('a modal’s response URL is not Slack’s: sending the confirmation as a direct message');
  } else {
    // the outcome never quotes the URL, which lets anyone post to the person for a while
    deps.logger.info(outcome, 'the response URL did not take the confirmation: sending it as a direct message');
  }
  return false;
}
