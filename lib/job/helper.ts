/**
 * Where a Job's helpers live: the addon file, the `procsig-job-exec` binary beside it, and the
 * Node programs (lib/job/programs/, compiled to dist/job/programs/) that stand in for the binary
 * where it is missing.
 *
 * @internal
 * @packageDocumentation
 */
import fs = require('node:fs');
import path = require('node:path');
import { nativePath, packageRoot } from '../native';

const HELPER_NAME = 'procsig-job-exec';
let helperCache: { path: string | null } | undefined;

/**
 * Electron apps packed with asar: a file inside `app.asar` cannot be executed, but the same file
 * unpacked (`asarUnpack`) lives at the same path under `app.asar.unpacked`. Try that one first.
 * @internal Exported for the tests.
 */
export function withAsarUnpacked(p: string): string[] {
  const marker = `${path.sep}app.asar${path.sep}`;
  const i = p.indexOf(marker);
  if (i < 0) return [p];
  return [`${p.slice(0, i)}${path.sep}app.asar.unpacked${path.sep}${p.slice(i + marker.length)}`, p];
}

/**
 * @internal The exec helper: `$PROCSIG_JOB_EXEC` (a path; `'node'` forces the Node
 * intermediate), else `procsig-job-exec` beside the loaded addon (a node-gyp build), else in
 * `helpers/` beside it or in `prebuilds/linux-<arch>/helpers/` (the prebuilt package: a static
 * executable per architecture), else in `build/Release/`. Paths inside an Electron `app.asar`
 * are tried under `app.asar.unpacked` first. `null` means: use the Node intermediate.
 */
export function findExecHelper(): string | null {
  if (helperCache && !process.env.PROCSIG_JOB_EXEC) return helperCache.path;
  const candidates: string[] = [];
  const env = process.env.PROCSIG_JOB_EXEC;
  if (env === 'node') return null;
  if (env) candidates.push(path.resolve(env));
  // Beside the addon this process loaded (lib/native.ts located it), and in its helpers/.
  candidates.push(path.join(path.dirname(nativePath), HELPER_NAME));
  candidates.push(path.join(path.dirname(nativePath), 'helpers', HELPER_NAME));
  candidates.push(path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'helpers', HELPER_NAME));
  candidates.push(path.join(packageRoot, 'build', 'Release', HELPER_NAME));
  let found: string | null = null;
  search: for (const c of candidates) {
    for (const p of withAsarUnpacked(c)) {
      try {
        if (fs.statSync(p).isFile()) {
          fs.accessSync(p, fs.constants.X_OK);
          found = p;
          break search;
        }
      } catch {
        // not there: try the next place
      }
    }
  }
  helperCache = { path: found };
  return found;
}

/** The Node programs a Job may start (lib/job/programs/<name>.ts). */
export type JobProgram = 'intermediate-linux' | 'intermediate-win32' | 'watchdog';

const programCache = new Map<JobProgram, string | null>();

/**
 * @internal The built program `name` to run with `process.execPath`: the package's
 * `dist/job/programs/<name>.js` (a bundle of its own, scripts/build-ts.js), whether this module
 * runs from dist/index.js or from its TypeScript source, as the unit tests do (`npm test` builds
 * dist/ first). Inside an Electron `app.asar`, `app.asar.unpacked` is tried first, as for the exec
 * helper. `null` when it does not exist.
 */
export function programPath(name: JobProgram): string | null {
  const cached = programCache.get(name);
  if (cached !== undefined) return cached;
  const file = `${name}.js`;
  let found: string | null = null;
  for (const p of withAsarUnpacked(path.join(packageRoot, 'dist', 'job', 'programs', file))) {
    if (fs.existsSync(p)) {
      found = p;
      break;
    }
  }
  // Only a found path is cached: a missing one may appear (a build running beside the tests).
  if (found !== null) programCache.set(name, found);
  return found;
}
