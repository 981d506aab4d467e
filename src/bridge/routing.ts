import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { type Company, type Contact, type Conversation, conversationParts } from '../intercom/schemas.ts';
import { finState } from './fin.ts';
import type { RouteDecision } from './ports.ts';

const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;

/** One value or a list of them; a list matches when any of its values does. */
const oneOrMany = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));
const attributes = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

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
  })
  .strict()
  .refine((r) => (r.channel === undefined) !== (r.drop === undefined), 'needs exactly one of channel or drop: true');
export type RouteRule = z.output<typeof Rule>;

const RoutesFile = z.object({ routes: z.array(Rule) }).strict();

/** A routes file that cannot be used: one line per problem, naming the rule. */
export class RoutesError extends Error {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`invalid routes file ${file}:\n${problems.join('\n')}`);
    this.name = 'RoutesError';
    this.problems = problems;
  }
}

/** Reads and checks a routes file (YAML). */
export function loadRoutes(file: string): RouteRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new RoutesError(file, [`ROUTES_FILE cannot be read: ${(error as NodeJS.ErrnoException).code ?? error}`]);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new RoutesError(file, [`ROUTES_FILE is not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  const result = RoutesFile.safeParse(doc);
  if (result.success) return result.data.routes;
  const rules = (doc as { routes?: Array<{ name?: unknown }> } | null)?.routes;
  throw new RoutesError(
    file,
    result.error.issues.map((issue) => {
      const [first, index, ...rest] = issue.path;
      if (first !== 'routes' || typeof index !== 'number') return `${issue.path.join('.') || 'file'}: ${issue.message}`;
      const name = rules?.[index]?.name;
      const label = `routes[${index}]${typeof name === 'string' ? ` (${name})` : ''}`;
      return `${label}${rest.length ? ` ${rest.join('.')}` : ''}: ${issue.message}`;
    }),
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
