/**
 * Only a statically linked busybox makes a working shoal/busybox image: the ELF check, on fixtures and real files;
 * the image's root filesystem as built from the host's busybox-static (the image `shoal up` and the tests use).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { busyboxTarball, isStaticElf } from '../../agents/up/image.js';

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

t.test('busyboxTarball: /bin/busybox, a link per applet the host busybox has, the files the demo serves', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-image-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tar = await busyboxTarball(path.join(dir, 'image'));
  if (tar === undefined) return void t.fail('no static busybox on this host');
  const listing = execFileSync('tar', ['-tvf', tar], { encoding: 'utf8' }).split('\n');
  const links = new Map(
    listing
      .map((l) => / \.\/bin\/(\S+) -> (\S+)$/.exec(l))
      .flatMap((m) => (m ? [[m[1] as string, m[2] as string] as const] : [])),
  );
  const has = new Set(execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n'));
  for (const a of ['sh', 'httpd', 'grep', 'sed', 'timeout'])
    t.equal(links.get(a), has.has(a) ? 'busybox' : undefined, a);
  t.same(
    [...links.keys()].filter((a) => !has.has(a)),
    [],
    'no link to an applet the binary lacks',
  );
  for (const f of ['./bin/busybox', './etc/passwd', './etc/group', './www/index.html'])
    t.ok(
      listing.some((l) => l.endsWith(` ${f}`)),
      f,
    );
  const made = statSync(tar).mtimeMs;
  t.equal(await busyboxTarball(path.join(dir, 'image')), tar, 'made once');
  t.equal(statSync(tar).mtimeMs, made, 'not rebuilt');
});
