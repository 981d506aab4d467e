import type { KnownBlock } from '@slack/types';
import type { DigestData } from '../../bridge/digests.ts';
import { formatDuration } from '../../bridge/duration.ts';
import { escapeMrkdwn } from '../mrkdwn.ts';
import { context, header, section } from './kit.ts';
import { itemText } from './queue.ts';

// A digest as posted in its channel: the day, the counts, the longest-waiting conversations with links, and how
// yesterday's first responses went. At most 4 + 10 + 2 blocks.

export function digestMessage(digest: DigestData): { text: string; blocks: KnownBlock[] } {
  const { counts } = digest;
  const countLine = `*Open* ${counts.open} · *Unassigned* ${counts.unassigned} · *Waiting* ${counts.waiting} · *Overdue* ${counts.overdue}`;
  const blocks: KnownBlock[] = [header(`Support digest · ${digest.dayLabel}`), section(countLine)];
  const scope = digest.routes?.length ? `Routes: ${digest.routes.map(escapeMrkdwn).join(', ')}` : 'All routes';
  blocks.push(context(digest.capped ? `${scope} · counted from the first 1,000 open conversations` : scope));
  if (digest.longest.length > 0) {
    blocks.push(section('*Longest waiting*'));
    for (const item of digest.longest) blocks.push(section(itemText(item)));
    const more = counts.waiting - digest.longest.length;
    if (more > 0) blocks.push(context(`… and ${more} more waiting: \`/intercom queue all\``));
  } else {
    blocks.push(section('Nobody is waiting for a reply.'));
  }
  blocks.push(section(yesterdayLine(digest.yesterday)));
  const text = `Support digest: ${counts.waiting} waiting, ${counts.overdue} overdue, ${counts.unassigned} unassigned`;
  return { text, blocks };
}

function yesterdayLine(yesterday: DigestData['yesterday']): string {
  if (yesterday.answered === 0 || yesterday.medianMs === null) return '*Yesterday*: no first responses.';
  const plural = yesterday.answered === 1 ? '' : 's';
  const missed = yesterday.misses === 0 ? 'none missed its target' : `${yesterday.misses} missed the target`;
  return `*Yesterday*: ${yesterday.answered} first response${plural}, median ${formatDuration(yesterday.medianMs)}, ${missed}.`;
}
