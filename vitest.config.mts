import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real process trees; two cores, so keep the file-level parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
