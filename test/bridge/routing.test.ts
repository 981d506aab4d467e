import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRouter, loadRoutes, type RouteFacts, RoutesError } from '../../src/bridge/routing.ts';
import type { Contact, Conversation } from '../../src/intercom/schemas.ts';

function file(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'bridge-routes-')), 'routes.yml');
  writeFileSync(path, yaml);
  return path;
}

function problems(yaml: string): readonly string[] {
  try {
    loadRoutes(file(yaml));
  } catch (error) {
    expect(error).toBeInstanceOf(RoutesError);
    return (error as RoutesError).problems;
  }
  throw new Error('expected a RoutesError');
}

describe('loadRoutes', () => {
  it('reads rules with single values or lists', () => {
    const rules = loadRoutes(
      file(`
routes:
  - name: vip
    match: { tag: vip }
    channel: C0VIP0001
  - name: spam
    match: { words: [unsubscribe, casino] }
    drop: true
  - channel: C0REST001
`),
    );
    expect(rules).toEqual([
      { name: 'vip', match: { tag: ['vip'] }, channel: 'C0VIP0001' },
      { name: 'spam', match: { words: ['unsubscribe', 'casino'] }, drop: true },
      { match: {}, channel: 'C0REST001' },
    ]);
  });

  it('names the rule and the field of every problem', () => {
    expect(
      problems(`
routes:
  - name: billing
    match: { team: Billing, colour: red }
    channel: "#billing"
  - match: { tag: vip }
  - name: both
    channel: C0AAA0001
    drop: true
`),
    ).toEqual([
      'routes[0] (billing) match: Unrecognized key: "colour"',
      'routes[0] (billing) channel: must be a channel id like C0123ABCD',
      'routes[1]: needs exactly one of channel or drop: true',
      'routes[2] (both): needs exactly one of channel or drop: true',
    ]);
  });

  it('explains an unreadable or malformed file', () => {
    expect(() => loadRoutes('/nonexistent/routes.yml')).toThrow(/ROUTES_FILE cannot be read: ENOENT/);
    expect(problems('routes: [ { unclosed')).toEqual([expect.stringMatching(/^ROUTES_FILE is not valid YAML/)]);
    expect(problems('rules: []')).toEqual([
      'routes: Invalid input: expected array, received undefined',
      'file: Unrecognized key: "rules"',
    ]);
  });
});

describe('createRouter', () => {
  const conversation = (fields: Partial<Conversation> = {}): Conversation => ({
    id: '1',
    priority: 'not_priority',
    source: { type: 'email', subject: 'Invoice question', body: '<p>Where is my <b>refund</b>?</p>' },
    tags: { tags: [{ id: 't1', name: 'VIP' }] },
    team_assignee_id: '55',
    admin_assignee_id: '991',
    ...fields,
  });
  const contact = {
    id: 'c1',
    email: 'dana@acme.test',
    role: 'user',
    custom_attributes: { plan: 'enterprise', seats: 40 },
    companies: { data: [{ id: 'co1' }] },
  } as Contact;
  const facts = (c: Conversation): RouteFacts => ({
    conversation: c,
    contact,
    adminName: async (id) => (id === '991' ? 'Alice' : null),
    teamName: async (id) => (id === '55' ? 'Billing' : null),
    company: async (id) => (id === 'co1' ? { id: 'co1', name: 'Acme', plan: { type: 'plan', name: 'Pro' } } : null),
  });
  const rules = (yaml: string) => loadRoutes(file(yaml));

  it.each([
    ['tag: vip', true],
    ['tag: [other, t1]', true],
    ['tag: gold', false],
    ['team: billing', true],
    ['team: "55"', true],
    ['team: Support', false],
    ['admin: Alice', true],
    ['admin: Bob', false],
    ['priority: true', false],
    ['priority: false', true],
    ['source: email', true],
    ['source: [chat, conversation]', false],
    ['words: refund', true],
    ['words: [invoice]', true],
    ['words: b>refund', false],
    ['fin: true', false],
    ['fin: false', true],
    ['contact: { role: user, plan: enterprise }', true],
    ['contact: { custom_attributes.seats: 40 }', true],
    ['contact: { plan: free }', false],
    ['company: { name: acme, plan: pro }', true],
    ['company: { plan: basic }', false],
    ['{ tag: vip, team: Support }', false],
  ])('%s → %s', async (condition, matched) => {
    const match = condition.startsWith('{') ? condition : `{ ${condition} }`;
    const route = createRouter(rules(`routes:\n  - match: ${match}\n    channel: C0MATCHED`), 'C0DEFAULT');
    expect(await route(facts(conversation()))).toEqual(
      matched ? { channel: 'C0MATCHED', rule: 'routes[0]' } : { channel: 'C0DEFAULT' },
    );
  });

  it('takes the first matching rule, may drop, and falls back to nowhere without SLACK_CHANNEL', async () => {
    const route = createRouter(
      rules(`
routes:
  - name: spam
    match: { words: casino }
    drop: true
  - name: vip
    match: { tag: vip }
    channel: C0VIP0001
  - name: also vip
    match: { tag: vip }
    channel: C0NEVER01
`),
      undefined,
    );
    expect(await route(facts(conversation()))).toEqual({ channel: 'C0VIP0001', rule: 'vip' });
    const spam = conversation({ source: { type: 'email', subject: 'Casino bonus', body: '' } });
    expect(await route(facts(spam))).toEqual({ drop: true, rule: 'spam' });
    expect(await route(facts(conversation({ tags: { tags: [] } })))).toEqual({
      drop: true,
      rule: 'no rule matched and SLACK_CHANNEL is not set',
    });
  });

  /** The facts, recording every look-up (names and companies cost a request when not cached). */
  const recording = (c: Conversation, asked: string[]): RouteFacts => {
    const f = facts(c);
    return {
      ...f,
      adminName: (id) => {
        asked.push(`admin ${id}`);
        return f.adminName(id);
      },
      teamName: (id) => {
        asked.push(`team ${id}`);
        return f.teamName(id);
      },
      company: (id) => {
        asked.push(`company ${id}`);
        return f.company(id);
      },
    };
  };

  it('looks up names and companies only when every condition before them holds, in the order written here', async () => {
    const asked: string[] = [];
    const route = (match: string) =>
      createRouter(
        rules(`routes:\n  - match: ${match}\n    channel: C0MATCHED`),
        'C0DEFAULT',
      )(recording(conversation(), asked));
    const all =
      '{ priority: false, source: email, tag: vip, words: refund, team: billing, admin: alice, contact: { plan: enterprise }, company: { name: acme } }';
    expect(await route(all)).toEqual({ channel: 'C0MATCHED', rule: 'routes[0]' });
    expect(asked.splice(0)).toEqual(['team 55', 'admin 991', 'company co1']);
    // a condition that fails stops there: the look-ups after it are not made, whatever order the file gives
    for (const failing of ['priority: true', 'source: chat', 'tag: gold', 'words: casino']) {
      expect(await route(`{ company: { name: acme }, admin: alice, team: billing, ${failing} }`)).toEqual({
        channel: 'C0DEFAULT',
      });
      expect(asked.splice(0)).toEqual([]);
    }
    expect(await route('{ company: { name: acme }, admin: alice, team: support }')).toEqual({ channel: 'C0DEFAULT' });
    expect(asked.splice(0)).toEqual(['team 55']);
    expect(await route('{ company: { name: acme }, contact: { plan: enterprise }, admin: bob }')).toEqual({
      channel: 'C0DEFAULT',
    });
    expect(asked.splice(0)).toEqual(['admin 991']);
    expect(await route('{ company: { name: acme }, contact: { plan: free } }')).toEqual({ channel: 'C0DEFAULT' });
    expect(asked.splice(0)).toEqual([]);
    // an id matches without a look-up
    expect(await route('{ team: "55", admin: "991" }')).toEqual({ channel: 'C0MATCHED', rule: 'routes[0]' });
    expect(asked.splice(0)).toEqual([]);
  });

  it('a team or admin condition fails on a conversation assigned to none, without a look-up', async () => {
    const asked: string[] = [];
    const unassigned = conversation({ team_assignee_id: null, admin_assignee_id: '' } as Partial<Conversation>);
    for (const match of ['{ team: billing }', '{ admin: alice }']) {
      const route = createRouter(rules(`routes:\n  - match: ${match}\n    channel: C0MATCHED`), 'C0DEFAULT');
      expect(await route(recording(unassigned, asked))).toEqual({ channel: 'C0DEFAULT' });
    }
    expect(asked).toEqual([]);
  });

  it('a company condition looks at the contact’s first company', async () => {
    const route = createRouter(
      rules('routes:\n  - match: { company: { name: acme } }\n    channel: C0MATCHED'),
      'C0DEFAULT',
    );
    const others = { ...contact, companies: { data: [{ id: 'other' }, { id: 'co1' }] } } as Contact;
    expect(await route({ ...facts(conversation()), contact: others })).toEqual({ channel: 'C0DEFAULT' });
    const none = { ...contact, companies: { data: [] } } as unknown as Contact;
    expect(await route({ ...facts(conversation()), contact: none })).toEqual({ channel: 'C0DEFAULT' });
  });

  it('a fin condition sees Fin by the participation flag, the ai_agent block or a part Fin wrote', async () => {
    const route = createRouter(rules('routes:\n  - match: { fin: true }\n    channel: C0FIN0001'), 'C0DEFAULT');
    const fin = { channel: 'C0FIN0001', rule: 'routes[0]' };
    expect(await route(facts(conversation({ ai_agent_participated: true })))).toEqual(fin);
    expect(await route(facts(conversation({ ai_agent: { resolution_state: 'escalated' } })))).toEqual(fin);
    const finPart = {
      id: '9',
      part_type: 'comment',
      body: '<p>Try this</p>',
      author: { type: 'bot', from_ai_agent: true },
    };
    const parts = { conversation_parts: [finPart], total_count: 1 };
    expect(await route(facts(conversation({ conversation_parts: parts })))).toEqual(fin);
    // the Operator bot, though named Fin, is not the AI agent when the conversation says Fin took no part
    const operator = { ...finPart, author: { type: 'bot', name: 'Fin' } };
    const notFin = conversation({
      ai_agent_participated: false,
      conversation_parts: { conversation_parts: [operator] },
    });
    expect(await route(facts(notFin))).toEqual({ channel: 'C0DEFAULT' });
    expect(problems('routes:\n  - match: { fin: sometimes }\n    channel: C0FIN0001')).toEqual([
      'routes[0] match.fin: Invalid input: expected boolean, received string',
    ]);
  });

  it('a contact or company condition fails when there is none', async () => {
    const route = createRouter(
      rules('routes:\n  - match: { company: { name: acme } }\n    channel: C0MATCHED'),
      'C0DEFAULT',
    );
    expect(await route({ ...facts(conversation()), contact: undefined })).toEqual({ channel: 'C0DEFAULT' });
  });
});
