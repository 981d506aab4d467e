import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Directory } from '../../src/bridge/directory.ts';
import { Identity } from '../../src/bridge/identity.ts';
import type { SlackUser } from '../../src/bridge/ports.ts';
import { IntercomClient } from '../../src/intercom/client.ts';
import { noRetryPolicy } from '../../src/intercom/retry.ts';
import { FakeIntercom } from '../support/fake-intercom.ts';
import { TEST_WORKSPACE } from '../support/workspace.ts';

/** A Slack user of our workspace (`T1`) unless `more` says otherwise. */
const person = (id: string, name: string, email: string | null, more: Partial<SlackUser> = {}): SlackUser => ({
  id,
  name,
  email,
  timeZone: null,
  isBot: false,
  teamId: TEST_WORKSPACE.teamId,
  enterpriseId: null,
  ...more,
});
const ours = async () => TEST_WORKSPACE;

describe('Identity', () => {
  let fake: FakeIntercom;
  let intercom: IntercomClient;
  const users = new Map<string, SlackUser>();
  let lookups = 0;
  const slack = {
    async user(id: string) {
      lookups += 1;
      return users.get(id) ?? null;
    },
  };

  beforeEach(async () => {
    fake = await FakeIntercom.start();
    fake.addAdmin({ name: 'Alice', email: 'alice@example.com', id: '991' });
    fake.addAdmin({ name: 'Bob', email: 'bob@example.com', id: '992' });
    intercom = new IntercomClient({ token: fake.token, baseUrl: fake.url, idempotentRetry: noRetryPolicy });
    users.clear();
    lookups = 0;
    users.set('UA', person('UA', 'alice', 'ALICE@example.com', { timeZone: 'Europe/Paris' }));
    users.set('UB', person('UB', 'bob', 'robert@personal.test'));
    users.set('UC', person('UC', 'carol', null));
  });
  afterEach(async () => {
    await intercom.close();
    await fake.close();
  });

  it('finds the teammate by email, ignoring case, and caches the Slack profile', async () => {
    let now = 0;
    const identity = new Identity({
      slack,
      workspace: ours,
      directory: new Directory(intercom),
      ttlMs: 1_000,
      now: () => now,
    });
    expect(await identity.teammate('UA')).toEqual({
      teammate: { slackUserId: 'UA', adminId: '991', name: 'Alice', timeZone: 'Europe/Paris' },
    });
    await identity.teammate('UA');
    expect(lookups).toBe(1);
    now = 2_000;
    await identity.teammate('UA');
    expect(lookups).toBe(2);
  });

  it('finds whom to mention for a teammate: the override, else the Slack user with their email, cached', async () => {
    let byEmail = 0;
    const withLookup = {
      ...slack,
      async userIdByEmail(email: string) {
        byEmail += 1;
        return email === 'alice@example.com' ? 'UA' : null;
      },
    };
    let now = 0;
    const identity = new Identity({
      slack: withLookup,
      directory: new Directory(intercom),
      workspace: async () => ({
        teamId: 'T1',
        enterpriseId: undefined,
        appId: 'A1',
        enterpriseInstall: false,
        botId: 'B1',
        botUserId: 'U0BOT',
      }),
      overrides: new Map([['UBOB', '992']]),
      now: () => now,
    });
    expect(await identity.slackUserOf('992')).toBe('UBOB');
    expect(await identity.slackUserOf('991')).toBe('UA');
    expect(await identity.slackUserOf('991')).toBe('UA');
    expect(await identity.slackUserOf('404')).toBeNull();
    expect(byEmail).toBe(1); // Alice once (the override needs none; an unknown admin has no email to look up)
    now += 11 * 60_000;
    await identity.slackUserOf('991');
    expect(byEmail).toBe(2);
  });

  it('uses the override map first, and refuses with a reason otherwise', async () => {
    const identity = new Identity({
      slack,
      workspace: ours,
      directory: new Directory(intercom),
      overrides: new Map([
        ['UB', '992'],
        ['UZ', '404'],
      ]),
    });
    expect(await identity.teammate('UB')).toMatchObject({ teammate: { adminId: '992', name: 'Bob' } });
    expect(await identity.teammate('UZ')).toEqual({
      refusal:
        'ADMIN_OVERRIDES maps you to Intercom admin 404, which Intercom does not know. Nothing was changed in Intercom.',
    });
    expect(await identity.teammate('UC')).toMatchObject({ refusal: expect.stringContaining('cannot see an email') });
    expect(await identity.teammate('UNKNOWN')).toMatchObject({
      refusal: expect.stringContaining('cannot see an email'),
    });
    users.set('UD', person('UD', 'dan', 'dan@x.io'));
    expect(await identity.teammate('UD')).toMatchObject({
      refusal: expect.stringContaining('No Intercom teammate has your Slack email (dan@x.io)'),
    });
  });

  it('sees a teammate added in Intercom after a miss, without waiting for the list to expire', async () => {
    let now = 0;
    const directory = new Directory(intercom, { now: () => now, ttlMs: 600_000, missMs: 1_000 });
    const identity = new Identity({ slack, workspace: ours, directory });
    users.set('UE', person('UE', 'eve', 'eve@example.com'));
    expect(await identity.teammate('UE')).toHaveProperty('refusal');
    fake.addAdmin({ name: 'Eve', email: 'eve@example.com', id: '993' });
    now = 2_000;
    expect(await identity.teammate('UE')).toMatchObject({ teammate: { adminId: '993' } });
  });

  it('refuses a Slack Connect guest whose email matches a teammate, to act and to read', async () => {
    users.set('UX', person('UX', 'mallory', 'bob@example.com', { teamId: 'T2' }));
    const identity = new Identity({ slack, workspace: ours, directory: new Directory(intercom) });
    const refused = { refusal: expect.stringContaining('not a member of the Slack workspace') };
    expect(await identity.teammate('UX')).toEqual(refused);
    expect(await identity.reader('UX')).toEqual(refused);
    expect(await identity.member('UX')).toEqual(refused);
    // the same email from our own workspace is Bob
    users.set('UX', person('UX', 'bob', 'bob@example.com'));
    const fresh = new Identity({ slack, workspace: ours, directory: new Directory(intercom) });
    expect(await fresh.teammate('UX')).toMatchObject({ teammate: { adminId: '992' } });
  });

  it('counts a user of another workspace of our org as ours, when the bot is in an org', async () => {
    users.set('UO', person('UO', 'bob', 'bob@example.com', { teamId: 'T9', enterpriseId: 'E1' }));
    const inOrg = async () => ({ ...(await ours()), enterpriseId: 'E1' });
    expect(
      await new Identity({ slack, workspace: inOrg, directory: new Directory(intercom) }).teammate('UO'),
    ).toMatchObject({
      teammate: { adminId: '992' },
    });
    expect(
      await new Identity({ slack, workspace: ours, directory: new Directory(intercom) }).teammate('UO'),
    ).toHaveProperty('refusal');
  });

  it('READ_ACCESS: teammates by default; workspace lets any person of the workspace read, never a bot', async () => {
    users.set('UD', person('UD', 'dan', 'dan@x.io'));
    users.set('UBOT', person('UBOT', 'bot', null, { isBot: true }));
    const strict = new Identity({ slack, workspace: ours, directory: new Directory(intercom) });
    expect(await strict.reader('UA')).toEqual({ ok: true });
    expect(await strict.reader('UD')).toEqual({
      refusal: expect.stringContaining('The bridge shows Intercom data only to Intercom teammates.'),
    });
    const open = new Identity({ slack, workspace: ours, directory: new Directory(intercom), readAccess: 'workspace' });
    expect(await open.reader('UD')).toEqual({ ok: true });
    expect(await open.reader('UBOT')).toHaveProperty('refusal');
    expect(await open.reader('UNKNOWN')).toHaveProperty('refusal');
    // writing still needs a teammate
    expect(await open.teammate('UD')).toHaveProperty('refusal');
  });
});

describe('Directory', () => {
  it('shares one load between concurrent readers', async () => {
    const fake = await FakeIntercom.start();
    fake.addAdmin({ name: 'Alice', email: 'alice@example.com', id: '991' });
    const intercom = new IntercomClient({ token: fake.token, baseUrl: fake.url });
    const directory = new Directory(intercom);
    const names = await Promise.all([directory.adminName('991'), directory.adminName('991'), directory.admins()]);
    expect(names.slice(0, 2)).toEqual(['Alice', 'Alice']);
    expect(fake.calls('GET', '/admins')).toHaveLength(1);
    await intercom.close();
    await fake.close();
  });
});

describe('Directory lists', () => {
  it('names teams, hides archived ticket types, and remembers a company Intercom does not know', async () => {
    const fake = await FakeIntercom.start();
    fake.addTeam({ name: 'Billing', id: '7' });
    fake.addTicketType({ name: 'Live' });
    fake.addTicketType({ name: 'Old', archived: true });
    const intercom = new IntercomClient({ token: fake.token, baseUrl: fake.url, idempotentRetry: noRetryPolicy });
    const directory = new Directory(intercom);
    try {
      expect(await directory.teamName('7')).toBe('Billing');
      expect(await directory.teamName('0')).toBeNull();
      expect((await directory.ticketTypes()).map((t) => t.name)).toEqual(['Live']);
      expect(await directory.company('co-missing')).toBeNull();
      expect(await directory.company('co-missing')).toBeNull();
      expect(fake.calls('GET', '/companies/co-missing')).toHaveLength(1);
      expect(await directory.company(undefined)).toBeNull();
      fake.fail({ method: 'GET', path: '/companies/co-broken', status: 403 });
      await expect(directory.company('co-broken')).rejects.toThrow(/403/);
    } finally {
      await intercom.close();
      await fake.close();
    }
  });
});
