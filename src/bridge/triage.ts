import type { IntercomClient } from '../intercom/client.ts';
import {
  IntercomApiError,
  IntercomInvalidResponseError,
  IntercomRateLimitedError,
  IntercomRequestError,
  IntercomTimeoutError,
} from '../intercom/errors.ts';
import type { Assignee } from '../intercom/resources/conversations.ts';
import { type Logger, scrubText } from '../logger.ts';
import type { Directory } from './directory.ts';
import type { Identity, Teammate } from './identity.ts';

/** What a teammate asked for from Slack. Bodies are Intercom HTML (the Slack layer converts what was typed). */
export type TriageRequest =
  | { kind: 'reply'; bodyHtml: string }
  | { kind: 'note'; bodyHtml: string }
  | { kind: 'assign'; to: 'me' | 'nobody' | Assignee }
  | { kind: 'close' }
  | { kind: 'reopen' }
  | { kind: 'snooze'; until: number }
  | { kind: 'tag'; tagIds: readonly string[]; newTagName?: string | undefined };

/** Done (as `teammate`), or a plain sentence for the person who asked; on failure nothing was changed. */
export type TriageResult = { ok: true; teammate: Teammate } | { ok: false; message: string };

export interface TriageDeps {
  intercom: IntercomClient;
  identity: Identity;
  directory: Directory;
  /** Brings the card and thread up to date after a change (queued, so it runs after any sync in flight). */
  requestSync: (conversationId: string) => Promise<void>;
  logger: Logger;
}

/**
 * The triage use-cases behind the card's buttons, modals and reactions: each is done in Intercom as the clicker's
 * teammate, then the conversation is synced, so the card and the thread line come from Intercom's own record —
 * the same path its webhook for the change takes, which is why the line appears once however many echoes arrive.
 */
export class Triage {
  readonly #d: TriageDeps;

  constructor(deps: TriageDeps) {
    this.#d = deps;
  }

  async perform(conversationId: string, slackUserId: string, request: TriageRequest): Promise<TriageResult> {
    const { logger } = this.#d;
    let who: Awaited<ReturnType<Identity['teammate']>>;
    try {
      who = await this.#d.identity.teammate(slackUserId);
    } catch (error) {
      logger.warn({ err: error, slackUserId }, 'could not find who clicked');
      return { ok: false, message: 'The bridge could not check who you are in Intercom; try again in a moment.' };
    }
    if ('refusal' in who) {
      logger.info({ slackUserId, action: request.kind }, 'refused: no Intercom teammate for this Slack user');
      return { ok: false, message: who.refusal };
    }
    const { teammate } = who;
    try {
      await this.#apply(conversationId, teammate, request);
    } catch (error) {
      logger.warn({ err: error, conversationId, action: request.kind, adminId: teammate.adminId }, 'action failed');
      return { ok: false, message: explainIntercomError(error, request.kind) };
    }
    logger.info({ conversationId, action: request.kind, adminId: teammate.adminId }, 'action done');
    await this.#d.requestSync(conversationId);
    return { ok: true, teammate };
  }

  async #apply(conversationId: string, teammate: Teammate, request: TriageRequest): Promise<void> {
    const { conversations, tags } = this.#d.intercom;
    const adminId = teammate.adminId;
    switch (request.kind) {
      case 'reply':
        await conversations.reply(conversationId, { adminId, body: request.bodyHtml });
        return;
      case 'note':
        await conversations.note(conversationId, { adminId, body: request.bodyHtml });
        return;
      case 'assign': {
        if (request.to === 'nobody') await conversations.unassign(conversationId, { adminId });
        else {
          const assignee: Assignee = request.to === 'me' ? { type: 'admin', id: adminId } : request.to;
          await conversations.assign(conversationId, { adminId, assignee });
        }
        return;
      }
      case 'close':
        await conversations.close(conversationId, { adminId });
        return;
      case 'reopen':
        await conversations.open(conversationId, { adminId });
        return;
      case 'snooze':
        await conversations.snooze(conversationId, { adminId, until: request.until });
        return;
      case 'tag': {
        const ids = new Set(request.tagIds);
        const name = request.newTagName?.trim();
        if (name) {
          // creating a tag that exists answers the existing one, so this is safe to repeat
          ids.add((await tags.create(name)).id);
        }
        for (const tagId of ids) await conversations.tag(conversationId, { adminId, tagId });
        return;
      }
    }
  }
}

const PAST = { reply: 'sent', note: 'added', tag: 'tagged', ticket: 'created' } as const;

/** An Intercom failure as a sentence for the person who clicked: what happened, and what to do. */
export function explainIntercomError(
  error: unknown,
  action: TriageRequest['kind'] | 'ticket' | 'action' = 'action',
  subject: 'conversation' | 'contact' = 'conversation',
): string {
  if (error instanceof IntercomRateLimitedError) {
    return 'Intercom is rate-limiting the bridge right now; nothing was changed. Try again in a minute.';
  }
  if (error instanceof IntercomApiError) {
    // Intercom's own words, but not trusted: short, and with anything shaped like a credential taken out
    const said = error.errors[0]?.message;
    const detail = said ? scrubText(said).slice(0, 200) : undefined;
    const reason = detail ? ` (Intercom says: ${detail})` : '';
    if (error.status === 401) {
      return 'Intercom refused the bridge’s access token; whoever runs the bot must check INTERCOM_TOKEN. Nothing was changed.';
    }
    if (error.status === 403) return `Intercom did not allow this${reason}. Nothing was changed.`;
    if (error.has('admin_not_found')) {
      return 'Intercom does not know your teammate account any more. Nothing was changed.';
    }
    if (error.has('tag_not_found')) return 'That tag no longer exists in Intercom. Nothing was changed.';
    if (error.has('team_not_found')) return 'That team no longer exists in Intercom. Nothing was changed.';
    if (error.status === 404 || error.status === 410) {
      return `Intercom cannot find this ${subject} any more (deleted or merged). Nothing was changed.`;
    }
    if (error.status < 500) return `Intercom rejected this${reason}. Nothing was changed.`;
  }
  const uncertain =
    error instanceof IntercomTimeoutError ||
    (error instanceof IntercomRequestError && error.maybeSent) ||
    (error instanceof IntercomApiError && error.status >= 500) ||
    error instanceof IntercomInvalidResponseError;
  if (uncertain && (action === 'reply' || action === 'note' || action === 'tag' || action === 'ticket')) {
    return `Intercom did not confirm this in time. It may have been ${PAST[action]} anyway: check the ${subject} in Intercom before trying again.`;
  }
  if (uncertain) return `Intercom did not confirm this in time; check the ${subject}, then try again if needed.`;
  return 'Intercom could not be reached; nothing was changed. Try again in a moment.';
}
