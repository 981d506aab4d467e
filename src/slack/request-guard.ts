import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { SlackWorkspace } from '../bridge/ports.ts';
import type { Logger } from '../logger.ts';
import type { ResponseUrls } from './response-urls.ts';

// The checks every Slack request passes before any listener sees it, over HTTP and Socket Mode alike: it comes
// from our workspace and our app, it names only Slack's response URLs, and it is not one already acted on.

type Fields = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const obj = (value: unknown): Fields => (typeof value === 'object' && value !== null ? (value as Fields) : {});

/** What a request says about where it comes from, in any of the shapes Slack sends (events, interactions, commands). */
export function requestOrigin(body: unknown) {
  const b = obj(body);
  const team = obj(b.team);
  const user = obj(b.user);
  const event = obj(b.event);
  return {
    appId: str(b.api_app_id),
    teamId: str(b.team_id) ?? str(team.id),
    enterpriseId: str(b.enterprise_id) ?? str(obj(b.enterprise).id) ?? str(team.enterprise_id),
    /** The acting user's own team: differs from the workspace's for a Slack Connect guest. */
    userTeamId: str(user.team_id) ?? str(event.user_team),
  };
}

/**
 * Why a request does not belong to the workspace and app the bot token belongs to, or undefined when it does. What
 * a request names must match; an app id it leaves out (older shortcut payloads do) is not held against it.
 */
export function foreignReason(body: unknown, ours: SlackWorkspace): string | undefined {
  const origin = requestOrigin(body);
  if (origin.appId !== undefined && ours.appId !== undefined && origin.appId !== ours.appId) return 'another app';
  if (origin.enterpriseId !== ours.enterpriseId) {
    // a request from a workspace outside any org names none; ours then names none either
    return origin.enterpriseId === undefined ? 'no enterprise' : 'another enterprise';
  }
  if (origin.teamId === undefined) {
    // an org-wide install's interactions may name only the enterprise
    return ours.enterpriseInstall && origin.enterpriseId !== undefined ? undefined : 'no workspace';
  }
  if (origin.teamId !== ours.teamId && !ours.enterpriseInstall) return 'another workspace';
  if (origin.userTeamId !== undefined && origin.userTeamId !== ours.teamId && !ours.enterpriseInstall) {
    return 'a user of another workspace';
  }
  return undefined;
}

/** Payload types that change something, each carrying a `trigger_id` Slack makes anew for every interaction. */
const TRIGGERED = new Set(['block_actions', 'view_submission', 'shortcut', 'message_action']);

/**
 * What Slack makes unique per interaction: an event's `event_id`, else the `trigger_id` of a click, submission,
 * shortcut or command. undefined for what needs none (option lists, closed views); null when one is required
 * but missing, which no request from Slack does.
 */
export function interactionKey(body: unknown): string | undefined | null {
  const b = obj(body);
  if (b.type === 'event_callback') return str(b.event_id) ? `event:${b.event_id}` : null;
  const isCommand = typeof b.command === 'string';
  if (!isCommand && !TRIGGERED.has(String(b.type))) return undefined;
  const trigger = str(b.trigger_id);
  return trigger ? `trigger:${trigger}` : null;
}

/** Every response URL a request names (clicks and commands carry one, view submissions a list). */
export function responseUrlsOf(body: unknown): unknown[] {
  const b = obj(body);
  const urls: unknown[] = [];
  if (b.response_url !== undefined) urls.push(b.response_url);
  if (Array.isArray(b.response_urls)) for (const r of b.response_urls) urls.push(obj(r).response_url);
  return urls;
}

export interface RequestGuardOptions {
  /** Who the bot token belongs to (auth.test), asked once and kept. */
  workspace: () => Promise<SlackWorkspace>;
  responseUrls: ResponseUrls;
  /** Records a key the first time it is seen (the store, shared by replicas); false for a replay. */
  firstSeen: (key: string, at: number) => Promise<boolean>;
  logger: Logger;
  now?: () => number;
}

/**
 * Bolt global middleware: a request that fails a check is answered with an empty ack (an event already has its
 * answer) and goes no further, so no listener acts on it or reads anything for it.
 */
export function requestGuard(options: RequestGuardOptions): Middleware<AnyMiddlewareArgs> {
  const { logger } = options;
  const now = options.now ?? Date.now;
  return async (args) => {
    const { body, next } = args;
    const refuse = async (reason: string, fields: Record<string, unknown> = {}) => {
      logger.warn({ reason, ...fields }, 'Slack request refused');
      if ('ack' in args && typeof args.ack === 'function') await (args.ack as () => Promise<void>)();
    };
    const foreign = foreignReason(body, await options.workspace());
    if (foreign) return refuse(`from ${foreign}`, requestOrigin(body));
    if (!responseUrlsOf(body).every((url) => options.responseUrls.allows(url))) {
      return refuse('a response URL that is not Slack’s');
    }
    const key = interactionKey(body);
    if (key === null) return refuse('no trigger or event id');
    if (key !== undefined && !(await options.firstSeen(key, now()))) {
      return refuse('already handled (a replay)', { key });
    }
    await next();
  };
}
