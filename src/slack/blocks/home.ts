import type { ActionsBlock, Button, HomeView, KnownBlock } from '@slack/types';
import type { HomeRow, HomeScreen, HomeSection, NotificationChoice } from '../../bridge/home.ts';
import { escapeMrkdwn, link, slackDate } from '../mrkdwn.ts';
import { cardActionId } from './card.ts';
import { actions, button, context, header, option, plainText, section } from './kit.ts';
import { clockText } from './queue.ts';

// The Home tab (docs/home.md): "Assigned to you" and "Unassigned", a section and a row of buttons for each
// conversation, then the person's notification settings. Reply and Close are the card's own buttons (same action
// ids, same handlers); a Home tab click has no card message to check them against, so their values are the
// conversation sealed by the bridge (`homeButtonState`), as the queue's Take is.

/** Action ids of what only the Home tab has. Take's value is sealed; Show more names a section (harmless). */
export const HOME_ACTIONS = { take: 'home_take', more: 'home_more', notifications: 'home_notifications' } as const;

/** What a Home tab button's value seals: the button and its conversation, so a click names only what was listed. */
export function homeButtonState(kind: 'reply' | 'close' | 'take', conversationId: string): string {
  return `home:${kind}:${conversationId}`;
}

export interface HomeViewOptions {
  /** Seals a button's state (ModalState.seal). */
  seal: (state: string) => string;
}

/** Slack's limit on blocks in a Home tab view. */
export const HOME_MAX_BLOCKS = 100;

/** The Home tab for a screen from bridge/home.ts. */
export function homeView(screen: HomeScreen, options: HomeViewOptions): HomeView {
  switch (screen.kind) {
    case 'queue':
      return view(queueBlocks(screen, options));
    case 'unmapped':
      return view(unmappedBlocks(screen));
    case 'unavailable':
      return view([
        header('Your Intercom queue'),
        section(
          ':warning: Intercom could not be read just now, so your queue is not shown. Open this tab again in a minute.',
        ),
      ]);
  }
}

function view(blocks: KnownBlock[]): HomeView {
  return { type: 'home', blocks: blocks.slice(0, HOME_MAX_BLOCKS) };
}

type QueueScreen = Extract<HomeScreen, { kind: 'queue' }>;

function queueBlocks(screen: QueueScreen, options: HomeViewOptions): KnownBlock[] {
  const { assigned, unassigned } = screen;
  const summary = `Read from Intercom ${slackDate(screen.readAt / 1000, '{time}')} · open this tab again to refresh`;
  return [
    header('Your Intercom queue'),
    context(`*${escapeMrkdwn(screen.teammate)}* in Intercom · ${summary}`),
    section(`*Assigned to you* · ${countText(assigned)}, open and snoozed, longest-waiting first`),
    ...sectionBlocks(assigned, 'Nothing open is assigned to you.', options),
    { type: 'divider' },
    section(`*${unassignedTitle(unassigned.teams)}* · ${countText(unassigned)}, longest-waiting first`),
    ...sectionBlocks(unassigned, 'Nothing is waiting unassigned.', options),
    { type: 'divider' },
    ...notificationBlocks(screen.notifications),
  ];
}

function countText(s: HomeSection): string {
  return s.capped ? `more than ${s.total}` : String(s.total);
}

function unassignedTitle(teams: readonly string[]): string {
  if (teams.length === 0) return 'Unassigned';
  return `Unassigned in ${teams.map(escapeMrkdwn).join(', ')}`;
}

function sectionBlocks(s: HomeSection, none: string, options: HomeViewOptions): KnownBlock[] {
  if (s.total === 0) return [context(none)];
  const blocks: KnownBlock[] = s.rows.flatMap((row) => rowBlocks(row, s.name, options));
  const more = s.total - s.rows.length;
  if (more > 0 || s.capped) blocks.push(context(moreText(s, more)));
  if (s.canShowMore) {
    blocks.push(actions([button(HOME_ACTIONS.more, 'Show more', { value: s.name })], `home:more:${s.name}`));
  }
  return blocks;
}

/** Under a section that does not show everything: how many are left, and where to see them. */
export function moreText(s: HomeSection, more: number): string {
  const shown = `Showing ${s.rows.length} of ${countText(s)}`;
  if (s.canShowMore) return `${shown} · ${more} more`;
  const where = s.name === 'assigned' ? '`/intercom queue me`' : '`/intercom queue unassigned`';
  return `${shown} · the tab has room for no more: see the rest in Intercom or with ${where}`;
}

/** One conversation: title (linking to its card), then customer · clock · state · links; then its buttons. */
export function rowBlocks(row: HomeRow, sectionName: HomeSection['name'], options: HomeViewOptions): KnownBlock[] {
  const id = row.conversationId;
  return [section(rowText(row), { blockId: `home:${sectionName}:${id}` }), rowActions(row, sectionName, options)];
}

export function rowText(row: HomeRow): string {
  const title = `*${row.cardUrl ? link(row.cardUrl, row.title) : escapeMrkdwn(row.title)}*`;
  const details = [
    row.customer ? escapeMrkdwn(row.customer) : null,
    row.clock ? clockText(row.clock) : null,
    stateText(row),
    row.assignee?.startsWith('team ') ? escapeMrkdwn(row.assignee) : null,
    row.cardUrl ? link(row.cardUrl, 'Card in Slack') : null,
  ].filter((d): d is string => d !== null);
  return `${title}\n${details.join(' · ')}`;
}

function stateText(row: HomeRow): string {
  if (row.state === 'snoozed') {
    return row.snoozedUntil ? `:zzz: snoozed until ${slackDate(row.snoozedUntil)}` : ':zzz: snoozed';
  }
  return row.clock ? 'open' : 'open, answered';
}

function rowActions(row: HomeRow, sectionName: HomeSection['name'], options: HomeViewOptions): ActionsBlock {
  const id = row.conversationId;
  const sealed = (kind: 'reply' | 'close' | 'take') => options.seal(homeButtonState(kind, id));
  const elements: Button[] = [
    button(cardActionId('reply', id), plainText('Reply'), { value: sealed('reply'), style: 'primary' }),
  ];
  if (sectionName === 'unassigned') {
    elements.push(button(`${HOME_ACTIONS.take}:${id}`, plainText('Take'), { value: sealed('take') }));
  }
  elements.push(
    button(cardActionId('close', id), plainText('Close'), {
      value: sealed('close'),
      confirm: {
        title: plainText('Close this conversation?'),
        text: plainText('It is closed in Intercom for everyone.'),
        confirm: plainText('Close'),
        deny: plainText('Cancel'),
      },
    }),
  );
  // the card's URL button id: its click is acknowledged by the card's listener
  if (row.intercomUrl) elements.push(button(`open:${id}`, plainText('Open in Intercom'), { url: row.intercomUrl }));
  return actions(elements, `home:${sectionName}:${id}:actions`);
}

const NOTIFICATION_OPTIONS: ReadonlyArray<{ key: keyof NotificationChoice; text: string; description: string }> = [
  {
    key: 'assigned',
    text: 'A conversation is assigned to me',
    description: 'By anyone but you.',
  },
  {
    key: 'replies',
    text: 'A customer replies on one of mine',
    description: 'On a conversation assigned to you.',
  },
  {
    key: 'due',
    text: 'One of mine is about to miss its target',
    description: 'When its response target’s warning comes due.',
  },
];

/** The person's DM settings: three checkboxes, stored the moment one changes. */
export function notificationBlocks(choice: NotificationChoice): KnownBlock[] {
  const all = NOTIFICATION_OPTIONS.map((o) => ({
    ...option(o.text, o.key),
    description: plainText(o.description),
  }));
  const initial = all.filter((o) => choice[o.value as keyof NotificationChoice]);
  return [
    header('Notifications'),
    context('A direct message from the app, only to you, each with a link to the card and a Reply button:'),
    {
      type: 'actions',
      block_id: 'home:notifications',
      elements: [
        {
          type: 'checkboxes',
          action_id: HOME_ACTIONS.notifications,
          options: all,
          // Slack refuses an empty initial_options: none checked is none sent
          ...(initial.length ? { initial_options: initial } : {}),
        },
      ],
    },
  ];
}

/** What the checkboxes say when one changes: the choice as a whole (unknown values ignored). */
export function parseNotifications(selected: ReadonlyArray<{ value?: string }> | undefined): NotificationChoice {
  const values = new Set((selected ?? []).map((o) => o.value));
  return { assigned: values.has('assigned'), replies: values.has('replies'), due: values.has('due') };
}

type UnmappedScreen = Extract<HomeScreen, { kind: 'unmapped' }>;

function unmappedBlocks(screen: UnmappedScreen): KnownBlock[] {
  const email = screen.email ? ` (${escapeMrkdwn(screen.email)})` : '';
  return [
    header('Your Intercom queue'),
    section(`:information_source: ${escapeMrkdwn(screen.refusal)}`),
    section(
      [
        '*What to do*',
        `• If you work in Intercom, use the same email there as on your Slack profile${email}, then open this tab again.`,
        '• If the two must differ, ask whoever runs the bridge to add you to `ADMIN_OVERRIDES` ' +
          `(\`${escapeMrkdwn(screen.slackUserId)}=YOUR_INTERCOM_ADMIN_ID\`).`,
        '• Not an Intercom teammate? This tab lists Intercom conversations for teammates only.',
      ].join('\n'),
    ),
  ];
}
