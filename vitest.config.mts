import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Test files run one at a time: they spawn real process trees, fork storms and ~1,000-process
    // waiter sets, recycle pids on purpose and assert on fd counts, so two files side by side on
    // a 2-core machine perturb each other. (~1 min for the whole suite.)
    maxWorkers: 1,
    pool: 'forks',
  },
});
