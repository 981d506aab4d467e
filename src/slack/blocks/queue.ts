import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../bridge/duration.ts';
import type { QueueClock, QueueItem, QueuePage, QueueScope } from '../../bridge/queue.ts';
import { escapeMrkdwn, link } from '../mrkdwn.ts';
import { actions, button, context, section } from './kit.ts';
import { notice } from './results.ts';

// `/intercom queue`: the waiting conversations, longest first, one section each (title linking to its card, the
// customer, the clock, the assignee, "Open in Intercom") with a Take button; QUEUE_PAGE to a message, then "Next".

/** Action ids of the queue's buttons. The Take button's value is sealed by the bridge (it names what it acts on). */
export const QUEUE_ACTIONS = { take: 'queue_take', next: 'queue_next' } as const;

/** Conversations to a page: one block each, well inside Slack's 50 blocks and 3,000 characters a section. */
export const QUEUE_PAGE = 10;

const WHOSE: Record<QueueScope, { title: string; none: string }> = {
  me: { title: 'assigned to you', none: 'Nothing assigned to you is waiting for a reply.' },
  unassigned: { title: 'unassigned', none: 'No unassigned conversation is waiting for a reply.' },
  all: { title: 'in Intercom', none: 'No conversation is waiting for a reply.' },
};

export interface QueueMessageOptions {
  /** The Take button's value for a conversation: its id, sealed so the click can be checked. */
  takeValue: (conversationId: string) => string;
}

/** A page of the queue, as an ephemeral message. */
export function queueMessage(page: QueuePage, options: QueueMessageOptions): { text: string; blocks: KnownBlock[] } {
  const whose = WHOSE[page.scope];
  if (page.total === 0) return notice(whose.none);
  const first = page.offset + 1;
  const last = page.offset + page.items.length;
  const summary = `*${page.total} waiting ${whose.title}*, longest first · ${first}–${last}`;
  const blocks: KnownBlock[] = [context(page.capped ? `${summary} · ${CAPPED}` : summary)];
  for (const item of page.items) {
    const take = page.scope === 'me' ? undefined : takeButton(item, options);
    blocks.push(section(itemText(item), { blockId: `queue:${item.conversationId}`, accessory: take }));
  }
  const more = page.total - last;
  if (more > 0) {
    blocks.push(context(`… and ${more} more`));
    const value = JSON.stringify({ s: page.scope, o: last });
    blocks.push(actions([button(QUEUE_ACTIONS.next, 'Next', { value })]));
  }
  return { text: `${page.total} conversations waiting ${whose.title}`, blocks };
}

const CAPPED = 'only the longest-waiting of the first 1,000 open conversations are counted';

function takeButton(item: QueueItem, options: QueueMessageOptions) {
  return button(`${QUEUE_ACTIONS.take}:${item.conversationId}`, 'Take', {
    value: options.takeValue(item.conversationId),
  });
}

/** A conversation in a list: its title (linking to the card), then customer · clock · assignee · Intercom link. */
export function itemText(item: QueueItem): string {
  const title = `*${item.cardUrl ? link(item.cardUrl, item.title) : escapeMrkdwn(item.title)}*`;
  const details = [
    item.customer ? escapeMrkdwn(item.customer) : null,
    clockText(item.clock),
    item.assignee ? escapeMrkdwn(item.assignee) : 'unassigned',
    item.intercomUrl ? link(item.intercomUrl, 'Open in Intercom') : null,
  ].filter((d): d is string => d !== null);
  return `${title}\n${details.join(' · ')}`;
}

const TARGET_NAMES = { first_response: 'first response', next_response: 'next response' } as const;

/** "first response overdue by 12m", "next response due in 8m", "waiting 40m". */
export function clockText(clock: QueueClock): string {
  switch (clock.kind) {
    case 'overdue':
      return `:warning: ${TARGET_NAMES[clock.target]} overdue by ${formatDuration(clock.ms)}`;
    case 'due':
      return `${TARGET_NAMES[clock.target]} due in ${formatDuration(clock.ms)}`;
    case 'waiting':
      return `waiting ${formatDuration(clock.ms)}`;
  }
}

/** Reads a Next button's value: the scope and where the next page starts; undefined when it is not one. */
export function parseNext(value: string | undefined): { scope: QueueScope; offset: number } | undefined {
  try {
    const parsed = JSON.parse(value ?? '') as { s?: unknown; o?: unknown };
    const scope = parsed.s;
    if (scope !== 'me' && scope !== 'unassigned' && scope !== 'all') return undefined;
    const offset = parsed.o;
    return typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0 ? { scope, offset } : undefined;
  } catch {
    return undefined;
  }
}
