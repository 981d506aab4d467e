import { afterEach, beforeEach } from 'vitest';

// the product logs through pino; a console call in code under test is a bug, so it fails the test
const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
// biome-ignore lint/suspicious/noConsole: this file guards console, so it has to touch it
const originals = new Map(methods.map((m) => [m, console[m]]));

beforeEach(() => {
  for (const m of methods) {
    console[m] = (...args: unknown[]) => {
      throw new Error(`console.${m} called during a test: ${args.map(String).join(' ')}`);
    };
  }
});

afterEach(() => {
  for (const m of methods) console[m] = originals.get(m) as (typeof console)[typeof m];
});
