import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layout CONTRIBUTING draws, kept true: what a folder of src/ may not import. Arrows point inward — the
// product's rules (bridge/) know nothing of Slack's SDK or HTTP, Slack's listeners reach the store only through
// bridge/, and the clients and the store know nothing of what uses them.

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Folder of src/ → what its files may not import: a package name, or a folder of src/ (ending in '/'). */
const FORBIDDEN: Record<string, readonly string[]> = {
  'bridge/': [
    '@slack/bolt',
    '@slack/web-api',
    '@slack/types',
    'node:http',
    'node:https',
    'undici',
    'slack/',
    'http/',
    'net/',
  ],
  'slack/': ['store/', 'pg', 'node:sqlite'],
  'intercom/': ['bridge/', 'slack/', 'http/', 'store/'],
  'store/': ['bridge/', 'slack/', 'http/', 'intercom/', 'net/'],
  'net/': ['bridge/', 'slack/', 'http/', 'intercom/', 'store/'],
};

/** Every import specifier of a TypeScript source, static or dynamic, type-only included. */
function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g))
    found.push(m[1] ?? '');
  for (const m of source.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) found.push(m[1] ?? '');
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1] ?? '');
  return found;
}

/** What `file` (a path under src/) imports that its folder may not, as "file → import" lines. */
function violations(file: string, specifiers: readonly string[]): string[] {
  const rules = Object.entries(FORBIDDEN).find(([folder]) => file.startsWith(folder))?.[1] ?? [];
  const out: string[] = [];
  for (const spec of specifiers) {
    // a relative import is judged by the src/ folder it lands in; a package by its name
    const target = spec.startsWith('.') ? `${relative(SRC, resolve(SRC, dirname(file), spec))}` : spec;
    const hit = rules.find((rule) =>
      rule.endsWith('/') ? target.startsWith(rule) : target === rule || target.startsWith(`${rule}/`),
    );
    if (hit) out.push(`${file} → ${spec}`);
  }
  return out;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(SRC, join(entry.parentPath, entry.name)));
}

describe('layering of src/', () => {
  it('finds what a folder may not import: the rule itself', () => {
    expect(violations('bridge/x.ts', ['@slack/bolt', '../slack/mrkdwn.ts', './jobs.ts', '../store/store.ts'])).toEqual([
      'bridge/x.ts → @slack/bolt',
      'bridge/x.ts → ../slack/mrkdwn.ts',
    ]);
    expect(violations('slack/listeners/cards.ts', ['../../store/store.ts', '../../bridge/cards.ts'])).toEqual([
      'slack/listeners/cards.ts → ../../store/store.ts',
    ]);
    expect(violations('intercom/resources/a.ts', ['../../bridge/jobs.ts', '../http.ts', 'undici'])).toEqual([
      'intercom/resources/a.ts → ../../bridge/jobs.ts',
    ]);
    expect(importsOf("import type { A } from './a.ts';\nexport { b } from '../b.ts';\nawait import('pg');")).toEqual([
      './a.ts',
      '../b.ts',
      'pg',
    ]);
  });

  it('no file of src/ imports across the lines CONTRIBUTING draws', () => {
    const files = sourcesUnder(SRC);
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((file) => violations(file, importsOf(readFileSync(join(SRC, file), 'utf8'))));
    expect(found).toEqual([]);
  });
});
