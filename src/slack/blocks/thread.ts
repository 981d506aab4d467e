import type { KnownBlock } from '@slack/types';
import type { ThreadLine } from '../../bridge/model.ts';
import { escapeMrkdwn, htmlToMrkdwn, link, slackDate, truncate } from '../mrkdwn.ts';
import { context, LIMITS, section } from './kit.ts';

/** A thread message for one thing that happened to the conversation: who did what, and the text if any. */
export function buildThreadLine(line: ThreadLine): { text: string; blocks: KnownBlock[] } {
  const who = `*${escapeMrkdwn(line.actor?.trim() || 'Someone')}*`;
  const detail = line.detail ? escapeMrkdwn(line.detail) : '';
  const headline = headlineOf(line, who, detail);
  const body = line.bodyHtml ? htmlToMrkdwn(line.bodyHtml) : '';
  const text = truncate(body ? `${headline}\n${body}` : headline, LIMITS.section);
  const blocks: KnownBlock[] = [section(text)];
  const files = (line.attachments ?? []).filter((a) => a.url).map((a) => `📎 ${link(a.url, a.name || 'attachment')}`);
  if (files.length) blocks.push(context(files.join('  ')));
  return { text, blocks };
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
  }
}
