import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../bridge/duration.ts';
import type { ClockView, Escalation } from '../../bridge/model.ts';
import { escapeMrkdwn, htmlToMrkdwn, link, slackDate, truncate } from '../mrkdwn.ts';
import { context, LIMITS, section } from './kit.ts';

// How response clocks read in Slack (docs/targets.md): the card's status element, the warning and miss lines in
// its thread, and the message a miss raises in the escalation channel. Times are Slack date tokens, shown in each
// reader's own zone.

const TARGET_NAME = { first_response: 'First response', next_response: 'Next response' } as const;

/** The clock's element of a card's status line. */
export function clockStatus(view: ClockView): string {
  const name = TARGET_NAME[view.target];
  switch (view.phase) {
    case 'waiting':
      return `⏱️ ${name} due ${slackDate(view.dueAt, '{time}')}`;
    case 'due_soon':
      return `⏳ ${name} due soon, ${slackDate(view.dueAt, '{time}')}`;
    case 'overdue':
      return `🔴 ${name} overdue since ${slackDate(view.dueAt, '{date_short_pretty} {time}')}`;
    case 'answered':
      return view.lateMs > 0
        ? `✅ ${name} in ${formatDuration(view.tookMs)}, ${formatDuration(view.lateMs)} late`
        : `✅ ${name} in ${formatDuration(view.tookMs)}`;
  }
}

/** Slack's own syntax for pinging users (U…, W…) and user groups (S…); anything else is left out. */
export function mentionsText(ids: readonly string[]): string {
  return ids
    .flatMap((id) => {
      if (/^[UW][A-Z0-9]{2,}$/.test(id)) return [`<@${id}>`];
      if (/^S[A-Z0-9]{2,}$/.test(id)) return [`<!subteam^${id}>`];
      return [];
    })
    .join(' ');
}

/** The headline of a clock line in a card's thread. */
export function clockHeadline(
  kind: 'clock_warning' | 'clock_miss',
  clock: { target: 'first_response' | 'next_response'; targetMs: number; dueAt: number; overdueMs: number },
  mentions: readonly string[],
): string {
  const name = TARGET_NAME[clock.target];
  const ping = mentionsText(mentions);
  const line =
    kind === 'clock_warning'
      ? `⏳ ${name} due ${slackDate(clock.dueAt, '{time}')} (target ${formatDuration(clock.targetMs)})`
      : clock.overdueMs > 0
        ? `🔴 ${name} still missing: ${formatDuration(clock.overdueMs)} over the ${formatDuration(clock.targetMs)} target`
        : `🔴 ${name} target of ${formatDuration(clock.targetMs)} missed`;
  return ping ? `${line} · ${ping}` : line;
}

/** The message a miss raises in the escalation channel; once the clock stops, the same message says how it ended. */
export function buildEscalation(e: Escalation): { text: string; blocks: KnownBlock[] } {
  const name = TARGET_NAME[e.target];
  // the title may be a subject as Intercom sends it (HTML): its first line, rendered and escaped
  const title =
    htmlToMrkdwn(e.title)
      .split('\n')
      .find((l) => l.trim()) ?? '';
  const about = `*${title.replace(/[*]/g, '')}* · ${escapeMrkdwn(e.contact)}`;
  const where = [
    e.cardUrl ? link(e.cardUrl, 'card in Slack') : '',
    e.intercomUrl ? link(e.intercomUrl, 'Intercom') : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const headline = e.resolved
    ? resolvedLine(name, e.resolved)
    : `🔴 ${name} target of ${formatDuration(e.targetMs)} missed${e.overdueMs > 0 ? `, ${formatDuration(e.overdueMs)} over` : ''}`;
  const ping = e.resolved ? '' : mentionsText(e.mentions);
  const text = truncate([headline, about, ping].filter(Boolean).join('\n'), LIMITS.section);
  const blocks: KnownBlock[] = [section(text)];
  if (where) blocks.push(context(where));
  return { text: truncate(`${headline}: ${title}`, LIMITS.section), blocks };
}

function resolvedLine(name: string, resolved: NonNullable<Escalation['resolved']>): string {
  const late = resolved.lateMs > 0 ? `, ${formatDuration(resolved.lateMs)} late` : '';
  if (resolved.how === 'answered') {
    const by = resolved.by ? ` by *${escapeMrkdwn(resolved.by)}*` : '';
    return `✅ ${name} sent${by} after ${formatDuration(resolved.tookMs)}${late}`;
  }
  return `⚪ ${resolved.how === 'closed' ? 'Closed' : 'Snoozed'} without a reply after ${formatDuration(resolved.tookMs)}`;
}
