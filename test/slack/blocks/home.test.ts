import { describe, expect, it } from 'vitest';
import type { HomeRow, HomeScreen, HomeSection } from '../../../src/bridge/home.ts';
import { ROW_BUDGET } from '../../../src/bridge/home.ts';
import {
  HOME_ACTIONS,
  HOME_MAX_BLOCKS,
  homeButtonState,
  homeView,
  parseNotifications,
} from '../../../src/slack/blocks/home.ts';
import { homeViewProblems } from '../../support/block-kit-check.ts';

// The Home tab as Slack gets it: a valid home view within 100 blocks however many conversations, each row with
// its links and the card's own Reply and Close (sealed values), Take only on unassigned rows, and the checkboxes.

const seal = (state: string) => `sealed(${state})`;

function row(id: string, fields: Partial<HomeRow> = {}): HomeRow {
  return {
    conversationId: id,
    title: `Refund <${id}> & more`,
    customer: 'Dana <dana@acme.test>',
    assignee: 'Alice Admin',
    cardUrl: `https://test.slack.com/archives/C1/p${id}`,
    intercomUrl: `https://app.intercom.com/a/inbox/ws/inbox/conversation/${id}`,
    state: 'open',
    snoozedUntil: null,
    clock: { kind: 'overdue', target: 'first_response', ms: 12 * 60_000 },
    ...fields,
  };
}

function sectionOf(name: 'assigned' | 'unassigned', total: number, shown: number, canShowMore: boolean): HomeSection {
  return {
    name,
    total,
    capped: false,
    rows: Array.from({ length: shown }, (_, i) => row(`${name === 'assigned' ? 1 : 2}${i}`)),
    canShowMore,
  };
}

function screen(assigned: HomeSection, unassigned: HomeSection, teams: string[] = []): HomeScreen {
  return {
    kind: 'queue',
    slackUserId: 'U0ALICE01',
    teammate: 'Alice <Admin>',
    assigned,
    unassigned: { ...unassigned, teams },
    notifications: { assigned: true, replies: false, due: true },
    readAt: Date.UTC(2026, 11, 7, 12),
  };
}

type Block = { type: string; block_id?: string; text?: { text: string }; elements?: Array<Record<string, unknown>> };
const blocksOf = (s: HomeScreen) => homeView(s, { seal }).blocks as Block[];
const elements = (blocks: Block[]) => blocks.flatMap((b) => b.elements ?? []);

describe('homeView', () => {
  it('renders each row with its card link, clock, state, Intercom link and the card’s buttons', () => {
    const blocks = blocksOf(screen(sectionOf('assigned', 1, 1, false), sectionOf('unassigned', 1, 1, false)));
    expect(
      homeViewProblems(
        homeView(screen(sectionOf('assigned', 1, 1, false), sectionOf('unassigned', 0, 0, false)), { seal }),
      ),
    ).toEqual([]);
    const text = JSON.stringify(blocks);
    expect(text).toContain('<https://test.slack.com/archives/C1/p10|Refund &lt;10&gt; &amp; more>');
    expect(text).toContain('Dana &lt;dana@acme.test&gt;');
    expect(text).toContain('first response overdue by 12m');
    expect(text).toContain('Card in Slack');
    expect(text).toContain('*Alice &lt;Admin&gt;* in Intercom');
    const all = elements(blocks);
    const mine = all.filter((e) => String(e.action_id).endsWith(':10'));
    expect(mine.map((e) => e.action_id)).toEqual(['reply:10', 'close:10', 'open:10']);
    expect(mine[0]?.value).toBe(seal(homeButtonState('reply', '10')));
    expect(mine[1]?.value).toBe(seal(homeButtonState('close', '10')));
    expect(mine[2]?.url).toBe('https://app.intercom.com/a/inbox/ws/inbox/conversation/10');
    const unassigned = all.filter((e) => String(e.action_id).endsWith(':20')).map((e) => e.action_id);
    expect(unassigned).toEqual(['reply:20', `${HOME_ACTIONS.take}:20`, 'close:20', 'open:20']);
  });

  it('stays a valid view under 100 blocks at the row budget, and says how many more there are', () => {
    const full = screen(sectionOf('assigned', 150, ROW_BUDGET - 10, false), sectionOf('unassigned', 30, 10, false));
    const view = homeView(full, { seal });
    expect(homeViewProblems(view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(HOME_MAX_BLOCKS);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('Showing 30 of 150');
    expect(text).toContain('/intercom queue me');
    expect(text).toContain('Showing 10 of 30');
    // the most a screen can carry: the budget of rows, a Show more under each section
    const most = screen(sectionOf('assigned', 999, ROW_BUDGET - 1, true), sectionOf('unassigned', 999, 1, true));
    expect(homeView(most, { seal }).blocks.length).toBeLessThanOrEqual(HOME_MAX_BLOCKS);
    expect(homeViewProblems(homeView(most, { seal }))).toEqual([]);
  });

  it('offers Show more, naming the section, when there is room', () => {
    const blocks = blocksOf(screen(sectionOf('assigned', 25, 20, true), sectionOf('unassigned', 0, 0, false)));
    const more = elements(blocks).filter((e) => e.action_id === HOME_ACTIONS.more);
    expect(more.map((e) => e.value)).toEqual(['assigned']);
    expect(JSON.stringify(blocks)).toContain('Showing 20 of 25 · 5 more');
    expect(JSON.stringify(blocks)).toContain('Nothing is waiting unassigned.');
  });

  it('names the teams, shows snoozed rows with their time and no clock, and escapes team names', () => {
    const assigned = {
      ...sectionOf('assigned', 1, 0, false),
      rows: [row('5', { state: 'snoozed', snoozedUntil: 1_800_000_000, clock: null })],
    };
    const text = JSON.stringify(blocksOf(screen(assigned, sectionOf('unassigned', 0, 0, false), ['Billing <VIP>'])));
    expect(text).toContain('Unassigned in Billing &lt;VIP&gt;');
    expect(text).toContain(':zzz: snoozed until <!date^1800000000^');
    expect(text).not.toContain('overdue');
  });

  it('renders the notification checkboxes from the choice, and reads a change back', () => {
    const blocks = blocksOf(screen(sectionOf('assigned', 0, 0, false), sectionOf('unassigned', 0, 0, false)));
    const box = elements(blocks).find((e) => e.action_id === HOME_ACTIONS.notifications) as {
      options: Array<{ value: string }>;
      initial_options: Array<{ value: string }>;
    };
    expect(box.options.map((o) => o.value)).toEqual(['assigned', 'replies', 'due']);
    expect(box.initial_options.map((o) => o.value)).toEqual(['assigned', 'due']);
    const base = screen(sectionOf('assigned', 0, 0, false), sectionOf('unassigned', 0, 0, false));
    const none = { ...base, notifications: { assigned: false, replies: false, due: false } } as HomeScreen;
    const empty = elements(blocksOf(none)).find((e) => e.action_id === HOME_ACTIONS.notifications);
    expect(empty && 'initial_options' in empty).toBe(false);
    expect(homeViewProblems(homeView(none, { seal }))).toEqual([]);
    expect(parseNotifications([{ value: 'replies' }, { value: 'bogus' }])).toEqual({
      assigned: false,
      replies: true,
      due: false,
    });
    expect(parseNotifications(undefined)).toEqual({ assigned: false, replies: false, due: false });
  });

  it('tells an unmapped person why and what to do; says so when Intercom could not be read', () => {
    const unmapped = homeView(
      { kind: 'unmapped', slackUserId: 'U0NOBODY1', refusal: 'No Intercom teammate has <x>.', email: 'n@x.test' },
      { seal },
    );
    expect(homeViewProblems(unmapped)).toEqual([]);
    const text = JSON.stringify(unmapped.blocks);
    expect(text).toContain('No Intercom teammate has &lt;x&gt;.');
    expect(text).toContain('ADMIN_OVERRIDES');
    expect(text).toContain('U0NOBODY1=');
    expect(text).toContain('n@x.test');
    const down = homeView({ kind: 'unavailable', slackUserId: 'U1' }, { seal });
    expect(homeViewProblems(down)).toEqual([]);
    expect(JSON.stringify(down.blocks)).toContain('could not be read');
  });
});
