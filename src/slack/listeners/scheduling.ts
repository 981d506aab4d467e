import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../../logger.ts';

/**
 * Work a Slack request starts after its ack(), detached from the request. Bolt keeps a request's objects (its
 * body, context, client, respond …) until the listener returns; a listener that waited for Intercom kept them as
 * long as Intercom took, and under a burst of clicks against a slow Intercom every minor collection copied all of
 * them (bench/ack-latency). Here the listener returns at once and only what the work needs stays alive. The work
 * starts on the next turn of the event loop, so the Slack requests already waiting are answered first. A failure
 * is logged; `drain()` waits for what is in flight (graceful shutdown).
 */
export class AfterAck {
  readonly #inFlight = new Set<Promise<void>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  run(what: string, work: () => Promise<void>): void {
    const task: Promise<void> = nextTurn()
      .then(work)
      .catch((error: unknown) => this.#logger.error({ err: error, what }, 'work after a Slack request failed'))
      .finally(() => this.#inFlight.delete(task));
    this.#inFlight.add(task);
  }

  /** How many are still running. */
  get pending(): number {
    return this.#inFlight.size;
  }

  /** Resolves when everything started so far (and anything it starts) has finished. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}

/** Options must be answered within Slack's 3 s: Intercom gets this long before we answer without its list. */
export const OPTIONS_BUDGET_MS = 2_500;

/**
 * Waits for `work` at most `ms`: an options request must be answered within Slack's 3 s, and an answer without
 * Intercom's list (undefined) beats none. A failure is logged and reads as undefined too.
 */
export async function withinBudget<T>(work: Promise<T>, ms: number, logger: Logger): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  const loaded = work.catch((error: unknown) => {
    logger.warn({ err: error }, 'could not load options from Intercom');
    return undefined;
  });
  try {
    return await Promise.race([loaded, late]);
  } finally {
    clearTimeout(timer);
  }
}
