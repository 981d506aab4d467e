import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from './support/bridge-env.ts';

// Static checks of the deploy files (nginx, compose, Dockerfile): none of them can be run here (no Docker daemon),
// so what they promise in docs/deployment.md and docs/security.md is read out of them. The healthchecks are run
// for real, with bash, against a loopback server.

const ROOT = join(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Block {
  /** `location = /slack/events` → `= /slack/events` */
  head: string;
  body: string;
}

/** The top-level `location … { … }` blocks of an nginx server block, nested braces (`if`) included. */
function locations(conf: string): Block[] {
  const text = conf.replace(/#[^\n]*/g, '');
  const blocks: Block[] = [];
  for (const match of text.matchAll(/location\s+([^{]+?)\s*\{/g)) {
    let depth = 1;
    let i = (match.index ?? 0) + match[0].length;
    const start = i;
    for (; depth > 0 && i < text.length; i++) {
      if (text[i] === '{') depth++;
      if (text[i] === '}') depth--;
    }
    blocks.push({ head: match[1] ?? '', body: text.slice(start, i - 1) });
  }
  return blocks;
}

/** The Dockerfile instruction's exec form (`CMD [...]`, `HEALTHCHECK … CMD [...]`), line continuations joined. */
function execForm(dockerfile: string, instruction: string): string[] {
  const joined = dockerfile.replace(/\\\n\s*/g, ' ');
  const line = joined.split('\n').findLast((l) => l.startsWith(`${instruction} `));
  const json = line?.slice(line.indexOf('[')) ?? '[]';
  return JSON.parse(json) as string[];
}

describe('deploy/nginx.conf (static check: parsed, not run)', () => {
  const conf = read('deploy/nginx.conf');
  const blocks = locations(conf);

  it('proxies exactly /slack/events and /intercom/webhooks, as exact locations', () => {
    const proxied = blocks.filter((b) => /\bproxy_pass\b/.test(b.body)).map((b) => b.head);
    expect(proxied.sort()).toEqual(['= /intercom/webhooks', '= /slack/events']);
    // no proxy_pass outside those two blocks (a server-level one would proxy every path)
    expect(conf.replace(/#[^\n]*/g, '').match(/\bproxy_pass\b/g)).toHaveLength(2);
  });

  it('answers 404 for every other path: /healthz, /readyz and /metrics are not public', () => {
    const rest = blocks.filter((b) => !/\bproxy_pass\b/.test(b.body));
    expect(rest.map((b) => [b.head, b.body.trim()])).toEqual([['/', 'return 404;']]);
  });

  it('lets only POST through to Slack, and POST and HEAD (Intercom checks the URL with HEAD) to the webhook', () => {
    const guard = (head: string) => blocks.find((b) => b.head === head)?.body.match(/if \(\$request_method (.*)\) \{/);
    expect(guard('= /slack/events')?.[1]).toBe('!= POST');
    expect(guard('= /intercom/webhooks')?.[1]).toBe('!~ ^(POST|HEAD)$');
  });

  it('listens with TLS only, on a mounted certificate', () => {
    const listens = [...conf.matchAll(/^\s*listen\s+([^;]+);/gm)].map((m) => m[1]);
    expect(listens).toEqual(['443 ssl']);
    expect(conf).toMatch(/ssl_certificate \/etc\/nginx\/certs\/fullchain\.pem;/);
    expect(conf).toMatch(/ssl_certificate_key \/etc\/nginx\/certs\/privkey\.pem;/);
  });
});

describe('compose.yml (static check: parsed, not run)', () => {
  const compose = parse(read('compose.yml')) as {
    services: Record<string, { ports?: string[]; volumes?: string[]; healthcheck?: { test: string[] } }>;
  };

  it('publishes nothing of the bridge on a public address: only the proxy, on 443', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'proxy') continue;
      for (const port of service.ports ?? []) expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:/);
    }
    expect(compose.services.proxy?.ports).toEqual(['443:443']);
  });

  it('mounts deploy/nginx.conf and the certificate folder nginx.conf names into the proxy', () => {
    expect(compose.services.proxy?.volumes).toEqual([
      './deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro',
      './deploy/certs:/etc/nginx/certs:ro',
    ]);
  });
});

describe('the Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('runs node itself (no npm, no shell) with the same command `npm start` execs', () => {
    const cmd = execForm(dockerfile, 'CMD');
    expect(cmd[0]).toBe('node');
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(scripts.start).toBe(`exec ${cmd.join(' ')}`);
  });
});

/** A loopback server that answers /healthz with `status` and records the paths asked for. */
async function healthServer(status: number) {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    res.writeHead(status).end(status === 200 ? 'ok' : 'no');
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, paths, close: () => server.close() };
}

/** Runs a healthcheck's command as Docker would (exec form), with PORT set; resolves to its exit code. */
async function probe(command: string[], port: number): Promise<number> {
  const [file, ...args] = command;
  const child = spawn(file ?? '', args, { env: { PATH: process.env.PATH ?? '', PORT: String(port) }, stdio: 'ignore' });
  const [code] = await once(child, 'exit');
  return Number(code);
}

describe.each([
  ['Dockerfile HEALTHCHECK', (_port: number) => execForm(read('Dockerfile'), 'HEALTHCHECK')],
  [
    'compose.yml healthcheck',
    (port: number) => {
      const compose = parse(read('compose.yml')) as { services: { bridge: { healthcheck: { test: string[] } } } };
      const [kind, ...command] = compose.services.bridge.healthcheck.test;
      expect(kind).toBe('CMD');
      const script = command.at(-1) ?? '';
      expect(script).toContain('/dev/tcp/127.0.0.1/3000 '); // the PORT compose sets
      // `$$` is compose's escape for `$`; the port swapped for the test server's
      return [...command.slice(0, -1), script.replaceAll('$$', '$').replace('127.0.0.1/3000 ', `127.0.0.1/${port} `)];
    },
  ],
])('%s (run with bash against a loopback server)', (_name, commandFor) => {
  it('starts no Node process: bash asks GET /healthz and passes on a 200', async () => {
    const server = await healthServer(200);
    try {
      const command = commandFor(server.port);
      expect(command[0]).toBe('bash');
      expect(await probe(command, server.port)).toBe(0);
      expect(server.paths).toEqual(['GET /healthz']);
    } finally {
      server.close();
    }
  });

  it('fails on any other status', async () => {
    const server = await healthServer(503);
    try {
      expect(await probe(commandFor(server.port), server.port)).not.toBe(0);
      expect(server.paths).toEqual(['GET /healthz']);
    } finally {
      server.close();
    }
  });

  it('fails when nothing listens', async () => {
    const port = await freePort();
    expect(await probe(commandFor(port), port)).not.toBe(0);
  });
});
