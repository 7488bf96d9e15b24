/**
 * The root filesystem of `shoal/busybox:latest` as a tarball, made once from Debian's busybox-static:
 * /bin/busybox plus one symlink per applet the tests use. Built under a temporary name and renamed, so
 * test files that race here never read half a file.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { stateDir } from './proc.js';

const APPLETS = [
  'sh',
  'ash',
  'httpd',
  'sleep',
  'nc',
  'wget',
  'cat',
  'echo',
  'ls',
  'env',
  'hostname',
  'ip',
  'ifconfig',
  'ps',
  'kill',
  'mkdir',
  'rm',
  'cp',
  'mv',
  'touch',
  'true',
  'false',
  'test',
  '[',
  'grep',
  'sed',
  'head',
  'tail',
  'date',
  'id',
  'ping',
  'printf',
  'top',
  'uname',
  'yes',
  'tr',
  'wc',
  'sort',
  'seq',
  'timeout',
  'nslookup',
  'vi',
  'tee',
  'chmod',
];

export function busyboxTarball(): string {
  const dir = stateDir('busybox');
  const tar = path.join(dir, 'busybox-rootfs.tar');
  if (existsSync(tar)) return tar;
  const src = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!src) throw new Error('busybox not found: install busybox-static (.ci/install.sh)');
  const root = mkdtempSync(path.join(dir, 'rootfs-'));
  try {
    for (const d of ['bin', 'etc', 'tmp', 'www', 'proc', 'sys', 'dev']) mkdirSync(path.join(root, d));
    copyFileSync(src, path.join(root, 'bin/busybox'));
    execFileSync('chmod', ['0755', path.join(root, 'bin/busybox')]);
    const have = new Set(execFileSync(src, ['--list']).toString().split('\n'));
    for (const a of APPLETS.filter((x) => have.has(x))) symlinkSync('busybox', path.join(root, 'bin', a));
    writeFileSync(
      path.join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    );
    writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    writeFileSync(path.join(root, 'www/index.html'), 'shoal busybox\n');
    const tmp = `${tar}.${process.pid}.tmp`;
    execFileSync('tar', ['-C', root, '-cf', tmp, '.']);
    renameSync(tmp, tar);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return tar;
}
