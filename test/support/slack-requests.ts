import { createHmac, randomUUID } from 'node:crypto';
import { TEAM_ID } from './fake-slack.ts';

// Requests as Slack sends them to /slack/events: signed with the signing secret (v0 HMAC-SHA256 of
// "v0:<timestamp>:<raw body>"), interactivity as a form field `payload`, events as a JSON envelope.
// Shapes follow the samples in ../shared/slack-samples/payloads.

export interface SlackAnswer {
  status: number;
  body: string;
  /** Time from sending the request to Slack's (our) answer. */
  ms: number;
}

export function signSlack(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestamp) };
}

export async function postToSlackEndpoint(
  url: string,
  secret: string,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<SlackAnswer> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...signSlack(secret, body), ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text, ms: performance.now() - started };
}

export function interactionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

const team = { id: TEAM_ID, domain: 'test' };
const userOf = (id: string) => ({ id, username: id.toLowerCase(), name: id.toLowerCase(), team_id: TEAM_ID });

/** A click on a card button, as Slack sends it (block_actions from a message). */
export function blockAction(options: {
  user: string;
  actionId: string;
  channel: string;
  message: { ts: string; text: string; blocks: unknown[] };
  value?: string;
}) {
  return {
    type: 'block_actions',
    user: userOf(options.user),
    api_app_id: 'A0BRIDGE1',
    token: 'verification_token',
    container: { type: 'message', message_ts: options.message.ts, channel_id: options.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.click.${randomUUID()}`,
    team,
    channel: { id: options.channel, name: 'support' },
    message: { type: 'message', user: 'UBOT00001', ...options.message },
    response_url: 'https://hooks.slack.com/actions/T00TEST01/1/x',
    actions: [
      {
        action_id: options.actionId,
        block_id: 'card',
        type: 'button',
        value: options.value,
        text: { type: 'plain_text', text: 'Button' },
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
}

/** A modal submitted with these input values (`{ block_id: { action_id: value } }`, as Slack's view.state). */
export function viewSubmission(user: string, view: Record<string, unknown>, values: Record<string, unknown>) {
  return {
    type: 'view_submission',
    team,
    user: userOf(user),
    api_app_id: 'A0BRIDGE1',
    token: 'verification_token',
    trigger_id: `${Date.now()}.submit.${randomUUID()}`,
    view: { team_id: TEAM_ID, hash: '1.abc', ...view, state: { values } },
    response_urls: [],
  };
}

/** An external select asking for options as the user types. */
export function blockSuggestion(user: string, actionId: string, value: string, view: Record<string, unknown>) {
  return {
    type: 'block_suggestion',
    user: userOf(user),
    team,
    api_app_id: 'A0BRIDGE1',
    token: 'verification_token',
    container: { type: 'view', view_id: view.id },
    action_id: actionId,
    block_id: actionId,
    value,
    view,
  };
}

/** An Events API envelope. */
export function eventEnvelope(event: Record<string, unknown>, eventId: string) {
  return {
    token: 'verification_token',
    team_id: TEAM_ID,
    api_app_id: 'A0BRIDGE1',
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: TEAM_ID, user_id: 'UBOT00001', is_bot: true }],
  };
}

/** A slash command as Slack posts it (a form), answering through `responseUrl`. */
export function slashCommandBody(options: {
  user: string;
  text: string;
  channel: string;
  responseUrl: string;
}): string {
  return new URLSearchParams({
    token: 'verification_token',
    team_id: TEAM_ID,
    team_domain: 'test',
    channel_id: options.channel,
    channel_name: 'support',
    user_id: options.user,
    user_name: options.user.toLowerCase(),
    command: '/intercom',
    text: options.text,
    api_app_id: 'A0BRIDGE1',
    response_url: options.responseUrl,
    trigger_id: `${Date.now()}.command.${randomUUID()}`,
  }).toString();
}

/** The message shortcut on a message. */
export function messageShortcut(options: {
  user: string;
  callbackId: string;
  channel: string;
  message: { ts: string; text: string; thread_ts?: string };
  responseUrl: string;
}) {
  return {
    type: 'message_action',
    token: 'verification_token',
    callback_id: options.callbackId,
    trigger_id: `${Date.now()}.shortcut.${randomUUID()}`,
    response_url: options.responseUrl,
    team,
    channel: { id: options.channel, name: 'support' },
    user: { id: options.user, name: options.user.toLowerCase() },
    message: { type: 'message', user: 'U0SOMEONE', ...options.message },
  };
}

/** The global shortcut (from the composer's shortcut menu: no channel, no response URL). */
export function globalShortcut(options: { user: string; callbackId: string }) {
  return {
    type: 'shortcut',
    token: 'verification_token',
    action_ts: String(Date.now() / 1000),
    team,
    user: { id: options.user, username: options.user.toLowerCase(), team_id: TEAM_ID },
    callback_id: options.callbackId,
    trigger_id: `${Date.now()}.global.${randomUUID()}`,
  };
}

/** An interactive element inside a modal used (a select with dispatch_action), with the modal's current state. */
export function viewAction(
  user: string,
  view: Record<string, unknown>,
  action: Record<string, unknown> & { action_id: string },
  values: Record<string, unknown> = {},
) {
  return {
    type: 'block_actions',
    user: userOf(user),
    api_app_id: 'A0BRIDGE1',
    token: 'verification_token',
    container: { type: 'view', view_id: view.id },
    trigger_id: `${Date.now()}.view.${randomUUID()}`,
    team,
    view: { team_id: TEAM_ID, hash: '1.abc', ...view, state: { values } },
    actions: [{ block_id: action.action_id, action_ts: String(Date.now() / 1000), ...action }],
  };
}
