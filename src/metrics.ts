import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from './store/store.ts';

/** Intercom paths with their ids replaced, so a label names the operation, not the conversation. */
export function routeOf(path: string): string {
  return (
    path
      .split('?')[0]
      ?.split('/')
      .map((segment) => (/\d/.test(segment) && segment.length > 0 ? ':id' : segment))
      .join('/') ?? path
  );
}

/**
 * The bridge's Prometheus metrics, in a registry of its own (several bridges can run in one process, as the
 * tests do). Counters are bumped where things happen; the inbox gauges are read from the store at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly webhooks: Counter<'outcome'>;
  readonly deliveries: Counter<'topic' | 'outcome'>;
  readonly processing: Histogram<'topic'>;
  readonly slackCalls: Counter<'method' | 'status'>;
  readonly intercomRequests: Counter<'method' | 'route' | 'status'>;
  readonly intercomSeconds: Histogram<'method' | 'route'>;
  readonly takeovers: Counter<'topic'>;
  readonly clockWarnings: Counter<'route' | 'target'>;
  readonly clockMisses: Counter<'route' | 'target' | 'repeat'>;
  readonly responseSeconds: Histogram<'route' | 'target'>;
  /** Conversations whose clock runs, as this process last synced them (each replica counts what it saw). */
  readonly #waiting = new Set<string>();

  constructor(store: Store, options: { defaults?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: 'bridge_' });
    this.webhooks = new Counter({
      name: 'bridge_webhooks_received_total',
      help: 'Intercom webhook requests, by outcome (accepted, duplicate, ignored, ping, or why they were refused).',
      labelNames: ['outcome'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'bridge_deliveries_total',
      help: 'Inbox deliveries handled by the worker, by topic and outcome (done, retry, parked).',
      labelNames: ['topic', 'outcome'],
      registers,
    });
    this.processing = new Histogram({
      name: 'bridge_delivery_processing_seconds',
      help: 'Time to process one delivery (one attempt), by topic.',
      labelNames: ['topic'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.slackCalls = new Counter({
      name: 'bridge_slack_calls_total',
      help: 'Slack Web API calls made by background work, by method and result (ok or the Slack error).',
      labelNames: ['method', 'status'],
      registers,
    });
    this.intercomRequests = new Counter({
      name: 'bridge_intercom_requests_total',
      help: 'Intercom API request attempts (retries count each), by method, route and HTTP status (or "error").',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.intercomSeconds = new Histogram({
      name: 'bridge_intercom_request_seconds',
      help: 'Intercom API request attempt duration, by method and route.',
      labelNames: ['method', 'route'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.takeovers = new Counter({
      name: 'bridge_lease_takeovers_total',
      help: 'Deliveries taken over from a worker that died holding them (its lease ran out), by topic.',
      labelNames: ['topic'],
      registers,
    });
    const clocks = clockMetrics(registers, this.#waiting);
    this.clockWarnings = clocks.warnings;
    this.clockMisses = clocks.misses;
    this.responseSeconds = clocks.response;
    // one store read per scrape serves the three inbox gauges
    let read: { at: number; stats: ReturnType<Store['inboxStats']> } | undefined;
    const stats = () => {
      if (!read || Date.now() - read.at > 500) read = { at: Date.now(), stats: store.inboxStats(Date.now()) };
      return read.stats;
    };
    new Gauge({
      name: 'bridge_inbox_pending',
      help: 'Deliveries waiting in the inbox (new or due for a retry).',
      registers,
      async collect() {
        this.set((await stats()).pending);
      },
    });
    new Gauge({
      name: 'bridge_inbox_oldest_pending_seconds',
      help: 'Age of the oldest pending delivery (0 when the inbox is empty).',
      registers,
      async collect() {
        this.set(((await stats()).oldestPendingMs ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'bridge_inbox_parked',
      help: 'Deliveries set aside for good (they failed permanently); see the logs for why.',
      registers,
      async collect() {
        this.set((await stats()).parked);
      },
    });
  }

  /** For IntercomHttp's onAttempt hook. */
  intercomAttempt(event: { method: string; path: string; status: number | undefined; ms: number }): void {
    const route = routeOf(event.path);
    this.intercomRequests.inc({ method: event.method, route, status: event.status ?? 'error' });
    this.intercomSeconds.observe({ method: event.method, route }, event.ms / 1000);
  }

  /** What the response clocks report (ClockKeeper's `metrics`). */
  readonly clocks = {
    warning: (route: string, target: string) => this.clockWarnings.inc({ route, target }),
    miss: (route: string, target: string, repeat: boolean) =>
      this.clockMisses.inc({ route, target, repeat: String(repeat) }),
    answered: (route: string, target: string, ms: number) => this.responseSeconds.observe({ route, target }, ms / 1000),
    waiting: (conversationId: string, running: boolean) => {
      if (running) this.#waiting.add(conversationId);
      else this.#waiting.delete(conversationId);
    },
  };

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The response clocks' metrics (docs/targets.md); `waiting` is read at each scrape. */
function clockMetrics(registers: Registry[], waiting: ReadonlySet<string>) {
  new Gauge({
    name: 'bridge_conversations_waiting',
    help: 'Conversations with a running response clock, as this process last synced them.',
    registers,
    collect() {
      this.set(waiting.size);
    },
  });
  return {
    warnings: new Counter({
      name: 'bridge_clock_warnings_total',
      help: 'Response-target warnings posted, by route and target (first_response, next_response).',
      labelNames: ['route', 'target'] as const,
      registers,
    }),
    misses: new Counter({
      name: 'bridge_clock_misses_total',
      help: 'Missed response targets raised, by route and target; repeat="true" for each raising again.',
      labelNames: ['route', 'target', 'repeat'] as const,
      registers,
    }),
    response: new Histogram({
      name: 'bridge_response_seconds',
      help: 'Time a person took to answer a waiting customer (working time), by route and target.',
      labelNames: ['route', 'target'] as const,
      buckets: [60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400],
      registers,
    }),
  };
}
