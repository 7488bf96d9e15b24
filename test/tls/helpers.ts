/** Shared by the TLS tests: run the real CLI, make a CA + certificates in a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'agents/cli.ts');

/** `shoal ARGS` as a user runs it (tsx, the source tree); never rejects. */
export function shoal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return execa(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, reject: false, env: { ...env } });
}

export function tempDir(t: { teardown: (fn: () => void) => void }, prefix = 'shoal-tls-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function openssl(args: string[]): Promise<Result> {
  return execa('openssl', args, { reject: false, env: { OPENSSL_CONF: '/dev/null' } });
}
