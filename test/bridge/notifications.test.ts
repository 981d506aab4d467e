import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/bridge/clock.ts';
import type { CardData } from '../../src/bridge/model.ts';
import {
  DEFAULT_NOTIFICATIONS,
  type Notice,
  type NoticeScene,
  Notifier,
  type NotifierDeps,
  notificationPrefs,
} from '../../src/bridge/notifications.ts';
import type { SlackUser } from '../../src/bridge/ports.ts';
import type { Conversation, ConversationPart } from '../../src/intercom/schemas.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { logSink } from '../support/log-sink.ts';

const NOW = 1_800_000_000_000;
const ALL_ON = { assigned: true, replies: true, due: true };

/** Intercom admins and their Slack users: 1 → U1 (Ann), 2 → U2 (Bob), 3 → a bot user, 4 → nobody in Slack. */
const SLACK_OF: Record<string, string> = { '1': 'U1', '2': 'U2', '3': 'UBOT' };
const GUEST_ADMIN = '5';
SLACK_OF[GUEST_ADMIN] = 'UGUEST';

class RecordingSlack {
  readonly sent: Array<{ user: string; notice: Notice }> = [];
  failing = false;
  async notify(user: string, notice: Notice) {
    if (this.failing) throw new Error('slack said no');
    this.sent.push({ user, notice });
  }
  async permalink(channel: string, ts: string) {
    return `https://test.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
  }
}

const identity: NotifierDeps['identity'] = {
  async slackUserOf(adminId) {
    return SLACK_OF[adminId] ?? null;
  },
  async slackUser(userId): Promise<SlackUser | null> {
    return {
      id: userId,
      name: userId,
      email: null,
      timeZone: null,
      isBot: userId === 'UBOT',
      teamId: userId === 'UGUEST' ? 'TOTHER' : 'T1',
      enterpriseId: null,
    };
  },
  async isOurs(user) {
    return user.teamId === 'T1';
  },
};

function conversation(fields: Partial<Conversation> = {}): Conversation {
  return { id: '123', admin_assignee_id: '1', ...fields } as Conversation;
}

const data = {
  conversationId: '123',
  title: null,
  subject: 'Refund for order #42',
  bodyHtml: '<p>Hello</p>',
  contact: { name: 'Carla Customer', email: 'carla@example.com', company: null },
  intercomUrl: 'https://app.intercom.com/a/inbox/w/inbox/shared/all/conversation/123',
} as CardData;

const scene = (fields: Partial<Conversation> = {}): NoticeScene => ({
  conversation: conversation(fields),
  data,
  card: { channel: 'C1', ts: '1700000000.000100' },
});

function part(fields: Partial<ConversationPart>): ConversationPart {
  return { id: 'p1', part_type: 'comment', body: null, created_at: NOW / 1000 - 5, ...fields } as ConversationPart;
}

const assignment = (to: string, by: { type: string; id?: string; name?: string }, id = 'pa') =>
  part({
    id,
    part_type: 'assignment',
    assigned_to: { type: 'admin', id: to },
    author: by,
  } as Partial<ConversationPart>);
const reply = (id = 'pr') =>
  part({ id, part_type: 'comment', body: '<p>Any news?</p>', author: { type: 'user', id: 'c9', name: 'Carla' } });
const warningClock: Clock = {
  running: true,
  target: 'first_response',
  since: NOW - 50 * 60_000,
  dueAt: NOW + 10 * 60_000,
  warnAt: NOW,
  waitedMs: 50 * 60_000,
  overdueMs: 0,
};

describe('Notifier', () => {
  let store: SqliteStore;
  let slack: RecordingSlack;
  let log: ReturnType<typeof logSink>;
  const notifier = (over: Partial<NotifierDeps> = {}) =>
    new Notifier({
      store,
      slack,
      identity,
      sealReply: (id) => `sealed(${id})`,
      logger: log.logger,
      now: () => NOW,
      ...over,
    });

  beforeEach(() => {
    store = new SqliteStore(':memory:');
    slack = new RecordingSlack();
    log = logSink();
  });
  afterEach(async () => {
    await store.close();
  });

  describe('an assignment', () => {
    it('DMs the assignee once, naming the conversation, its card, Intercom and who assigned it', async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      await notifier().assigned(scene(), assignment('1', { type: 'admin', id: '2', name: 'Bob' }));
      expect(slack.sent).toEqual([
        {
          user: 'U1',
          notice: {
            kind: 'assigned',
            conversationId: '123',
            title: 'Refund for order #42',
            opening: '<p>Hello</p>',
            contact: 'Carla Customer',
            by: 'Bob',
            bodyHtml: null,
            due: null,
            cardUrl: 'https://test.slack.com/archives/C1/p1700000000000100',
            intercomUrl: data.intercomUrl,
            replyValue: 'sealed(123)',
          },
        },
      ]);
    });

    it('sends nothing when the assignee turned it off', async () => {
      await store.setNotificationPrefs('U1', { ...ALL_ON, assigned: false });
      await notifier().assigned(scene(), assignment('1', { type: 'admin', id: '2' }));
      expect(slack.sent).toEqual([]);
    });

    it('never tells someone about assigning to themselves', async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      await notifier().assigned(scene(), assignment('1', { type: 'admin', id: '1', name: 'Ann' }));
      expect(slack.sent).toEqual([]);
    });

    it('counts a workflow or bot assigning as someone else', async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      await notifier().assigned(scene(), assignment('1', { type: 'bot', id: '1', name: 'Workflow' }));
      expect(slack.sent.map((s) => [s.user, s.notice.by])).toEqual([['U1', 'Workflow']]);
    });

    it('tells nobody about an assignment to a team, to nobody, to a bot, a guest or someone not in Slack', async () => {
      await store.setNotificationPrefs('UBOT', ALL_ON);
      await store.setNotificationPrefs('UGUEST', ALL_ON);
      const n = notifier();
      const bob = { type: 'admin', id: '2' };
      await n.assigned(scene(), part({ part_type: 'assignment', assigned_to: { type: 'team', id: '1' } }));
      await n.assigned(scene(), part({ part_type: 'assignment', assigned_to: null }));
      await n.assigned(scene(), assignment('0', bob, 'p0'));
      await n.assigned(scene(), assignment('3', bob, 'p3'));
      await n.assigned(scene(), assignment('4', bob, 'p4'));
      await n.assigned(scene(), assignment(GUEST_ADMIN, bob, 'p5'));
      expect(slack.sent).toEqual([]);
    });

    it('goes by the defaults for someone who never chose: assignments and due soon on, replies off', async () => {
      const n = notifier();
      await n.assigned(scene(), assignment('1', { type: 'admin', id: '2' }));
      await n.customerReplied(scene(), reply());
      await n.dueSoon(scene(), warningClock);
      expect(slack.sent.map((s) => s.notice.kind)).toEqual(['assigned', 'due']);
      expect(DEFAULT_NOTIFICATIONS).toEqual({ assigned: true, replies: false, due: true });
    });

    it('treats each kind of assignment part alike, and ignores parts that are no assignment', async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      const n = notifier();
      for (const type of ['default_assignment', 'assign_and_reopen', 'away_mode_assignment', 'note']) {
        const p = assignment('1', { type: 'admin', id: '2' }, type);
        await n.partPosted(scene(), { ...p, part_type: type });
      }
      expect(slack.sent.map((s) => s.notice.conversationId)).toHaveLength(3);
    });

    it('stays quiet about old news: a part posted long after it happened (a backfill, catch-up)', async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      const old = { ...assignment('1', { type: 'admin', id: '2' }), created_at: NOW / 1000 - 2 * 3600 };
      await notifier().assigned(scene(), old);
      expect(slack.sent).toEqual([]);
    });
  });

  describe("a customer's reply", () => {
    it("DMs the conversation's assignee with what the customer wrote when they turned it on", async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      await notifier().partPosted(scene(), reply());
      expect(slack.sent).toMatchObject([
        { user: 'U1', notice: { kind: 'replied', by: 'Carla', bodyHtml: '<p>Any news?</p>' } },
      ]);
    });

    it('also counts a reply that reopened the conversation (an open part with a body)', async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      await notifier().customerReplied(scene(), { ...reply(), part_type: 'open' });
      expect(slack.sent).toHaveLength(1);
    });

    it("tells only the conversation's assignee, never someone else, and nobody when it is unassigned", async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      await store.setNotificationPrefs('U2', ALL_ON);
      const n = notifier();
      await n.customerReplied(scene({ admin_assignee_id: '2' }), reply('r1'));
      await n.customerReplied(scene({ admin_assignee_id: null }), reply('r2'));
      await n.customerReplied(scene({ admin_assignee_id: '0' }), reply('r3'));
      expect(slack.sent.map((s) => s.user)).toEqual(['U2']); // U1 has it on, but it is not theirs
    });

    it("ignores teammates' replies, notes, bots and an open part without a body", async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      const n = notifier();
      await n.customerReplied(scene(), { ...reply('a'), author: { type: 'admin', id: '2', name: 'Bob' } });
      await n.customerReplied(scene(), { ...reply('b'), author: { type: 'bot', id: 'x', name: 'Fin' } });
      await n.customerReplied(scene(), { ...reply('c'), part_type: 'note' });
      await n.customerReplied(scene(), { ...reply('d'), part_type: 'open', body: ' ' });
      expect(slack.sent).toEqual([]);
    });
  });

  describe('a target about to be missed', () => {
    it("DMs the assignee with the target and when it is due, once per clock's wait", async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      const n = notifier();
      await n.dueSoon(scene(), warningClock);
      await n.dueSoon(scene(), warningClock);
      expect(slack.sent).toMatchObject([
        { user: 'U1', notice: { kind: 'due', due: { target: 'first_response', dueAt: (NOW + 600_000) / 1000 } } },
      ]);
      await n.dueSoon(scene(), { ...warningClock, since: NOW, target: 'next_response' }); // a new wait
      expect(slack.sent).toHaveLength(2);
    });

    it('sends nothing when turned off, when the clock stopped, or when nobody has the conversation', async () => {
      await store.setNotificationPrefs('U1', { ...ALL_ON, due: false });
      await store.setNotificationPrefs('U2', ALL_ON);
      const n = notifier();
      await n.dueSoon(scene(), warningClock);
      await n.dueSoon(scene({ admin_assignee_id: '2' }), { running: false, stop: 'answered' });
      await n.dueSoon(scene({ admin_assignee_id: null }), warningClock);
      expect(slack.sent).toEqual([]);
    });
  });

  describe('exactly once', () => {
    it('sends one DM when the same event is handled twice, or by two replicas sharing the store', async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      const a = notifier();
      const b = notifier();
      const p = assignment('1', { type: 'admin', id: '2' });
      await Promise.all([a.assigned(scene(), p), b.assigned(scene(), p), a.partPosted(scene(), p)]);
      await b.assigned(scene(), p);
      await Promise.all([a.customerReplied(scene(), reply()), b.customerReplied(scene(), reply())]);
      await Promise.all([a.dueSoon(scene(), warningClock), b.dueSoon(scene(), warningClock)]);
      expect(slack.sent.map((s) => s.notice.kind)).toEqual(['assigned', 'replied', 'due']);
    });

    it('keys each person apart: a reassignment to someone else is news to them', async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      await store.setNotificationPrefs('U2', ALL_ON);
      const n = notifier();
      await n.assigned(scene(), assignment('1', { type: 'bot', id: 'w' }, 'pa'));
      await n.assigned(scene(), assignment('2', { type: 'admin', id: '1' }, 'pb'));
      expect(slack.sent.map((s) => s.user)).toEqual(['U1', 'U2']);
    });

    it('loses a DM Slack refused (its key is taken), logs it, and never fails the caller', async () => {
      await store.setNotificationPrefs('U1', ALL_ON);
      slack.failing = true;
      const n = notifier();
      await expect(n.assigned(scene(), assignment('1', { type: 'admin', id: '2' }))).resolves.toBeUndefined();
      slack.failing = false;
      await n.assigned(scene(), assignment('1', { type: 'admin', id: '2' }));
      expect(slack.sent).toEqual([]);
      expect(log.lines().some((l) => l.msg === 'personal notification not sent: lost')).toBe(true);
    });

    it('sends nothing and takes no key when the store or the directory fails; the caller goes on', async () => {
      const broken = notifier({
        identity: { ...identity, slackUserOf: () => Promise.reject(new Error('intercom down')) },
      });
      await store.setNotificationPrefs('U1', ALL_ON);
      await expect(broken.assigned(scene(), assignment('1', { type: 'admin', id: '2' }))).resolves.toBeUndefined();
      await notifier().assigned(scene(), assignment('1', { type: 'admin', id: '2' }));
      expect(slack.sent).toHaveLength(1); // the failed attempt took no key: a later sync still tells
    });
  });
});

describe('notificationPrefs (the Home tab’s NotificationPrefs over the store)', () => {
  let store: SqliteStore;
  beforeEach(() => {
    store = new SqliteStore(':memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  it('reads the defaults for someone who never chose, then what they set', async () => {
    const prefs = notificationPrefs(store);
    expect(await prefs.get('U1')).toEqual(DEFAULT_NOTIFICATIONS);
    await prefs.set('U1', { assigned: false, replies: true, due: false });
    expect(await prefs.get('U1')).toEqual({ assigned: false, replies: true, due: false });
    expect(await store.getNotificationPrefs('U1')).toEqual({ assigned: false, replies: true, due: false });
  });

  it('stores only the three settings, whatever else the object carries', async () => {
    const prefs = notificationPrefs(store);
    await prefs.set('U1', { ...ALL_ON, extra: 'x' } as typeof ALL_ON);
    expect(await prefs.get('U1')).toEqual(ALL_ON);
  });
});
