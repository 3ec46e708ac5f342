'use strict';
// node .ci/inspect-binary.cjs FILE... — prints, as one JSON line per file, what a prebuild is:
// its format (elf/pe/macho), machine, kind and what it links against (ELF: PT_INTERP, DT_NEEDED,
// the highest GLIBC_ symbol version; PE: imported DLLs; Mach-O: file type and LC_LOAD_DYLIB).
// Used by .ci/package.sh to check the cross-built binaries it cannot run. Node only: no binutils
// for foreign formats needed.
const fs = require('node:fs');

function cstr(buf, off) {
  const end = buf.indexOf(0, off);
  return buf.toString('latin1', off, end < 0 ? buf.length : end);
}

function elf(b) {
  if (b[4] !== 2 || b[5] !== 1) throw new Error('only 64-bit little-endian ELF');
  const machines = { 0x3e: 'x64', 0xb7: 'arm64' };
  const type = b.readUInt16LE(16);
  const phoff = Number(b.readBigUInt64LE(32));
  const shoff = Number(b.readBigUInt64LE(40));
  const phentsize = b.readUInt16LE(54), phnum = b.readUInt16LE(56);
  const shentsize = b.readUInt16LE(58), shnum = b.readUInt16LE(60);
  let interp = null, dynOff = -1, dynSize = 0;
  const loads = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const pt = b.readUInt32LE(o);
    const off = Number(b.readBigUInt64LE(o + 8)), vaddr = Number(b.readBigUInt64LE(o + 16));
    const filesz = Number(b.readBigUInt64LE(o + 32));
    if (pt === 3) interp = cstr(b, off);
    if (pt === 2) { dynOff = off; dynSize = filesz; }
    if (pt === 1) loads.push({ off, vaddr, filesz });
  }
  const v2o = (v) => { for (const l of loads) if (v >= l.vaddr && v < l.vaddr + l.filesz) return v - l.vaddr + l.off; return -1; };
  const needed = [];
  let strtab = -1;
  const neededOffs = [];
  for (let o = dynOff; dynOff >= 0 && o < dynOff + dynSize; o += 16) {
    const tag = Number(b.readBigInt64LE(o)), val = Number(b.readBigUInt64LE(o + 8));
    if (tag === 0) break;
    if (tag === 1) neededOffs.push(val);
    if (tag === 5) strtab = v2o(val);
  }
  for (const n of neededOffs) needed.push(cstr(b, strtab + n));
  // Highest GLIBC_x.y named anywhere in the string tables (version needs live in .dynstr).
  let glibc = null;
  for (const m of b.toString('latin1').matchAll(/GLIBC_(\d+)\.(\d+)(?:\.(\d+))?/g)) {
    const v = [+m[1], +m[2], +(m[3] || 0)];
    if (!glibc || v[0] > glibc[0] || (v[0] === glibc[0] && (v[1] > glibc[1] || (v[1] === glibc[1] && v[2] > glibc[2])))) glibc = v;
  }
  void shoff; void shentsize; void shnum;
  return {
    format: 'elf',
    machine: machines[b.readUInt16LE(18)] || b.readUInt16LE(18),
    kind: type === 3 ? (interp ? 'pie-executable' : 'shared') : type === 2 ? 'executable' : type,
    interp,
    needed,
    static: interp === null && dynOff < 0,
    glibc: glibc && glibc.join('.').replace(/\.0$/, ''),
  };
}

function pe(b) {
  const pe = b.readUInt32LE(0x3c);
  if (b.readUInt32LE(pe) !== 0x4550) throw new Error('no PE signature');
  const machines = { 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32' };
  const machine = b.readUInt16LE(pe + 4);
  const nsec = b.readUInt16LE(pe + 6);
  const optSize = b.readUInt16LE(pe + 20);
  const chars = b.readUInt16LE(pe + 22);
  const opt = pe + 24;
  if (b.readUInt16LE(opt) !== 0x20b) throw new Error('not PE32+');
  const dir = (i) => ({ rva: b.readUInt32LE(opt + 112 + i * 8), size: b.readUInt32LE(opt + 116 + i * 8) });
  const secs = [];
  for (let i = 0; i < nsec; i++) {
    const s = opt + optSize + i * 40;
    secs.push({ va: b.readUInt32LE(s + 12), vsize: b.readUInt32LE(s + 8), raw: b.readUInt32LE(s + 20), rawSize: b.readUInt32LE(s + 16) });
  }
  const r2o = (rva) => { for (const s of secs) if (rva >= s.va && rva < s.va + Math.max(s.vsize, s.rawSize)) return rva - s.va + s.raw; return -1; };
  const names = (d, stride, nameAt) => {
    const out = [];
    if (!d.rva) return out;
    for (let o = r2o(d.rva); ; o += stride) {
      const name = b.readUInt32LE(o + nameAt);
      if (!name) break;
      out.push(cstr(b, r2o(name)));
    }
    return out;
  };
  return {
    format: 'pe',
    machine: machines[machine] || machine,
    kind: chars & 0x2000 ? 'dll' : 'exe',
    imports: names(dir(1), 20, 12),
    delayImports: names(dir(13), 32, 4),
  };
}

function macho(b) {
  const machines = { 0x01000007: 'x64', 0x0100000c: 'arm64' };
  const types = { 1: 'object', 2: 'executable', 6: 'dylib', 8: 'bundle' };
  const ncmds = b.readUInt32LE(16);
  const dylibs = [];
  let undefinedDynamicLookup = false;
  for (let i = 0, o = 32; i < ncmds; i++) {
    const cmd = b.readUInt32LE(o) & 0x7fffffff, size = b.readUInt32LE(o + 4);
    if (cmd === 0xc || cmd === 0x18 || cmd === 0x1f) dylibs.push(cstr(b, o + b.readUInt32LE(o + 8)));
    o += size;
  }
  const flags = b.readUInt32LE(24);
  if (!(flags & 0x4)) undefinedDynamicLookup = true; // no MH_BINDATLOAD two-level requirement check
  void undefinedDynamicLookup;
  return {
    format: 'macho',
    machine: machines[b.readUInt32LE(4)] || b.readUInt32LE(4),
    kind: types[b.readUInt32LE(12)] || b.readUInt32LE(12),
    dylibs,
  };
}

for (const file of process.argv.slice(2)) {
  const b = fs.readFileSync(file);
  let info;
  if (b.readUInt32BE(0) === 0x7f454c46) info = elf(b);
  else if (b.readUInt16LE(0) === 0x5a4d) info = pe(b);
  else if (b.readUInt32LE(0) === 0xfeedfacf) info = macho(b);
  else info = { format: 'unknown' };
  console.log(JSON.stringify({ file, size: b.length, ...info }));
}
