import type { App } from '@slack/bolt';
import type { ContactModalContext } from '../blocks/contact-modals.ts';
import { ticketModal } from '../blocks/contact-modals.ts';
import { cut } from '../mrkdwn.ts';
import { openModal } from './access.ts';
import type { ShortcutArgs } from './args.ts';
import type { ListenerDeps } from './index.ts';
import { resolveSource } from './tickets.ts';

/** Shortcuts' callback ids, as declared in the app manifest. */
export const SHORTCUTS = { messageTicket: 'ticket_from_message', newTicket: 'new_ticket' } as const;

// The shortcuts, both of which open the ticket modal: from a message (its text, permalink and conversation filled
// in) and from anywhere (empty).

export function register(app: App, deps: ListenerDeps): void {
  app.shortcut(SHORTCUTS.messageTicket, ticketFromMessage(deps));
  app.shortcut(SHORTCUTS.newTicket, newTicket(deps));
}

export const ticketFromMessage =
  (deps: ListenerDeps) =>
  async ({ ack, shortcut, client }: ShortcutArgs): Promise<void> => {
    await ack();
    if (shortcut.type !== 'message_action') return;
    const message = shortcut.message as { text?: string; ts: string; thread_ts?: string };
    const text = (message.text ?? '').trim();
    const context: ContactModalContext = {
      responseUrl: shortcut.response_url,
      channel: shortcut.channel.id,
      title: cut(firstLine(text), 200) || undefined,
      description: cut(text, 2900) || undefined,
      source: { channel: shortcut.channel.id, ts: message.ts, root: message.thread_ts ?? message.ts },
    };
    // open first: the permalink and the card are looked up after, and the modal redrawn with them
    const open = { triggerId: shortcut.trigger_id, user: shortcut.user.id };
    await openModal(deps, client, open, ticketModal(context, undefined), async () =>
      ticketModal(await resolveSource(deps, context), undefined),
    );
  };

export const newTicket =
  (deps: ListenerDeps) =>
  async ({ ack, shortcut, client }: ShortcutArgs): Promise<void> => {
    await ack();
    await openModal(
      deps,
      client,
      { triggerId: shortcut.trigger_id, user: shortcut.user.id },
      ticketModal({}, undefined),
    );
  };

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((line) => line.trim())
      ?.trim() ?? ''
  );
}
