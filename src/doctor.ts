import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { parse } from 'yaml';
import { loadRoutes, RoutesError } from './bridge/routing.ts';
import { type Config, ConfigError, loadConfig, loadDotEnv, secretsOf } from './config.ts';
import { IntercomClient } from './intercom/client.ts';
import { IntercomApiError, IntercomTimeoutError } from './intercom/errors.ts';
import { noRetryPolicy } from './intercom/retry.ts';
import { scrubText } from './logger.ts';
import { SlackHttpError, SlackPlatformError } from './slack/errors.ts';
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
  /** How long to wait for each Slack answer (15 s by default; tests shorten it). */
  slackTimeoutMs?: number;
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
  const slack = { apiUrl: config.slack.apiUrl, timeoutMs: options.slackTimeoutMs };
  checks.push(...(await slackChecks(config, slack, channels, options.scopes ?? manifestScopes())));
  if (config.slack.appToken) checks.push(await socketModeCheck(config, slack, config.slack.appToken));
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
async function socketModeCheck(config: Config, slack: SlackOptions, appToken: string): Promise<DoctorCheck> {
  const web = new SlackWebApi(appToken, slackWebOptions(slack));
  try {
    // hands out a one-time WebSocket URL; not connecting to it leaves nothing behind
    await web.write('apps.connections.open', {});
    return { status: 'ok', what: 'Slack: app-level token works (Socket Mode can connect)' };
  } catch (error) {
    const { what, fix } = diagnose(error, {
      ...slackContext(config),
      tokenVar: 'SLACK_APP_TOKEN',
      refused: 'the app-level token cannot open a Socket Mode connection',
      tokenFix:
        'Basic Information → App-Level Tokens: generate one with the connections:write scope, put it (xapp-…) in SLACK_APP_TOKEN, and turn on Socket Mode; or unset SLACK_APP_TOKEN to receive Slack over HTTP',
    });
    return { status: 'fail', what, fix };
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

/** How the doctor reaches Slack: the Web API base (SLACK_API_URL) and how long to wait for an answer. */
interface SlackOptions {
  apiUrl: string | undefined;
  timeoutMs: number | undefined;
}

function slackWebOptions(slack: SlackOptions): { apiUrl: string | undefined; timeoutMs?: number } {
  return slack.timeoutMs === undefined
    ? { apiUrl: slack.apiUrl }
    : { apiUrl: slack.apiUrl, timeoutMs: slack.timeoutMs };
}

/** Where Slack requests go, for diagnose(). */
function slackContext(config: Config): Pick<DiagnoseContext, 'service' | 'origin' | 'urlVar' | 'urlSet'> {
  return {
    service: 'Slack',
    origin: new URL(config.slack.apiUrl ?? 'https://slack.com/api/').origin,
    urlVar: 'SLACK_API_URL',
    urlSet: config.slack.apiUrl !== undefined,
  };
}

/** The context of a call made with the bot token. */
function botContext(config: Config): DiagnoseContext {
  return {
    ...slackContext(config),
    tokenVar: 'SLACK_BOT_TOKEN',
    refused: 'the bot token was refused',
    tokenFix: 'copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions into SLACK_BOT_TOKEN',
  };
}

async function slackChecks(
  config: Config,
  slack: SlackOptions,
  channels: string[],
  wanted: string[],
): Promise<DoctorCheck[]> {
  const web = new SlackWebApi(config.slack.botToken, slackWebOptions(slack));
  try {
    let auth: Awaited<ReturnType<WebApiSlackPort['authTest']>>;
    try {
      auth = await new WebApiSlackPort(web, pino({ level: 'silent' })).authTest();
    } catch (error) {
      const { what, fix } = diagnose(error, botContext(config));
      return [{ status: 'fail', what, fix }];
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
    for (const channel of channels) checks.push(await channelCheck(web, channel, botContext(config)));
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

async function channelCheck(web: SlackWebApi, channel: string, context: DiagnoseContext): Promise<DoctorCheck> {
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
        fix: `invite it: /invite @intercom in ${name} (or the bot's name, if you renamed the app)`,
      };
    }
    return {
      status: 'warn',
      what: `Slack: the bot is not in ${name} yet`,
      fix: 'it joins by itself on the first card (channels:join), or invite it now',
    };
  } catch (error) {
    const diagnosis = diagnose(error, context);
    if (error instanceof SlackPlatformError && diagnosis.kind === 'other') {
      return {
        status: 'fail',
        what: `Slack: channel ${channel} cannot be read (${error.error})`,
        fix:
          error.error === 'channel_not_found'
            ? 'check the id (channel details → bottom of the About tab); for a private channel invite the bot first'
            : 'check the channels:read and groups:read scopes',
      };
    }
    return {
      status: 'fail',
      what: `Slack: channel ${channel} cannot be read: ${diagnosis.what.replace(/^Slack: /, '')}`,
      fix: diagnosis.fix,
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
    // one attempt, as the doctor says what it sees: a retry would only make a network failure slower to report
    idempotentRetry: noRetryPolicy,
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
    const { what, fix } = diagnose(error, {
      service: 'Intercom',
      origin: intercom.http.origin,
      tokenVar: 'INTERCOM_TOKEN',
      refused: 'the token was refused',
      tokenFix: `copy the access token (Developer Hub → your app → Authentication) into INTERCOM_TOKEN${config.intercom.apiUrl === undefined ? `; a workspace hosted in another region refuses it too: check INTERCOM_REGION (${config.intercom.region})` : ''}`,
      urlVar: 'INTERCOM_API_URL',
      urlSet: config.intercom.apiUrl !== undefined,
    });
    checks.push({ status: 'fail', what, fix });
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

/** What the doctor knows about the call that failed, to say what a failure means and what to change. */
export interface DiagnoseContext {
  service: 'Slack' | 'Intercom';
  /** The origin the request went to, e.g. https://slack.com. */
  origin: string;
  /** The variable holding the token that was sent. */
  tokenVar: string;
  /** How a refused token is reported, e.g. "the bot token was refused" (Slack's code follows in brackets). */
  refused: string;
  /** Where to get a token that works. */
  tokenFix: string;
  /** The variable that overrides the origin (SLACK_API_URL, INTERCOM_API_URL), and whether it is set. */
  urlVar: string;
  urlSet: boolean;
}

export type FailureKind =
  | 'dns'
  | 'refused'
  | 'tls'
  | 'timeout'
  | 'network'
  | 'token'
  | 'forbidden'
  | 'missing_scope'
  | 'other';

export interface Diagnosis {
  kind: FailureKind;
  what: string;
  fix: string;
}

/** Slack's error codes that mean the token itself is no good. */
const SLACK_TOKEN_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'not_allowed_token_type',
]);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

/** The system, TLS or undici code of what went wrong (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT …), if any. */
export function networkCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    // the clients' own codes (slack_request_error, intercom_timeout) are lower case; Node's, OpenSSL's and undici's not
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) return code;
    if (e instanceof AggregateError && e.errors[0] !== undefined) return networkCode(e.errors[0]);
  }
  return undefined;
}

function isTlsCode(code: string): boolean {
  return code.includes('CERT') || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code === 'EPROTO';
}

/** The HTTP status the service answered with, when it answered. */
function httpStatus(error: unknown): number | undefined {
  if (error instanceof SlackHttpError || error instanceof IntercomApiError) return error.status;
  return undefined;
}

/** What to check when nothing accepts connections: the URL variable when set, else what picks the origin. */
function refusedFix(context: DiagnoseContext): string {
  if (context.urlSet) {
    return `check ${context.urlVar} (${context.origin}): is the address right, and is what should answer there running?`;
  }
  return context.service === 'Intercom'
    ? `check INTERCOM_REGION (it picks ${context.origin}), or set INTERCOM_API_URL; a firewall on this machine may be refusing the connection`
    : `a firewall or proxy on this machine may be refusing connections to ${context.origin}; set SLACK_API_URL if Slack must be reached through a gateway`;
}

function networkDiagnosis(code: string, detail: string, context: DiagnoseContext): Diagnosis | undefined {
  const { service, origin } = context;
  const host = new URL(origin).hostname;
  if (DNS_CODES.has(code)) {
    return {
      kind: 'dns',
      what: `${service}: the host name ${host} cannot be resolved (${code})`,
      fix: `check this machine's DNS and proxy settings${context.urlSet ? `, and the host in ${context.urlVar}` : ''}`,
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      kind: 'refused',
      what: `${service}: nothing accepts connections at ${origin} (ECONNREFUSED)`,
      fix: refusedFix(context),
    };
  }
  if (isTlsCode(code)) {
    return {
      kind: 'tls',
      what: `${service}: the TLS connection to ${origin} failed (${code})`,
      fix: `the certificate presented is not one Node trusts: usually a proxy or firewall intercepting TLS — give Node its CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem${context.urlSet ? `, or check ${context.urlVar}` : ''}`,
    };
  }
  if (TIMEOUT_CODES.has(code)) return timeoutDiagnosis(code, context);
  return {
    kind: 'network',
    what: `${service}: ${origin} cannot be reached (${detail})`,
    fix: `check this machine's network and proxy settings${context.urlSet ? `, and ${context.urlVar}` : ''}`,
  };
}

function timeoutDiagnosis(code: string, context: DiagnoseContext): Diagnosis {
  const setting = context.service === 'Intercom' ? ' (INTERCOM_TIMEOUT_MS sets how long to wait)' : '';
  return {
    kind: 'timeout',
    what: `${context.service}: ${context.origin} did not answer in time (${code})`,
    fix: `something between this machine and ${context.origin} (a firewall, a proxy) holds the connection${setting}${context.urlSet ? `; check ${context.urlVar}` : ''}`,
  };
}

function slackPlatformDiagnosis(error: SlackPlatformError, context: DiagnoseContext): Diagnosis {
  if (SLACK_TOKEN_ERRORS.has(error.error)) {
    return { kind: 'token', what: `Slack: ${context.refused} (${error.error})`, fix: context.tokenFix };
  }
  if (error.error === 'missing_scope') {
    const needed = typeof error.data.needed === 'string' && error.data.needed ? error.data.needed : 'a scope';
    const where =
      context.tokenVar === 'SLACK_APP_TOKEN'
        ? 'Basic Information → App-Level Tokens: generate one with it and put it in SLACK_APP_TOKEN'
        : 'OAuth & Permissions → Scopes (or update the app from manifest.yml), then reinstall the app and copy the new token into SLACK_BOT_TOKEN';
    return {
      kind: 'missing_scope',
      what: `Slack: ${error.method} needs ${needed}, which ${context.tokenVar} lacks (missing_scope)`,
      fix: `add ${needed} under ${where}`,
    };
  }
  return { kind: 'other', what: `Slack: ${error.method} failed (${error.error})`, fix: context.tokenFix };
}

function statusDiagnosis(status: number, detail: string, context: DiagnoseContext): Diagnosis {
  const head = `${context.service}: ${detail}`;
  if (status === 401) {
    return { kind: 'token', what: `${head}: ${context.tokenVar} was refused`, fix: context.tokenFix };
  }
  if (status === 403) {
    return {
      kind: 'forbidden',
      what: `${head}: ${context.tokenVar} lacks permission`,
      fix:
        context.service === 'Intercom'
          ? 'give the app the permissions docs/setup.md lists (Developer Hub → your app → Authentication), then copy its token into INTERCOM_TOKEN'
          : 'check the app is installed with the scopes in manifest.yml, and that no proxy in front of Slack refuses the request',
    };
  }
  return {
    kind: 'other',
    what: head,
    fix: context.urlSet
      ? `check ${context.urlVar} (${context.origin}): is that the API?`
      : `see ${context.service === 'Slack' ? 'https://slack-status.com' : 'https://www.intercomstatus.com'}`,
  };
}

/**
 * What a failed call to Slack or Intercom means and what to change: one sentence and one fix for each kind of
 * failure (DNS, refused connection, TLS, timeout, a refused token, too few permissions, a missing scope), so a
 * network problem is never reported as a bad token.
 */
export function diagnose(error: unknown, context: DiagnoseContext): Diagnosis {
  if (error instanceof SlackPlatformError) return slackPlatformDiagnosis(error, context);
  const detail =
    error instanceof IntercomApiError
      ? `${error.method} ${error.path} failed (${error.message})`
      : error instanceof Error
        ? error.message
        : String(error);
  const status = httpStatus(error);
  if (status !== undefined) return statusDiagnosis(status, detail, context);
  const code = networkCode(error);
  if (error instanceof IntercomTimeoutError) return timeoutDiagnosis(code ?? 'timeout', context);
  const network = code === undefined ? undefined : networkDiagnosis(code, detail, context);
  return (
    network ?? {
      kind: 'other',
      what: `${context.service}: ${detail}`,
      fix: `check this machine's network${context.urlSet ? ` and ${context.urlVar}` : ''}`,
    }
  );
}

if (import.meta.main) {
  loadDotEnv();
  const checks = await runDoctor(process.env);
  process.stdout.write(formatChecklist(checks));
  process.exit(checks.some((c) => c.status === 'fail') ? 1 : 0);
}
