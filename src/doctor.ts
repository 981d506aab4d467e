import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse } from 'yaml';
import { loadRoutes, RoutesError } from './bridge/routing.ts';
import { type Config, ConfigError, loadConfig, loadDotEnv, secretsOf } from './config.ts';
import { IntercomClient } from './intercom/client.ts';
import { scrubText } from './logger.ts';
import { SlackPlatformError } from './slack/errors.ts';
import { WebApiSlackPort } from './slack/slack-port.ts';
import { SlackWebApi } from './slack/web-api.ts';
import { openStore } from './store/index.ts';

// `npm run doctor`: checks what the bridge needs before it can work — the environment, Slack's token, scopes and
// channels, Intercom's token and region, the webhook secret, the store — and prints a checklist with fixes. It asks
// Slack and Intercom through the clients the bridge runs on (SlackWebApi, WebApiSlackPort, IntercomClient), so what
// it checks is what the bridge will see: the scopes from the same header, the same errors, no retries.

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  status: CheckStatus;
  what: string;
  /** What to do about it, for warnings and failures. */
  fix?: string | undefined;
}

/** The bot scopes manifest.yml asks for: what a correctly installed app has. */
export function manifestScopes(file = new URL('../manifest.yml', import.meta.url)): string[] {
  const manifest = parse(readFileSync(file, 'utf8')) as { oauth_config?: { scopes?: { bot?: string[] } } };
  return manifest.oauth_config?.scopes?.bot ?? [];
}

export interface DoctorOptions {
  /** The bot scopes to expect (manifest.yml's by default). */
  scopes?: string[];
  /**
   * Where to send Intercom requests instead of the region's API, without it counting as INTERCOM_API_URL: the
   * region check still runs (tests point this at a fake; setting INTERCOM_API_URL skips the check).
   */
  intercomUrl?: string;
}

/** The channels cards may go to (the default and every route's), checking the routes file on the way. */
function routeChannels(config: Config, checks: DoctorCheck[]): string[] {
  const channels = config.slack.channel ? [config.slack.channel] : [];
  if (!config.routesFile) return channels;
  try {
    const routes = loadRoutes(config.routesFile);
    checks.push({ status: 'ok', what: `routes file: ${routes.length} rules` });
    return [...new Set([...channels, ...routes.flatMap((r) => ('channel' in r && r.channel ? [r.channel] : []))])];
  } catch (error) {
    if (!(error instanceof RoutesError)) throw error;
    for (const problem of error.problems) {
      checks.push({ status: 'fail', what: `routes file: ${problem}`, fix: 'see docs/routing.md' });
    }
    return channels;
  }
}

export async function runDoctor(env: NodeJS.ProcessEnv, options: DoctorOptions = {}): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  let config: Config;
  try {
    config = loadConfig(env);
    checks.push({ status: 'ok', what: 'environment: every variable is valid' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) {
      checks.push({ status: 'fail', what: `environment: ${problem}`, fix: 'see docs/configuration.md' });
    }
    return checks;
  }
  const channels = routeChannels(config, checks);
  checks.push(...(await slackChecks(config, channels, options.scopes ?? manifestScopes())));
  if (config.slack.appToken) checks.push(await socketModeCheck(config, config.slack.appToken));
  checks.push(...(await intercomChecks(config, options.intercomUrl)));
  checks.push(await storeCheck(config));
  // what Slack, Intercom or the database said may quote a secret (a URL with its password): never print one
  const secrets = secretsOf(config);
  return checks.map((c) => ({
    ...c,
    what: scrubText(c.what, secrets),
    ...(c.fix ? { fix: scrubText(c.fix, secrets) } : {}),
  }));
}

/** Socket Mode: the app-level token must be able to open a connection (connections:write), as Bolt will. */
async function socketModeCheck(config: Config, appToken: string): Promise<DoctorCheck> {
  const web = new SlackWebApi(appToken, { apiUrl: config.slack.apiUrl });
  try {
    // hands out a one-time WebSocket URL; not connecting to it leaves nothing behind
    await web.write('apps.connections.open', {});
    return { status: 'ok', what: 'Slack: app-level token works (Socket Mode can connect)' };
  } catch (error) {
    return {
      status: 'fail',
      what: `Slack: the app-level token cannot open a Socket Mode connection (${slackError(error)})`,
      fix: 'Basic Information → App-Level Tokens: generate one with the connections:write scope, put it (xapp-…) in SLACK_APP_TOKEN, and turn on Socket Mode; or unset SLACK_APP_TOKEN to receive Slack over HTTP',
    };
  } finally {
    await web.close();
  }
}

/**
 * Whether INTERCOM_REGION matches where the workspace is hosted (/me names it). With INTERCOM_API_URL set the
 * region is not used, so there is nothing to compare.
 */
export function regionCheck(
  configured: Config['intercom']['region'],
  apiUrl: string | undefined,
  workspaceRegion: string | undefined,
): DoctorCheck {
  if (apiUrl) return { status: 'ok', what: `Intercom: region (INTERCOM_API_URL ${apiUrl})` };
  const region = workspaceRegion?.toLowerCase();
  if (region && region !== configured) {
    return {
      status: 'fail',
      what: `Intercom: the workspace is hosted in ${region.toUpperCase()}, but INTERCOM_REGION is ${configured}`,
      fix: `set INTERCOM_REGION=${region}`,
    };
  }
  return {
    status: 'ok',
    what: `Intercom: region ${configured}${region ? '' : ' (the workspace does not say where it is hosted)'}`,
  };
}

async function slackChecks(config: Config, channels: string[], wanted: string[]): Promise<DoctorCheck[]> {
  const web = new SlackWebApi(config.slack.botToken, { apiUrl: config.slack.apiUrl });
  try {
    let auth: Awaited<ReturnType<WebApiSlackPort['authTest']>>;
    try {
      auth = await new WebApiSlackPort(web, pino({ level: 'silent' })).authTest();
    } catch (error) {
      return [
        {
          status: 'fail',
          what: `Slack: the bot token was refused (${slackError(error)})`,
          fix: 'copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions into SLACK_BOT_TOKEN',
        },
      ];
    }
    const checks: DoctorCheck[] = [
      { status: 'ok', what: `Slack: bot token works (workspace ${auth.team}, bot user ${auth.botUserId})` },
    ];
    const missing = wanted.filter((scope) => !auth.scopes.includes(scope));
    checks.push(
      missing.length === 0
        ? { status: 'ok', what: `Slack: all ${wanted.length} scopes granted` }
        : {
            status: 'fail',
            what: `Slack: scopes missing: ${missing.join(', ')}`,
            fix: 'add them under OAuth & Permissions (or update the app from manifest.yml), then reinstall the app',
          },
    );
    for (const channel of channels) checks.push(await channelCheck(web, channel));
    return checks;
  } finally {
    await web.close();
  }
}

/** What the doctor reads of conversations.info's channel. */
interface ChannelInfo {
  name?: string;
  is_archived?: boolean;
  is_member?: boolean;
  is_private?: boolean;
}

async function channelCheck(web: SlackWebApi, channel: string): Promise<DoctorCheck> {
  try {
    const info = await web.read('conversations.info', { channel });
    const c = info.channel as ChannelInfo | undefined;
    const name = c?.name ? `#${c.name}` : channel;
    if (c?.is_archived)
      return { status: 'fail', what: `Slack: ${name} is archived`, fix: 'unarchive it, or route elsewhere' };
    if (c?.is_member) return { status: 'ok', what: `Slack: the bot is in ${name}` };
    if (c?.is_private) {
      return {
        status: 'fail',
        what: `Slack: the bot is not in private channel ${name}`,
        fix: `invite it: /invite @bot in ${name}`,
      };
    }
    return {
      status: 'warn',
      what: `Slack: the bot is not in ${name} yet`,
      fix: 'it joins by itself on the first card (channels:join), or invite it now',
    };
  } catch (error) {
    const code = slackError(error);
    return {
      status: 'fail',
      what: `Slack: channel ${channel} cannot be read (${code})`,
      fix:
        code === 'channel_not_found'
          ? 'check the id (channel details → bottom of the About tab); for a private channel invite the bot first'
          : 'check the channels:read and groups:read scopes',
    };
  }
}

async function intercomChecks(config: Config, url: string | undefined): Promise<DoctorCheck[]> {
  const intercom = new IntercomClient({
    token: config.intercom.token,
    region: config.intercom.region,
    baseUrl: config.intercom.apiUrl ?? url,
    apiVersion: config.intercom.apiVersion,
    timeoutMs: config.intercom.timeoutMs,
  });
  const checks: DoctorCheck[] = [];
  try {
    const me = await intercom.admins.me();
    checks.push({
      status: 'ok',
      what: `Intercom: token works (workspace ${me.app?.name ?? me.app?.id_code ?? '?'}, as ${me.name ?? me.email ?? me.id})`,
    });
    checks.push(
      regionCheck(config.intercom.region, config.intercom.apiUrl && intercom.http.origin, me.app?.region ?? undefined),
    );
  } catch (error) {
    checks.push({
      status: 'fail',
      what: `Intercom: GET /me failed (${error instanceof Error ? error.message : String(error)})`,
      fix: 'check INTERCOM_TOKEN (Developer Hub → your app → Authentication) and INTERCOM_REGION',
    });
  } finally {
    await intercom.close();
  }
  checks.push(
    config.intercom.clientSecret
      ? {
          status: 'ok',
          what: 'Intercom: webhook secret set (Intercom cannot be asked about it: send a test notification from the Developer Hub and look for "Intercom ping received" in the logs)',
        }
      : {
          status: 'warn',
          what: 'Intercom: INTERCOM_CLIENT_SECRET is not set, so webhooks are refused and conversations arrive by polling only',
          fix: 'copy the client secret (Developer Hub → Basic information) into INTERCOM_CLIENT_SECRET',
        },
  );
  return checks;
}

async function storeCheck(config: Config): Promise<DoctorCheck> {
  try {
    const store = openStore(config.databaseUrl);
    try {
      const stats = await store.inboxStats(Date.now());
      return {
        status: 'ok',
        what: `store: ${config.databaseUrl.split(':')[0]} reachable (${stats.pending} pending, ${stats.parked} parked)`,
      };
    } finally {
      await store.close();
    }
  } catch (error) {
    return {
      status: 'fail',
      what: `store: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'check DATABASE_URL',
    };
  }
}

const MARK: Record<CheckStatus, string> = { ok: '✔', warn: '!', fail: '✖' };

export function formatChecklist(checks: readonly DoctorCheck[]): string {
  const lines = checks.map((c) => `${MARK[c.status]} ${c.what}${c.fix ? `\n    → ${c.fix}` : ''}`);
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  lines.push(
    '',
    failed
      ? `${failed} problem(s) to fix, ${warned} warning(s).`
      : `Ready to run${warned ? ` (${warned} warning(s))` : ''}.`,
  );
  return `${lines.join('\n')}\n`;
}

/** Slack's error code (invalid_auth, channel_not_found …), or what went wrong when Slack did not answer. */
function slackError(error: unknown): string {
  if (error instanceof SlackPlatformError) return error.error;
  return error instanceof Error ? error.message : String(error);
}

if (import.meta.main) {
  loadDotEnv();
  const checks = await runDoctor(process.env);
  process.stdout.write(formatChecklist(checks));
  process.exit(checks.some((c) => c.status === 'fail') ? 1 : 0);
}
