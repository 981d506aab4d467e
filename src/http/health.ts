import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

type Check = () => Promise<unknown>;

/** The state of one dependency: checked and fine, failed (with why), or not known yet. */
export type CheckState = { ok: true } | { ok: false; error: string } | { ok: null };

/**
 * Whether this replica can do its work: the store answers (asked on every probe), and the Slack and Intercom
 * credentials were accepted (checked at start-up, and again at most every `recheckMs` while they fail — a
 * token fixed in Slack's or Intercom's settings is noticed without a restart).
 */
export class Readiness {
  readonly #store: Check;
  readonly #credentials: Record<'slack' | 'intercom', Check>;
  readonly #state: Record<'slack' | 'intercom', CheckState> = { slack: { ok: null }, intercom: { ok: null } };
  /** Socket Mode only: whether the WebSocket to Slack is open (undefined over HTTP, where there is none). */
  #socket: CheckState | undefined;
  readonly #checkedAt: Record<'slack' | 'intercom', number> = { slack: 0, intercom: 0 };
  readonly #recheckMs: number;
  readonly #logger: Logger;

  constructor(options: { store: Check; slack: Check; intercom: Check; logger: Logger; recheckMs?: number }) {
    this.#store = options.store;
    this.#credentials = { slack: options.slack, intercom: options.intercom };
    this.#recheckMs = options.recheckMs ?? 30_000;
    this.#logger = options.logger;
  }

  /** Socket Mode: what became of the last attempt to connect to Slack. */
  socketState(state: CheckState): void {
    this.#socket = state;
  }

  /** Checks the credentials once; the bridge starts regardless, and /readyz tells the load balancer. */
  async checkCredentials(): Promise<void> {
    await Promise.all((['slack', 'intercom'] as const).map((name) => this.#check(name)));
  }

  async #check(name: 'slack' | 'intercom'): Promise<void> {
    this.#checkedAt[name] = Date.now();
    try {
      await withTimeout(this.#credentials[name](), 10_000);
      if (this.#state[name].ok !== true) this.#logger.info({ check: name }, `${name} credentials accepted`);
      this.#state[name] = { ok: true };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#state[name] = { ok: false, error: message };
      this.#logger.error({ check: name, err: error }, `${name} credentials were not accepted`);
    }
  }

  async report(): Promise<{
    ready: boolean;
    checks: Partial<Record<'store' | 'slack' | 'intercom' | 'socket', CheckState>>;
  }> {
    const stale = (['slack', 'intercom'] as const).filter(
      (name) => this.#state[name].ok === false && Date.now() - this.#checkedAt[name] >= this.#recheckMs,
    );
    await Promise.all(stale.map((name) => this.#check(name)));
    let store: CheckState;
    try {
      await withTimeout(this.#store(), 2_000);
      store = { ok: true };
    } catch (error) {
      store = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    const checks = {
      store,
      slack: this.#state.slack,
      intercom: this.#state.intercom,
      ...(this.#socket ? { socket: this.#socket } : {}),
    };
    return { ready: Object.values(checks).every((c) => c.ok === true), checks };
  }
}

/** GET /healthz (the process answers), /readyz (it can work) and /metrics (Prometheus text). */
export function healthRoutes(readiness: Readiness, metrics: Metrics) {
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler(_req: IncomingMessage, res: ServerResponse) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      },
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler(_req: IncomingMessage, res: ServerResponse) {
        readiness.report().then(
          (report) => {
            res.writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
          },
          () => res.writeHead(503).end(),
        );
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler(_req: IncomingMessage, res: ServerResponse) {
        metrics.text().then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      },
    },
  ];
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
