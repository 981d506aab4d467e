import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { type Company, type Contact, type Conversation, conversationParts } from '../intercom/schemas.ts';
import type { BusinessHours, Weekday } from './business-hours.ts';
import { DURATION_HINT, formatDuration, readDuration } from './duration.ts';
import { finState } from './fin.ts';
import type { RouteDecision } from './ports.ts';
import { type Digest, type RoutesFileConfig, type Targets, targetsOn } from './targets.ts';

const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;
/** Who an escalation pings: a user group (S…) or a user (U…, W… on Enterprise Grid). */
const MENTION_ID = /^[SUW][A-Z0-9]{2,}$/;
const TIME = '(?:[01]\\d|2[0-3]):[0-5]\\d';
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const satisfies readonly Weekday[];

/** One value or a list of them; a list matches when any of its values does. */
const oneOrMany = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));
const attributes = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

/** A string the file must have: a missing one says so, with what to write (zod's own line speaks of types). */
function required(hint: string, example: string) {
  return z.string({ error: (issue) => (issue.input === undefined ? `missing: add it, like ${example}` : hint) });
}
const channelId = required('must be a channel id like C0123ABCD', 'C0123ABCD').regex(
  CHANNEL_ID,
  'must be a channel id like C0123ABCD',
);

/** A duration as written (`15m`), in milliseconds; a number (`15`) is refused: the unit is the operator's to say. */
const duration = z.string({ error: DURATION_HINT }).transform((text, ctx) => {
  const reading = readDuration(text);
  if (reading.ok) return reading.ms;
  ctx.addIssue({ code: 'custom', message: reading.problem });
  return z.NEVER;
});

/** The zone names Node knows (the full IANA database); an offset (`+01:00`) is not a zone: it ignores summer time. */
function isTimeZone(name: string): boolean {
  if (/^[+-]/.test(name)) return false;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
const TIME_ZONE_HINT = 'not a time zone: use an IANA name like Europe/Berlin';
const timeZone = required(TIME_ZONE_HINT, 'Europe/Berlin').refine(isTimeZone, TIME_ZONE_HINT);

const days = z
  .array(z.enum(DAYS, { error: 'not a day: use mon, tue, wed, thu, fri, sat or sun' }), {
    error: (issue) =>
      `${issue.input === undefined ? 'missing: add it' : 'must be a list of days'}, like [mon, tue, wed, thu, fri]`,
  })
  .min(1, 'needs at least one day')
  .refine((list) => new Set(list).size === list.length, 'names a day twice');

/** A real calendar date: 2026-02-30 has the right shape but is no day. */
function isDate(text: string): boolean {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}
const DATE_HINT = 'not a date: use YYYY-MM-DD, like 2026-12-25';
const holiday = z
  .string({ error: DATE_HINT })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: DATE_HINT, abort: true })
  .refine(isDate, 'not a day of the calendar');

const HOURS_HINT = 'must be "HH:MM-HH:MM" (24 h), like "09:00-17:30"';
const BusinessHoursSchema = z
  .object({
    timezone: timeZone,
    days,
    hours: required(HOURS_HINT, '"09:00-17:30"').regex(new RegExp(`^${TIME}-${TIME}$`), HOURS_HINT),
    holidays: z.array(holiday).default([]),
  })
  .strict()
  .transform(({ hours, ...rest }): BusinessHours => {
    const [start = '', end = ''] = hours.split('-');
    return { ...rest, start, end };
  });

const TargetsSchema = z
  .object({
    first_response: duration.optional(),
    next_response: duration.optional(),
    warn_before: duration.optional(),
    repeat_every: duration.optional(),
    escalate: z
      .object({
        channel: channelId,
        mention: z
          .array(z.string().regex(MENTION_ID, 'must be a user group id like S0123ABCD or a user id like U0123ABCD'))
          .default([]),
      })
      .strict()
      .optional(),
  })
  .strict()
  .transform((t): Targets => {
    const all: Targets = {
      firstResponseMs: t.first_response,
      nextResponseMs: t.next_response,
      warnBeforeMs: t.warn_before,
      repeatEveryMs: t.repeat_every,
      escalate: t.escalate,
    };
    // a key the file does not set is absent, not undefined: targetsFor overrides only the keys a route sets
    return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
  });

const AT_HINT = 'must be "HH:MM" (24 h), like "09:00"';
const DigestSchema = z
  .object({
    channel: channelId,
    at: required(AT_HINT, '"09:00"').regex(new RegExp(`^${TIME}$`), AT_HINT),
    timezone: timeZone,
    days,
    routes: z.array(z.string().min(1)).min(1, 'names no route: leave routes out for all of them').optional(),
  })
  .strict() satisfies z.ZodType<Digest>;

const Rule = z
  .object({
    name: z.string().min(1).optional(),
    match: z
      .object({
        tag: oneOrMany.optional(),
        team: oneOrMany.optional(),
        admin: oneOrMany.optional(),
        priority: z.boolean().optional(),
        source: oneOrMany.optional(),
        words: oneOrMany.optional(),
        fin: z.boolean().optional(),
        contact: attributes.optional(),
        company: attributes.optional(),
      })
      .strict()
      .default({}),
    channel: z.string().regex(CHANNEL_ID, 'must be a channel id like C0123ABCD').optional(),
    drop: z.literal(true).optional(),
    targets: TargetsSchema.optional(),
  })
  .strict()
  .refine((r) => (r.channel === undefined) !== (r.drop === undefined), 'needs exactly one of channel or drop: true')
  .refine((r) => !(r.drop && r.targets), {
    message: 'a rule that drops conversations carries none to set targets for',
    path: ['targets'],
  });
export type RouteRule = z.output<typeof Rule>;

const RoutesFile = z
  .object({
    routes: z.array(Rule),
    business_hours: BusinessHoursSchema.optional(),
    targets: TargetsSchema.optional(),
    digests: z.array(DigestSchema).default([]),
  })
  .strict();

/** A routes file that cannot be used: one line per problem, naming the rule. */
export class RoutesError extends Error {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`invalid routes file ${file}:\n${problems.join('\n')}`);
    this.name = 'RoutesError';
    this.problems = problems;
  }
}

/** Reads and checks a routes file (YAML): its rules only (see `loadRoutesFile` for targets and digests). */
export function loadRoutes(file: string): RouteRule[] {
  return loadRoutesFile(file).routes;
}

/** Reads and checks a routes file (YAML): rules, business hours, targets and digests (docs/targets.md). */
export function loadRoutesFile(file: string): RoutesFileConfig {
  const doc = readYaml(file);
  const result = RoutesFile.safeParse(doc);
  if (!result.success) {
    throw new RoutesError(
      file,
      result.error.issues.map((issue) => `${where(issue.path, doc)}: ${issue.message}`),
    );
  }
  const { routes, business_hours, targets, digests } = result.data;
  const config: RoutesFileConfig = { routes, businessHours: business_hours, targets: targets ?? {}, digests };
  const problems = [...digestProblems(config), ...nameProblems(config), ...targetProblems(config)];
  if (problems.length > 0) throw new RoutesError(file, problems);
  return config;
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RoutesError(file, [`ROUTES_FILE cannot be read: ${(error as NodeJS.ErrnoException).code ?? error}`]);
  }
  try {
    return parse(text);
  } catch (error) {
    throw new RoutesError(file, [`ROUTES_FILE is not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
}

/** Where a problem is, as its line starts: `routes[2] (billing) match.tag`, `digests[0] at`, `targets.warn_before`. */
function where(path: readonly PropertyKey[], doc: unknown): string {
  const [first, index, ...rest] = path;
  if ((first !== 'routes' && first !== 'digests') || typeof index !== 'number') return dotted(path) || 'file';
  const name =
    first === 'routes' ? (doc as { routes?: Array<{ name?: unknown }> } | null)?.routes?.[index]?.name : undefined;
  return label(first, index, typeof name === 'string' ? name : undefined, dotted(rest));
}

function label(list: string, index: number, name: string | undefined, key = ''): string {
  return `${list}[${index}]${name === undefined ? '' : ` (${name})`}${key ? ` ${key}` : ''}`;
}

/** `holidays.1` as `holidays[1]`. */
function dotted(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
}

/** A digest names routes that exist and carry conversations. */
function digestProblems(config: RoutesFileConfig): string[] {
  return config.digests.flatMap((digest, i) =>
    (digest.routes ?? []).flatMap((name, j) => {
      const rule = config.routes.find((r) => r.name === name);
      if (!rule) return [`${label('digests', i, undefined, `routes[${j}]`)}: no route is named "${name}"`];
      if (rule.drop) return [`${label('digests', i, undefined, `routes[${j}]`)}: route "${name}" drops conversations`];
      return [];
    }),
  );
}

/**
 * A name that finds a route (a digest's, or one whose rule has its own targets: a conversation keeps the name of
 * the route that carried it) belongs to one rule only.
 */
function nameProblems(config: RoutesFileConfig): string[] {
  const named = new Set(config.digests.flatMap((d) => d.routes ?? []));
  for (const rule of config.routes) if (rule.targets && rule.name !== undefined) named.add(rule.name);
  return config.routes.flatMap((rule, index) => {
    if (rule.name === undefined || !named.has(rule.name)) return [];
    const first = config.routes.findIndex((r) => r.name === rule.name);
    if (first === index) return [];
    return [
      `${label('routes', index, rule.name)} name: routes[${first}] has it too (a digest or a route's targets rely on it: it must be unique)`,
    ];
  });
}

/**
 * A `warn_before` the file sets must be shorter than the targets it sets beside it, or the warning would come at
 * or before the clock starts. The global one under a route's own tighter target is allowed: that warning is
 * skipped (docs/targets.md), so one global `warn_before` can serve routes with short targets.
 */
function targetProblems(config: RoutesFileConfig): string[] {
  const problems = warnProblems('targets', config.targets);
  config.routes.forEach((rule, index) => {
    if (rule.targets?.warnBeforeMs === undefined) return;
    const own = { ...config.targets, ...rule.targets };
    problems.push(...warnProblems(`${label('routes', index, rule.name)} targets`, own));
  });
  const anyKey = [config.targets, ...config.routes.map((r) => r.targets ?? {})].some((t) => Object.keys(t).length);
  if (anyKey && !targetsOn(config)) {
    problems.push('targets: no first_response or next_response, globally or in a route: nothing to warn or escalate');
  }
  return problems;
}

function warnProblems(at: string, targets: Targets): string[] {
  const warn = targets.warnBeforeMs;
  if (warn === undefined) return [];
  const against = [
    ['first_response', targets.firstResponseMs],
    ['next_response', targets.nextResponseMs],
  ] as const;
  return against.flatMap(([key, target]) =>
    target !== undefined && warn >= target
      ? [`${at}.warn_before: ${formatDuration(warn)} is not shorter than ${key} (${formatDuration(target)})`]
      : [],
  );
}

/** What rules can look at, loaded only when a rule asks (names and companies cost a request when not cached). */
export interface RouteFacts {
  conversation: Conversation;
  contact: Contact | undefined;
  adminName: (id: string) => Promise<string | null>;
  teamName: (id: string) => Promise<string | null>;
  company: (id: string) => Promise<Company | null>;
}

/**
 * Picks a conversation's channel: the first rule whose every condition holds wins (a rule may drop the
 * conversation); with no match it goes to `fallback`, or nowhere when there is none.
 */
export function createRouter(rules: readonly RouteRule[], fallback: string | undefined) {
  return async (facts: RouteFacts): Promise<RouteDecision> => {
    for (const [index, rule] of rules.entries()) {
      if (await matches(rule, facts)) {
        const label = rule.name ?? `routes[${index}]`;
        return rule.drop ? { drop: true, rule: label } : { channel: rule.channel as string, rule: label };
      }
    }
    return fallback ? { channel: fallback } : { drop: true, rule: 'no rule matched and SLACK_CHANNEL is not set' };
  };
}

type Match = RouteRule['match'];
/** What a rule may ask for, by key. */
type Wanted = { [K in keyof Match]-?: NonNullable<Match[K]> };

/** Whether one condition of a rule holds; `wanted` is what the rule asks for under that key. */
type Condition<K extends keyof Wanted> = (wanted: Wanted[K], facts: RouteFacts) => boolean | Promise<boolean>;

/**
 * One condition per key a rule may have, checked in this order: the ones read off the conversation first, then
 * those that may cost a request (names of teams and teammates, the contact's company), so a rule that already
 * failed asks nothing.
 */
const CONDITIONS: { [K in keyof Wanted]: Condition<K> } = {
  priority: (wanted, { conversation }) => (conversation.priority === 'priority') === wanted,
  source: (wanted, { conversation }) => same(conversation.source?.type, wanted),
  tag: (wanted, { conversation }) =>
    (conversation.tags?.tags ?? []).some((t) => same(t.name, wanted) || same(t.id, wanted)),
  words: (wanted, { conversation }) => {
    const text = `${conversation.source?.subject ?? ''} ${conversation.source?.body ?? ''}`
      .replace(/<[^>]*>/g, ' ')
      .toLowerCase();
    return wanted.some((w) => text.includes(w.toLowerCase()));
  },
  fin: (wanted, { conversation }) => finState(conversation, conversationParts(conversation)).involved === wanted,
  team: (wanted, facts) => assignedTo(facts.conversation.team_assignee_id, wanted, facts.teamName),
  admin: (wanted, facts) => assignedTo(facts.conversation.admin_assignee_id, wanted, facts.adminName),
  contact: (wanted, facts) => attributesMatch(facts.contact, wanted),
  company: async (wanted, facts) => {
    const id = facts.contact?.companies?.data[0]?.id;
    const company = id ? await facts.company(id) : null;
    return attributesMatch(company ?? undefined, wanted);
  },
};

const CONDITION_ORDER = Object.keys(CONDITIONS) as Array<keyof Wanted>;

/** Whether every condition of the rule holds (a rule with none matches everything). */
async function matches(rule: RouteRule, facts: RouteFacts): Promise<boolean> {
  for (const key of CONDITION_ORDER) {
    if (!(await holds(key, rule.match, facts))) return false;
  }
  return true;
}

/** A condition the rule does not have holds. */
function holds<K extends keyof Wanted>(
  key: K,
  match: { [P in keyof Wanted]?: Wanted[P] | undefined },
  facts: RouteFacts,
): boolean | Promise<boolean> {
  const wanted = match[key];
  return wanted === undefined || CONDITIONS[key](wanted, facts);
}

/** Case-insensitively one of `values`; nothing (null or undefined) is none of them. */
function same(actual: string | null | undefined, values: readonly string[]): boolean {
  return actual != null && values.some((v) => v.toLowerCase() === actual.toLowerCase());
}

/** Assigned to one of `wanted`, by id or by name (the name is looked up only when the id is not one of them). */
async function assignedTo(
  id: string | null | undefined,
  wanted: readonly string[],
  nameOf: (id: string) => Promise<string | null>,
): Promise<boolean> {
  return !!id && (same(id, wanted) || same(await nameOf(id), wanted));
}

/** `plan: pro` looks at a field, then at custom_attributes; `custom_attributes.plan: pro` says which. */
function attributesMatch(
  subject: Record<string, unknown> | undefined,
  wanted: Record<string, string | number | boolean>,
) {
  if (!subject) return false;
  const custom = (subject.custom_attributes ?? {}) as Record<string, unknown>;
  return Object.entries(wanted).every(([key, value]) => {
    const raw = key.startsWith('custom_attributes.')
      ? custom[key.slice('custom_attributes.'.length)]
      : (subject[key] ?? custom[key]);
    // some fields are objects with a name (a company's plan): compare the name
    const actual = raw && typeof raw === 'object' && 'name' in raw ? (raw as { name: unknown }).name : raw;
    return actual !== undefined && actual !== null && String(actual).toLowerCase() === String(value).toLowerCase();
  });
}
