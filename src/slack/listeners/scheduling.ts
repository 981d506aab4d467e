import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../../logger.ts';

/**
 * Called right after ack(): lets the event loop answer the Slack requests already waiting before this one's
 * Intercom work starts. Under a burst of clicks that keeps every answer quick (bench/ack-latency).
 */
export function afterAck(): Promise<void> {
  return nextTurn();
}

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
