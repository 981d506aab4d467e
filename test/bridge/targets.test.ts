import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRoutesFile } from '../../src/bridge/routing.ts';
import { findRoute, type RoutesFileConfig, targetsFor, targetsOn } from '../../src/bridge/targets.ts';

const m = 60_000;
const h = 60 * m;

function load(yaml: string): RoutesFileConfig {
  const path = join(mkdtempSync(join(tmpdir(), 'bridge-targets-')), 'routes.yml');
  writeFileSync(path, yaml);
  return loadRoutesFile(path);
}

const config = load(`
targets:
  first_response: 15m
  next_response: 1h
  warn_before: 5m
  repeat_every: 30m
  escalate: { channel: C0ALERTS01, mention: [S0ONCALL01, U0123ABCD] }
routes:
  - name: vip
    match: { tag: vip }
    channel: C0VIP00001
    targets: { first_response: 5m, escalate: { channel: C0VIPALERT } }
  - name: billing
    match: { team: Billing }
    channel: C0BILLING1
  - match: { tag: night }
    channel: C0NIGHT001
    targets: { next_response: 4h, repeat_every: 2h }
`);

const global = {
  firstResponseMs: 15 * m,
  nextResponseMs: h,
  warnBeforeMs: 5 * m,
  repeatEveryMs: 30 * m,
  escalate: { channel: 'C0ALERTS01', mention: ['S0ONCALL01', 'U0123ABCD'] },
};

describe('targetsFor', () => {
  it('gives the global targets to a conversation no route carried', () => {
    expect(targetsFor(config, undefined)).toEqual(global);
    expect(targetsFor(config, null)).toEqual(global);
  });

  it('overrides key by key with the route’s own, and escalate as one key (its mention is not inherited)', () => {
    expect(targetsFor(config, 'vip')).toEqual({
      ...global,
      firstResponseMs: 5 * m,
      escalate: { channel: 'C0VIPALERT', mention: [] },
    });
  });

  it('gives a route without targets the global ones', () => {
    expect(targetsFor(config, 'billing')).toEqual(global);
  });

  it('finds a rule without a name by the label the router gives it', () => {
    expect(targetsFor(config, 'routes[2]')).toEqual({ ...global, nextResponseMs: 4 * h, repeatEveryMs: 2 * h });
    // a named rule is found by its name only
    expect(targetsFor(config, 'routes[0]')).toEqual(global);
  });

  it('gives a route no rule has (removed from the file since) the global targets', () => {
    expect(targetsFor(config, 'gone')).toEqual(global);
    expect(targetsFor(config, 'routes[9]')).toEqual(global);
  });

  it('leaves out the keys nobody sets, and lets a route set what the file leaves unset globally', () => {
    const partial = load(`
targets: { first_response: 10m }
routes:
  - { name: vip, match: { tag: vip }, channel: C0VIP00001, targets: { warn_before: 2m } }
`);
    expect(targetsFor(partial, undefined)).toEqual({ firstResponseMs: 10 * m });
    expect(Object.keys(targetsFor(partial, undefined))).toEqual(['firstResponseMs']);
    expect(targetsFor(partial, 'vip')).toEqual({ firstResponseMs: 10 * m, warnBeforeMs: 2 * m });
  });

  it('treats an explicitly undefined key of a route as not set', () => {
    const built: RoutesFileConfig = {
      routes: [{ name: 'vip', match: {}, channel: 'C0VIP00001', targets: { firstResponseMs: undefined } }],
      targets: { firstResponseMs: 15 * m },
      digests: [],
    };
    expect(targetsFor(built, 'vip')).toEqual({ firstResponseMs: 15 * m });
  });
});

describe('findRoute', () => {
  it('prefers a name to a label', () => {
    const routes = [
      { match: {}, channel: 'C0FIRST001' },
      { name: 'routes[0]', match: {}, channel: 'C0SECOND01' },
    ];
    expect(findRoute(routes, 'routes[0]')?.channel).toBe('C0SECOND01');
    expect(findRoute(routes, 'routes[1]')).toBeUndefined();
  });
});

describe('targetsOn', () => {
  it('is on with a first_response or next_response, globally or in a route', () => {
    expect(targetsOn(config)).toBe(true);
    expect(targetsOn(load('targets: { next_response: 1h }\nroutes: []'))).toBe(true);
    expect(targetsOn(load('routes:\n  - { name: vip, channel: C0VIP00001, targets: { first_response: 5m } }'))).toBe(
      true,
    );
  });

  it('is off for a file with only routes', () => {
    const off = load('routes:\n  - { name: vip, match: { tag: vip }, channel: C0VIP00001 }');
    expect(targetsOn(off)).toBe(false);
    expect(targetsFor(off, 'vip')).toEqual({});
    expect(targetsFor(off, undefined)).toEqual({});
  });
});
