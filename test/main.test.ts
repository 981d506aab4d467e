import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { freePort } from './support/bridge-env.ts';
import { FakeIntercom } from './support/fake-intercom.ts';
import { logSink } from './support/log-sink.ts';

const ROOT = join(import.meta.dirname, '..');
const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-9999-8888-distinctiveBotToken',
  SLACK_SIGNING_SECRET: 'distinctive-signing-secret',
  INTERCOM_TOKEN: 'distinctive-intercom-token',
};

function run(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number> } {
  // the same Node that runs the tests (Node 24 from the node devDependency), with nothing inherited but PATH
  const child = spawn(process.execPath, [join(ROOT, 'src', 'main.ts')], {
    cwd: join(ROOT, 'test'), // no .env there, so only `env` counts
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const exited = once(child, 'exit').then(([code]) => Number(code));
  return { child, output: () => out, exited };
}

let fake: FakeIntercom | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('npm start (src/main.ts)', () => {
  it('exits 1 with one line per configuration problem and no stack trace', async () => {
    const proc = run({ SLACK_CHANNEL: '#general', PORT: 'eighty' });
    expect(await proc.exited).toBe(1);
    expect(proc.output().trim().split('\n')).toEqual([
      'config: SLACK_BOT_TOKEN is required: the bot token, xoxb-…',
      expect.stringMatching(/^config: SLACK_CHANNEL must be a channel id like C0123ABCD/),
      'config: INTERCOM_TOKEN is required: the Intercom access token',
      'config: PORT must be a whole number: the HTTP port',
      expect.stringMatching(/^config: SLACK_SIGNING_SECRET is required unless SLACK_APP_TOKEN is set/),
    ]);
  });

  it('exits 1 naming the rule when the routes file is wrong', async () => {
    const routes = join(mkdtempSync(join(tmpdir(), 'bridge-routes-')), 'routes.yml');
    writeFileSync(routes, 'routes:\n  - name: vip\n    match: { tag: vip }\n    channel: "#vip"\n');
    const proc = run({ ...SECRETS, ROUTES_FILE: routes, DATABASE_URL: 'sqlite::memory:' });
    expect(await proc.exited).toBe(1);
    expect(proc.output().trim().split('\n')).toEqual([
      'routes: routes[0] (vip) channel: must be a channel id like C0123ABCD',
    ]);
  });

  it('starts, answers /healthz, stops on SIGTERM, and never logs a secret', async () => {
    fake = await FakeIntercom.start();
    const port = await freePort();
    const proc = run({
      ...SECRETS,
      SLACK_CHANNEL: 'C0123ABCD',
      INTERCOM_API_URL: fake.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      DATABASE_URL: 'sqlite::memory:',
    });
    for (let i = 0; i < 100 && !proc.output().includes('bridge listening'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('bridge stopped');
    for (const secret of Object.values(SECRETS)) expect(proc.output()).not.toContain(secret);
  });
});

describe('startBridge', () => {
  it('serves Slack requests on /slack/events and health on /healthz', async () => {
    fake = await FakeIntercom.start();
    const sink = logSink({ level: 'info' });
    const config = loadConfig({
      ...SECRETS,
      SLACK_CHANNEL: 'C0123ABCD',
      INTERCOM_API_URL: fake.url,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: 'sqlite::memory:',
    });
    const bridge = await startBridge(config, sink.logger);
    try {
      expect((await fetch(`http://127.0.0.1:${bridge.port}/healthz`)).status).toBe(200);
      // unsigned Slack request: Bolt's signature check refuses it
      const unsigned = await fetch(`http://127.0.0.1:${bridge.port}/slack/events`, { method: 'POST', body: '{}' });
      expect(unsigned.status).toBe(401);
      expect(bridge.intercom.http.origin).toBe(fake.url);
    } finally {
      await bridge.stop();
    }
    expect(sink.lines().map((l) => l.msg)).toContain('bridge listening');
  });
});
