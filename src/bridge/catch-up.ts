import type { IntercomClient } from '../intercom/client.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import { catchUpJob } from './jobs.ts';
import { Periodic } from './periodic.ts';
import type { Enqueue } from './worker.ts';

const CURSOR_KEY = 'catch_up.updated_since';

export interface CatchUpOptions {
  intercom: IntercomClient;
  /** Where the cursor is kept (the newest update seen). */
  store: Pick<Store, 'getValue' | 'setValue'>;
  /** Queues a job (the worker's `enqueue`, which wakes the worker). */
  enqueue: Enqueue;
  logger: Logger;
  /** How often to look (ms). */
  intervalMs: number;
  /** The first run ever looks back this far (ms); later runs continue from where the last one stopped. */
  firstLookbackMs?: number;
  now?: () => number;
}

/**
 * Reconciles what webhooks missed: searches Intercom for conversations updated since the last run and queues a
 * sync of each through the inbox, so catch-up is ordered and deduplicated with webhooks for the same
 * conversation. Without webhooks (no INTERCOM_CLIENT_SECRET) this alone drives the bridge.
 */
export class CatchUp {
  readonly #o: CatchUpOptions & { firstLookbackMs: number; now: () => number };
  readonly #periodic: Periodic;

  constructor(options: CatchUpOptions) {
    this.#o = { firstLookbackMs: 15 * 60_000, now: Date.now, ...options };
    this.#periodic = new Periodic(
      this.#o.intervalMs,
      () => this.#pass(),
      (error) => this.#o.logger.warn({ err: error }, 'catch-up failed, will try again at the next interval'),
    );
  }

  start(): void {
    this.#periodic.start();
  }

  stop(): Promise<void> {
    return this.#periodic.stop();
  }

  /** One pass; resolves to how many conversations were queued. Overlapping calls share one pass. */
  run(): Promise<number> {
    return this.#periodic.run();
  }

  async #pass(): Promise<number> {
    const { intercom, store, enqueue, logger } = this.#o;
    const stored = await store.getValue(CURSOR_KEY);
    const since = stored ? Number(stored) : Math.floor((this.#o.now() - this.#o.firstLookbackMs) / 1000);
    let newest = since;
    let queued = 0;
    for await (const conversation of intercom.conversations.searchAll(
      { field: 'updated_at', operator: '>', value: since },
      150,
    )) {
      const updatedAt = conversation.updated_at ?? since;
      newest = Math.max(newest, updatedAt);
      // one sync per conversation and version: a repeat of the same update is a duplicate
      if (await enqueue(catchUpJob(conversation.id, updatedAt, this.#o.now()))) queued += 1;
    }
    // a little overlap: updates in the same second as the newest one are not missed (repeats are duplicates); once a
    // pass finds nothing new in it, it has served, and the cursor moves past it — else a bulk update sharing the
    // newest second would be read again, page after page, at every pass (bench:clocks: 1.5 s of CPU for 10,000)
    const cursor = queued === 0 ? newest : newest - 2;
    await store.setValue(CURSOR_KEY, String(Math.max(since, cursor)));
    if (queued > 0) logger.info({ queued, since }, 'catch-up queued conversations updated since the last look');
    return queued;
  }
}
