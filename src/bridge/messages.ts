import { IntercomApiError } from '../intercom/errors.ts';
import { scrubText } from '../logger.ts';
import { outcomeOf } from './failures.ts';

// The sentences a person reads in Slack when something did not go as asked: what happened, and what to do. Each
// starts from the one reading of a failure (`outcomeOf` in failures.ts); the Slack layer only escapes and sends.

/** Said when a Slack request failed in the bridge before it answered: it had not called Intercom yet (every
 * listener acks first). */
export const SLACK_REQUEST_FAILED =
  'Something went wrong in the bridge before it did anything, so nothing was changed. Try again; if it keeps ' +
  'happening, tell whoever runs the bot.';

export const COULD_NOT_CHECK_WHO = 'The bridge could not check who you are in Intercom; try again in a moment.';

/** What was asked, for the tense of "it may have been … anyway". */
export type Asked = 'reply' | 'note' | 'assign' | 'close' | 'reopen' | 'snooze' | 'tag' | 'ticket' | 'action';

const PAST: Partial<Record<Asked, string>> = { reply: 'sent', note: 'added', tag: 'tagged', ticket: 'created' };

/** An Intercom failure as a sentence for the person who asked: what happened, and what to do. */
export function explainIntercomError(
  error: unknown,
  asked: Asked = 'action',
  subject: 'conversation' | 'contact' = 'conversation',
): string {
  const outcome = outcomeOf(error);
  if (outcome === 'rate-limited') {
    return 'Intercom is rate-limiting the bridge right now; nothing was changed. Try again in a minute.';
  }
  if (error instanceof IntercomApiError && (outcome === 'refused' || outcome === 'gone' || outcome === 'not-done')) {
    return refusal(error, subject);
  }
  if (outcome === 'maybe-done') {
    const past = PAST[asked];
    return past
      ? `Intercom did not confirm this in time. It may have been ${past} anyway: check the ${subject} in Intercom before trying again.`
      : `Intercom did not confirm this in time; check the ${subject}, then try again if needed.`;
  }
  return 'Intercom could not be reached; nothing was changed. Try again in a moment.';
}

/** Intercom answered no: why, in its own words where they help (short, and with credentials taken out). */
function refusal(error: IntercomApiError, subject: 'conversation' | 'contact'): string {
  const said = error.errors[0]?.message;
  const reason = said ? ` (Intercom says: ${scrubText(said).slice(0, 200)})` : '';
  if (error.status === 401) {
    return 'Intercom refused the bridge’s access token; whoever runs the bot must check INTERCOM_TOKEN. Nothing was changed.';
  }
  if (error.status === 403) return `Intercom did not allow this${reason}. Nothing was changed.`;
  if (error.has('admin_not_found'))
    return 'Intercom does not know your teammate account any more. Nothing was changed.';
  if (error.has('tag_not_found')) return 'That tag no longer exists in Intercom. Nothing was changed.';
  if (error.has('team_not_found')) return 'That team no longer exists in Intercom. Nothing was changed.';
  if (error.status === 404 || error.status === 410) {
    return `Intercom cannot find this ${subject} any more (deleted or merged). Nothing was changed.`;
  }
  return `Intercom rejected this${reason}. Nothing was changed.`;
}

/**
 * Why something the bridge reads from Intercom for a form could not be shown, e.g. `what` "this type’s fields",
 * `kind` "ticket types".
 */
export function explainLoadFailure(error: unknown, what: string, kind: string): string {
  if (outcomeOf(error) === 'rate-limited') {
    return `Intercom is rate-limiting the bridge right now, so ${what} could not be loaded. Try again in a minute.`;
  }
  if (error instanceof IntercomApiError && error.status === 401) {
    return `Intercom refused the bridge’s access token, so ${what} could not be loaded; whoever runs the bot must check INTERCOM_TOKEN.`;
  }
  if (error instanceof IntercomApiError && error.status === 403) {
    return `Intercom did not allow the bridge to read ${kind}, so ${what} could not be loaded.`;
  }
  return `Intercom did not send ${what} just now. Try again in a moment.`;
}
