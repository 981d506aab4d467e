import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Company, Contact, Conversation } from '../intercom/schemas.ts';
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

async function matches(rule: RouteRule, facts: RouteFacts): Promise<boolean> {
  const { match } = rule;
  const c = facts.conversation;
  const same = (a: string | null | undefined, values: readonly string[]) =>
    a != null && values.some((v) => v.toLowerCase() === a.toLowerCase());

  if (match.priority !== undefined && (c.priority === 'priority') !== match.priority) return false;
  if (match.source && !same(c.source?.type, match.source)) return false;
  if (match.tag && !(c.tags?.tags ?? []).some((t) => same(t.name, match.tag ?? []) || same(t.id, match.tag ?? []))) {
    return false;
  }
  if (match.words) {
    const text = `${c.source?.subject ?? ''} ${c.source?.body ?? ''}`.replace(/<[^>]*>/g, ' ').toLowerCase();
    if (!match.words.some((w) => text.includes(w.toLowerCase()))) return false;
  }
  if (match.team) {
    const id = c.team_assignee_id;
    if (!id || !(same(id, match.team) || same(await facts.teamName(id), match.team))) return false;
  }
  if (match.admin) {
    const id = c.admin_assignee_id;
    if (!id || !(same(id, match.admin) || same(await facts.adminName(id), match.admin))) return false;
  }
  if (match.contact && !attributesMatch(facts.contact, match.contact)) return false;
  if (match.company) {
    const id = facts.contact?.companies?.data[0]?.id;
    const company = id ? await facts.company(id) : null;
    if (!attributesMatch(company ?? undefined, match.company)) return false;
  }
  return true;
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
