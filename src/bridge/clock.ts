import type { Conversation, ConversationPart } from '../intercom/schemas.ts';
import { addWorkingMs, type BusinessHours, workingMs } from './business-hours.ts';
import type { ClockView } from './model.ts';
import type { Targets } from './targets.ts';

// A conversation's response clock, read from Intercom's own fields (the operator contract: ../shared/DESIGN.md,
// "Response targets, queue and digests"): it runs while the conversation is open, not snoozed, and a customer is
// waiting; its target is the first response until a teammate — a person, not Fin, a bot or an automation — has
// replied, then the next response; with business hours, only time inside them counts. Pure: `now` is passed in.

export type ClockTarget = 'first_response' | 'next_response';

/** Why a clock is not running. */
export type ClockStop = 'closed' | 'snoozed' | 'answered' | 'no_target';

export type Clock =
  | { running: false; stop: ClockStop }
  | {
      running: true;
      target: ClockTarget;
      /** When the customer began waiting (epoch ms). */
      since: number;
      /** When the target is missed (epoch ms; Infinity when business hours never come). */
      dueAt: number;
      /** When to warn (epoch ms), or null with no `warn_before`. */
      warnAt: number | null;
      /** Working time waited so far. */
      waitedMs: number;
      /** Working time past `dueAt` (0 until then). */
      overdueMs: number;
    };

/** What a clock is measured against: the conversation's targets and the team's hours. */
export interface ClockRules {
  targets: Targets;
  hours?: BusinessHours | undefined;
}

/** The conversation's clock at `now` (epoch ms). `parts` are its parts, oldest first (conversationParts). */
export function clockOf(
  conversation: Conversation,
  parts: readonly ConversationPart[],
  rules: ClockRules,
  now: number,
): Clock {
  if (conversation.state === 'closed' || conversation.open === false) return { running: false, stop: 'closed' };
  if (conversation.state === 'snoozed') return { running: false, stop: 'snoozed' };
  const since = waitingSince(conversation, parts);
  if (since === null) return { running: false, stop: 'answered' };
  const target: ClockTarget = personReplied(conversation, parts, since) ? 'next_response' : 'first_response';
  const targetMs = target === 'first_response' ? rules.targets.firstResponseMs : rules.targets.nextResponseMs;
  if (targetMs === undefined) return { running: false, stop: 'no_target' };
  // time snoozed since the wait began does not count: the clock counts in the stretches between snoozes
  const counted = countedStretches(parts, since);
  const dueAt = addCountedMs(rules.hours, counted, targetMs);
  const warnBefore = rules.targets.warnBeforeMs;
  // a warning as long as the target itself would come with the wait: there is none (docs/targets.md)
  const warnAt =
    warnBefore === undefined || warnBefore >= targetMs
      ? null
      : addCountedMs(rules.hours, counted, targetMs - warnBefore);
  return {
    running: true,
    target,
    since,
    dueAt,
    warnAt,
    waitedMs: countedMs(rules.hours, counted, now),
    overdueMs: now > dueAt ? workingMs(rules.hours, dueAt, now) : 0,
  };
}

/** A stretch of time the clock counts: from `start` until `end` (the next snooze), or on (Infinity). */
interface Stretch {
  start: number;
  end: number;
}

const SNOOZE_ENDS: ReadonlySet<string> = new Set(['unsnoozed', 'timer_unsnooze', 'open', 'assign_and_reopen']);

/** The stretches from `since` on that were not snoozed: a snooze lasts until it is lifted or the customer writes. */
export function countedStretches(parts: readonly ConversationPart[], since: number): Stretch[] {
  const stretches: Stretch[] = [];
  let start: number | null = since;
  for (const part of parts) {
    const at = (part.created_at ?? 0) * 1000;
    if (at <= since) continue;
    if (part.part_type === 'snoozed' && start !== null) {
      stretches.push({ start, end: at });
      start = null;
    } else if (start === null && (SNOOZE_ENDS.has(part.part_type ?? '') || isCustomerMessage(part))) {
      start = at;
    }
  }
  if (start !== null) stretches.push({ start, end: Number.POSITIVE_INFINITY });
  return stretches;
}

/** When `ms` of counted (working, not snoozed) time has passed. */
function addCountedMs(hours: BusinessHours | undefined, stretches: readonly Stretch[], ms: number): number {
  let left = ms;
  for (const { start, end } of stretches) {
    const available = workingMs(hours, start, end);
    if (left <= available) return addWorkingMs(hours, start, left);
    left -= available;
  }
  return Number.POSITIVE_INFINITY;
}

/** Counted time until `now`. */
function countedMs(hours: BusinessHours | undefined, stretches: readonly Stretch[], now: number): number {
  return stretches.reduce((sum, { start, end }) => sum + workingMs(hours, start, Math.min(end, now)), 0);
}

/**
 * When the customer began waiting (ms), or null when nobody is waiting. Intercom's `waiting_since` says it; when it
 * is null although the customer wrote last and only Fin or a bot answered since, the customer is still waiting for
 * a person, from their first message after the last person's reply.
 */
export function waitingSince(conversation: Conversation, parts: readonly ConversationPart[]): number | null {
  if (typeof conversation.waiting_since === 'number' && conversation.waiting_since > 0) {
    return conversation.waiting_since * 1000;
  }
  let lastPerson = -1;
  parts.forEach((part, i) => {
    if (isPersonReply(part)) lastPerson = i;
  });
  const waiting = parts.slice(lastPerson + 1).find(isCustomerMessage);
  return waiting?.created_at ? waiting.created_at * 1000 : null;
}

/** Whether a person on the team has replied to the customer (before `since`, the current wait). */
function personReplied(conversation: Conversation, parts: readonly ConversationPart[], since: number): boolean {
  if (parts.some((p) => isPersonReply(p) && (p.created_at ?? 0) * 1000 <= since)) return true;
  // a conversation longer than one answer holds (500 parts) may have its first reply out of sight
  const listed = conversation.conversation_parts?.total_count ?? parts.length;
  const first = conversation.statistics?.first_admin_reply_at;
  return listed > parts.length && typeof first === 'number' && first * 1000 <= since;
}

const REPLY_PARTS: ReadonlySet<string> = new Set(['comment', 'open', 'close', 'assign_and_reopen', 'quick_reply']);
const CUSTOMERS: ReadonlySet<string> = new Set(['user', 'lead', 'contact']);

/** A message a teammate wrote to the customer: an admin's part with text, not Fin's. */
export function isPersonReply(part: ConversationPart): boolean {
  const author = part.author;
  if (author?.type !== 'admin' || author.from_ai_agent || author.is_ai_answer) return false;
  return REPLY_PARTS.has(part.part_type ?? '') && !!part.body?.trim();
}

function isCustomerMessage(part: ConversationPart): boolean {
  return CUSTOMERS.has(part.author?.type ?? '') && REPLY_PARTS.has(part.part_type ?? '');
}

/** The phase a running clock is in at `now`: the card changes only when this does. */
export function runningView(
  clock: Extract<Clock, { running: true }>,
  now: number,
): Extract<ClockView, { phase: 'waiting' | 'due_soon' | 'overdue' }> {
  const dueAt = Math.floor(clock.dueAt / 1000);
  if (now >= clock.dueAt) return { phase: 'overdue', target: clock.target, dueAt };
  if (clock.warnAt !== null && now >= clock.warnAt) return { phase: 'due_soon', target: clock.target, dueAt };
  return { phase: 'waiting', target: clock.target, dueAt };
}

/**
 * The latest wait a person answered: which target it was, how long it took and how late it was (working time),
 * and who answered; undefined when no person has answered a customer yet.
 */
export function lastAnswer(
  conversation: Conversation,
  parts: readonly ConversationPart[],
  rules: ClockRules,
): { target: ClockTarget; tookMs: number; lateMs: number; by: string | null; at: number } | undefined {
  const answerIndex = parts.findLastIndex(isPersonReply);
  const answer = parts[answerIndex];
  if (!answer?.created_at) return undefined;
  const before = parts.slice(0, answerIndex);
  const previousAnswer = before.findLastIndex(isPersonReply);
  // the wait began with the customer's first message after the answer before (or with the conversation)
  const start = before.slice(previousAnswer + 1).find(isCustomerMessage)?.created_at ?? conversation.created_at;
  if (!start) return undefined;
  const target: ClockTarget = previousAnswer === -1 ? 'first_response' : 'next_response';
  const targetMs = target === 'first_response' ? rules.targets.firstResponseMs : rules.targets.nextResponseMs;
  const tookMs = workingMs(rules.hours, start * 1000, answer.created_at * 1000);
  const lateMs = targetMs === undefined ? 0 : Math.max(0, tookMs - targetMs);
  const by = answer.author?.name?.trim() || answer.author?.email || null;
  return { target, tookMs, lateMs, by, at: answer.created_at * 1000 };
}
