import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadDotEnv, secretsOf } from '../src/config.ts';

const valid = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'signing-secret-value',
  SLACK_CHANNEL: 'C0SUPPORT1',
  INTERCOM_TOKEN: 'intercom-token-value',
};

function problems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(valid);
    expect(config.intercom).toMatchObject({
      region: 'us',
      apiVersion: '2.14',
      timeoutMs: 10_000,
      pollIntervalSeconds: 300,
    });
    expect(config.routesFile).toBeUndefined();
    expect(config.finConversations).toBe('show');
    expect(config.databaseUrl).toBe('sqlite:./data/bridge.db');
    expect(config.http).toEqual({ port: 3000, host: '0.0.0.0' });
    expect(config.log).toEqual({ level: 'info', pretty: false });
    expect(config.slack.appToken).toBeUndefined();
    expect(config.triage).toEqual({
      readAccess: 'teammates',
      threadMessages: 'note',
      reactions: true,
      adminOverrides: new Map(),
    });
  });

  it('reads the triage settings, with overrides as a map of Slack user to Intercom admin', () => {
    const config = loadConfig({
      ...valid,
      THREAD_MESSAGES: 'off',
      REACTIONS: 'off',
      ADMIN_OVERRIDES: 'U0123ABCD=991, W0999ZZZZ=12',
      READ_ACCESS: 'workspace',
    });
    expect(config.triage).toEqual({
      readAccess: 'workspace',
      threadMessages: 'off',
      reactions: false,
      adminOverrides: new Map([
        ['U0123ABCD', '991'],
        ['W0999ZZZZ', '12'],
      ]),
    });
  });

  it('refuses a READ_ACCESS it does not know, naming the variable', () => {
    expect(() => loadConfig({ ...valid, READ_ACCESS: 'everyone' })).toThrow(
      /READ_ACCESS must be teammates or workspace/,
    );
  });

  it('reads every variable', () => {
    const config = loadConfig({
      ...valid,
      SLACK_APP_TOKEN: 'xapp-1-A-b',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      INTERCOM_CLIENT_SECRET: 'client-secret',
      INTERCOM_REGION: 'eu',
      INTERCOM_API_URL: 'http://127.0.0.1:8',
      INTERCOM_API_VERSION: '2.13',
      INTERCOM_TIMEOUT_MS: '2500',
      INTERCOM_POLL_INTERVAL: '60',
      ROUTES_FILE: './routes.yml',
      FIN_CONVERSATIONS: 'handoff',
      DATABASE_URL: 'postgres://u@localhost/db',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      LOG_PRETTY: 'true',
    });
    expect(config.slack).toEqual({
      botToken: 'xoxb-1-2-abc',
      signingSecret: 'signing-secret-value',
      appToken: 'xapp-1-A-b',
      apiUrl: 'http://127.0.0.1:9/api/',
      channel: 'C0SUPPORT1',
    });
    expect(config.intercom).toEqual({
      token: 'intercom-token-value',
      clientSecret: 'client-secret',
      region: 'eu',
      apiUrl: 'http://127.0.0.1:8',
      apiVersion: '2.13',
      timeoutMs: 2500,
      pollIntervalSeconds: 60,
    });
    expect(config.routesFile).toBe('./routes.yml');
    expect(config.finConversations).toBe('handoff');
    expect(config.databaseUrl).toBe('postgres://u@localhost/db');
    expect(config.http).toEqual({ port: 0, host: '127.0.0.1' });
    expect(config.log).toEqual({ level: 'debug', pretty: true });
  });

  it('is frozen all the way down', () => {
    const config = loadConfig(valid);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.slack)).toBe(true);
  });

  it('a routes file makes SLACK_CHANNEL optional', () => {
    const { SLACK_CHANNEL: _omit, ...rest } = valid;
    const config = loadConfig({ ...rest, ROUTES_FILE: './routes.yml' });
    expect(config.slack.channel).toBeUndefined();
    expect(config.routesFile).toBe('./routes.yml');
  });

  it('socket mode needs no signing secret', () => {
    const { SLACK_SIGNING_SECRET: _omit, ...rest } = valid;
    expect(loadConfig({ ...rest, SLACK_APP_TOKEN: 'xapp-1' }).slack.signingSecret).toBeUndefined();
  });

  it('names every missing required variable, one line each', () => {
    expect(problems({})).toEqual([
      'SLACK_BOT_TOKEN is required: the bot token, xoxb-…',
      'INTERCOM_TOKEN is required: the Intercom access token',
      'SLACK_CHANNEL is required unless ROUTES_FILE is set: the id of the channel new conversations go to, e.g. C0123ABCD',
      'SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN is set (Socket Mode): Basic Information → Signing Secret',
    ]);
  });

  it('asks for the signing secret when not in socket mode', () => {
    const { SLACK_SIGNING_SECRET: _omit, ...rest } = valid;
    expect(problems(rest)).toEqual([
      'SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN is set (Socket Mode): Basic Information → Signing Secret',
    ]);
  });

  it('treats an empty value as unset', () => {
    expect(problems({ ...valid, INTERCOM_TOKEN: '  ' })).toEqual([
      'INTERCOM_TOKEN is required: the Intercom access token',
    ]);
    expect(loadConfig({ ...valid, PORT: '' }).http.port).toBe(3000);
  });

  it.each([
    ['SLACK_BOT_TOKEN', 'xoxp-user-token', 'must be a bot token starting with xoxb-'],
    ['SLACK_APP_TOKEN', 'xoxb-not-app', 'must be an app-level token starting with xapp-'],
    ['SLACK_API_URL', 'ftp://x', 'must be an http(s) URL'],
    ['SLACK_CHANNEL', '#support', 'must be a channel id like C0123ABCD'],
    ['INTERCOM_REGION', 'us-east', 'must be us, eu or au'],
    ['INTERCOM_API_URL', 'not a url', 'must be an http(s) URL'],
    ['INTERCOM_API_VERSION', 'latest', 'must be an Intercom API version like 2.14'],
    ['INTERCOM_TIMEOUT_MS', 'ten', 'must be a whole number'],
    ['INTERCOM_TIMEOUT_MS', '500', 'must be at least 1000'],
    ['INTERCOM_POLL_INTERVAL', '5', 'must be at least 10'],
    ['DATABASE_URL', 'mysql://x', 'must be sqlite:PATH, sqlite::memory: or postgres://…'],
    ['PORT', '70000', 'must be at most 65535'],
    ['PORT', '3.5', 'must be a whole number'],
    ['LOG_LEVEL', 'loud', 'must be one of fatal, error, warn, info, debug, trace, silent'],
    ['LOG_PRETTY', 'maybe', 'must be true or false'],
    ['THREAD_MESSAGES', 'reply', 'must be note or off'],
    ['REACTIONS', 'yes', 'must be on or off'],
    ['FIN_CONVERSATIONS', 'hide', 'must be show or handoff'],
    ['ADMIN_OVERRIDES', 'U0123ABCD=991,alice=992', 'has "alice=992", not SLACK_USER_ID=INTERCOM_ADMIN_ID'],
  ])('%s=%s is named with the reason', (name, value, reason) => {
    const lines = problems({ ...valid, [name]: value });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${name} ${reason}`);
  });

  it.each([
    ['SLACK_BOT_TOKEN', 'xoxb-', 'is only the xoxb- prefix: paste the whole token after it'],
    ['SLACK_APP_TOKEN', 'xapp-', 'is only the xapp- prefix: paste the whole token after it'],
    [
      'SLACK_CHANNEL',
      'C0123ABCD',
      "is C0123ABCD, the example's placeholder: put your channel's id (open the channel details in Slack to copy it)",
    ],
    [
      'DATABASE_URL',
      'sqlite:./data/bridge.db   (or postgres://user:password@host:5432/db for several replicas)',
      'has a space in it: is a note pasted after the value?',
    ],
    ['DATABASE_URL', 'sqlite:./data/my bridge.db', 'has a space in it'],
    ['DATABASE_URL', 'postgres://bridge:pw@db/bridge  (the replicas share it)', 'has a space in it'],
    ['HOST', '0.0.0.0   (every interface)', 'has a space in it: is a note pasted after the value?'],
  ])("the example's placeholders and pasted notes are refused: %s=%s", (name, value, reason) => {
    expect(problems({ ...valid, [name]: value })).toEqual([expect.stringContaining(`${name} ${reason}`)]);
  });

  it('a token with something after its prefix, and a postgres password with a space, are still taken', () => {
    const config = loadConfig({
      ...valid,
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_APP_TOKEN: 'xapp-1',
      DATABASE_URL: 'postgres://bridge:two words@db/bridge',
    });
    expect(config.slack).toMatchObject({ botToken: 'xoxb-1', appToken: 'xapp-1' });
    expect(config.databaseUrl).toBe('postgres://bridge:two words@db/bridge');
  });

  it('never echoes a value, so a mistyped secret cannot leak into the output', () => {
    const lines = problems({ ...valid, SLACK_BOT_TOKEN: 'xoxp-very-secret-value' });
    expect(lines.join('\n')).not.toContain('very-secret');
  });

  it('lists the secrets for the logger to scrub', () => {
    expect(secretsOf(loadConfig({ ...valid, INTERCOM_CLIENT_SECRET: 'cs' }))).toEqual([
      'xoxb-1-2-abc',
      'signing-secret-value',
      'intercom-token-value',
      'cs',
    ]);
  });
});

describe('secretsOf and DATABASE_URL', () => {
  it.each([
    ['postgres://bridge:s3cret-pass@db:5432/bridge', ['s3cret-pass']],
    ['postgresql://bridge:p%40ss%2Fword@db/bridge', ['p%40ss%2Fword', 'p@ss/word']],
    ['postgres://bridge:we#ird pw@db/bridge', ['we#ird pw']],
    ['postgres://bridge@db/bridge', []],
    ['sqlite:./data/bridge.db', []],
  ])('%s adds its password %j', (url, passwords) => {
    const secrets = secretsOf(loadConfig({ ...valid, DATABASE_URL: url }));
    expect(secrets.slice(3)).toEqual(passwords);
  });
});

describe('loadDotEnv', () => {
  it('reads a .env file without overriding what is already set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bridge-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, 'BRIDGE_TEST_FROM_FILE=file\nBRIDGE_TEST_ALREADY=file\n');
    process.env.BRIDGE_TEST_ALREADY = 'env';
    try {
      expect(loadDotEnv(file)).toBe(true);
      expect(process.env.BRIDGE_TEST_FROM_FILE).toBe('file');
      expect(process.env.BRIDGE_TEST_ALREADY).toBe('env');
    } finally {
      delete process.env.BRIDGE_TEST_FROM_FILE;
      delete process.env.BRIDGE_TEST_ALREADY;
    }
    expect(loadDotEnv(join(dir, 'missing.env'))).toBe(false);
  });
});
