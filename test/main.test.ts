import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number>;
}

function run(env: Record<string, string>): Proc {
  // the same Node that runs the tests (Node 24 from the node devDependency), with nothing inherited but PATH
  return spawnCollecting(process.execPath, [join(ROOT, 'src', 'main.ts')], join(ROOT, 'test'), env); // no .env there
}

/** `detached`: in a process group of its own, which `afterEach` kills whole (what a failing test might orphan). */
function spawnCollecting(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
  detached = false,
): Proc {
  const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, detached });
  if (detached && child.pid) groups.push(child.pid);
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

/**
 * A copy of the app's layout without a .env (so only the test's environment counts): package.json copied, src/ and
 * node_modules/ linked. The Dockerfile's WORKDIR and where `npm start` runs, with their relative paths intact.
 */
function appDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-app-'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'src'), join(dir, 'src'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** The Dockerfile's CMD, as the image runs it (exec form: no shell, no npm). */
function dockerCmd(): string[] {
  const line = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .findLast((l) => l.startsWith('CMD '));
  return JSON.parse(line?.slice('CMD '.length) ?? '[]') as string[];
}

async function untilListening(proc: Proc): Promise<void> {
  for (let i = 0; i < 200 && !proc.output().includes('bridge listening'); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

let fake: FakeIntercom | undefined;
const groups: number[] = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // the group is gone: nothing was left behind
    }
  }
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
      'start from .env.example (copy it to .env and fill it in; every variable is in docs/configuration.md), ' +
        'then run `npm run doctor` to check it against Slack and Intercom',
    ]);
  });

  it('exits 1 with one line naming the SQLite path and the fix when its folder cannot be written', async () => {
    // a regular file used as the folder: fails for root too, where permissions would not stop a write
    const notAFolder = join(mkdtempSync(join(tmpdir(), 'bridge-store-')), 'a-file');
    writeFileSync(notAFolder, '');
    const path = join(notAFolder, 'bridge.db');
    const proc = run({ ...SECRETS, SLACK_CHANNEL: 'C0SUPPORT1', DATABASE_URL: `sqlite:${path}`, PORT: '0' });
    expect(await proc.exited).toBe(1);
    const lines = proc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^store: cannot open the SQLite database ${path} \\(.+\\): its folder `));
    expect(lines[0]).toContain(`its folder ${notAFolder} must exist or be creatable, and be writable by the user`);
    expect(proc.output()).not.toMatch(/\n\s+at /); // no stack trace
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

  it('exits 1 naming the key when a response target is not a duration', async () => {
    const routes = join(mkdtempSync(join(tmpdir(), 'bridge-routes-')), 'routes.yml');
    writeFileSync(routes, 'targets:\n  first_response: soon\nroutes: []\n');
    const proc = run({ ...SECRETS, ROUTES_FILE: routes, DATABASE_URL: 'sqlite::memory:' });
    expect(await proc.exited).toBe(1);
    expect(proc.output().trim().split('\n')).toEqual([
      'routes: targets.first_response: not a duration: use 45s, 15m, 2h or 1d',
    ]);
  });

  it('starts, answers /healthz, stops on SIGTERM, and never logs a secret', async () => {
    fake = await FakeIntercom.start();
    const port = await freePort();
    const proc = run(bridgeProcessEnv(fake.url, port));
    await untilListening(proc);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('bridge stopped');
    for (const secret of Object.values(SECRETS)) expect(proc.output()).not.toContain(secret);
  });

  it("started as the Dockerfile's CMD starts it (node as PID 1's command, no npm), stops gracefully on SIGTERM", async () => {
    const [command, ...args] = dockerCmd();
    expect(command).toBe('node');
    fake = await FakeIntercom.start();
    const port = await freePort();
    const proc = spawnCollecting(process.execPath, args, appDir(), bridgeProcessEnv(fake.url, port));
    await untilListening(proc);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('bridge stopped');
  });

  it('through `npm start`, SIGTERM to npm reaches node: it stops gracefully and nothing is left running', async () => {
    // a supervisor that signals the pid it started; before `exec` in the start script, npm's shell died and node
    // was orphaned, still serving
    fake = await FakeIntercom.start();
    const port = await freePort();
    const npm = process.env.npm_execpath;
    const [command, args] = npm?.endsWith('.js') ? [process.execPath, [npm, 'start']] : ['npm', ['start']];
    const proc = spawnCollecting(
      command,
      args,
      appDir(),
      {
        ...bridgeProcessEnv(fake.url, port),
        HOME: process.env.HOME ?? tmpdir(),
        npm_config_update_notifier: 'false',
      },
      true,
    );
    await untilListening(proc);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('bridge stopped');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow(); // no orphan still listening
  });
});

function bridgeProcessEnv(intercomUrl: string, port: number): Record<string, string> {
  return {
    ...SECRETS,
    SLACK_CHANNEL: 'C0SUPPORT1',
    INTERCOM_API_URL: intercomUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    DATABASE_URL: 'sqlite::memory:',
  };
}

describe('startBridge', () => {
  it('serves Slack requests on /slack/events and health on /healthz', async () => {
    fake = await FakeIntercom.start();
    const sink = logSink({ level: 'info' });
    const config = loadConfig({
      ...SECRETS,
      SLACK_CHANNEL: 'C0SUPPORT1',
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
