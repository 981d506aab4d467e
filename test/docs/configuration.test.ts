import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_DEFAULTS, ENV_NAMES, loadConfig } from '../../src/config.ts';

const DOC = readFileSync('docs/configuration.md', 'utf8');
const EXAMPLE = readFileSync('.env.example', 'utf8');

/** What an operator fills in: with these, and nothing else, the bridge starts on every default. */
const FILLED = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: 'signing-secret-value',
  SLACK_CHANNEL: 'C0SUPPORT1',
  INTERCOM_TOKEN: 'intercom-token-value',
};

const defaultOf = (name: string): string | undefined => (ENV_DEFAULTS as Record<string, string>)[name];

/** The rows of a markdown table: first cell's `NAME` → the second cell, as written. */
function tableRows(markdown: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const [, name, cell] of markdown.matchAll(/^\| `([A-Z][A-Z0-9_]*)` +\| ([^|]*?) +\|/gm)) {
    if (name !== undefined && cell !== undefined) rows.set(name, cell);
  }
  return rows;
}

const [OPERATOR_DOC = '', CONTRIBUTOR_DOC = ''] = DOC.split('\n## For contributors\n');

/** `.env.example`'s variable lines, commented (`# NAME=value`) or not. */
const exampleLines = [...EXAMPLE.matchAll(/^(# )?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([line, hash, name, value]) => ({
  line,
  commented: hash !== undefined,
  name: name as string,
  value: value as string,
}));
const commented = exampleLines.filter((l) => l.commented);

describe('docs/configuration.md', () => {
  const rows = tableRows(OPERATOR_DOC);

  it('lists every variable src/config.ts reads, and no other', () => {
    expect([...rows.keys()].sort()).toEqual([...ENV_NAMES].sort());
  });

  it.each(ENV_NAMES.map((name) => [name]))('%s has the default the code has', (name) => {
    const fallback = defaultOf(name);
    if (fallback === undefined) expect(rows.get(name)).not.toMatch(/^`[^`]*`$/);
    else expect(rows.get(name)).toBe(`\`${fallback}\``);
  });

  it('documents TEST_DATABASE_URL for contributors with the default test/support/postgres.ts has', () => {
    const support = readFileSync('test/support/postgres.ts', 'utf8');
    const fallback = /process\.env\.TEST_DATABASE_URL \|\| '([^']+)'/.exec(support)?.[1];
    expect(fallback).toBeDefined();
    expect(tableRows(CONTRIBUTOR_DOC).get('TEST_DATABASE_URL')).toBe(`\`${fallback}\``);
  });
});

describe('.env.example', () => {
  it('names every variable src/config.ts reads once, and no other', () => {
    expect(exampleLines.map((l) => l.name).sort()).toEqual([...ENV_NAMES].sort());
  });

  it('leaves uncommented only what has no default; every commented line holds the default (or nothing)', () => {
    for (const { name, value, commented: isCommented } of exampleLines) {
      const fallback = defaultOf(name);
      if (!isCommented) expect(fallback, `${name} is to be filled in, so it has no default`).toBeUndefined();
      else expect(value, name).toBe(fallback ?? '');
    }
  });

  it('as shipped, refuses to start, naming each placeholder and what to fill in', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig(parseEnv(EXAMPLE));
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual([
      'SLACK_BOT_TOKEN is only the xoxb- prefix: paste the whole token after it',
      "SLACK_CHANNEL is C0123ABCD, the example's placeholder: put your channel's id (open the channel details in Slack to copy it)",
      'INTERCOM_TOKEN is required: the Intercom access token',
      'SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN is set (Socket Mode): Basic Information → Signing Secret',
    ]);
  });

  const defaults = loadConfig(FILLED);

  it.each(commented.map((l) => [l.line, l] as const))('%s, uncommented, loads to the default', (_, l) => {
    const uncommented = EXAMPLE.replace(`${l.line}\n`, `${l.name}=${l.value}\n`);
    expect(uncommented).not.toBe(EXAMPLE);
    const env = parseEnv(uncommented);
    // read whole: no note after the value ends up in it
    expect(env[l.name]).toBe(l.value);
    expect(loadConfig({ ...env, ...FILLED })).toEqual(defaults);
  });

  it('every commented line uncommented at once loads to the defaults too', () => {
    const all = EXAMPLE.replace(/^# ([A-Z][A-Z0-9_]*=)/gm, '$1');
    const env = parseEnv(all);
    expect(Object.keys(env).sort()).toEqual([...ENV_NAMES].sort());
    expect(loadConfig({ ...env, ...FILLED })).toEqual(defaults);
  });

  it('the defaults it and the docs show are the ones the bridge runs on', () => {
    const changed = Object.entries(ENV_DEFAULTS).filter(
      ([name, value]) => JSON.stringify(loadConfig({ ...FILLED, [name]: value })) !== JSON.stringify(defaults),
    );
    expect(changed).toEqual([]);
    // and a value other than the default does change it, so the comparison above can fail
    expect(loadConfig({ ...FILLED, PORT: '3001' })).not.toEqual(defaults);
  });
});
