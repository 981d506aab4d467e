import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { homeViewProblems } from '../support/block-kit-check.ts';
import { APP_ID, TEAM_ID } from '../support/fake-slack.ts';
import { Harness, SIGNING_SECRET } from '../support/harness.ts';
import { SHARED_DIR, sharedAvailable } from '../support/shared.ts';
import { postToSlackEndpoint } from '../support/slack-requests.ts';

// The Home tab over real HTTP, driven by Slack's own payloads (../shared/slack-samples: the app_home_opened event
// and a Home tab button click), their ids changed to the harness's workspace: what a mapped teammate, an unmapped
// person and a guest see; Take, Reply and Close from the tab; the notification checkboxes; 150 conversations
// within Slack's 100 blocks; a republish after an assignment; and a second open served from the cache.

const ALICE = 'U0ALICE01';
const NOBODY = 'U0NOBODY1';
const GUEST = 'U0GUEST01';
const MINUTE = 60;
const nowSec = () => Math.floor(Date.now() / 1000);

type Json = Record<string, unknown>;
type Block = { type: string; block_id?: string; text?: { text: string }; elements?: Json[] };

const available = sharedAvailable('the Home tab end-to-end tests (Slack’s app_home_opened samples)');
const sample = (name: string): Json =>
  JSON.parse(readFileSync(join(SHARED_DIR, 'slack-samples', 'payloads', name), 'utf8')) as Json;

let h: Harness;

afterEach(async () => {
  await h?.stop();
});

async function start() {
  h = await Harness.start({
    seed: (intercom, slack) => {
      slack.addUser({ id: ALICE, name: 'Alice', email: 'alice@example.com' });
      slack.addUser({ id: NOBODY, name: 'Nobody', email: 'nobody@elsewhere.test' });
      slack.addUser({ id: GUEST, name: 'Guest', email: 'alice@example.com', teamId: 'T0OTHER01' });
      intercom.addTeam({ name: 'Billing', id: '77', adminIds: [991] });
      intercom.admins[0] = { ...intercom.admins[0], team_ids: [77] };
    },
  });
}

const add = (subject: string, minutes: number, fields: { adminAssigneeId?: number; teamAssigneeId?: number } = {}) =>
  String(h.intercom.addConversation({ subject, createdAt: nowSec() - minutes * MINUTE, ...fields }).id);

/** Slack's app_home_opened sample, sent as `user` of our workspace (or as it is, with `asIs`). */
async function openHome(user: string, options: { asIs?: boolean; tab?: string } = {}) {
  const body = sample('event_app_home_opened.json');
  const event = body.event as Json;
  if (!options.asIs) {
    Object.assign(body, { team_id: TEAM_ID, api_app_id: APP_ID });
    Object.assign(event, { user, ...(options.tab ? { tab: options.tab } : {}) });
  }
  body.event_id = `Ev${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const raw = JSON.stringify(body);
  const answer = await postToSlackEndpoint(`${h.url}/slack/events`, SIGNING_SECRET, raw, 'application/json');
  expect(answer.status).toBe(200);
}

const publishes = (user: string) =>
  h.slack.calls.filter((c) => c.method === 'views.publish' && String(c.args.user_id) === user);

/** Waits for the n-th views.publish for `user`, and returns the Home view Slack then holds. */
async function published(user: string, n = 1): Promise<{ type: string; blocks: Block[] }> {
  await h.eventually(() => expect(publishes(user).length).toBeGreaterThanOrEqual(n));
  await h.eventually(() => expect(h.slack.homeViews.get(user)).toBeDefined());
  return h.slack.homeViews.get(user) as { type: string; blocks: Block[] };
}

const elementsOf = (view: { blocks: Block[] }) => view.blocks.flatMap((b) => b.elements ?? []);
const element = (view: { blocks: Block[] }, actionId: string) => {
  const found = elementsOf(view).find((e) => e.action_id === actionId);
  if (!found) throw new Error(`no ${actionId} on the Home tab`);
  return found;
};
const rowsOf = (view: { blocks: Block[] }, section: string) =>
  view.blocks
    .filter((b) => b.type === 'section' && b.block_id?.startsWith(`home:${section}:`))
    .map((b) => b.block_id?.split(':')[2]);

/** Slack's Home tab button sample, as a click by `user` on `action` of the published view. */
function homeClick(user: string, view: Json, action: Json) {
  const body = sample('block_actions_home_tab_button.json');
  const sampleAction = (body.actions as Json[])[0] as Json;
  return h.interact({
    ...body,
    team: { id: TEAM_ID, domain: 'test' },
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM_ID },
    api_app_id: APP_ID,
    container: { type: 'view', view_id: view.id },
    trigger_id: `${Date.now()}.home.${randomUUID()}`,
    view: { ...(body.view as Json), ...view, team_id: TEAM_ID, app_id: APP_ID, app_installed_team_id: TEAM_ID },
    actions: [{ ...sampleAction, ...action, block_id: 'home', action_ts: String(Date.now() / 1000) }],
  });
}

describe.runIf(available)('the Home tab', () => {
  it('shows a teammate their queue: assigned (open and snoozed), their teams’ unassigned, with buttons', async () => {
    await start();
    const old = add('Old & mine', 90, { adminAssigneeId: 991 });
    const fresh = add('Fresh', 5, { adminAssigneeId: 991 });
    const billing = add('Billing <question>', 40, { teamAssigneeId: 77 });
    add('Someone else’s team', 50, { teamAssigneeId: 78 });
    const snoozed = h.intercom.addConversation({ subject: 'Later', adminAssigneeId: 991, state: 'snoozed' });
    await openHome(ALICE);
    const view = await published(ALICE);
    expect(homeViewProblems(view)).toEqual([]);
    expect(rowsOf(view, 'assigned')).toEqual([old, fresh, String(snoozed.id)]);
    expect(rowsOf(view, 'unassigned')).toEqual([billing]);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('Unassigned in Billing');
    expect(text).toContain('Billing &lt;question&gt;');
    expect(text).toContain(':zzz: snoozed');
    expect(text).toContain('Open in Intercom');
    expect(element(view, `home_take:${billing}`).value).toEqual(expect.any(String));
    expect(elementsOf(view).some((e) => e.action_id === `home_take:${old}`)).toBe(false);
    expect(element(view, 'home_notifications').type).toBe('checkboxes');
  });

  it('tells someone with no teammate why and what to do; a guest, another workspace or the Messages tab get nothing', async () => {
    await start();
    await openHome(NOBODY);
    const view = await published(NOBODY);
    expect(homeViewProblems(view)).toEqual([]);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('No Intercom teammate has your Slack email (nobody@elsewhere.test)');
    expect(text).toContain('ADMIN_OVERRIDES');
    await openHome(GUEST);
    await openHome('U12345678', { asIs: true }); // Slack's sample as it is: team T12345678, not ours
    await openHome(ALICE, { tab: 'messages' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.slack.calls.filter((c) => c.method === 'views.publish')).toHaveLength(1);
    expect(h.slack.homeViews.has(GUEST)).toBe(false);
  });

  it('Take assigns as the clicker’s teammate and republishes; a forged value does nothing', async () => {
    await start();
    const billing = add('Billing', 40, { teamAssigneeId: 77 });
    const other = add('Other', 30, { teamAssigneeId: 77 });
    await openHome(ALICE);
    const view = await published(ALICE);
    const take = element(view, `home_take:${billing}`);
    const assignments = () =>
      h.intercom.requests.filter((r) => r.method === 'POST' && /^\/conversations\/\d+\/parts$/.test(r.path));
    // the sealed value of one conversation on another's button, and an unsealed one
    await homeClick(ALICE, view, { action_id: `home_take:${other}`, value: take.value, type: 'button' });
    await homeClick(ALICE, view, { action_id: `home_take:${other}`, value: other, type: 'button' });
    await homeClick(ALICE, view, { action_id: `home_take:${billing}`, value: take.value, type: 'button' });
    await h.eventually(() => expect(assignments()).toHaveLength(1));
    expect(assignments()[0]).toMatchObject({
      path: `/conversations/${billing}/parts`,
      body: { message_type: 'assignment', type: 'admin', admin_id: '991', assignee_id: '991' },
    });
    const after = await published(ALICE, 2);
    expect(rowsOf(after, 'assigned')).toEqual([billing]);
    expect(rowsOf(after, 'unassigned')).toEqual([other]);
  });

  it('Reply opens the card’s reply modal and Close closes, from the tab, with the card’s own handlers', async () => {
    await start();
    const mine = add('Mine', 40, { adminAssigneeId: 991 });
    const theirs = add('Theirs', 30, { adminAssigneeId: 991 });
    await openHome(ALICE);
    const view = await published(ALICE);
    const reply = element(view, `reply:${mine}`);
    await homeClick(ALICE, view, { action_id: `reply:${mine}`, value: reply.value, type: 'button' });
    const modal = await h.openedView('triage_reply');
    expect(String(modal.private_metadata)).toContain(`"conversationId":"${mine}"`);
    await h.submit(ALICE, modal, { message: { message: { type: 'plain_text_input', value: 'On it' } } });
    await h.eventually(() =>
      expect(h.intercom.requests.some((r) => r.path === `/conversations/${mine}/reply`)).toBe(true),
    );
    // Close with the Reply button's sealed value, or another conversation's: ignored
    await homeClick(ALICE, view, { action_id: `close:${theirs}`, value: reply.value, type: 'button' });
    const close = element(view, `close:${mine}`);
    await homeClick(ALICE, view, { action_id: `close:${mine}`, value: close.value, type: 'button' });
    await h.eventually(() => expect(h.intercom.conversations.get(mine)?.state).toBe('closed'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.intercom.conversations.get(theirs)?.state).toBe('open');
  });

  it('stores the notification choice and shows it', async () => {
    await start();
    await openHome(ALICE);
    const view = await published(ALICE);
    await homeClick(ALICE, view, {
      action_id: 'home_notifications',
      type: 'checkboxes',
      selected_options: [{ value: 'replies', text: { type: 'plain_text', text: 'x' } }],
    });
    const after = await published(ALICE, 2);
    const box = element(after, 'home_notifications') as { initial_options?: Array<{ value: string }> };
    expect(box.initial_options?.map((o) => o.value)).toEqual(['replies']);
  });

  it('150 assigned conversations: a valid view under 100 blocks that says there are more', async () => {
    await start();
    for (let i = 0; i < 150; i++) add(`Mine ${i}`, 500 - i, { adminAssigneeId: 991 });
    await openHome(ALICE);
    const view = await published(ALICE);
    expect(homeViewProblems(view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(rowsOf(view, 'assigned')).toHaveLength(20);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('150, open and snoozed');
    expect(text).toContain('Showing 20 of 150 · 130 more');
    await homeClick(ALICE, view, { action_id: 'home_more', value: 'assigned', type: 'button' });
    const more = await published(ALICE, 2);
    expect(rowsOf(more, 'assigned')).toHaveLength(30);
    expect(homeViewProblems(more)).toEqual([]);
  });

  it('republishes after an assignment changes; a second open within the cache window asks Intercom nothing', async () => {
    await start();
    add('Mine', 40, { adminAssigneeId: 991 });
    await openHome(ALICE);
    await published(ALICE);
    // the Home tab's own searches (catch-up polls search too): the assigned section's names the admin assignee
    const searches = () =>
      h.intercom.requests.filter(
        (r) => r.path === '/conversations/search' && JSON.stringify(r.body).includes('admin_assignee_id'),
      ).length;
    const calls = h.intercom.requests.length;
    await openHome(ALICE);
    await published(ALICE, 2);
    expect(h.intercom.requests.length).toBe(calls);

    const moved = add('Now mine', 60, { teamAssigneeId: 77 });
    // assigned to Alice in Intercom after her tab was drawn: Intercom's webhook, the sync, then her Home tab
    Object.assign(h.intercom.conversations.get(moved) ?? {}, { admin_assignee_id: 991 });
    expect(
      (await h.webhook(h.notification('conversation.admin.assigned', { type: 'conversation', id: moved }))).status,
    ).toBe(200);
    const after = await h.eventually(async () => {
      const view = await published(ALICE, 3);
      expect(rowsOf(view, 'assigned')).toContain(moved);
      return view;
    }, 10_000);
    expect(rowsOf(after, 'assigned')[0]).toBe(moved);
    expect(searches()).toBe(2);
  });
});
