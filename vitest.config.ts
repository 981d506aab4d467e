import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/fail-on-console.ts', 'test/support/property-seed.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // the process entry only wires signals and exit codes; test/main.test.ts runs it as a child process
      exclude: ['src/main.ts'],
      reporter: ['text-summary'],
      thresholds: { lines: 85, branches: 85 },
    },
  },
});
