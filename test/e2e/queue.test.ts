import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNEL, Harness } from '../support/harness.ts';
import { blockAction } from '../support/slack-requests.ts';

// `/intercom queue` and `/intercom digest` over real HTTP (signed slash commands and clicks), against the fake
// Intercom's conversation search; and a scheduled digest, posted once by two bridges on one store.

const ALICE = 'U0ALICE01';
const NOBODY = 'U0NOBODY1';
const MINUTE = 60;
const nowSec = () => Math.floor(Date.now() / 1000);

let h: Harness;
let others: Harness[] = [];

afterEach(async () => {
  for (const other of others) await other.bridge?.stop();
  others = [];
  await h.stop();
});

function routesFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'bridge-queue-')), 'routes.yml');
  writeFileSync(file, yaml);
  return file;
}

async function start(env: Record<string, string> = {}, databaseUrl?: string) {
  h = await Harness.start({
    env,
    ...(databaseUrl ? { databaseUrl } : {}),
    seed: (_intercom, slack) => {
      slack.addUser({ id: ALICE, name: 'Alice', email: 'alice@example.com', tz: 'Europe/Berlin' });
      slack.addUser({ id: NOBODY, name: 'Nobody', email: 'nobody@elsewhere.test' });
    },
  });
  const add = (subject: string, minutes: number, fields: { adminAssigneeId?: number } = {}) =>
    String(h.intercom.addConversation({ subject, createdAt: nowSec() - minutes * MINUTE, ...fields }).id);
  return {
    alices: add('Alice’s, waiting 50m', 50, { adminAssigneeId: 991 }),
    oldest: add('Oldest <unassigned>', 90),
    newest: add('Newest', 5),
    snoozed: h.intercom.addConversation({ subject: 'Snoozed', createdAt: nowSec() - 300 * MINUTE, state: 'snoozed' }),
  };
}

type Block = {
  type: string;
  block_id?: string;
  text?: { text: string };
  accessory?: { action_id: string; value: string };
};
const idOf = (responseUrl: string) => responseUrl.split('/').at(-1) as string;
const listed = (message: Record<string, unknown>) =>
  (message.blocks as Block[]).filter((b) => b.block_id?.startsWith('queue:')).map((b) => b.block_id?.slice(6));

describe('/intercom queue', () => {
  it('answers privately with the waiting conversations, longest first, with clocks, links and Take', async () => {
    const ids = await start({ ROUTES_FILE: routesFile('routes: []\ntargets:\n  first_response: 1h\n') });
    const { answer, responseUrl } = await h.command(ALICE, 'queue all');
    expect(answer.status).toBe(200);
    const result = await h.response(idOf(responseUrl));
    expect(result.response_type).toBe('ephemeral');
    expect(listed(result)).toEqual([ids.oldest, ids.alices, ids.newest]);
    const text = JSON.stringify(result.blocks);
    expect(text).toContain('*3 waiting in Intercom*');
    expect(text).toContain('first response overdue by 30m');
    expect(text).toMatch(/first response due in 5[45]m/);
    expect(text).toContain('Oldest &lt;unassigned&gt;');
    expect(text).toContain('Alice Admin');
    expect(text).toContain('Open in Intercom');

    const mine = await h.command(ALICE, 'queue');
    expect(listed(await h.response(idOf(mine.responseUrl)))).toEqual([ids.alices]);
    const unassigned = await h.command(ALICE, 'queue unassigned');
    expect(listed(await h.response(idOf(unassigned.responseUrl)))).toEqual([ids.oldest, ids.newest]);
  });

  it('Take assigns the conversation to the clicker; a value the bridge did not seal does nothing', async () => {
    const ids = await start();
    const { responseUrl } = await h.command(ALICE, 'queue unassigned');
    const result = await h.response(idOf(responseUrl));
    const take = (result.blocks as Block[]).find((b) => b.block_id === `queue:${ids.oldest}`)?.accessory;
    expect(take?.action_id).toBe(`queue_take:${ids.oldest}`);
    const click = (actionId: string, value: string) =>
      h.interact({
        ...blockAction({
          user: ALICE,
          actionId,
          channel: CHANNEL,
          message: { ts: '1.1', text: '', blocks: [] },
          value,
        }),
        response_url: responseUrl,
      });
    const assignments = () =>
      h.intercom.requests.filter((r) => r.method === 'POST' && /^\/conversations\/\d+\/parts$/.test(r.path));
    // the sealed value of one conversation on another's button
    expect((await click(`queue_take:${ids.newest}`, String(take?.value))).status).toBe(200);
    expect((await click(`queue_take:${ids.newest}`, ids.newest)).status).toBe(200);
    await click(`queue_take:${ids.oldest}`, String(take?.value));
    await h.eventually(() => expect(assignments()).toHaveLength(1));
    expect(assignments()[0]).toMatchObject({
      path: `/conversations/${ids.oldest}/parts`,
      body: { message_type: 'assignment', type: 'admin', admin_id: '991', assignee_id: '991' },
    });
    const told = await h.response(idOf(responseUrl), 2);
    expect(told.text).toContain('is assigned to you');
  });

  it('pages with Next, and asks someone with no teammate to be mapped before reading', async () => {
    await start();
    for (let i = 0; i < 12; i++)
      h.intercom.addConversation({ subject: `n${i}`, createdAt: nowSec() - (200 - i) * MINUTE });
    const { responseUrl } = await h.command(ALICE, 'queue all');
    const first = await h.response(idOf(responseUrl));
    expect(listed(first)).toHaveLength(10);
    expect(JSON.stringify(first.blocks)).toContain('… and 5 more');
    const next = (first.blocks as Array<{ elements?: Array<{ action_id: string; value: string }> }>)
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'queue_next');
    await h.interact({
      ...blockAction({
        user: ALICE,
        actionId: 'queue_next',
        channel: CHANNEL,
        message: { ts: '1.1', text: '', blocks: [] },
        value: next?.value,
      }),
      response_url: responseUrl,
    });
    const second = await h.response(idOf(responseUrl), 2);
    expect(second.replace_original).toBe(true);
    expect(listed(second)).toHaveLength(5);

    const before = h.intercom.requests.filter((r) => r.path === '/conversations/search').length;
    const refused = await h.command(NOBODY, 'queue all');
    expect(JSON.stringify(await h.response(idOf(refused.responseUrl)))).toContain('No Intercom teammate');
    expect(h.intercom.requests.filter((r) => r.path === '/conversations/search')).toHaveLength(before);
  });
});

/** Another bridge on the same fakes and store, reading the routes file (a second replica, or a restart). */
async function withRoutes(file: string, databaseUrl: string): Promise<Harness> {
  const other = await Harness.attach({ intercom: h.intercom, slack: h.slack, databaseUrl });
  others.push(other);
  await other.bridge?.stop();
  await other.startBridge({ env: { ROUTES_FILE: file } });
  return other;
}

describe('digests', () => {
  const digestsIn = (channel: string) =>
    h.slack.messages.filter((m) => m.channel === channel && m.text.startsWith('Support digest'));

  it('/intercom digest posts the channel’s digest there, now', async () => {
    const ids = await start();
    await h.command(ALICE, 'digest');
    const [digest] = await h.eventually(() => {
      const posted = digestsIn(CHANNEL);
      expect(posted).toHaveLength(1);
      return posted;
    });
    expect(digest?.text).toBe('Support digest: 3 waiting, 0 overdue, 2 unassigned');
    const text = JSON.stringify(digest?.blocks);
    expect(text).toContain('*Open* 3 · *Unassigned* 2 · *Waiting* 3 · *Overdue* 0');
    expect(text.indexOf('Oldest &lt;unassigned&gt;')).toBeLessThan(text.indexOf('Alice’s'));
    expect(text).toContain(`conversation/${ids.oldest}`);
  });

  it('a scheduled digest is posted once, by one of two bridges on one store, and not again on restart', async () => {
    const db = `sqlite:${join(mkdtempSync(join(tmpdir(), 'bridge-digest-')), 'bridge.db')}`;
    const file = routesFile(
      [
        'routes: []',
        'digests:',
        `  - channel: ${CHANNEL}`,
        '    at: "00:00"',
        '    timezone: UTC',
        '    days: [mon, tue, wed, thu, fri, sat, sun]',
        '',
      ].join('\n'),
    );
    await start({ ROUTES_FILE: file }, db);
    const second = await withRoutes(file, db);
    await h.eventually(() => expect(digestsIn(CHANNEL)).toHaveLength(1));
    await second.bridge?.stop();
    others = [];
    await withRoutes(file, db); // a restart on the same store
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(digestsIn(CHANNEL)).toHaveLength(1);
  });
});
