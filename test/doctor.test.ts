import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DiagnoseContext,
  diagnose,
  formatChecklist,
  manifestScopes,
  networkCode,
  regionCheck,
  runDoctor,
} from '../src/doctor.ts';
import { IntercomApiError, IntercomRequestError, IntercomTimeoutError } from '../src/intercom/errors.ts';
import { SlackHttpError, SlackPlatformError, SlackRequestError } from '../src/slack/errors.ts';
import { FakeIntercom } from './support/fake-intercom.ts';
import { FakeSlack } from './support/fake-slack.ts';

// `npm run doctor` against the fakes: what it checks, what it says to fix, and its exit code.

let intercom: FakeIntercom;
let slack: FakeSlack;
let env: Record<string, string>;

beforeEach(async () => {
  intercom = await FakeIntercom.start();
  slack = await FakeSlack.start();
  intercom.addAdmin({ name: 'Alice Admin', email: 'alice@example.com', id: '991' });
  slack.addChannel({ id: 'C0SUPPORT1', name: 'support' });
  env = {
    SLACK_BOT_TOKEN: slack.token,
    SLACK_SIGNING_SECRET: 'slack-signing-secret-for-doctor',
    SLACK_CHANNEL: 'C0SUPPORT1',
    SLACK_API_URL: slack.apiUrl,
    INTERCOM_TOKEN: intercom.token,
    INTERCOM_CLIENT_SECRET: 'client-secret',
    INTERCOM_API_URL: intercom.url,
    DATABASE_URL: 'sqlite::memory:',
  };
});
afterEach(async () => {
  await intercom.close();
  await slack.close();
});

const statuses = (checks: Array<{ status: string; what: string }>) => checks.map((c) => `${c.status} ${c.what}`);

describe('npm run doctor', () => {
  it('passes a correct setup, naming what it checked', async () => {
    const checks = await runDoctor(env);
    expect(checks.every((c) => c.status === 'ok')).toBe(true);
    expect(statuses(checks)).toEqual([
      'ok environment: every variable is valid',
      'ok Slack: bot token works (workspace Test, bot user UBOT00001)',
      `ok Slack: all ${manifestScopes().length} scopes granted`,
      'ok Slack: the bot is in #support',
      'ok Intercom: token works (workspace Test workspace, as Alice Admin)',
      `ok Intercom: region (INTERCOM_API_URL ${intercom.url})`,
      expect.stringMatching(/^ok Intercom: webhook secret set/),
      'ok store: sqlite reachable (0 pending, 0 parked)',
    ]);
    expect(formatChecklist(checks)).toMatch(/Ready to run\.\n$/);
  });

  it('names each problem with its fix', async () => {
    slack.grantedScopes = slack.grantedScopes.filter((s) => s !== 'users:read.email' && s !== 'reactions:read');
    slack.addChannel({ id: 'C0PRIVATE1', name: 'vip', isPrivate: true, botIsMember: false });
    slack.addChannel({ id: 'C0PUBLIC01', name: 'billing', botIsMember: false });
    const routes = join(mkdtempSync(join(tmpdir(), 'doctor-')), 'routes.yml');
    writeFileSync(
      routes,
      'routes:\n  - name: vip\n    match: { tag: vip }\n    channel: C0PRIVATE1\n  - name: billing\n    match: { tag: billing }\n    channel: C0PUBLIC01\n  - name: gone\n    match: { tag: old }\n    channel: C0MISSING1\n',
    );
    const checks = await runDoctor({ ...env, ROUTES_FILE: routes, INTERCOM_CLIENT_SECRET: '' });
    const text = formatChecklist(checks);
    expect(text).toContain(
      '✖ Slack: scopes missing: users:read.email, reactions:read\n    → add them under OAuth & Permissions',
    );
    expect(text).toContain(
      "✖ Slack: the bot is not in private channel #vip\n    → invite it: /invite @intercom in #vip (or the bot's name, if you renamed the app)",
    );
    expect(text).toContain('! Slack: the bot is not in #billing yet');
    expect(text).toContain('✖ Slack: channel C0MISSING1 cannot be read (channel_not_found)');
    expect(text).toContain('! Intercom: INTERCOM_CLIENT_SECRET is not set');
    expect(text).toMatch(/3 problem\(s\) to fix, 2 warning\(s\)\.\n$/);
  });

  it('stops at a bad environment, and reports refused tokens', async () => {
    expect(statuses(await runDoctor({ ...env, SLACK_BOT_TOKEN: 'xoxp-user' }))).toEqual([
      'fail environment: SLACK_BOT_TOKEN must be a bot token starting with xoxb-',
    ]);
    const refused = await runDoctor({ ...env, SLACK_BOT_TOKEN: 'xoxb-wrong', INTERCOM_TOKEN: 'wrong' });
    expect(statuses(refused)).toContain('fail Slack: the bot token was refused (invalid_auth)');
    expect(statuses(refused).some((s) => s.startsWith('fail Intercom: GET /me failed (Intercom answered 401'))).toBe(
      true,
    );
    expect(JSON.stringify(refused)).not.toContain('xoxb-wrong');
  });

  it('fails an archived channel, a store it cannot open, and a routes file with mistakes', async () => {
    slack.addChannel({ id: 'C0OLD00001', name: 'old', isArchived: true });
    const routes = join(mkdtempSync(join(tmpdir(), 'doctor-')), 'routes.yml');
    writeFileSync(routes, 'routes:\n  - name: bad\n    match: { tag: x }\n    channel: "#nope"\n');
    const checks = await runDoctor({
      ...env,
      SLACK_CHANNEL: 'C0OLD00001',
      ROUTES_FILE: routes,
      DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'doctor-')), 'f')}/\0/bad.db`,
    });
    const text = formatChecklist(checks);
    expect(text).toContain('✖ routes file: routes[0] (bad) channel: must be a channel id like C0123ABCD');
    expect(text).toContain('✖ Slack: #old is archived');
    expect(text).toMatch(/✖ store: /);
  });

  it("fails a region that is not the workspace's (Intercom pointed at the fake without INTERCOM_API_URL)", async () => {
    const { INTERCOM_API_URL: _, ...regional } = env;
    const wrong = await runDoctor({ ...regional, INTERCOM_REGION: 'eu' }, { intercomUrl: intercom.url });
    expect(formatChecklist(wrong)).toContain(
      '✖ Intercom: the workspace is hosted in US, but INTERCOM_REGION is eu\n    → set INTERCOM_REGION=us',
    );
    expect(wrong.filter((c) => c.status === 'fail')).toHaveLength(1);
    // the fake really answered: the token check passed, it is only the region that is wrong
    expect(statuses(wrong)).toContain('ok Intercom: token works (workspace Test workspace, as Alice Admin)');
    expect(intercom.calls('GET', '/me').length).toBeGreaterThan(0);

    const right = await runDoctor({ ...regional, INTERCOM_REGION: 'us' }, { intercomUrl: intercom.url });
    expect(statuses(right)).toContain('ok Intercom: region us');
    expect(right.every((c) => c.status === 'ok')).toBe(true);
  });

  it.each([
    ['eu', undefined, 'US', 'fail', 'Intercom: the workspace is hosted in US, but INTERCOM_REGION is eu'],
    ['au', undefined, 'au', 'ok', 'Intercom: region au'],
    ['us', undefined, 'EU', 'fail', 'Intercom: the workspace is hosted in EU, but INTERCOM_REGION is us'],
    ['us', undefined, undefined, 'ok', 'Intercom: region us (the workspace does not say where it is hosted)'],
    ['eu', 'http://fake:1', 'US', 'ok', 'Intercom: region (INTERCOM_API_URL http://fake:1)'],
  ] as const)('regionCheck(%s, %s, workspace %s) → %s', (configured, apiUrl, workspace, status, what) => {
    expect(regionCheck(configured, apiUrl, workspace)).toMatchObject({ status, what });
  });

  it('in Socket Mode, checks that the app-level token can open a connection', async () => {
    const { SLACK_SIGNING_SECRET: _, ...socket } = env;
    const ok = await runDoctor({ ...socket, SLACK_APP_TOKEN: slack.appToken });
    expect(statuses(ok)).toContain('ok Slack: app-level token works (Socket Mode can connect)');
    expect(ok.every((c) => c.status === 'ok')).toBe(true);
    expect(slack.callsOf('apps.connections.open')).toHaveLength(1);

    const refused = await runDoctor({ ...socket, SLACK_APP_TOKEN: 'xapp-1-A0BRIDGE1-1-revokedtoken' });
    const text = formatChecklist(refused);
    expect(text).toContain('✖ Slack: the app-level token cannot open a Socket Mode connection (invalid_auth)');
    expect(text).toContain('→ Basic Information → App-Level Tokens: generate one with the connections:write scope');
    expect(text).not.toContain('revokedtoken');

    // HTTP mode asks nothing of an app token
    await runDoctor(env);
    expect(slack.callsOf('apps.connections.open')).toHaveLength(2);
  });

  it('never prints a secret an upstream quotes back, nor the DATABASE_URL password', async () => {
    intercom.fail({
      method: 'GET',
      path: '/me',
      status: 401,
      body: { type: 'error.list', errors: [{ code: 'unauthorized', message: `token ${intercom.token} was revoked` }] },
    });
    const checks = await runDoctor({ ...env, DATABASE_URL: 'postgres://bridge:Db-Pa55word@127.0.0.1:1/bridge' });
    const text = formatChecklist(checks);
    expect(text).toContain(
      '✖ Intercom: GET /me failed (Intercom answered 401 (unauthorized: token [Redacted] was revoked)',
    );
    expect(text).not.toContain(intercom.token);
    expect(text).toMatch(/✖ store: /);
    expect(text).not.toContain('Pa55word');
  });

  it('runs as a command: the checklist on stdout, exit 1 when something must be fixed', async () => {
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'src', 'doctor.ts')], {
      cwd: import.meta.dirname,
      env: { PATH: process.env.PATH ?? '', ...env, INTERCOM_TOKEN: 'wrong' },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(out).toContain('✔ Slack: bot token works');
    expect(out).toContain('✖ Intercom: GET /me failed');
    expect(out).toMatch(/1 problem\(s\) to fix/);
  });
});

// ---- each kind of failure, with its own sentence and fix ------------------------------------------------------

/** Node's and undici's errors as they arrive (captured from undici 7 on Node 24: an Error with `code`). */
function systemError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

const slackBot: DiagnoseContext = {
  service: 'Slack',
  origin: 'https://slack.com',
  tokenVar: 'SLACK_BOT_TOKEN',
  refused: 'the bot token was refused',
  tokenFix: 'copy the Bot User OAuth Token',
  urlVar: 'SLACK_API_URL',
  urlSet: false,
};
const intercomUs: DiagnoseContext = {
  service: 'Intercom',
  origin: 'https://api.intercom.io',
  tokenVar: 'INTERCOM_TOKEN',
  refused: 'the token was refused',
  tokenFix: 'copy the access token',
  urlVar: 'INTERCOM_API_URL',
  urlSet: false,
};
const me = { method: 'GET', path: '/me' };

describe('diagnose', () => {
  it.each([
    [
      'dns',
      new SlackRequestError(
        'auth.test',
        systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND slack.com', { hostname: 'slack.com' }),
      ),
      slackBot,
      'Slack: the host name slack.com cannot be resolved (ENOTFOUND)',
      "check this machine's DNS and proxy settings",
    ],
    [
      'dns',
      new IntercomRequestError(me, systemError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN api.intercom.io'), false),
      { ...intercomUs, origin: 'http://intercom.corp.example', urlSet: true },
      'Intercom: the host name intercom.corp.example cannot be resolved (EAI_AGAIN)',
      "check this machine's DNS and proxy settings, and the host in INTERCOM_API_URL",
    ],
    [
      'refused',
      new IntercomRequestError(me, systemError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443'), false),
      intercomUs,
      'Intercom: nothing accepts connections at https://api.intercom.io (ECONNREFUSED)',
      'check INTERCOM_REGION (it picks https://api.intercom.io), or set INTERCOM_API_URL; a firewall on this machine may be refusing the connection',
    ],
    [
      'refused',
      // Node's happy eyeballs (a name with IPv4 and IPv6 addresses) reports every attempt in an AggregateError
      new SlackRequestError(
        'auth.test',
        new AggregateError([systemError('ECONNREFUSED', 'connect ECONNREFUSED ::1:8080')], 'connect ECONNREFUSED'),
      ),
      { ...slackBot, origin: 'http://localhost:8080', urlSet: true },
      'Slack: nothing accepts connections at http://localhost:8080 (ECONNREFUSED)',
      'check SLACK_API_URL (http://localhost:8080): is the address right, and is what should answer there running?',
    ],
    [
      'refused',
      new SlackRequestError('auth.test', systemError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.2:443')),
      slackBot,
      'Slack: nothing accepts connections at https://slack.com (ECONNREFUSED)',
      'a firewall or proxy on this machine may be refusing connections to https://slack.com; set SLACK_API_URL if Slack must be reached through a gateway',
    ],
    [
      'tls',
      new SlackRequestError(
        'auth.test',
        systemError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
      ),
      slackBot,
      'Slack: the TLS connection to https://slack.com failed (SELF_SIGNED_CERT_IN_CHAIN)',
      'the certificate presented is not one Node trusts: usually a proxy or firewall intercepting TLS — give Node its CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem',
    ],
    [
      'tls',
      new IntercomRequestError(
        me,
        systemError('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"),
        true,
      ),
      intercomUs,
      'Intercom: the TLS connection to https://api.intercom.io failed (ERR_TLS_CERT_ALTNAME_INVALID)',
      expect.stringContaining('NODE_EXTRA_CA_CERTS'),
    ],
    [
      'timeout',
      new SlackRequestError('auth.test', systemError('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error')),
      slackBot,
      'Slack: https://slack.com did not answer in time (UND_ERR_HEADERS_TIMEOUT)',
      'something between this machine and https://slack.com (a firewall, a proxy) holds the connection',
    ],
    [
      'timeout',
      new IntercomTimeoutError(me, 10_000, systemError('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error')),
      intercomUs,
      'Intercom: https://api.intercom.io did not answer in time (UND_ERR_HEADERS_TIMEOUT)',
      'something between this machine and https://api.intercom.io (a firewall, a proxy) holds the connection (INTERCOM_TIMEOUT_MS sets how long to wait)',
    ],
    [
      'network',
      new SlackRequestError('auth.test', systemError('ECONNRESET', 'other side closed')),
      slackBot,
      'Slack: https://slack.com cannot be reached (auth.test failed: other side closed)',
      "check this machine's network and proxy settings",
    ],
    [
      'token',
      new SlackHttpError('auth.test', 401),
      slackBot,
      'Slack: auth.test failed: HTTP 401: SLACK_BOT_TOKEN was refused',
      'copy the Bot User OAuth Token',
    ],
    [
      'token',
      new IntercomApiError(me, 401, undefined, [{ code: 'unauthorized', message: 'Access Token Invalid' }]),
      intercomUs,
      'Intercom: GET /me failed (Intercom answered 401 (unauthorized: Access Token Invalid) to GET /me): INTERCOM_TOKEN was refused',
      'copy the access token',
    ],
    [
      'forbidden',
      new IntercomApiError(me, 403, undefined, [{ code: 'token_unauthorized', message: 'Not authorized' }]),
      intercomUs,
      'Intercom: GET /me failed (Intercom answered 403 (token_unauthorized: Not authorized) to GET /me): INTERCOM_TOKEN lacks permission',
      expect.stringContaining('docs/setup.md'),
    ],
    [
      'forbidden',
      new SlackHttpError('auth.test', 403),
      slackBot,
      'Slack: auth.test failed: HTTP 403: SLACK_BOT_TOKEN lacks permission',
      expect.stringContaining('manifest.yml'),
    ],
    ...['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked'].map(
      (code) =>
        [
          'token',
          new SlackPlatformError('auth.test', code, { ok: false, error: code }),
          slackBot,
          `Slack: the bot token was refused (${code})`,
          'copy the Bot User OAuth Token',
        ] as const,
    ),
    [
      'missing_scope',
      new SlackPlatformError('conversations.info', 'missing_scope', {
        ok: false,
        error: 'missing_scope',
        needed: 'groups:read',
        provided: 'chat:write',
      }),
      slackBot,
      'Slack: conversations.info needs groups:read, which SLACK_BOT_TOKEN lacks (missing_scope)',
      'add groups:read under OAuth & Permissions → Scopes (or update the app from manifest.yml), then reinstall the app and copy the new token into SLACK_BOT_TOKEN',
    ],
    [
      'other',
      new SlackHttpError('auth.test', 404),
      { ...slackBot, origin: 'http://gateway:8080', urlSet: true },
      'Slack: auth.test failed: HTTP 404',
      'check SLACK_API_URL (http://gateway:8080): is that the API?',
    ],
    [
      'other',
      new IntercomApiError(me, 500, undefined, []),
      intercomUs,
      'Intercom: GET /me failed (Intercom answered 500 (no error details) to GET /me)',
      'see https://www.intercomstatus.com',
    ],
    [
      'other',
      new SlackPlatformError('apps.connections.open', 'not_allowed', { ok: false, error: 'not_allowed' }),
      { ...slackBot, tokenVar: 'SLACK_APP_TOKEN', tokenFix: 'generate an app-level token' },
      'Slack: apps.connections.open failed (not_allowed)',
      'generate an app-level token',
    ],
    [
      'missing_scope',
      new SlackPlatformError('apps.connections.open', 'missing_scope', { ok: false, error: 'missing_scope' }),
      { ...slackBot, tokenVar: 'SLACK_APP_TOKEN' },
      'Slack: apps.connections.open needs a scope, which SLACK_APP_TOKEN lacks (missing_scope)',
      'add a scope under Basic Information → App-Level Tokens: generate one with it and put it in SLACK_APP_TOKEN',
    ],
    [
      'timeout',
      new IntercomTimeoutError(me, 10_000, new Error('aborted')),
      { ...intercomUs, origin: 'http://intercom.corp.example', urlSet: true },
      'Intercom: http://intercom.corp.example did not answer in time (timeout)',
      'something between this machine and http://intercom.corp.example (a firewall, a proxy) holds the connection (INTERCOM_TIMEOUT_MS sets how long to wait); check INTERCOM_API_URL',
    ],
  ] as const)('%s: %s', (kind, error, context, what, fix) => {
    expect(diagnose(error, context)).toEqual({ kind, what, fix });
  });

  it('finds the code under the clients’ own (lower-case) codes, and none where there is none', () => {
    expect(networkCode(new SlackRequestError('auth.test', systemError('ECONNREFUSED', 'x')))).toBe('ECONNREFUSED');
    expect(networkCode(new SlackRequestError('auth.test', new Error('fetch failed')))).toBeUndefined();
    expect(diagnose(new Error('fetch failed'), slackBot)).toMatchObject({ kind: 'other', what: 'Slack: fetch failed' });
  });
});

/** A loopback port nothing listens on (it was bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** A loopback server that accepts connections and never answers: a request to it can only time out. */
async function silentServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => sockets.length,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const openssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** An HTTPS server on loopback with a self-signed certificate made now (openssl), counting connections and requests. */
async function selfSignedServer(): Promise<{
  url: string;
  connections: () => number;
  requests: () => number;
  close: () => Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'doctor-tls-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'].concat([
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]),
    { stdio: 'ignore' },
  );
  let connections = 0;
  let requests = 0;
  const server = createHttpsServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (_req, res) => {
      requests += 1;
      res.end('{}');
    },
  );
  server.on('connection', () => {
    connections += 1;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    connections: () => connections,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('npm run doctor: what each failure means', () => {
  const line = (checks: Array<{ status: string; what: string; fix?: string | undefined }>, start: string) =>
    checks.find((c) => c.what.startsWith(start));

  it('Slack and Intercom refusing connections: nothing listens there, and no token is blamed', async () => {
    const port = await closedPort();
    const checks = await runDoctor({
      ...env,
      SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
      INTERCOM_API_URL: `http://127.0.0.1:${port}`,
    });
    expect(line(checks, 'Slack:')).toEqual({
      status: 'fail',
      what: `Slack: nothing accepts connections at http://127.0.0.1:${port} (ECONNREFUSED)`,
      fix: `check SLACK_API_URL (http://127.0.0.1:${port}): is the address right, and is what should answer there running?`,
    });
    expect(line(checks, 'Intercom: nothing')).toEqual({
      status: 'fail',
      what: `Intercom: nothing accepts connections at http://127.0.0.1:${port} (ECONNREFUSED)`,
      fix: `check INTERCOM_API_URL (http://127.0.0.1:${port}): is the address right, and is what should answer there running?`,
    });
    const text = formatChecklist(checks);
    expect(text).not.toMatch(/token was refused|INTERCOM_REGION/);
    // the fakes were not asked: the requests went to the closed port
    expect(slack.callsOf('auth.test')).toHaveLength(0);
    expect(intercom.calls('GET', '/me')).toHaveLength(0);
  });

  it('Intercom refusing connections without INTERCOM_API_URL: the region picks the address', async () => {
    const { INTERCOM_API_URL: _, ...regional } = env;
    const port = await closedPort();
    const checks = await runDoctor({ ...regional, INTERCOM_REGION: 'eu' }, { intercomUrl: `http://127.0.0.1:${port}` });
    expect(line(checks, 'Intercom: nothing')).toEqual({
      status: 'fail',
      what: `Intercom: nothing accepts connections at http://127.0.0.1:${port} (ECONNREFUSED)`,
      fix: `check INTERCOM_REGION (it picks http://127.0.0.1:${port}), or set INTERCOM_API_URL; a firewall on this machine may be refusing the connection`,
    });
  });

  it('Socket Mode with Slack unreachable: the app token is not blamed either', async () => {
    const { SLACK_SIGNING_SECRET: _, ...socket } = env;
    const port = await closedPort();
    const checks = await runDoctor({
      ...socket,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
    });
    const refused = checks.filter(
      (c) => c.what === `Slack: nothing accepts connections at http://127.0.0.1:${port} (ECONNREFUSED)`,
    );
    expect(refused).toHaveLength(2); // the bot token's check and the app token's
    expect(formatChecklist(checks)).not.toContain('App-Level Tokens');
    expect(slack.callsOf('apps.connections.open')).toHaveLength(0);
  });

  it('host names that do not resolve (.invalid, RFC 2606): a DNS problem, named with its host', async () => {
    const checks = await runDoctor({
      ...env,
      SLACK_API_URL: 'http://slack.doctor-test.invalid/api/',
      INTERCOM_API_URL: 'http://intercom.doctor-test.invalid',
    });
    const slackLine = line(checks, 'Slack:');
    expect(slackLine?.what).toMatch(
      /^Slack: the host name slack\.doctor-test\.invalid cannot be resolved \((ENOTFOUND|EAI_AGAIN)\)$/,
    );
    expect(slackLine?.fix).toBe("check this machine's DNS and proxy settings, and the host in SLACK_API_URL");
    const intercomLine = line(checks, 'Intercom: the host');
    expect(intercomLine?.what).toMatch(
      /^Intercom: the host name intercom\.doctor-test\.invalid cannot be resolved \((ENOTFOUND|EAI_AGAIN)\)$/,
    );
    expect(intercomLine?.fix).toBe("check this machine's DNS and proxy settings, and the host in INTERCOM_API_URL");
    expect(formatChecklist(checks)).not.toMatch(/token was refused|INTERCOM_TOKEN/);
  });

  it.skipIf(!openssl)(
    'a certificate Node does not trust (self-signed, made now): a TLS failure, with its code',
    async () => {
      const tls = await selfSignedServer();
      try {
        const checks = await runDoctor({ ...env, SLACK_API_URL: `${tls.url}/api/`, INTERCOM_API_URL: tls.url });
        expect(line(checks, 'Slack:')).toEqual({
          status: 'fail',
          what: `Slack: the TLS connection to ${tls.url} failed (DEPTH_ZERO_SELF_SIGNED_CERT)`,
          fix: 'the certificate presented is not one Node trusts: usually a proxy or firewall intercepting TLS — give Node its CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem, or check SLACK_API_URL',
        });
        expect(line(checks, 'Intercom: the TLS')).toEqual({
          status: 'fail',
          what: `Intercom: the TLS connection to ${tls.url} failed (DEPTH_ZERO_SELF_SIGNED_CERT)`,
          fix: 'the certificate presented is not one Node trusts: usually a proxy or firewall intercepting TLS — give Node its CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem, or check INTERCOM_API_URL',
        });
        // both reached the server, turned its certificate down, and sent nothing
        expect(tls.connections()).toBe(2);
        expect(tls.requests()).toBe(0);
      } finally {
        await tls.close();
      }
    },
  );

  it('a server that never answers: a timeout, not a token', async () => {
    const silent = await silentServer();
    try {
      const checks = await runDoctor(
        { ...env, SLACK_API_URL: `${silent.url}/api/`, INTERCOM_API_URL: silent.url, INTERCOM_TIMEOUT_MS: '1000' },
        { slackTimeoutMs: 100 },
      );
      expect(line(checks, 'Slack:')).toEqual({
        status: 'fail',
        what: `Slack: ${silent.url} did not answer in time (UND_ERR_HEADERS_TIMEOUT)`,
        fix: `something between this machine and ${silent.url} (a firewall, a proxy) holds the connection; check SLACK_API_URL`,
      });
      expect(line(checks, `Intercom: ${silent.url}`)).toEqual({
        status: 'fail',
        what: `Intercom: ${silent.url} did not answer in time (UND_ERR_HEADERS_TIMEOUT)`,
        fix: `something between this machine and ${silent.url} (a firewall, a proxy) holds the connection (INTERCOM_TIMEOUT_MS sets how long to wait); check INTERCOM_API_URL`,
      });
      // one request each, no retries
      expect(silent.connections()).toBe(2);
    } finally {
      await silent.close();
    }
  });

  it('HTTP 401: the token variable is named', async () => {
    slack.fail({ method: 'auth.test', status: 401 });
    const checks = await runDoctor({ ...env, INTERCOM_TOKEN: 'wrong' });
    expect(line(checks, 'Slack:')).toEqual({
      status: 'fail',
      what: 'Slack: auth.test failed: HTTP 401: SLACK_BOT_TOKEN was refused',
      fix: 'copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions into SLACK_BOT_TOKEN',
    });
    expect(line(checks, 'Intercom: GET')).toEqual({
      status: 'fail',
      what: expect.stringMatching(
        /^Intercom: GET \/me failed \(Intercom answered 401 .*\): INTERCOM_TOKEN was refused$/,
      ),
      fix: 'copy the access token (Developer Hub → your app → Authentication) into INTERCOM_TOKEN',
    });
    expect(slack.callsOf('auth.test')).toMatchObject([{ status: 401 }]);
    expect(intercom.calls('GET', '/me')).toHaveLength(1);
  });

  it('HTTP 401 from Intercom without INTERCOM_API_URL: the region can be why', async () => {
    const { INTERCOM_API_URL: _, ...regional } = env;
    const checks = await runDoctor(
      { ...regional, INTERCOM_TOKEN: 'wrong', INTERCOM_REGION: 'eu' },
      { intercomUrl: intercom.url },
    );
    expect(line(checks, 'Intercom: GET')?.fix).toBe(
      'copy the access token (Developer Hub → your app → Authentication) into INTERCOM_TOKEN; a workspace hosted in another region refuses it too: check INTERCOM_REGION (eu)',
    );
  });

  it('HTTP 403: the token lacks permission', async () => {
    slack.fail({ method: 'auth.test', status: 403 });
    intercom.fail({
      method: 'GET',
      path: '/me',
      status: 403,
      body: { type: 'error.list', errors: [{ code: 'token_unauthorized', message: 'Not authorized to access' }] },
    });
    const checks = await runDoctor(env);
    expect(line(checks, 'Slack:')).toEqual({
      status: 'fail',
      what: 'Slack: auth.test failed: HTTP 403: SLACK_BOT_TOKEN lacks permission',
      fix: 'check the app is installed with the scopes in manifest.yml, and that no proxy in front of Slack refuses the request',
    });
    expect(line(checks, 'Intercom: GET')).toEqual({
      status: 'fail',
      what: 'Intercom: GET /me failed (Intercom answered 403 (token_unauthorized: Not authorized to access) to GET /me): INTERCOM_TOKEN lacks permission',
      fix: 'give the app the permissions docs/setup.md lists (Developer Hub → your app → Authentication), then copy its token into INTERCOM_TOKEN',
    });
    expect(slack.callsOf('auth.test')).toMatchObject([{ status: 403 }]);
    expect(intercom.calls('GET', '/me')).toHaveLength(1);
  });

  it("Slack's token codes (token_revoked …) blame the token; missing_scope names the scopes Slack asks for", async () => {
    slack.fail({ method: 'auth.test', error: 'token_revoked' });
    expect(line(await runDoctor(env), 'Slack:')).toEqual({
      status: 'fail',
      what: 'Slack: the bot token was refused (token_revoked)',
      fix: 'copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions into SLACK_BOT_TOKEN',
    });

    slack.fail({ method: 'conversations.info', error: 'missing_scope', needed: 'groups:read' });
    const checks = await runDoctor(env);
    expect(line(checks, 'Slack: channel')).toEqual({
      status: 'fail',
      what: 'Slack: channel C0SUPPORT1 cannot be read: conversations.info needs groups:read, which SLACK_BOT_TOKEN lacks (missing_scope)',
      fix: 'add groups:read under OAuth & Permissions → Scopes (or update the app from manifest.yml), then reinstall the app and copy the new token into SLACK_BOT_TOKEN',
    });
    expect(slack.callsOf('conversations.info')).toHaveLength(1);
  });

  it('an app-level token without connections:write: missing_scope, with where to make one that has it', async () => {
    const { SLACK_SIGNING_SECRET: _, ...socket } = env;
    slack.fail({ method: 'apps.connections.open', error: 'missing_scope', needed: 'connections:write' });
    const checks = await runDoctor({ ...socket, SLACK_APP_TOKEN: slack.appToken });
    expect(line(checks, 'Slack: apps.connections.open')).toEqual({
      status: 'fail',
      what: 'Slack: apps.connections.open needs connections:write, which SLACK_APP_TOKEN lacks (missing_scope)',
      fix: 'add connections:write under Basic Information → App-Level Tokens: generate one with it and put it in SLACK_APP_TOKEN',
    });
    expect(formatChecklist(checks)).not.toContain(slack.appToken);
  });
});
