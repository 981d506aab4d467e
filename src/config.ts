import { existsSync } from 'node:fs';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Empty values (`FOO=` in a .env file) count as unset. */
const unsetIfEmpty = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const required = (what: string) =>
  z.preprocess(
    unsetIfEmpty,
    z.string({ error: (issue) => (issue.input === undefined ? `is required: ${what}` : `must be text: ${what}`) }),
  );
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema.optional());
const withDefault = <T extends z.ZodType>(schema: T, fallback: z.input<T>) =>
  z.preprocess((v) => unsetIfEmpty(v) ?? fallback, schema);

const httpUrl = (what: string) =>
  z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), `must be an http(s) URL: ${what}`);

/**
 * Every variable's default, as `.env` would spell it: the schema below takes them from here, and the docs check
 * (test/docs/configuration.test.ts) holds docs/configuration.md and `.env.example` to them.
 */
export const ENV_DEFAULTS = {
  INTERCOM_REGION: 'us',
  INTERCOM_API_VERSION: '2.14',
  INTERCOM_TIMEOUT_MS: '10000',
  INTERCOM_POLL_INTERVAL: '300',
  DATABASE_URL: 'sqlite:./data/bridge.db',
  PORT: '3000',
  HOST: '0.0.0.0',
  THREAD_MESSAGES: 'note',
  REACTIONS: 'on',
  READ_ACCESS: 'teammates',
  FIN_CONVERSATIONS: 'show',
  FILES: 'upload',
  ATTACHMENT_HOSTS:
    'downloads.intercomcdn.com,downloads.intercomcdn.eu,downloads.au.intercomcdn.com,uploads.intercomusercontent.com,' +
    '*.intercom-attachments-1.com,*.intercom-attachments-2.com,*.intercom-attachments-3.com,' +
    '*.intercom-attachments-4.com,*.intercom-attachments-5.com,*.intercom-attachments-6.com,' +
    '*.intercom-attachments-7.com,*.intercom-attachments-8.com,*.intercom-attachments-9.com',
  ATTACHMENT_MAX_BYTES: '20971520',
  LOG_LEVEL: 'info',
  LOG_PRETTY: 'false',
} as const;

/** The channel id `.env.example` and the docs show: left in place, cards would go to a channel that is not yours. */
export const EXAMPLE_CHANNEL = 'C0123ABCD';

/** A Slack token: its prefix and something after it (`xoxb-` alone is the example's placeholder, not a token). */
const slackToken = <T extends z.ZodType<string>>(schema: T, prefix: string, what: string) =>
  schema
    .refine((v) => v.startsWith(prefix), `must be ${what} starting with ${prefix}`)
    .refine(
      (v) => !v.startsWith(prefix) || v.trim().length > prefix.length,
      `is only the ${prefix} prefix: paste the whole token after it`,
    );

/**
 * A value with a space in it is most likely a note pasted after it (`sqlite:./data/bridge.db   (or …)` would
 * otherwise name a file). A postgres:// password may hold one (up to the first @); nothing else may.
 */
const withoutNote = (url: string) => !/\s/.test(url.replace(/^(postgres(ql)?:\/\/)[^@]*@/, '$1'));

const integer = (what: string, min: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number: ${what}` })
    .int(`must be a whole number: ${what}`)
    .min(min, `must be at least ${min}: ${what}`)
    .max(max, `must be at most ${max}: ${what}`);

/** A download is held in memory whole, so its cap is a memory bound too: 100 MiB at most. */
const MAX_ATTACHMENT_BYTES = 104_857_600;

/** Comma-separated hosts, each exact (`downloads.intercomcdn.com`) or a `*.suffix` for the hosts below it. */
const hostList = z.string().transform((text, ctx) => {
  const hosts = text
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  for (const host of hosts) {
    if (!/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(host))
      ctx.addIssue({
        code: 'custom',
        message: `has "${host}", not a host like downloads.intercomcdn.com or *.example.com`,
      });
  }
  if (hosts.length === 0) ctx.addIssue({ code: 'custom', message: 'names no host' });
  return hosts;
});

const EnvSchema = z.object({
  SLACK_BOT_TOKEN: slackToken(required('the bot token, xoxb-…'), 'xoxb-', 'a bot token'),
  SLACK_SIGNING_SECRET: optional(z.string()),
  SLACK_APP_TOKEN: optional(slackToken(z.string(), 'xapp-', 'an app-level token')),
  SLACK_API_URL: optional(httpUrl('the Slack Web API base, e.g. https://slack.com/api/ (tests point it at a fake)')),
  SLACK_CHANNEL: optional(
    z
      .string()
      .refine(
        (v) => /^[CG][A-Z0-9]{2,}$/.test(v),
        'must be a channel id like C0123ABCD (not a #name): open the channel details in Slack to copy it',
      )
      .refine(
        (v) => v !== EXAMPLE_CHANNEL,
        `is ${EXAMPLE_CHANNEL}, the example's placeholder: put your channel's id (open the channel details in Slack to copy it)`,
      ),
  ),
  ROUTES_FILE: optional(z.string()),
  INTERCOM_TOKEN: required('the Intercom access token'),
  INTERCOM_CLIENT_SECRET: optional(z.string()),
  INTERCOM_REGION: withDefault(
    z.enum(['us', 'eu', 'au'], { error: 'must be us, eu or au' }),
    ENV_DEFAULTS.INTERCOM_REGION,
  ),
  INTERCOM_API_URL: optional(httpUrl('the Intercom API base URL (tests point it at a fake)')),
  INTERCOM_API_VERSION: withDefault(
    z.string().regex(/^(\d+\.\d+|Unstable|Preview)$/, 'must be an Intercom API version like 2.14'),
    ENV_DEFAULTS.INTERCOM_API_VERSION,
  ),
  INTERCOM_TIMEOUT_MS: withDefault(
    integer('milliseconds per Intercom request', 1_000, 120_000),
    ENV_DEFAULTS.INTERCOM_TIMEOUT_MS,
  ),
  INTERCOM_POLL_INTERVAL: withDefault(
    integer('seconds between catch-up searches of Intercom', 10, 86_400),
    ENV_DEFAULTS.INTERCOM_POLL_INTERVAL,
  ),
  DATABASE_URL: withDefault(
    z
      .string()
      .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'must be sqlite:PATH, sqlite::memory: or postgres://…')
      .refine(
        withoutNote,
        'has a space in it: is a note pasted after the value? (a SQLite path may not hold one; a postgres:// URL only in its password)',
      ),
    ENV_DEFAULTS.DATABASE_URL,
  ),
  PORT: withDefault(integer('the HTTP port', 0, 65_535), ENV_DEFAULTS.PORT),
  HOST: withDefault(
    z.string().refine((v) => !/\s/.test(v), 'has a space in it: is a note pasted after the value?'),
    ENV_DEFAULTS.HOST,
  ),
  THREAD_MESSAGES: withDefault(z.enum(['note', 'off'], { error: 'must be note or off' }), ENV_DEFAULTS.THREAD_MESSAGES),
  REACTIONS: withDefault(z.enum(['on', 'off'], { error: 'must be on or off' }), ENV_DEFAULTS.REACTIONS),
  READ_ACCESS: withDefault(
    z.enum(['teammates', 'workspace'], { error: 'must be teammates or workspace' }),
    ENV_DEFAULTS.READ_ACCESS,
  ),
  FIN_CONVERSATIONS: withDefault(
    z.enum(['show', 'handoff'], { error: 'must be show or handoff' }),
    ENV_DEFAULTS.FIN_CONVERSATIONS,
  ),
  FILES: withDefault(z.enum(['upload', 'link'], { error: 'must be upload or link' }), ENV_DEFAULTS.FILES),
  ATTACHMENT_HOSTS: withDefault(hostList, ENV_DEFAULTS.ATTACHMENT_HOSTS),
  ATTACHMENT_MAX_BYTES: withDefault(
    integer('bytes of one attachment copied into Slack', 1, MAX_ATTACHMENT_BYTES),
    ENV_DEFAULTS.ATTACHMENT_MAX_BYTES,
  ),
  ADMIN_OVERRIDES: optional(
    z.string().transform((text, ctx) => {
      const map = new Map<string, string>();
      for (const entry of text.split(/[,\s]+/).filter(Boolean)) {
        const match = /^([UW][A-Z0-9]{2,})=(\d+)$/.exec(entry);
        if (match?.[1] && match[2]) map.set(match[1], match[2]);
        else
          ctx.addIssue({
            code: 'custom',
            message: `has "${entry}", not SLACK_USER_ID=INTERCOM_ADMIN_ID like U0123ABCD=991`,
          });
      }
      return map;
    }),
  ),
  LOG_LEVEL: withDefault(
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
    ENV_DEFAULTS.LOG_LEVEL,
  ),
  LOG_PRETTY: withDefault(z.stringbool({ error: 'must be true or false' }), ENV_DEFAULTS.LOG_PRETTY),
});

/** Every variable the bridge reads, in the schema's order. */
export const ENV_NAMES = Object.keys(EnvSchema.shape) as ReadonlyArray<keyof typeof EnvSchema.shape>;

/** Problems that span variables; checked on the raw values so they are reported beside the others. */
function crossFieldProblems(env: NodeJS.ProcessEnv): string[] {
  const set = (name: string) => unsetIfEmpty(env[name]) !== undefined;
  const problems: string[] = [];
  if (!set('SLACK_CHANNEL') && !set('ROUTES_FILE')) {
    problems.push(
      'SLACK_CHANNEL is required unless ROUTES_FILE is set: the id of the channel new conversations go to, e.g. C0123ABCD',
    );
  }
  if (!set('SLACK_APP_TOKEN') && !set('SLACK_SIGNING_SECRET')) {
    problems.push(
      'SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN is set (Socket Mode): Basic Information → Signing Secret',
    );
  }
  return problems;
}

export interface Config {
  readonly slack: {
    readonly botToken: string;
    readonly signingSecret: string | undefined;
    readonly appToken: string | undefined;
    readonly apiUrl: string | undefined;
    /** Where conversations go when no routing rule decides (unset: unmatched conversations are not posted). */
    readonly channel: string | undefined;
  };
  /** YAML routing rules, checked at start-up (docs/routing.md). */
  readonly routesFile: string | undefined;
  readonly intercom: {
    readonly token: string;
    readonly clientSecret: string | undefined;
    readonly region: 'us' | 'eu' | 'au';
    readonly apiUrl: string | undefined;
    readonly apiVersion: string;
    readonly timeoutMs: number;
    /** Seconds between catch-up searches for conversations whose webhooks never came. */
    readonly pollIntervalSeconds: number;
  };
  readonly triage: {
    /** What a message written in a card's thread does: becomes an internal note, or nothing. */
    readonly threadMessages: 'note' | 'off';
    /** Whether 👀 and ✅ on a card assign and close. */
    readonly reactions: boolean;
    /** Slack user id → Intercom admin id, for people whose emails differ between the two. */
    readonly adminOverrides: ReadonlyMap<string, string>;
    /** Who may read Intercom data through Slack: mapped teammates only, or anyone in the workspace. */
    readonly readAccess: 'teammates' | 'workspace';
  };
  /** What the bridge does with a customer's Intercom attachments in a card's thread. */
  readonly attachments: {
    /** `upload`: copy each file into the thread (needs files:write); `link`: post links to Intercom's copy. */
    readonly files: 'upload' | 'link';
    /** Hosts an attachment may be downloaded from: exact, or `*.suffix` (net/download.ts). */
    readonly hosts: readonly string[];
    /** Larger attachments get a link instead of an upload. */
    readonly maxBytes: number;
  };
  /**
   * `show` posts every card when its conversation starts; `handoff` posts one only once a person has the
   * conversation, after Fin (Intercom's AI agent) hands it over (docs/configuration.md).
   */
  readonly finConversations: 'show' | 'handoff';
  readonly databaseUrl: string;
  readonly http: { readonly port: number; readonly host: string };
  readonly log: { readonly level: (typeof LOG_LEVELS)[number]; readonly pretty: boolean };
}

/** A bad environment: one line per problem, each naming its variable and never its value. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Parses the environment once into a frozen Config, or throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = EnvSchema.safeParse(env);
  const problems = [
    ...(result.error?.issues.map((issue) => `${String(issue.path[0] ?? 'environment')} ${issue.message}`) ?? []),
    ...crossFieldProblems(env),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const e = result.data;
  return deepFreeze({
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      channel: e.SLACK_CHANNEL,
    },
    intercom: {
      token: e.INTERCOM_TOKEN,
      clientSecret: e.INTERCOM_CLIENT_SECRET,
      region: e.INTERCOM_REGION,
      apiUrl: e.INTERCOM_API_URL,
      apiVersion: e.INTERCOM_API_VERSION,
      timeoutMs: e.INTERCOM_TIMEOUT_MS,
      pollIntervalSeconds: e.INTERCOM_POLL_INTERVAL,
    },
    routesFile: e.ROUTES_FILE,
    triage: {
      threadMessages: e.THREAD_MESSAGES,
      reactions: e.REACTIONS === 'on',
      adminOverrides: e.ADMIN_OVERRIDES ?? new Map(),
      readAccess: e.READ_ACCESS,
    },
    attachments: { files: e.FILES, hosts: e.ATTACHMENT_HOSTS, maxBytes: e.ATTACHMENT_MAX_BYTES },
    finConversations: e.FIN_CONVERSATIONS,
    databaseUrl: e.DATABASE_URL,
    http: { port: e.PORT, host: e.HOST },
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
  });
}

/** Reads `.env` into process.env when the file exists; variables already set win. */
export function loadDotEnv(file = '.env'): boolean {
  if (!existsSync(file)) return false;
  process.loadEnvFile(file);
  return true;
}

/** Every secret in the config, for the logger to scrub from anything it prints. */
export function secretsOf(config: Config): string[] {
  return [
    config.slack.botToken,
    config.slack.signingSecret,
    config.slack.appToken,
    config.intercom.token,
    config.intercom.clientSecret,
    ...databasePassword(config.databaseUrl),
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/** The password in `postgres://user:password@host/db`, as written and (when it differs) percent-decoded. */
function databasePassword(url: string): string[] {
  let password: string | undefined;
  if (URL.canParse(url)) password = new URL(url).password;
  // a password with a character URL refuses (an unencoded # or space) still has to be found
  else password = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:(.*)@[^@]*$/i.exec(url)?.[1];
  if (!password) return [];
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // a stray % is taken as written
  }
  return decoded === password ? [password] : [password, decoded];
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
