/** Writing TLS material: keys 0600 from the first byte, certificates 0644, atomically (temp + rename). */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export async function writeSecret(file: string, text: string): Promise<void> {
  await writeAtomic(file, text, 0o600);
}

export async function writePublic(file: string, text: string): Promise<void> {
  await writeAtomic(file, text, 0o644);
}

async function writeAtomic(file: string, text: string, mode: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  // `mode` on open applies before any byte is written; chmod undoes a umask that removed bits we want
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(text);
    await fh.chmod(mode);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  await chmod(file, mode);
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
