/** Only a statically linked busybox makes a working shoal/busybox image: the ELF check, on fixtures and real files. */
import { readFileSync } from 'node:fs';
import t from 'tap';
import { isStaticElf } from '../../agents/up/image.js';

/** A minimal ELF header with program headers of the given types. */
function elf(bits: 32 | 64, le: boolean, types: number[]): Buffer {
  const [ehsize, phentsize] = bits === 64 ? [64, 56] : [52, 32];
  const b = Buffer.alloc(ehsize + phentsize * types.length);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = bits === 64 ? 2 : 1;
  b[5] = le ? 1 : 2;
  const w16 = (v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const w32 = (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  if (bits === 64) {
    if (le) b.writeBigUInt64LE(BigInt(ehsize), 0x20);
    else b.writeBigUInt64BE(BigInt(ehsize), 0x20);
    w16(phentsize, 0x36);
    w16(types.length, 0x38);
  } else {
    w32(ehsize, 0x1c);
    w16(phentsize, 0x2a);
    w16(types.length, 0x2c);
  }
  types.forEach((ty, i) => w32(ty, ehsize + i * phentsize));
  return b;
}

t.test('isStaticElf: no PT_INTERP program header, in either class and byte order', async (t) => {
  const LOAD = 1;
  const INTERP = 3;
  const NOTE = 4;
  for (const bits of [32, 64] as const) {
    for (const le of [true, false]) {
      t.equal(isStaticElf(elf(bits, le, [LOAD, LOAD, NOTE])), true, `${bits}-bit ${le ? 'LE' : 'BE'} static`);
      t.equal(isStaticElf(elf(bits, le, [LOAD, INTERP, LOAD])), false, `${bits}-bit ${le ? 'LE' : 'BE'} dynamic`);
    }
  }
  t.equal(
    isStaticElf(Buffer.from('#!/bin/sh\necho not an ELF file at all, just a script....................\n')),
    false,
    'not ELF',
  );
  t.equal(isStaticElf(elf(64, true, [LOAD]).subarray(0, 70)), false, 'truncated');
});

t.test('isStaticElf on real files: busybox-static is, node is not', async (t) => {
  t.equal(
    isStaticElf(readFileSync('/bin/busybox')),
    true,
    '/bin/busybox (busybox-static, which .ci/install.sh installs)',
  );
  t.equal(isStaticElf(readFileSync(process.execPath)), false, `${process.execPath} (dynamically linked)`);
});
