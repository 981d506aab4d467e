import { afterEach, describe, expect, it } from 'vitest';
import { Directory } from '../../src/bridge/directory.ts';
import { Identity } from '../../src/bridge/identity.ts';
import type { CardData } from '../../src/bridge/model.ts';
import { Notifier, notificationPrefs } from '../../src/bridge/notifications.ts';
import { conversationParts } from '../../src/intercom/schemas.ts';
import { homeButtonState } from '../../src/slack/blocks/home.ts';
import { ModalState } from '../../src/slack/modal-state.ts';
import { WebApiSlackPort } from '../../src/slack/slack-port.ts';
import { SlackWebApi } from '../../src/slack/web-api.ts';
import { messageProblems } from '../support/block-kit-check.ts';
import { APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID } from '../support/fake-slack.ts';
import { Harness } from '../support/harness.ts';
import { blockAction } from '../support/slack-requests.ts';

// Personal notifications against the running bridge: its store (the prefs, the once-only keys), its Intercom and
// the fake Slack over real HTTP. The bridge's own sync notifies as it posts each line; some tests also play a
// second replica: Notifiers sharing the store are handed every part again, as another replica's sync would be.

const ALICE = 'U0ALICE01'; // Intercom admin 991
const BOB = 'U0BOB0001'; // Intercom admin 992

let harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.reverse()) await h.stop().catch(() => {});
  harnesses = [];
});

async function start(): Promise<Harness> {
  const h = await Harness.start({
    seed: (intercom, slack) => {
      intercom.addAdmin({ name: 'Bob Admin', email: 'bob@example.com', id: '992' });
      slack.addUser({ id: ALICE, name: 'Alice Admin', email: 'alice@example.com' });
      slack.addUser({ id: BOB, name: 'Bob Admin', email: 'bob@example.com' });
    },
  });
  harnesses.push(h);
  return h;
}

/** A Notifier as one replica would build it: its own Slack port, identity and seal, the shared store. */
function replica(h: Harness): Notifier {
  const bridge = h.bridge;
  if (!bridge) throw new Error('bridge not started');
  const slack = new WebApiSlackPort(new SlackWebApi(h.slack.token, { apiUrl: h.slack.apiUrl }), h.sink.logger);
  const workspace = async () => ({
    teamId: TEAM_ID,
    enterpriseId: undefined,
    appId: APP_ID,
    enterpriseInstall: false,
    botId: BOT_ID,
    botUserId: BOT_USER_ID,
  });
  const identity = new Identity({ slack, directory: new Directory(bridge.intercom), workspace });
  const modalState = new ModalState(h.slack.token);
  return new Notifier({
    store: bridge.store,
    slack,
    identity,
    // as app.ts wires it: the Home tab's sealed Reply, which the card's Reply handler accepts off the card
    sealReply: (conversationId) => modalState.seal(homeButtonState('reply', conversationId)),
    logger: h.sink.logger,
  });
}

/**
 * What the sync would hand the Notifier for each part it posts for the first time: the conversation, its card, what
 * it shows. `again` hands over parts already handed over too (a sync retried after a crash between line and DM).
 */
const announcedBy = new WeakMap<Harness, Set<string>>();
async function announce(h: Harness, id: string, notifiers: Notifier[], again = false): Promise<void> {
  const announced = announcedBy.get(h) ?? new Set<string>();
  announcedBy.set(h, announced);
  const bridge = h.bridge;
  const card = await bridge?.store.getCard(id);
  if (!bridge || !card?.shown) throw new Error(`conversation ${id} has no card`);
  const conversation = await bridge.intercom.conversations.get(id);
  const scene = { conversation, card, data: JSON.parse(card.shown) as CardData };
  const parts = conversationParts(conversation).filter((p) => again || !announced.has(p.id));
  for (const p of parts) announced.add(p.id);
  await Promise.all(notifiers.flatMap((n) => parts.map((p) => n.partPosted(scene, p))));
}

const BOB_ADMIN = { type: 'admin', id: '992', name: 'Bob Admin' };

/**
 * A conversation assigned to Alice by `by` in Intercom, a customer's comment after it if given, its card posted
 * from the assignment's webhook; returns its id.
 */
async function assignedToAlice(h: Harness, subject: string, by = BOB_ADMIN, comment?: string): Promise<string> {
  const id = String(h.intercom.addConversation({ subject, adminAssigneeId: 991 }).id);
  h.intercom.addPart(id, { part_type: 'assignment', author: by, assigned_to: { type: 'admin', id: '991' } });
  if (comment) h.intercom.addPart(id, { part_type: 'comment', body: comment, author: { type: 'user', id: 'c1' } });
  await h.webhook(h.notification('conversation.admin.assigned', { type: 'conversation', id }));
  await h.eventually(() => expect(h.cards().filter((m) => m.channel !== ALICE)).toHaveLength(1));
  await h.drained();
  return id;
}

type Blocks = Array<{ type: string; elements?: Array<{ action_id?: string; value?: string }> }>;
const replyButton = (blocks: unknown[], id: string) =>
  (blocks as Blocks).find((b) => b.type === 'actions')?.elements?.find((e) => e.action_id === `reply:${id}`);
const dmsTo = (h: Harness, user: string) => h.slack.messages.filter((m) => m.channel === user);

describe('personal notifications through the running bridge', () => {
  it('a webhook alone: an assignment to Alice by Bob DMs Alice once; a customer reply DMs her once she turns it on', async () => {
    const h = await start();
    const conversation = h.intercom.addConversation({ subject: 'Invoice missing', adminAssigneeId: 991 });
    const id = String(conversation.id);
    h.intercom.addPart(id, {
      part_type: 'assignment',
      author: BOB_ADMIN,
      assigned_to: { type: 'admin', id: '991' },
    });
    const assigned = h.notification('conversation.admin.assigned', { type: 'conversation', id });
    await h.webhook(assigned);
    await h.webhook({ ...assigned, id: `${assigned.id}-again` }); // a second delivery of the same news
    await h.drained();
    await h.eventually(() => expect(dmsTo(h, ALICE)).toHaveLength(1));
    expect(dmsTo(h, ALICE)[0]?.text).toContain('Invoice missing');
    expect(dmsTo(h, BOB)).toEqual([]);

    // customer replies are off until Alice turns them on
    h.intercom.addPart(id, { part_type: 'comment', body: '<p>Any news?</p>', author: { type: 'user', name: 'Dana' } });
    await h.webhook(h.notification('conversation.user.replied', { type: 'conversation', id }));
    await h.drained();
    expect(dmsTo(h, ALICE)).toHaveLength(1);
    await h.bridge?.store.setNotificationPrefs(ALICE, { assigned: true, replies: true, due: true });
    h.intercom.addPart(id, { part_type: 'comment', body: '<p>Hello?</p>', author: { type: 'user', name: 'Dana' } });
    await h.webhook(h.notification('conversation.user.replied', { type: 'conversation', id }));
    await h.drained();
    await h.eventually(() => expect(dmsTo(h, ALICE)).toHaveLength(2));
    expect(dmsTo(h, ALICE)[1]?.text).toMatch(/Hello\?|Dana/);
  });

  it('DMs an assignment once across replicas, with card, Intercom and a sealed Reply; honours each setting', async () => {
    const h = await start();
    const prefs = notificationPrefs(h.bridge?.store ?? (undefined as never));
    await prefs.set(ALICE, { assigned: true, replies: false, due: true });
    await prefs.set(BOB, { assigned: true, replies: true, due: true });
    const id = await assignedToAlice(h, 'Refund for order #42', BOB_ADMIN, '<p>Any news?</p>');

    const [one, two] = [replica(h), replica(h)];
    await announce(h, id, [one, two]);
    await announce(h, id, [two], true); // a retried sync hands the same parts again

    const dms = dmsTo(h, ALICE);
    expect(dms).toHaveLength(1); // the assignment; replies are off for Alice
    const [dm] = dms;
    expect(dm?.text).toBe('Assigned to you by Bob Admin: Refund for order #42');
    expect(messageProblems({ text: dm?.text ?? '', blocks: dm?.blocks ?? [] })).toEqual([]);
    const blocks = JSON.stringify(dm?.blocks);
    expect(blocks).toMatch(/\|card in Slack>/);
    expect(blocks).toMatch(new RegExp(`conversation/${id}\\|Intercom>`));
    const reply = replyButton(dm?.blocks ?? [], id);
    expect(new ModalState(h.slack.token).open(reply?.value)).toBe(homeButtonState('reply', id));
    expect(dmsTo(h, BOB)).toEqual([]); // Bob assigned it (his own action), and it is not his to be told of

    // Alice turns replies on: the next reply is news to her, once
    await prefs.set(ALICE, { assigned: true, replies: true, due: true });
    h.intercom.addPart(id, { part_type: 'comment', body: '<p>Hello?</p>', author: { type: 'user', id: 'c1' } });
    await announce(h, id, [one, two]);
    expect(dmsTo(h, ALICE).map((m) => m.text)).toEqual([
      'Assigned to you by Bob Admin: Refund for order #42',
      expect.stringMatching(/replied: Refund for order #42$/),
    ]);

    // Alice takes it back herself after Bob had it: nobody is told about their own action
    h.intercom.addPart(id, {
      part_type: 'assignment',
      author: { type: 'admin', id: '991', name: 'Alice Admin' },
      assigned_to: { type: 'admin', id: '991' },
    });
    await announce(h, id, [one, two]);
    expect(dmsTo(h, ALICE)).toHaveLength(2);
    expect(h.errorLines(0)).toEqual([]);
  }, 30_000);

  it('sends nothing to someone who turned a setting off', async () => {
    const h = await start();
    await notificationPrefs(h.bridge?.store ?? (undefined as never)).set(ALICE, {
      assigned: false,
      replies: false,
      due: false,
    });
    const workflow = { type: 'bot', id: 'w1', name: 'Workflow' };
    const id = await assignedToAlice(h, 'Quiet', workflow, '<p>Hi</p>');
    await announce(h, id, [replica(h)]);
    expect(dmsTo(h, ALICE)).toEqual([]);
    // the same events, had she kept the defaults, would have told her of the assignment (so the parts were seen)
    await notificationPrefs(h.bridge?.store ?? (undefined as never)).set(ALICE, {
      assigned: true,
      replies: false,
      due: true,
    });
    await announce(h, id, [replica(h)], true);
    expect(dmsTo(h, ALICE).map((m) => m.text)).toEqual(['Assigned to you by Workflow: Quiet']);
  }, 30_000);

  it("opens the card's Reply modal from the DM's Reply button and sends the reply as the clicker", async () => {
    const h = await start();
    const id = await assignedToAlice(h, 'Refund for order #42');
    await announce(h, id, [replica(h)]);
    const [dm] = dmsTo(h, ALICE);
    if (!dm) throw new Error('no DM');
    const value = replyButton(dm.blocks, id)?.value;
    const click = blockAction({
      user: ALICE,
      actionId: `reply:${id}`,
      channel: `D${ALICE.slice(1)}`,
      message: dm,
      value,
    });
    expect((await h.interact(click)).status).toBe(200);
    const view = await h.openedView('triage_reply');
    expect(JSON.stringify(view.blocks)).toContain('Refund for order #42'); // the DM's header, as a card's
    await h.submit(ALICE, view, { message: { message: { type: 'plain_text_input', value: 'On it' } } });
    const replies = () => h.intercom.calls('POST', `/conversations/${id}/reply`);
    await h.eventually(() => expect(replies()).toHaveLength(1));
    expect(replies()[0]?.body).toMatchObject({ type: 'admin', admin_id: '991', body: '<p>On it</p>' });

    // a Reply whose value the bridge did not seal opens nothing
    const before = h.slack.views.size;
    await h.interact({ ...click, trigger_id: 'forged', actions: [{ ...click.actions[0], value: 'forged.value' }] });
    await h.drained();
    await new Promise((resolve) => setTimeout(resolve, 200)); // a modal would be opened by now
    expect(h.slack.views.size).toBe(before);
  }, 30_000);
});
