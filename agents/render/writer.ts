/**
 * Stage, validate and swap one rendered file: write a temp file beside the destination, run the check on
 * it, fsync, keep one `.bak` when asked, rename over the destination. Any failure leaves the live file as it
 * was. Reports whether anything changed.
 */
import { constants as fsc } from 'node:fs';
import { access, copyFile, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { runCommand } from './command.js';
import { CheckFailedError, WriteError } from './errors.js';

export interface SwapOptions {
  destination: string;
  text: string;
  check: string | undefined;
  perms: number | undefined;
  backup: boolean;
  timeoutMs: number;
}

export interface SwapResult {
  changed: boolean;
  checkMs?: number;
  /** `performance.now()` when the staged file was written, checked, and renamed over the destination. */
  staged?: number;
  checked?: number;
  swapped?: number;
}

async function currentText(p: string): Promise<string | undefined> {
  try {
    return await readFile(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WriteError(p, e);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, fsc.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Side files a config names (template `sidefile` blocks), written durably before the config is checked. Their
 * names carry a hash of their content: one already there is left alone, and none is ever changed in place.
 */
export async function writeSideFiles(files: readonly { path: string; text: string }[], mode = 0o644): Promise<void> {
  for (const f of files) {
    if (
      await access(f.path).then(
        () => true,
        () => false,
      )
    )
      continue;
    const tmp = `${f.path}.shoal-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      const fh = await open(tmp, 'wx', mode);
      try {
        await fh.writeFile(f.text, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, f.path);
      await fsyncDir(path.dirname(f.path));
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw new WriteError(f.path, e);
    }
  }
}

/** After a swap: remove the destination's side files (`<destination>.<hash>.<name>`) the new config does not name. */
export async function pruneSideFiles(
  destination: string,
  keep: readonly { path: string }[],
  /** The config just replaced (kept as `.bak` with backup on): its side files stay too. */
  previous = '',
): Promise<void> {
  const dir = path.dirname(destination);
  const base = path.basename(destination);
  const names = new Set(keep.map((f) => path.basename(f.path)));
  const escaped = base.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&');
  const own = new RegExp(`^${escaped}\\.[0-9a-f]{12}\\.[A-Za-z0-9][A-Za-z0-9_.-]*$`);
  for (const n of await readdir(dir).catch(() => [] as string[]))
    if (own.test(n) && !names.has(n) && !previous.includes(n) && !n.endsWith('.tmp'))
      await unlink(path.join(dir, n)).catch(() => undefined);
}

export async function swapFile(o: SwapOptions): Promise<SwapResult> {
  const current = await currentText(o.destination);
  if (current === o.text) return { changed: false };
  const dir = path.dirname(o.destination);
  const staged = path.join(
    dir,
    `.${path.basename(o.destination)}.shoal-${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
  );
  let mode = o.perms;
  if (mode === undefined) mode = current === undefined ? 0o644 : (await stat(o.destination)).mode & 0o7777;
  let renamed = false;
  try {
    let synced: Promise<void>;
    try {
      const fh = await open(staged, 'wx', mode);
      try {
        await fh.writeFile(o.text, 'utf8');
        await fh.chmod(mode);
      } catch (e) {
        await fh.close();
        throw e;
      }
      // the fsync runs while the check reads the staged file (from the page cache): both end before the rename
      synced = fh.sync().finally(() => fh.close());
    } catch (e) {
      throw new WriteError(o.destination, e);
    }
    const stagedAt = performance.now();
    const [sync, check] = await Promise.allSettled([
      synced,
      o.check ? runCommand(o.check, { timeoutMs: o.timeoutMs, vars: { path: staged } }) : undefined,
    ]);
    if (sync.status === 'rejected') throw new WriteError(o.destination, sync.reason);
    if (check.status === 'rejected') throw check.reason;
    const checkMs = check.value?.durationMs;
    if (check.value && !check.value.ok) throw new CheckFailedError(o.destination, check.value.output);
    const checkedAt = performance.now();
    try {
      if (o.backup && current !== undefined) await copyFile(o.destination, `${o.destination}.bak`);
      await rename(staged, o.destination);
      renamed = true;
      await fsyncDir(dir);
    } catch (e) {
      throw new WriteError(o.destination, e);
    }
    return {
      changed: true,
      ...(checkMs === undefined ? {} : { checkMs }),
      staged: stagedAt,
      checked: checkedAt,
      swapped: performance.now(),
    };
  } finally {
    if (!renamed) await unlink(staged).catch(() => undefined);
  }
}
