import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { BusinessHours } from '../../src/bridge/business-hours.ts';
import { clockOf, lastAnswer, runningView, waitingSince } from '../../src/bridge/clock.ts';
import type { Conversation, ConversationPart } from '../../src/intercom/schemas.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const targets = { firstResponseMs: 15 * MIN, nextResponseMs: HOUR, warnBeforeMs: 5 * MIN };

/** Epoch ms of a wall time in a zone. */
const at = (iso: string, zone = 'UTC') => DateTime.fromISO(iso, { zone }).toMillis();
const s = (ms: number) => Math.floor(ms / 1000);

function conversation(fields: Partial<Conversation> = {}): Conversation {
  return { id: '1', state: 'open', open: true, created_at: s(at('2026-03-02T09:00')), ...fields } as Conversation;
}

const part = (fields: Partial<ConversationPart> & { author?: Record<string, unknown> }): ConversationPart =>
  ({ id: String(Math.random()), part_type: 'comment', body: '<p>x</p>', ...fields }) as ConversationPart;

describe('clockOf', () => {
  it('runs while a customer waits: first response due 15 min after waiting_since, warned 5 min before', () => {
    const since = at('2026-03-02T09:00');
    const clock = clockOf(conversation({ waiting_since: s(since) }), [], { targets }, since + 12 * MIN);
    expect(clock).toEqual({
      running: true,
      target: 'first_response',
      since,
      dueAt: since + 15 * MIN,
      warnAt: since + 10 * MIN,
      waitedMs: 12 * MIN,
      overdueMs: 0,
    });
    const late = clockOf(conversation({ waiting_since: s(since) }), [], { targets }, since + 20 * MIN);
    expect(late.running && late.overdueMs).toBe(5 * MIN);
  });

  it('stops for closed and snoozed conversations, a teammate’s answer, and conversations without a target', () => {
    const waiting = { waiting_since: s(at('2026-03-02T09:00')) };
    const now = at('2026-03-02T10:00');
    expect(clockOf(conversation({ ...waiting, state: 'closed', open: false }), [], { targets }, now)).toEqual({
      running: false,
      stop: 'closed',
    });
    expect(clockOf(conversation({ ...waiting, state: 'snoozed' }), [], { targets }, now)).toEqual({
      running: false,
      stop: 'snoozed',
    });
    expect(clockOf(conversation({ waiting_since: null }), [], { targets }, now)).toEqual({
      running: false,
      stop: 'answered',
    });
    expect(clockOf(conversation(waiting), [], { targets: { nextResponseMs: HOUR } }, now)).toEqual({
      running: false,
      stop: 'no_target',
    });
  });

  it('switches to next_response once a person has replied, and measures from the customer’s new message', () => {
    const reply = part({ created_at: s(at('2026-03-02T09:05')), author: { type: 'admin', name: 'Alice' } });
    const again = at('2026-03-02T11:00');
    const clock = clockOf(conversation({ waiting_since: s(again) }), [reply], { targets }, again + MIN);
    expect(clock).toMatchObject({ running: true, target: 'next_response', since: again, dueAt: again + HOUR });
  });

  it('does not take Fin, a bot or an automation for a person: the first response is still due', () => {
    const since = at('2026-03-02T09:00');
    const fin = part({ created_at: s(since) + 5, author: { type: 'admin', name: 'Fin', from_ai_agent: true } });
    const bot = part({ created_at: s(since) + 6, author: { type: 'bot', name: 'Operator' } });
    const note = part({ part_type: 'note', created_at: s(since) + 7, author: { type: 'admin', name: 'Alice' } });
    const clock = clockOf(conversation({ waiting_since: s(since) }), [fin, bot, note], { targets }, since + MIN);
    expect(clock).toMatchObject({ running: true, target: 'first_response' });
  });

  it('keeps the customer waiting when Intercom cleared waiting_since for a bot’s answer only', () => {
    const asked = part({ created_at: s(at('2026-03-02T09:00')), author: { type: 'user', name: 'Dana' } });
    const fin = part({
      created_at: s(at('2026-03-02T09:01')),
      author: { type: 'bot', name: 'Fin', is_ai_answer: true },
    });
    expect(waitingSince(conversation({ waiting_since: null }), [asked, fin])).toBe(at('2026-03-02T09:00'));
    const alice = part({ created_at: s(at('2026-03-02T09:02')), author: { type: 'admin', name: 'Alice' } });
    expect(waitingSince(conversation({ waiting_since: null }), [asked, fin, alice])).toBeNull();
  });

  it('pauses while snoozed: an hour snoozed in the middle of the wait moves the due time an hour on', () => {
    const since = at('2026-03-02T09:00');
    const parts = [
      part({ part_type: 'snoozed', body: null, created_at: s(since + 5 * MIN), author: { type: 'admin' } }),
      part({ part_type: 'timer_unsnooze', body: null, created_at: s(since + 65 * MIN), author: { type: 'bot' } }),
    ];
    const clock = clockOf(conversation({ waiting_since: s(since) }), parts, { targets }, since + 70 * MIN);
    expect(clock).toMatchObject({
      running: true,
      dueAt: since + 75 * MIN,
      warnAt: since + 70 * MIN,
      waitedMs: 10 * MIN,
    });
    // a customer writing to a snoozed conversation ends the snooze as well
    const woken = [parts[0] as ConversationPart, part({ created_at: s(since + 20 * MIN), author: { type: 'user' } })];
    const again = clockOf(conversation({ waiting_since: s(since) }), woken, { targets }, since + 20 * MIN);
    expect(again).toMatchObject({ running: true, dueAt: since + 30 * MIN });
  });

  it('counts only business hours: a message on Friday evening is due Monday morning', () => {
    const hours: BusinessHours = {
      timezone: 'Europe/Berlin',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      start: '09:00',
      end: '17:30',
      holidays: [],
    };
    const since = at('2026-03-06T17:25', 'Europe/Berlin'); // a Friday, 5 working minutes left
    const clock = clockOf(conversation({ waiting_since: s(since) }), [], { targets, hours }, since);
    expect(clock.running && DateTime.fromMillis(clock.dueAt, { zone: 'Europe/Berlin' }).toISO()).toBe(
      '2026-03-09T09:10:00.000+01:00',
    );
    expect(clock.running && DateTime.fromMillis(clock.warnAt ?? 0, { zone: 'Europe/Berlin' }).toISO()).toBe(
      '2026-03-09T09:05:00.000+01:00',
    );
  });

  it('crosses a daylight-saving change at its real length (America/New_York, 8 March 2026)', () => {
    const hours: BusinessHours = {
      timezone: 'America/New_York',
      days: ['sat', 'sun'],
      start: '22:00',
      end: '06:00',
      holidays: [],
    };
    // Saturday 22:00 → Sunday 06:00 is 7 hours that night: a 7 h target is met at 06:00, not 07:00
    const since = at('2026-03-07T22:00', 'America/New_York');
    const clock = clockOf(
      conversation({ waiting_since: s(since) }),
      [],
      { targets: { firstResponseMs: 7 * HOUR }, hours },
      since,
    );
    expect(clock.running && DateTime.fromMillis(clock.dueAt, { zone: 'America/New_York' }).toISO()).toBe(
      '2026-03-08T06:00:00.000-04:00',
    );
  });

  it('skips a warning as long as its target, and the phase changes only at the warning and the miss', () => {
    const since = at('2026-03-02T09:00');
    const short = clockOf(
      conversation({ waiting_since: s(since) }),
      [],
      { targets: { firstResponseMs: 5 * MIN, warnBeforeMs: 5 * MIN } },
      since,
    );
    expect(short.running && short.warnAt).toBeNull();
    const clock = clockOf(conversation({ waiting_since: s(since) }), [], { targets }, since);
    if (!clock.running) throw new Error('not running');
    expect(runningView(clock, since + 9 * MIN).phase).toBe('waiting');
    expect(runningView(clock, since + 10 * MIN).phase).toBe('due_soon');
    expect(runningView(clock, since + 15 * MIN)).toEqual({
      phase: 'overdue',
      target: 'first_response',
      dueAt: s(since + 15 * MIN),
    });
  });
});

describe('lastAnswer', () => {
  it('says which wait a person answered, how long it took, how late, and who', () => {
    const parts = [
      part({ created_at: s(at('2026-03-02T09:00')), author: { type: 'user', name: 'Dana' } }),
      part({ created_at: s(at('2026-03-02T09:20')), author: { type: 'admin', name: 'Alice' } }),
      part({ created_at: s(at('2026-03-02T10:00')), author: { type: 'user', name: 'Dana' } }),
      part({ created_at: s(at('2026-03-02T10:30')), author: { type: 'admin', name: 'Bob' } }),
    ];
    expect(lastAnswer(conversation(), parts, { targets })).toEqual({
      target: 'next_response',
      tookMs: 30 * MIN,
      lateMs: 0,
      by: 'Bob',
      at: at('2026-03-02T10:30'),
    });
    expect(lastAnswer(conversation(), parts.slice(0, 2), { targets })).toMatchObject({
      target: 'first_response',
      tookMs: 20 * MIN,
      lateMs: 5 * MIN,
      by: 'Alice',
    });
    expect(lastAnswer(conversation(), parts.slice(0, 1), { targets })).toBeUndefined();
  });
});
