import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createRouter, loadRoutes, loadRoutesFile, type RouteFacts } from '../../src/bridge/routing.ts';
import { targetsFor, targetsOn } from '../../src/bridge/targets.ts';
import type { Company, Contact, Conversation } from '../../src/intercom/schemas.ts';

const FILE = 'routes.example.yml';
const FALLBACK = 'C0FALLBACK';

/** A conversation no rule of the example matches: a chat, unassigned, untagged, from a free US contact. */
interface Case {
  conversation?: Partial<Conversation>;
  contact?: Record<string, unknown>;
  company?: Record<string, unknown>;
}

function facts({ conversation = {}, contact = {}, company = {} }: Case): RouteFacts {
  return {
    conversation: {
      id: '1',
      priority: 'not_priority',
      source: { type: 'conversation', subject: 'Hello', body: '<p>A question about my account</p>' },
      tags: { tags: [] },
      ...conversation,
    },
    contact: {
      id: 'c1',
      role: 'user',
      email: 'dana@example.test',
      custom_attributes: { plan: 'free' },
      companies: { data: [{ id: 'co1' }] },
      ...contact,
    } as Contact,
    adminName: async (id) => ({ '7': 'Alice', '8': 'Bob' })[id] ?? null,
    teamName: async (id) => ({ '55': 'Billing', '56': 'Support' })[id] ?? null,
    company: async (id) =>
      id === 'co1'
        ? ({
            id: 'co1',
            name: 'Acme',
            plan: { type: 'plan', name: 'Basic' },
            custom_attributes: { region: 'US' },
            ...company,
          } as Company)
        : null,
  };
}

const email = (subject: string, body: string) => ({ source: { type: 'email', subject, body } });

/** For each rule of the example, by name, the case its comment says it is for. */
const CASES: Record<string, Case[]> = {
  spam: [{ conversation: email('You won', 'Claim your Crypto Bonus now') }, { conversation: email('CASINO', '') }],
  vip: [{ conversation: { tags: { tags: [{ id: 't9', name: 'VIP' }] } } }],
  billing: [{ conversation: { team_assignee_id: '55' } }],
  'urgent for Alice': [{ conversation: { priority: 'priority', admin_assignee_id: '7' } }],
  'enterprise email': [
    { conversation: email('Contract', 'Renewal'), contact: { custom_attributes: { plan: 'Enterprise' } } },
  ],
  'eu pro companies': [{ company: { plan: { type: 'plan', name: 'Pro' }, custom_attributes: { region: 'eu' } } }],
  'messaging apps': [
    { conversation: { source: { type: 'whatsapp', body: 'hi' } } },
    { conversation: { source: { type: 'sms', body: 'hi' } } },
  ],
  fin: [{ conversation: { ai_agent_participated: true } }],
};

/** Cases that hold only part of a rule's conditions, or none: they go to SLACK_CHANNEL. */
const UNMATCHED: Array<[string, Case]> = [
  ['a plain chat', {}],
  ['priority, but assigned to Bob', { conversation: { priority: 'priority', admin_assignee_id: '8' } }],
  ['assigned to Alice, not priority', { conversation: { admin_assignee_id: '7' } }],
  ['assigned to the Support team', { conversation: { team_assignee_id: '56' } }],
  ['an enterprise contact in a chat', { contact: { custom_attributes: { plan: 'enterprise' } } }],
  ['an email from a free contact', { conversation: email('Contract', 'Renewal') }],
  ['a Pro company outside the EU', { company: { plan: { type: 'plan', name: 'Pro' } } }],
  ['an EU company on another plan', { company: { custom_attributes: { region: 'EU' } } }],
  ['a chat Fin took no part in', { conversation: { ai_agent_participated: false } }],
];

describe(FILE, () => {
  const rules = loadRoutes(FILE);
  const route = createRouter(rules, FALLBACK);
  const text = readFileSync(FILE, 'utf8');

  it('loads with the real loader, and every rule has a case here and a comment above it', () => {
    expect(rules.map((r) => r.name)).toEqual(Object.keys(CASES));
    const lines = text.split('\n');
    for (const rule of rules) {
      const at = lines.indexOf(`  - name: ${rule.name}`);
      expect(at, `rule ${rule.name}`).toBeGreaterThan(0);
      expect(lines[at - 1], `the line above rule ${rule.name}`).toMatch(/^ {2}# \S/);
    }
  });

  it('shows every condition docs/routing.md lists, a drop and a channel', () => {
    const table = readFileSync('docs/routing.md', 'utf8').split('\n## ')[0] ?? '';
    const documented = [...table.matchAll(/^\| (`[a-z]+`(?: \/ `[a-z]+`)*) +\|/gm)].flatMap((m) =>
      [...(m[1] ?? '').matchAll(/`([a-z]+)`/g)].map((k) => k[1]),
    );
    expect(documented).toEqual(['tag', 'team', 'admin', 'priority', 'source', 'words', 'fin', 'contact', 'company']);
    const used = new Set(rules.flatMap((r) => Object.keys(r.match)));
    expect(documented.filter((key) => !used.has(key as string))).toEqual([]);
    // and in the file's own words (the loader would refuse an unknown key, but not a missing one)
    const raw = parse(text) as { routes: Array<Record<string, unknown>> };
    expect(raw.routes.some((r) => r.drop === true)).toBe(true);
    expect(raw.routes.some((r) => typeof r.channel === 'string')).toBe(true);
  });

  for (const [name, cases] of Object.entries(CASES)) {
    it.each(cases.map((c, i) => [i, c] as const))(`rule "${name}" takes its case %i`, async (_, c) => {
      const rule = rules.find((r) => r.name === name);
      const expected = rule?.drop ? { drop: true, rule: name } : { channel: rule?.channel, rule: name };
      expect(await route(facts(c))).toEqual(expected);
    });
  }

  it.each(UNMATCHED)('%s goes to SLACK_CHANNEL', async (_, c) => {
    expect(await route(facts(c))).toEqual({ channel: FALLBACK });
  });

  it('the first matching rule wins: spam words drop even a VIP conversation', async () => {
    const c = { conversation: { ...email('casino', ''), tags: { tags: [{ id: 't9', name: 'vip' }] } } };
    expect(await route(facts(c))).toEqual({ drop: true, rule: 'spam' });
  });

  it('the commented catch-all, uncommented, takes what nothing else does', async () => {
    const uncommented = text.replace(/^ {2}# (- name: everything else\n) {2}# ( {2}channel: \S+)$/m, '  $1  $2');
    expect(uncommented).not.toBe(text);
    const copy = join(mkdtempSync(join(tmpdir(), 'bridge-routes-')), 'routes.yml');
    writeFileSync(copy, uncommented);
    const withCatchAll = createRouter(loadRoutes(copy), FALLBACK);
    expect(await withCatchAll(facts({}))).toEqual({ channel: 'C0GENERAL1', rule: 'everything else' });
    expect(await withCatchAll(facts(CASES.vip?.[0] ?? {}))).toEqual({ channel: 'C0VIP00001', rule: 'vip' });
  });
});

/** Every key path of a parsed YAML document: `targets.escalate.channel`, a list's items as `digests[].at`. */
function keyPaths(value: unknown, prefix = ''): Array<{ path: string; leaf: boolean }> {
  const items = Array.isArray(value) ? value.filter((v) => v && typeof v === 'object') : [];
  if (Array.isArray(value)) return items.flatMap((item) => keyPaths(item, `${prefix}[]`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const nested = inner !== null && typeof inner === 'object' && !Array.isArray(inner);
    const objects = Array.isArray(inner) && inner.some((v) => v && typeof v === 'object');
    return [{ path, leaf: !nested && !objects }, ...keyPaths(inner, path)];
  });
}

describe(`${FILE}: business hours, targets and digests`, () => {
  const config = loadRoutesFile(FILE);
  const raw = parse(readFileSync(FILE, 'utf8')) as unknown;
  const docs = readFileSync('docs/targets.md', 'utf8');
  const table = [...docs.matchAll(/^\| `([a-z_.[\]]+)` +\|/gm)].map((m) => m[1] as string);

  it('loads with the real loader, with targets on, and the vip rule overriding one key', () => {
    expect(targetsOn(config)).toBe(true);
    expect(config.businessHours).toMatchObject({ timezone: 'Europe/Berlin', start: '09:00', end: '17:30' });
    expect(config.digests.map((d) => d.routes)).toEqual([undefined, ['vip', 'billing']]);
    const global = targetsFor(config, undefined);
    expect(Object.keys(global).sort()).toEqual([
      'escalate',
      'firstResponseMs',
      'nextResponseMs',
      'repeatEveryMs',
      'warnBeforeMs',
    ]);
    expect(targetsFor(config, 'vip')).toEqual({ ...global, firstResponseMs: 5 * 60_000 });
    expect(targetsFor(config, 'billing')).toEqual(global);
  });

  it('uses every key docs/targets.md lists, and the docs list every key it uses', () => {
    expect(table).toContain('targets.escalate.mention');
    expect(table).toContain('routes[].targets');
    const used = keyPaths(raw);
    const paths = new Set(used.map((k) => k.path));
    expect(table.filter((key) => !paths.has(key))).toEqual([]);
    const ours = used.filter((k) => k.leaf && /^(business_hours|targets|digests)/.test(k.path)).map((k) => k.path);
    expect(ours.filter((key) => !table.includes(key))).toEqual([]);
  });

  it('every example in docs/targets.md loads with the real loader', () => {
    const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(blocks).toHaveLength(3);
    for (const block of blocks) {
      const copy = join(mkdtempSync(join(tmpdir(), 'bridge-targets-doc-')), 'routes.yml');
      writeFileSync(copy, block);
      expect(targetsOn(loadRoutesFile(copy)), block).toBe(true);
    }
  });
});
