import type { KnownBlock } from '@slack/types';
import type { ThreadLine } from '../../bridge/model.ts';
import { escapeMrkdwn, htmlToMrkdwn, link, slackDate, truncate } from '../mrkdwn.ts';
import { clockHeadline } from './clock.ts';
import { context, LIMITS, section } from './kit.ts';

/** A thread message for one thing that happened to the conversation: who did what, and the text if any. */
export function buildThreadLine(line: ThreadLine): { text: string; blocks: KnownBlock[] } {
  const who = `*${escapeMrkdwn(line.actor?.trim() || 'Someone')}*`;
  const detail = line.detail ? escapeMrkdwn(line.detail) : '';
  const body = line.bodyHtml ? htmlToMrkdwn(line.bodyHtml) : '';
  const headline = withBody(headlineOf(line, who, detail), line, body);
  const text = line.trimmed
    ? `${truncate(`${headline}\n${body}`, LIMITS.section - 40)}\n_… (full message in Intercom)_`
    : truncate(body ? `${headline}\n${body}` : headline, LIMITS.section);
  const blocks: KnownBlock[] = [section(text)];
  const files = (line.attachments ?? []).filter((a) => a.url).map((a) => `📎 ${link(a.url, a.name || 'attachment')}`);
  if (files.length) blocks.push(context(files.join('  ')));
  return { text, blocks };
}

/** What happened, read on: a close or an assignment that carries a message says so; a reply says it reopened. */
function withBody(headline: string, line: ThreadLine, body: string): string {
  if (line.reopened) return headline.replace(/:$/, ', reopening the conversation:');
  if (body && !headline.endsWith(':') && line.kind !== 'quick_reply') return `${headline}, and wrote:`;
  return headline;
}

function headlineOf(line: ThreadLine, who: string, detail: string): string {
  switch (line.kind) {
    case 'customer_reply':
      return `💬 ${who} replied:`;
    case 'teammate_reply':
      return `↩️ ${who} replied to the customer:`;
    case 'bot_reply':
      return `🤖 ${who} replied:`;
    case 'note':
      return `📝 ${who} added a note:`;
    case 'assignment':
      return detail ? `👤 ${who} assigned the conversation to *${detail}*` : `👤 ${who} unassigned the conversation`;
    case 'close':
      return `✅ ${who} closed the conversation`;
    case 'open':
      return `🔓 ${who} reopened the conversation`;
    case 'snooze':
      return line.until
        ? `💤 ${who} snoozed the conversation until ${slackDate(line.until)}`
        : `💤 ${who} snoozed the conversation`;
    case 'unsnooze':
      return '⏰ The conversation is back from snooze';
    case 'quick_reply':
      return quickReplyHeadline(line, who);
    case 'tag':
      return `🏷️ ${who} tagged the conversation: ${detail}`;
    case 'priority':
      return detail ? `⭐ ${who} marked the conversation as priority` : `☆ ${who} removed the priority`;
    case 'rating':
      return `🌟 ${who} rated the conversation ${detail}`;
    case 'deleted':
      return '🗑️ The conversation was deleted in Intercom';
    case 'earlier':
      return `… ${detail} earlier messages are only in Intercom`;
    case 'clock_warning':
    case 'clock_miss':
      return line.clock ? clockHeadline(line.kind, line.clock, line.mentions ?? []) : '';
  }
}

/** A customer's pick among quick replies, or the choices a teammate or bot offered. */
function quickReplyHeadline(line: ThreadLine, who: string): string {
  const options = (line.options ?? []).map((o) => `*${escapeMrkdwn(o)}*`);
  if (line.side === 'customer') return options.length ? `💬 ${who} chose ${options.join(', ')}` : `💬 ${who} chose:`;
  const offered = options.length ? ` ${options.join(' · ')}` : '';
  return line.bodyHtml ? `🔘 ${who} asked, with quick replies${offered}:` : `🔘 ${who} offered quick replies${offered}`;
}
