/**
 * `shoal/busybox:latest` on every engine `up` uses, built from the host's busybox-static (no registry is
 * needed): /bin/busybox plus one symlink per applet the demo and the README examples use.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export const DEMO_IMAGE = 'shoal/busybox:latest';
/** What the demo, the README examples and the test suite run in it (those the host's busybox has). */
const APPLETS = (
  'sh ash httpd sleep nc wget cat echo ls env hostname ip ifconfig ps kill mkdir rm cp mv touch true false test [ ' +
  'grep sed head tail date id ping printf top uname yes tr wc sort seq timeout nslookup vi tee chmod'
).split(' ');

/**
 * Does this ELF file run without a dynamic loader (no PT_INTERP program header)? A dynamically linked busybox
 * (Debian's `busybox`, not `busybox-static`) copied alone into an image cannot start. Pure.
 */
export function isStaticElf(buf: Buffer): boolean {
  if (buf.length < 0x34 || buf.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = buf[4] === 2;
  const le = buf[5] === 1;
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const phoff = is64 ? Number(le ? buf.readBigUInt64LE(0x20) : buf.readBigUInt64BE(0x20)) : u32(0x1c);
  const [entsize, count] = is64 ? [u16(0x36), u16(0x38)] : [u16(0x2a), u16(0x2c)];
  for (let i = 0; i < count; i++) {
    const at = phoff + i * entsize;
    if (at + Math.max(entsize, 4) > buf.length) return false;
    if (u32(at) === 3) return false; // PT_INTERP
  }
  return true;
}

/**
 * The image's root filesystem as a tarball in `dir`, made once; undefined without a static busybox on the host.
 * Built under a temporary name and renamed, so processes that race here never read half a file.
 */
export async function busyboxTarball(dir: string): Promise<string | undefined> {
  const tar = path.join(dir, 'busybox-rootfs.tar');
  if (existsSync(tar)) return tar;
  const src = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p) && isStaticElf(readFileSync(p)));
  if (!src) return undefined;
  mkdirSync(dir, { recursive: true });
  const root = mkdtempSync(path.join(dir, 'rootfs-'));
  try {
    for (const d of ['bin', 'etc', 'tmp', 'www', 'proc', 'sys', 'dev']) mkdirSync(path.join(root, d));
    copyFileSync(src, path.join(root, 'bin/busybox'));
    chmodSync(path.join(root, 'bin/busybox'), 0o755);
    const has = new Set((await execa(src, ['--list'])).stdout.split('\n'));
    for (const a of APPLETS.filter((x) => has.has(x))) symlinkSync('busybox', path.join(root, 'bin', a));
    writeFileSync(
      path.join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    );
    writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    writeFileSync(path.join(root, 'www/index.html'), 'shoal busybox\n');
    const tmp = `${tar}.${process.pid}.tmp`;
    await execa('tar', ['-C', root, '-cf', tmp, '.']);
    renameSync(tmp, tar);
    return tar;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Import the image on the engine unless it has it; returns whether it was imported (by us). */
export async function ensureImage(dockerHost: string, tar: string, dockerConfig: string): Promise<boolean> {
  const env = { DOCKER_CONFIG: dockerConfig, PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const has = await execa('docker', ['-H', dockerHost, 'image', 'inspect', '--format', '{{.Id}}', DEMO_IMAGE], {
    reject: false,
    env,
    extendEnv: false,
  });
  if (has.exitCode === 0) return false;
  await execa(
    'docker',
    ['-H', dockerHost, 'import', '--change', 'CMD ["sh"]', '--change', 'ENV PATH=/bin', tar, DEMO_IMAGE],
    { env, extendEnv: false },
  );
  return true;
}
