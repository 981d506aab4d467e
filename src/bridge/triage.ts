import type { IntercomClient } from '../intercom/client.ts';
import type { Assignee } from '../intercom/resources/conversations.ts';
import type { Logger } from '../logger.ts';
import type { Directory } from './directory.ts';
import type { Identity, Teammate } from './identity.ts';
import { explainIntercomError } from './messages.ts';

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
    const who = await this.#d.identity.actor(slackUserId, request.kind, logger);
    if ('refusal' in who) return { ok: false, message: who.refusal };
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
