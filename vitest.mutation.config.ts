import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

// What `npm run mutation` runs for each mutant: every test but the end-to-end ones (test/e2e, the process tests),
// which start whole bridges and would make a module's run take hours. A mutant only they notice shows as
// surviving here: the unit and integration tests should catch it too.
export default mergeConfig(
  base,
  defineConfig({
    test: { exclude: ['test/e2e/**', 'test/main.test.ts', 'test/deploy.test.ts', 'node_modules/**'] },
  }),
);
