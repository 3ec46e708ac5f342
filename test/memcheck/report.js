// Reads valgrind's XML report (--xml=yes) and decides whether procsig is clean.
//
//   node test/memcheck/report.js build-valgrind/memcheck.xml
//
// node itself is not built for valgrind: V8 and libuv keep memory until exit and a few of their
// errors are known noise. An error counts against procsig when any frame of its stack (for a
// leak: the allocation stack) is in procsig.node; those fail the run. Every other error is
// counted and listed by kind as "outside procsig" so nothing is hidden — it just does not fail.
'use strict';
const fs = require('node:fs');

const file = process.argv[2];
const xml = fs.readFileSync(file, 'utf8');
const errors = [...xml.matchAll(/<error>([\s\S]*?)<\/error>/g)].map((m) => m[1]);
const tag = (s, t) => (s.match(new RegExp(`<${t}>([\\s\\S]*?)</${t}>`)) || [])[1];
const decode = (s) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
const ours = [];
const theirs = new Map();
for (const e of errors) {
  const kind = tag(e, 'kind');
  const objs = [...e.matchAll(/<obj>([^<]*)<\/obj>/g)].map((m) => m[1]);
  const fns = [...e.matchAll(/<fn>([^<]*)<\/fn>/g)].map((m) => decode(m[1]));
  const inProcsig = objs.some((o) => o.endsWith('/procsig.node'));
  if (inProcsig) {
    const what = tag(e, 'what') || tag(tag(e, 'xwhat') || '', 'text') || '';
    ours.push(`${kind}: ${decode(what)}\n    ${fns.slice(0, 8).join('\n    ')}`);
  } else {
    theirs.set(kind, (theirs.get(kind) || 0) + 1);
  }
}
const suppressed = [...xml.matchAll(/<pair>\s*<count>(\d+)<\/count>/g)].reduce((a, m) => a + Number(m[1]), 0);
const complete = /<status>\s*<state>FINISHED<\/state>/.test(xml);
console.log(`valgrind: ${errors.length} error contexts in total, ${ours.length} with a frame in procsig.node`);
for (const [k, n] of theirs) console.log(`  outside procsig (node/V8/libuv/libc only): ${n} x ${k}`);
if (suppressed) console.log(`  suppressed by a suppression file: ${suppressed}`);
for (const o of ours) console.log(`  PROCSIG: ${o}`);
if (!complete) {
  console.log('valgrind did not finish (no FINISHED status in the XML)');
  process.exit(1);
}
process.exit(ours.length === 0 ? 0 : 1);
