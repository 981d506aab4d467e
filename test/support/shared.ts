import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared beside the checkout: reference data tests read but the project does not copy. */
export const SHARED_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared');

/**
 * Whether tests that read ../shared can run. A user's clone has none and skips them with a printed reason;
 * under CI=true it always exists, and its absence is an error rather than a silent skip.
 */
export function sharedAvailable(what: string): boolean {
  if (existsSync(SHARED_DIR)) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${SHARED_DIR} is missing (needed for ${what})`);
  process.stderr.write(`skipping ${what}: ${SHARED_DIR} not found (it exists only beside the team's checkout)\n`);
  return false;
}
