import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Time limits are safety nets far above normal times (most tests take well under 1 s idle), so
    // a loaded machine (CI runs the suite beside two CPU hogs) never hits them; a test that does
    // time out stops its loops (ctx.signal) and its processes are killed by the helpers' cleanup.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Test files run one at a time: they spawn real process trees, fork storms and ~1,000-process
    // waiter sets, recycle pids on purpose and assert on fd counts, so two files side by side on
    // a 2-core machine perturb each other. (~1 min for the whole suite.)
    maxWorkers: 1,
    pool: 'forks',
  },
});
