import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRouter, loadRoutes, loadRoutesFile, type RouteFacts, RoutesError } from '../../src/bridge/routing.ts';
import type { Contact, Conversation } from '../../src/intercom/schemas.ts';

function file(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'bridge-routes-')), 'routes.yml');
  writeFileSync(path, yaml);
  return path;
}

function problems(yaml: string): readonly string[] {
  try {
    loadRoutesFile(file(yaml));
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

const m = 60_000;

describe('loadRoutesFile', () => {
  it('reads business hours, targets (global and per route) and digests: the shape of DESIGN.md', () => {
    const config = loadRoutesFile(
      file(`
business_hours:
  timezone: Europe/Berlin
  days: [mon, tue, wed, thu, fri]
  hours: "09:00-17:30"
  holidays: ["2026-12-25", 2026-12-26]
targets:
  first_response: 15m
  next_response: 1h
  warn_before: 5m
  repeat_every: 30m
  escalate:
    channel: C0ALERTS01
    mention: [S0ONCALL01, U0123ABCD]
digests:
  - channel: C0SUPPORT01
    at: "09:00"
    timezone: Europe/Berlin
    days: [mon, tue, wed, thu, fri]
    routes: [vip, billing]
  - { channel: G0LEADS001, at: "18:30", timezone: America/New_York, days: [fri] }
routes:
  - name: vip
    match: { tag: vip }
    channel: C0VIP00001
    targets: { first_response: 5m }
  - name: billing
    match: { team: Billing }
    channel: C0BILLING1
`),
    );
    expect(config).toEqual({
      businessHours: {
        timezone: 'Europe/Berlin',
        days: ['mon', 'tue', 'wed', 'thu', 'fri'],
        start: '09:00',
        end: '17:30',
        holidays: ['2026-12-25', '2026-12-26'],
      },
      targets: {
        firstResponseMs: 15 * m,
        nextResponseMs: 60 * m,
        warnBeforeMs: 5 * m,
        repeatEveryMs: 30 * m,
        escalate: { channel: 'C0ALERTS01', mention: ['S0ONCALL01', 'U0123ABCD'] },
      },
      digests: [
        {
          channel: 'C0SUPPORT01',
          at: '09:00',
          timezone: 'Europe/Berlin',
          days: ['mon', 'tue', 'wed', 'thu', 'fri'],
          routes: ['vip', 'billing'],
        },
        { channel: 'G0LEADS001', at: '18:30', timezone: 'America/New_York', days: ['fri'] },
      ],
      routes: [
        { name: 'vip', match: { tag: ['vip'] }, channel: 'C0VIP00001', targets: { firstResponseMs: 5 * m } },
        { name: 'billing', match: { team: ['Billing'] }, channel: 'C0BILLING1' },
      ],
    });
    // the global warn_before (5m) is not shorter than vip's own first_response (5m): allowed, that warning is skipped
    expect(Object.keys(config.digests[1] ?? {})).not.toContain('routes');
  });

  it('turns the feature off for a file with only routes, and loadRoutes still gives the rules', () => {
    const path = file('routes:\n  - { name: vip, match: { tag: vip }, channel: C0VIP00001 }');
    const rules = [{ name: 'vip', match: { tag: ['vip'] }, channel: 'C0VIP00001' }];
    expect(loadRoutesFile(path)).toEqual({ routes: rules, businessHours: undefined, targets: {}, digests: [] });
    expect(loadRoutes(path)).toEqual(rules);
    expect(loadRoutesFile(file('routes: []\ntargets: {}\ndigests: []'))).toEqual({
      routes: [],
      businessHours: undefined,
      targets: {},
      digests: [],
    });
  });

  it('loadRoutes gives the rules of a file with targets and digests, each with its own targets', () => {
    const rules = loadRoutes(
      file(`
targets: { first_response: 1h }
digests: [{ channel: C0SUPPORT01, at: "09:00", timezone: UTC, days: [mon], routes: [vip] }]
routes:
  - { name: vip, match: { tag: vip }, channel: C0VIP00001, targets: { next_response: 45s } }
`),
    );
    expect(rules).toEqual([
      { name: 'vip', match: { tag: ['vip'] }, channel: 'C0VIP00001', targets: { nextResponseMs: 45_000 } },
    ]);
  });

  it('accepts hours that end the next day, durations written in parts, and a whole day', () => {
    const config = loadRoutesFile(
      file(`
business_hours: { timezone: UTC, days: [sun, sat], hours: "22:00-06:00" }
targets: { first_response: 1h30m, next_response: 1d, warn_before: 1h 29m, repeat_every: 30d }
routes: []
`),
    );
    expect(config.businessHours).toEqual({
      timezone: 'UTC',
      days: ['sun', 'sat'],
      start: '22:00',
      end: '06:00',
      holidays: [],
    });
    expect(config.targets).toEqual({
      firstResponseMs: 90 * m,
      nextResponseMs: 1440 * m,
      warnBeforeMs: 89 * m,
      repeatEveryMs: 43_200 * m,
    });
  });

  it('names the key and where of every problem with targets', () => {
    expect(
      problems(`
targets: { first_response: soon, next_response: 15, warn_before: 0m, repeat_every: 31d, first_reponse: 5m }
routes:
  - name: vip
    channel: C0VIP00001
    targets: { first_response: 5 minutes, escalate: { channel: "#alerts", mention: [alice, U0123ABCD, W0123ABCD], cc: x } }
  - name: spam
    match: { words: casino }
    drop: true
    targets: { first_response: 5m }
`),
    ).toEqual([
      'routes[0] (vip) targets.first_response: not a duration: use 45s, 15m, 2h or 1d',
      'routes[0] (vip) targets.escalate.channel: must be a channel id like C0123ABCD',
      'routes[0] (vip) targets.escalate.mention[0]: must be a user group id like S0123ABCD or a user id like U0123ABCD',
      'routes[0] (vip) targets.escalate: Unrecognized key: "cc"',
      'routes[1] (spam) targets: a rule that drops conversations carries none to set targets for',
      'targets.first_response: not a duration: use 45s, 15m, 2h or 1d',
      'targets.next_response: not a duration: use 45s, 15m, 2h or 1d',
      'targets.warn_before: must be longer than 0s',
      'targets.repeat_every: must be at most 30d',
      'targets: Unrecognized key: "first_reponse"',
    ]);
    expect(problems('targets: { escalate: { mention: [S0ONCALL01] } }\nroutes: []')).toEqual([
      'targets.escalate.channel: missing: add it, like C0123ABCD',
    ]);
  });

  it('refuses a warn_before that is not shorter than a target set beside it', () => {
    expect(
      problems(`
targets: { first_response: 15m, next_response: 1h, warn_before: 15m }
routes:
  - { name: vip, channel: C0VIP00001, targets: { first_response: 5m } }
  - { name: gold, channel: C0GOLD0001, targets: { warn_before: 1h } }
  - { channel: C0OTHER001, targets: { first_response: 10m, warn_before: 2h } }
`),
    ).toEqual([
      'targets.warn_before: 15m is not shorter than first_response (15m)',
      'routes[1] (gold) targets.warn_before: 1h is not shorter than first_response (15m)',
      'routes[1] (gold) targets.warn_before: 1h is not shorter than next_response (1h)',
      'routes[2] targets.warn_before: 2h is not shorter than first_response (10m)',
      'routes[2] targets.warn_before: 2h is not shorter than next_response (1h)',
    ]);
  });

  it('refuses targets with nothing to time: no first_response or next_response anywhere', () => {
    expect(problems('targets: { warn_before: 5m, escalate: { channel: C0ALERTS01 } }\nroutes: []')).toEqual([
      'targets: no first_response or next_response, globally or in a route: nothing to warn or escalate',
    ]);
    expect(problems('routes:\n  - { channel: C0VIP00001, targets: { repeat_every: 5m } }')).toEqual([
      'targets: no first_response or next_response, globally or in a route: nothing to warn or escalate',
    ]);
  });

  it('names the key of every problem with business hours', () => {
    expect(
      problems(`
business_hours:
  timezone: Mars/Olympus_Mons
  days: [mon, funday]
  hours: "9-17"
  holidays: [2026-02-30, 25.12.2026, "2028-02-29"]
  open: true
routes: []
`),
    ).toEqual([
      'business_hours.timezone: not a time zone: use an IANA name like Europe/Berlin',
      'business_hours.days[1]: not a day: use mon, tue, wed, thu, fri, sat or sun',
      'business_hours.hours: must be "HH:MM-HH:MM" (24 h), like "09:00-17:30"',
      'business_hours.holidays[0]: not a day of the calendar',
      'business_hours.holidays[1]: not a date: use YYYY-MM-DD, like 2026-12-25',
      'business_hours: Unrecognized key: "open"',
    ]);
    expect(
      problems('business_hours: { timezone: "+01:00", days: [mon, mon], hours: "09:00-24:00" }\nroutes: []'),
    ).toEqual([
      'business_hours.timezone: not a time zone: use an IANA name like Europe/Berlin',
      'business_hours.days: names a day twice',
      'business_hours.hours: must be "HH:MM-HH:MM" (24 h), like "09:00-17:30"',
    ]);
    expect(problems('business_hours: { days: [], hours: 17 }\nroutes: []')).toEqual([
      'business_hours.timezone: missing: add it, like Europe/Berlin',
      'business_hours.days: needs at least one day',
      'business_hours.hours: must be "HH:MM-HH:MM" (24 h), like "09:00-17:30"',
    ]);
    expect(problems('business_hours: { timezone: UTC, days: mon }\nroutes: []')).toEqual([
      'business_hours.days: must be a list of days, like [mon, tue, wed, thu, fri]',
      'business_hours.hours: missing: add it, like "09:00-17:30"',
    ]);
  });

  it('names the digest and the key of every problem with digests', () => {
    expect(
      problems(`
digests:
  - { channel: C0SUPPORT01, at: "9:00", timezone: Europe/Nowhere, days: [mon] }
  - { channel: "#support", at: "24:00", timezone: UTC, days: [sun], routes: [], when: daily }
  - { channel: C0SUPPORT01 }
routes: []
`),
    ).toEqual([
      'digests[0] at: must be "HH:MM" (24 h), like "09:00"',
      'digests[0] timezone: not a time zone: use an IANA name like Europe/Berlin',
      'digests[1] channel: must be a channel id like C0123ABCD',
      'digests[1] at: must be "HH:MM" (24 h), like "09:00"',
      'digests[1] routes: names no route: leave routes out for all of them',
      'digests[1]: Unrecognized key: "when"',
      'digests[2] at: missing: add it, like "09:00"',
      'digests[2] timezone: missing: add it, like Europe/Berlin',
      'digests[2] days: missing: add it, like [mon, tue, wed, thu, fri]',
    ]);
  });

  it('refuses a digest naming a route that does not exist or drops its conversations', () => {
    expect(
      problems(`
digests:
  - { channel: C0SUPPORT01, at: "09:00", timezone: UTC, days: [mon], routes: [vip, vipp, spam] }
routes:
  - { name: spam, match: { words: casino }, drop: true }
  - { name: vip, match: { tag: vip }, channel: C0VIP00001 }
`),
    ).toEqual([
      'digests[0] routes[1]: no route is named "vipp"',
      'digests[0] routes[2]: route "spam" drops conversations',
    ]);
  });

  it('refuses two rules of one name when a digest or a route’s targets rely on it', () => {
    const twice = (extra: string) => `${extra}
routes:
  - { name: vip, match: { tag: vip }, channel: C0VIP00001 }
  - { name: vip, match: { tag: gold }, channel: C0VIP00002 }
  - { name: vip, match: { tag: silver }, channel: C0VIP00003 }
`;
    const duplicates = [
      "routes[1] (vip) name: routes[0] has it too (a digest or a route's targets rely on it: it must be unique)",
      "routes[2] (vip) name: routes[0] has it too (a digest or a route's targets rely on it: it must be unique)",
    ];
    expect(
      problems(twice('digests: [{ channel: C0SUPPORT01, at: "09:00", timezone: UTC, days: [mon], routes: [vip] }]')),
    ).toEqual(duplicates);
    expect(problems(twice('').replace('C0VIP00002 }', 'C0VIP00002, targets: { first_response: 5m } }'))).toEqual(
      duplicates,
    );
    // nothing relies on the name: as before, it only labels log lines
    expect(loadRoutes(file(twice('targets: { first_response: 1h }')))).toHaveLength(3);
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
