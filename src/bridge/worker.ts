import { randomUUID } from 'node:crypto';
import { equalJitterBackoffMs } from '../intercom/retry.ts';
import type { Logger } from '../logger.ts';
import type { Delivery, NewDelivery, Store } from '../store/store.ts';
import { PermanentFailure, RetryLater } from './failures.ts';

/**
 * Puts a job in the inbox (build it with a builder in jobs.ts) and has the worker look at once; false when the
 * inbox already had it (a duplicate). `InboxWorker.enqueue` is one.
 */
export type Enqueue = (job: NewDelivery) => Promise<boolean>;

export interface WorkerOptions {
  store: Store;
  /** Processes one delivery; throws RetryLater / PermanentFailure (anything else is retried too). */
  handle: (delivery: Delivery) => Promise<void>;
  logger: Logger;
  /** Deliveries processed at once (different conversations; one conversation is always one at a time). */
  concurrency?: number;
  /**
   * How long a claimed delivery stays ours unless renewed. The worker renews the leases of what it is working on
   * every third of this, so a live worker keeps its work however slow Slack or Intercom are, and a dead one's work
   * is taken over by another replica this long after its last renewal.
   */
  leaseMs?: number;
  /** How often to look for due retries when nothing wakes the worker. */
  pollMs?: number;
  /** Attempts before a delivery that keeps failing is parked. */
  maxAttempts?: number;
  now?: () => number;
  random?: () => number;
  /**
   * While deliveries arrive in a burst (at least `burst.arrivals` within `burst.windowMs`), at most this many are
   * processed at once, so answering the senders — Intercom allows 5 s — keeps the event loop first; the backlog
   * is drained at full concurrency when the burst ends, or once it has lasted `burst.maxMs` (a stream that does
   * not stop must not starve the inbox). Default 1 (never 0: the inbox always moves).
   */
  burstConcurrency?: number;
  burst?: { arrivals: number; windowMs: number; maxMs: number };
  /**
   * Told of a delivery claimed again although no attempt of it ever ended (a worker died holding it: its lease ran
   * out, or the SQLite file was reopened by a new process): a takeover, worth counting and alerting on.
   */
  onTakeover?: (delivery: Delivery) => void;
  /** Told how each attempt ended and how long it took (metrics); `reason` says why it failed. */
  onOutcome?: (delivery: Delivery, outcome: 'done' | 'retry' | 'parked', ms: number, reason?: string) => void;
}

/**
 * Drains the store's inbox: claims due deliveries (one per conversation at a time), runs them in parallel,
 * and records each outcome — done, retry later with backoff, or parked for good. Everything lives in the store,
 * so a restart resumes where the last process stopped (leases of a crashed process simply expire).
 */
export class InboxWorker {
  readonly #o: Required<Omit<WorkerOptions, 'onOutcome' | 'onTakeover'>> &
    Pick<WorkerOptions, 'onOutcome' | 'onTakeover'>;
  readonly #owner = `worker-${randomUUID()}`;
  readonly #inFlight = new Set<Promise<void>>();
  /** The deliveries being worked on, whose leases the heartbeat renews. */
  readonly #leased = new Set<string>();
  #heartbeat: NodeJS.Timeout | undefined;
  #running = false;
  #windowStart = 0;
  #arrivals = 0;
  #burstSince = 0;
  #burstUntil = 0;
  #loop: Promise<void> | undefined;
  #wakeSleep: (() => void) | undefined;

  constructor(options: WorkerOptions) {
    this.#o = {
      concurrency: 8,
      leaseMs: 10_000,
      pollMs: 1_000,
      maxAttempts: 15,
      now: Date.now,
      random: Math.random,
      burstConcurrency: 1,
      burst: { arrivals: 20, windowMs: 100, maxMs: 2_000 },
      ...options,
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
    this.#heartbeat = setInterval(() => void this.#renew(), Math.max(50, Math.floor(this.#o.leaseMs / 3)));
    this.#heartbeat.unref();
  }

  /** Keeps the leases of the work in progress: another replica takes over only what a dead worker left. */
  async #renew(): Promise<void> {
    if (this.#leased.size === 0) return;
    const ids = [...this.#leased];
    try {
      const renewed = await this.#o.store.renewLeases(this.#owner, ids, this.#o.now() + this.#o.leaseMs);
      if (renewed < ids.length) {
        // finished meanwhile, or (after a stall longer than the lease) taken over: the store has the last word
        this.#o.logger.debug({ leased: ids.length, renewed }, 'some leases were not renewed');
      }
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'could not renew the leases of the work in progress');
    }
  }

  /**
   * Stores a job in the inbox and looks at once rather than at the next poll; false when the inbox already had it
   * (a duplicate). `arrival`: it came from outside (a webhook), and counts toward a burst (see `arrived`).
   */
  async enqueue(job: NewDelivery, options: { arrival?: boolean } = {}): Promise<boolean> {
    const fresh = await this.#o.store.enqueue(job);
    if (fresh && options.arrival) this.arrived();
    else this.#wake();
    return fresh;
  }

  /** Look now rather than at the next poll. */
  #wake(): void {
    this.#wakeSleep?.();
  }

  /** A delivery came in from outside (a webhook): wakes the worker and tells it whether a burst is on. */
  arrived(): void {
    const now = this.#o.now();
    const { arrivals, windowMs } = this.#o.burst;
    if (now - this.#windowStart >= windowMs) {
      this.#windowStart = now;
      this.#arrivals = 0;
    }
    this.#arrivals += 1;
    if (this.#arrivals >= arrivals) {
      if (now >= this.#burstUntil) this.#burstSince = now;
      this.#burstUntil = now + windowMs;
    }
    this.#wake();
  }

  /** How many deliveries may run now: fewer during a burst of arrivals. */
  #limit(): number {
    return this.#bursting(this.#o.now())
      ? Math.max(1, Math.min(this.#o.burstConcurrency, this.#o.concurrency))
      : this.#o.concurrency;
  }

  #bursting(now: number): boolean {
    return now < this.#burstUntil && now - this.#burstSince < this.#o.burst.maxMs;
  }

  /** Stops claiming and waits for the deliveries in flight to finish. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake();
    await this.#loop;
    await Promise.allSettled([...this.#inFlight]);
    clearInterval(this.#heartbeat);
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const limit = this.#limit();
      const free = limit - this.#inFlight.size;
      let claimed: Delivery[] = [];
      if (free > 0) {
        try {
          claimed = await this.#o.store.claim({
            owner: this.#owner,
            now: this.#o.now(),
            leaseMs: this.#o.leaseMs,
            limit: free,
          });
        } catch (error) {
          this.#o.logger.error({ err: error }, 'could not read the inbox');
        }
      }
      for (const delivery of claimed) {
        if (delivery.attempts > 1 && delivery.lastError === null) this.#o.onTakeover?.(delivery);
        this.#leased.add(delivery.id);
        const task = this.#process(delivery)
          .catch((error: unknown) =>
            this.#o.logger.error({ err: error, delivery: delivery.id }, 'could not record an outcome'),
          )
          .finally(() => {
            this.#leased.delete(delivery.id);
            this.#inFlight.delete(task);
            this.#wake();
          });
        this.#inFlight.add(task);
      }
      if (claimed.length === 0 || this.#inFlight.size >= limit) await this.#sleep();
    }
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      // during a burst, look again when it would end rather than a whole poll later
      const now = this.#o.now();
      const ms = this.#bursting(now) ? Math.min(this.#o.pollMs, this.#burstUntil - now + 1) : this.#o.pollMs;
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeSleep = done;
    });
  }

  async #process(delivery: Delivery): Promise<void> {
    const { store, logger } = this.#o;
    // fields on each line rather than a child logger: pino redacts a child's bindings when it is made, which cost
    // more than the rest of the worker's bookkeeping for every delivery, logged or not
    const where = { delivery: delivery.id, topic: delivery.topic, conversationId: delivery.conversationId };
    const started = performance.now();
    const outcome = (kind: 'done' | 'retry' | 'parked', reason?: string) =>
      this.#o.onOutcome?.(delivery, kind, performance.now() - started, reason);
    try {
      await this.#o.handle(delivery);
      await store.complete(delivery.id);
      outcome('done');
      logger.debug({ ...where, attempts: delivery.attempts }, 'delivery processed');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof PermanentFailure || delivery.attempts >= this.#o.maxAttempts) {
        await store.park(delivery.id, reason);
        logger.error({ ...where, err: error, attempts: delivery.attempts }, 'delivery parked: it will not be retried');
        outcome('parked', reason);
        return;
      }
      // a rate limit (Slack's or Intercom's wait) is not the delivery failing: it does not count toward parking, and
      // the deliveries it held back come back spread over a second wait rather than all at once
      const limited = error instanceof RetryLater && error.afterMs !== undefined;
      const afterMs = limited ? error.afterMs * (1 + this.#o.random()) : this.#backoff(delivery.attempts);
      await store.retry(delivery.id, this.#o.now() + afterMs, reason, { counted: !limited });
      outcome('retry', reason);
      // a rate limit is Slack or Intercom pacing the bridge, as they document: not worth a warning each time
      logger[limited ? 'info' : 'warn'](
        { ...where, err: error, attempts: delivery.attempts, retryInMs: Math.round(afterMs) },
        limited ? 'delivery rate-limited, will retry' : 'delivery failed, will retry',
      );
    }
  }

  /**
   * 1 s, 2 s, 4 s … capped at 10 minutes, with jitter so a burst of failures does not retry in lockstep: the
   * Intercom client's formula (one function, intercom/retry.ts) with the inbox's own base and cap.
   */
  #backoff(attempts: number): number {
    return equalJitterBackoffMs(attempts - 1, 1_000, 600_000, this.#o.random);
  }
}
