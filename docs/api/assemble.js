'use strict';
// Builds docs/api.md from the sections in docs/api/*.md: normalises each file's heading levels
// (its top level becomes '##'), concatenates them in reading order and adds a table of contents.
//   node docs/api/assemble.js
// test/docs.test.ts checks the result documents every export of dist/index.js.
const fs = require('node:fs');
const path = require('node:path');

const dir = __dirname;
const order = ['foundation.md', 'handles.md', 'tree.md', 'job.md', 'types.md', 'cli.md', 'windows.md'];
const files = [
  ...order.filter((f) => fs.existsSync(path.join(dir, f))),
  ...fs.readdirSync(dir).filter((f) => f.endsWith('.md') && !order.includes(f)).sort(),
];

/** Calls fn(line, index) for every line outside fenced code blocks. */
function eachHeading(lines, fn) {
  let code = false;
  lines.forEach((l, i) => {
    if (l.startsWith('```')) code = !code;
    else if (!code && /^#+ /.test(l)) fn(l, i);
  });
}

const parts = files.map((f) => {
  const lines = fs.readFileSync(path.join(dir, f), 'utf8').replace(/^\n+|\n+$/g, '').split('\n');
  const levels = [];
  eachHeading(lines, (l) => levels.push(l.length - l.replace(/^#+/, '').length));
  const shift = levels.length ? 2 - Math.min(...levels) : 0;
  eachHeading(lines, (l, i) => {
    lines[i] = shift >= 0 ? '#'.repeat(shift) + l : l.slice(-shift);
  });
  return lines.join('\n');
});
const body = parts.join('\n\n') + '\n';

/** GitHub's anchor for a heading. */
const slug = (h) => h.replace(/^#+ /, '').trim().toLowerCase().replace(/[^a-z0-9_\- ]/g, '').replace(/ /g, '-');
const toc = [];
const seen = new Set();
eachHeading(body.split('\n'), (l) => {
  const m = /^(##|###) (.*)$/.exec(l);
  if (!m || seen.has(slug(l))) return;
  seen.add(slug(l));
  toc.push(`${m[1] === '##' ? '' : '  '}- [${m[2]}](#${slug(l)})`);
});

const head = `# procsig API reference

Every export of \`procsig\` (\`dist/index.js\`), the \`procsig/tree-kill\` drop-in and the \`procsig\`
command: signature, semantics per platform, errors (with their \`code\`) and an example. The
README has a tour; this is the reference. Conventions that hold everywhere:

- **Argument errors** are \`TypeError\`/\`RangeError\` with a Node-style \`code\`
  (\`ERR_INVALID_ARG_TYPE\`, \`ERR_OUT_OF_RANGE\`, \`ERR_INVALID_ARG_VALUE\`, \`ERR_UNKNOWN_SIGNAL\`),
  thrown (or, for async functions, rejected) **before anything is signalled**.
- **OS errors** are \`ProcessError\`s shaped like Node's system errors: \`code\` (\`'ESRCH'\`),
  \`errno\` (Node's number: \`util.getSystemErrorName(err.errno) === err.code\`), \`syscall\`, \`pid\`,
  \`signal\`, and on Windows the raw Win32 code in \`win32\`.
- **Signals** are \`SignalLike = string | number\`: any spelling \`toSignal\` accepts.
- **"Dead" includes zombies**: an exited process that its parent has not reaped yet counts as
  gone for \`isAlive\`, \`waitForExit\`, \`killTree({ wait })\`, \`terminate\` and \`Job.wait\`.
- Nothing here spawns \`ps\`, \`pgrep\`, \`kill\`, \`taskkill\`, \`wmic\` or a shell, and nothing reaps a
  child procsig did not spawn itself.

Platforms: Linux is the reference platform (built and tested in CI); Windows is cross-built and
tested under wine (see [Windows](#windows)); macOS code compiles and follows the same contract.

(This file is generated from \`docs/api/*.md\` by \`node docs/api/assemble.js\`; edit the sections.)

## Contents

`;
fs.writeFileSync(path.join(dir, '..', 'api.md'), head + toc.join('\n') + '\n\n' + body);
console.log(`docs/api.md assembled from ${files.join(', ')}`);
