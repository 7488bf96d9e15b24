/** The unit tier's file list (test/unit-files.txt): which test files need no server. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const LIST = 'test/unit-files.txt';

function testsUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? testsUnder(p) : e.name.endsWith('.test.ts') ? [p] : [];
    })
    .sort();
}

/** The files the list names, directories expanded; a listed path that does not exist is an error. */
export function unitFiles(listText: string): string[] {
  const entries = listText
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const missing = entries.filter((e) => !existsSync(path.join(ROOT, e)));
  if (missing.length > 0) throw new Error(`${LIST} names paths that do not exist: ${missing.join(', ')}`);
  return [...new Set(entries.flatMap((e) => (statSync(path.join(ROOT, e)).isDirectory() ? testsUnder(e) : [e])))];
}
