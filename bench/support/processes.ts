import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FakeIntercom } from '../../test/support/fake-intercom.ts';
import type { FakeSlack } from '../../test/support/fake-slack.ts';

// Child processes for the benchmarks that run the real bridge: Node pinned to a core, request/answer over IPC,
// waiting for a condition, stopping, a free port, `npm start`'s Node flags and CPU accounting from /proc.

/** Node on a given core when `pinned` (see canPin in pinning.ts), or unpinned. */
export function nodeOn(
  pinned: boolean,
  core: number,
  args: string[],
  options: Parameters<typeof spawn>[2],
): ChildProcess {
  return pinned
    ? spawn('taskset', ['-c', String(core), process.execPath, ...args], options)
    : spawn(process.execPath, args, options);
}

/** Sends `message` and resolves with the first message back of type `reply` (one question of a type at a time). */
export function ask<T>(child: ChildProcess, message: unknown, reply: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== reply) return;
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.send(message as object);
  });
}

/**
 * Many questions in flight over one IPC channel: each message carries a request id (`rid`) and the child
 * answers with the same id (see `answerCalls`).
 */
export class Rpc {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (answer: unknown) => void>();
  #next = 0;

  constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (m: { rid?: number }) => {
      if (typeof m.rid !== 'number') return;
      const resolve = this.#pending.get(m.rid);
      this.#pending.delete(m.rid);
      resolve?.(m);
    });
  }

  call<T>(message: { type: string } & Record<string, unknown>): Promise<T> {
    const rid = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(rid, resolve as (answer: unknown) => void);
      this.#child.send({ ...message, rid }, (error) => {
        if (!error) return;
        this.#pending.delete(rid);
        reject(error);
      });
    });
  }
}

/** The child's side of Rpc: answers each request with what `handle` returns, under the request's id. */
function answerCalls(handle: (message: { type: string } & Record<string, unknown>) => Promise<object>): void {
  process.on('message', (message: { type: string; rid?: number } & Record<string, unknown>) => {
    void handle(message).then(
      (answer) => process.send?.({ ...answer, rid: message.rid }),
      (error: unknown) => process.send?.({ error: String(error), rid: message.rid }),
    );
  });
}

/**
 * The child side of a bench's fakes process: answers the parent's calls with `handle` (undefined for a request it
 * does not know, which is an error), closes the fakes and exits on `close`, and says it is ready with their
 * addresses and tokens (and `ready`'s fields).
 */
export function serveFakes(
  fakes: { intercom: FakeIntercom; slack: FakeSlack; ready?: Record<string, unknown>; closeAlso?: () => void },
  handle: (message: { type: string } & Record<string, unknown>) => Promise<object | undefined>,
): void {
  const { intercom, slack } = fakes;
  answerCalls(async (message) => {
    if (message.type === 'close') {
      setImmediate(async () => {
        fakes.closeAlso?.();
        await intercom.close();
        await slack.close();
        process.exit(0);
      });
      return {};
    }
    const answer = await handle(message);
    if (answer === undefined) throw new Error(`unknown request ${message.type}`);
    return answer;
  });
  announceReady(intercom, slack, fakes.ready);
}

/** Tells the parent a fakes process is up: the fakes' addresses and tokens, and `extra` fields. */
export function announceReady(intercom: FakeIntercom, slack: FakeSlack, extra: Record<string, unknown> = {}): void {
  process.send?.({
    type: 'ready',
    intercomUrl: intercom.url,
    slackApiUrl: slack.apiUrl,
    slackToken: slack.token,
    intercomToken: intercom.token,
    ...extra,
  });
}

/** Polls `probe` every 50 ms until it gives a value; throws after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, and waits for the exit (at once if it already exited). */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The Node flags `npm start` runs the bridge with (from package.json), then any in BRIDGE_FLAGS (to try others,
 * e.g. V8 heap flags NODE_OPTIONS refuses). npm runs the script in the package root, so a preload given as
 * `--import=./file` is made absolute: the benchmarks start the bridge in a scratch folder.
 */
export function startFlags(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return [...pkg.scripts.start.split(/\s+/), ...(process.env.BRIDGE_FLAGS ?? '').split(/\s+/)]
    .filter((arg) => arg.startsWith('--'))
    .map((arg) => (arg.startsWith('--import=./') ? `--import=${pathToFileURL(join(root, arg.slice(9))).href}` : arg));
}

/** CPU time (clock ticks, 10 ms on Linux) used by the whole machine, and by the given processes. */
export function cpuTicks(pids: number[]): { all: number; ours: number } | undefined {
  try {
    // cpu  user nice system idle iowait irq softirq steal
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const all = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + (f[i] ?? 0), 0);
    const ours = pids.reduce((sum, pid) => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return sum + Number(fields[11]) + Number(fields[12]); // utime, stime
    }, 0);
    return { all, ours };
  } catch {
    return undefined; // not Linux, or a process already gone
  }
}

/** What the fakes process reports once it listens: where the bridge finds Slack and Intercom, and their tokens. */
export interface FakesReady {
  slackToken: string;
  slackApiUrl: string;
  intercomToken: string;
  intercomUrl: string;
}

/**
 * The environment of a benchmarked bridge: pointed at the fakes, a SQLite file store, loopback, warnings only;
 * BRIDGE_NODE_OPTIONS passes V8/Node flags through.
 */
export function bridgeEnv(
  ready: FakesReady,
  o: { signingSecret: string; clientSecret: string; channel: string; dbPath: string; port: number },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    SLACK_BOT_TOKEN: ready.slackToken,
    SLACK_SIGNING_SECRET: o.signingSecret,
    SLACK_API_URL: ready.slackApiUrl,
    SLACK_CHANNEL: o.channel,
    INTERCOM_TOKEN: ready.intercomToken,
    INTERCOM_CLIENT_SECRET: o.clientSecret,
    INTERCOM_API_URL: ready.intercomUrl,
    DATABASE_URL: `sqlite:${o.dbPath}`,
    PORT: String(o.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NODE_OPTIONS: process.env.BRIDGE_NODE_OPTIONS ?? '',
    ...extra,
  };
}
