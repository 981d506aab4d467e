import type { App } from '@slack/bolt';
import { readFileRefs } from '../../bridge/attachments.ts';
import type { MessageArgs, ReactionArgs } from './args.ts';
import type { ListenerDeps } from './index.ts';

// What happens in Slack around a card without a button: a reply in its thread, a reaction on it. Events are
// acknowledged by Bolt before these run; what becomes of them is decided in bridge/thread-events.ts.

export function register(app: App, deps: ListenerDeps): void {
  app.event('message', threadMessage(deps));
  app.event('reaction_added', reactionAdded(deps));
}

export const threadMessage =
  (deps: ListenerDeps) =>
  async ({ event }: MessageArgs): Promise<void> => {
    const message = event as {
      subtype?: string;
      bot_id?: string;
      user?: string;
      channel: string;
      ts: string;
      thread_ts?: string;
      text?: string;
      files?: unknown;
    };
    await deps.threadEvents.message({
      channel: message.channel,
      ts: message.ts,
      threadTs: message.thread_ts,
      user: message.user,
      subtype: message.subtype,
      botId: message.bot_id,
      text: message.text,
      // files Slack sent that cannot be read count as none, so such a message is left alone
      ...(message.files === undefined ? {} : { files: readFileRefs(message.files) ?? [] }),
    });
  };

export const reactionAdded =
  (deps: ListenerDeps) =>
  async ({ event, body }: ReactionArgs): Promise<void> => {
    const eventId =
      (body as { event_id?: string }).event_id ?? `${event.item.channel}:${event.item.ts}:${event.event_ts}`;
    await deps.threadEvents.reaction({
      reaction: event.reaction,
      itemType: event.item.type,
      channel: event.item.channel,
      ts: event.item.ts,
      user: event.user,
      eventId,
    });
  };
