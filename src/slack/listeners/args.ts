import type {
  AllMiddlewareArgs,
  BlockAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackEventMiddlewareArgs,
  SlackOptionsMiddlewareArgs,
  SlackShortcutMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';

// What each kind of handler is given: Bolt's arguments, narrowed to what the handlers here use, so a unit test
// can call one with just that.

type Client = Pick<AllMiddlewareArgs, 'client'>;
export type WebClient = AllMiddlewareArgs['client'];

export type ActionArgs = Pick<SlackActionMiddlewareArgs<BlockAction>, 'ack' | 'action' | 'body' | 'respond'> & Client;
export type CommandArgs = Pick<SlackCommandMiddlewareArgs, 'ack' | 'command' | 'respond'> & Client;
export type ShortcutArgs = Pick<SlackShortcutMiddlewareArgs, 'ack' | 'shortcut'> & Client;
export type OptionsArgs = Pick<SlackOptionsMiddlewareArgs<'block_suggestion'>, 'ack' | 'options' | 'body'>;
export type ViewArgs = Pick<SlackViewMiddlewareArgs<ViewSubmitAction>, 'ack' | 'view' | 'body'>;
export type MessageArgs = Pick<SlackEventMiddlewareArgs<'message'>, 'event'>;
export type ReactionArgs = Pick<SlackEventMiddlewareArgs<'reaction_added'>, 'event' | 'body'>;
export type Respond = SlackCommandMiddlewareArgs['respond'];
