import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// What a doc tells an operator to run or to open must exist: every `npm run <script>` names a script in
// package.json, every markdown link to a file and every backticked repository path (`src/…`, `test/…`, `bench/…`,
// `deploy/…`, `docs/…`, `.ci/…`) names a file or folder in the repository.

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Paths a doc names on purpose although they are not in the repository, each with its reason. (Globs and
 * placeholders, `test/slack/blocks/*.test.ts` or `src/intercom/resources/<area>.ts`, are not taken for paths.)
 */
const NOT_FILES: ReadonlyMap<string, string> = new Map([
  ['routes.yml', "the operator's own rules, copied from routes.example.yml; never committed"],
  ['deploy/certs/fullchain.pem', "the operator's TLS certificate for nginx; deploy/certs/ keeps it out of git"],
  ['deploy/certs/privkey.pem', 'the key of that certificate; never committed'],
]);

/** The docs an operator or contributor reads. */
function docFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', ...docs].filter((file) => existsSync(join(root, file)));
}

function scripts(): Set<string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return new Set(Object.keys(pkg.scripts));
}

const FENCE = /^```[\s\S]*?^```/gm;
const LINK = /\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;
const BACKTICKED = /`([^`\n]+)`/g;
const REPO_PATH = /^(?:src|test|bench|deploy|docs|\.ci)\/[^\s<>…*]*$/;
/** A file at the repository's root, named without a folder: `manifest.yml`, `.env.example`, `Dockerfile`, `README.md`. */
const ROOT_FILE =
  /^(?:\.[\w-]+\.[\w.-]+|\.(?:nvmrc|npmrc|gitignore|dockerignore)|[\w-]+\.(?:yml|yaml|json|example|conf)|[A-Z]+\.md|Dockerfile|LICENSE)$/;
const NPM_RUN = /npm run ([\w:.-]+)/g;

/** The first group of every match. */
const captured = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((match) => match[1] ?? '');
const withoutAnchor = (path: string) => path.split('#')[0] ?? '';

/** Problems with one doc's text, as "file: problem" lines; `file` is relative to the repository root. */
function problemsIn(file: string, text: string, exists: (path: string) => boolean, known: Set<string>) {
  const problems: string[] = [];
  for (const name of captured(text, NPM_RUN)) {
    const script = name.replace(/[.:]+$/, '');
    if (!known.has(script)) problems.push(`${file}: \`npm run ${script}\` is not a script in package.json`);
  }
  const prose = text.replace(FENCE, '');
  for (const target of captured(prose, LINK)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue; // a URL or an anchor
    const path = join(dirname(file), decodeURIComponent(withoutAnchor(target)));
    if (!exists(path)) problems.push(`${file}: link to ${target}: no such file`);
  }
  for (const quoted of captured(prose, BACKTICKED)) {
    const path = withoutAnchor(quoted).replace(/:\d+$/, '');
    if (!(REPO_PATH.test(path) || ROOT_FILE.test(path)) || NOT_FILES.has(path)) continue;
    if (!exists(path)) problems.push(`${file}: \`${quoted}\`: no such file or folder`);
  }
  return problems;
}

const onDisk = (path: string) => !relative(root, join(root, path)).startsWith('..') && existsSync(join(root, path));

describe('docs name only what exists', () => {
  it('reads README, CONTRIBUTING and every doc in docs/', () => {
    const files = docFiles();
    expect(files).toContain('README.md');
    expect(files).toContain('CONTRIBUTING.md');
    expect(files).toContain('docs/setup.md');
  });

  it.each(docFiles())('%s: every npm script, link and repository path exists', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    expect(problemsIn(file, text, onDisk, scripts())).toEqual([]);
  });

  it('reports a missing script, a broken link and a missing path, and skips URLs, anchors and examples', () => {
    const text = [
      'Run `npm run doctor`, then npm run no-such-script; `npm run bench:client:instructions` needs valgrind.',
      'See [setup](setup.md), [gone](gone.md#part), [the repo](../README.md), [Slack](https://api.slack.com),',
      '[below](#anchor), `src/config.ts`, `src/missing.ts`, `test/docs/`, `src/intercom/resources/<area>.ts`,',
      'the globs `docs/*.md` and `src/**`, and `bench/nowhere.ts:12`; `manifest.yml`, `.ts`, `.env` (made from `.env.example`), `DESIGN.md`.',
      '```sh',
      'npm run lint && cat src/in-a-block.ts [not a link](nowhere.md)',
      '```',
    ].join('\n');
    expect(problemsIn('docs/example.md', text, onDisk, scripts())).toEqual([
      'docs/example.md: `npm run no-such-script` is not a script in package.json',
      'docs/example.md: link to gone.md#part: no such file',
      'docs/example.md: `src/missing.ts`: no such file or folder',
      'docs/example.md: `bench/nowhere.ts:12`: no such file or folder',
      'docs/example.md: `DESIGN.md`: no such file or folder',
    ]);
  });
});
