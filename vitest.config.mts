import { defineConfig, type Plugin } from 'vitest/config';

/**
 * lib/ files marked `@lazy-modules` load some modules on first use with `require('./x')` (see
 * lib/job/index.ts). Vitest runs lib/ as TypeScript and cannot `require` a .ts file, and loading
 * it through Node would make second copies of the classes the test imports; so, in tests only,
 * each such require becomes an `import * as` (hoisted, as every import is). dist/ keeps them lazy, as tsc emits them
 * (test/build-output.test.ts checks both what loads and that dist is tsc's output).
 */
function lazyRequiresAsImports(): Plugin {
  return {
    name: 'procsig-lazy-requires-as-imports',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]lib[\\/].*\.ts$/.test(id) || !code.includes('@lazy-modules')) return null;
      const hoisted: string[] = [];
      const out = code.replace(/\brequire\('(\.{1,2}\/[^']+)'\)/g, (_all, spec: string) => {
        const name = `__procsigLazy${hoisted.length}`;
        hoisted.push(`import * as ${name} from '${spec}';`);
        return name;
      });
      // (at the end: imports are hoisted anyway, and the lines above keep their numbers)
      return { code: `${out}\n${hoisted.join(' ')}\n`, map: null };
    },
  };
}

export default defineConfig({
  plugins: [lazyRequiresAsImports()],
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
