import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatChecklist, manifestScopes, regionCheck, runDoctor } from '../src/doctor.ts';
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
    expect(text).toContain('✖ Slack: the bot is not in private channel #vip\n    → invite it: /invite @bot in #vip');
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
