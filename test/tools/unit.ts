/**
 * `node --import tsx test/tools/unit.ts [FILES...]`: the unit tier (test/unit-files.txt, or the given files) in
 * one process, one file after the other, under tap's root test. Each file's top-level tests are awaited before
 * the next file is imported, so what a file does is charged to it: a file that fails to load, or connects to
 * a server it did not start (unit-guard.ts), fails here with its name.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';
import { installGuard, setCurrentFile, violationsOf } from './unit-guard.js';
import { LIST, ROOT, unitFiles } from './unit-files.js';

interface FileHooks {
  /** the file's top-level t.test promises */
  pending: Promise<unknown>[];
  /** the file's top-level t.teardown functions: run when its tests are done, as at the end of its own process */
  teardowns: (() => unknown)[];
}

async function runFile(file: string, hooks: FileHooks): Promise<void> {
  setCurrentFile(file);
  t.comment(`file: ${file}`);
  try {
    await import(pathToFileURL(path.join(ROOT, file)).href);
  } catch (err) {
    t.fail(`${file} did not load: ${(err as Error).message}`);
  }
  await Promise.allSettled(hooks.pending.splice(0));
  for (const fn of hooks.teardowns.splice(0)) {
    try {
      await fn();
    } catch (err) {
      t.fail(`${file}: teardown failed: ${(err as Error).message}`);
    }
  }
  const reached = violationsOf(file);
  if (reached.length > 0) {
    t.fail(
      `${file} is a unit file but reached ${reached.join(', ')}, a server this process did not start: ` +
        `it needs a server (take it out of ${LIST})`,
    );
  }
}

async function main(argv: string[]): Promise<void> {
  installGuard();
  const files = argv.length > 0 ? argv : unitFiles(readFileSync(path.join(ROOT, LIST), 'utf8'));
  // tap's runner gives each file 600 s (.taprc); one process gets the sum
  t.setTimeout(files.length * 600_000);
  // a root-level teardown would also make tap end the root as soon as it is idle, between two files
  const hooks: FileHooks = { pending: [], teardowns: [] };
  const test = t.test.bind(t);
  t.test = ((...args: Parameters<typeof test>) => {
    const p = test(...args);
    hooks.pending.push(p);
    return p;
  }) as typeof t.test;
  t.teardown = (fn: () => unknown) => void hooks.teardowns.push(fn);
  // tsx loads modules off the main thread: without a timer the loop looks idle while a file loads, and tap
  // ends its root test on `beforeExit`
  const alive = setInterval(() => undefined, 60_000);
  for (const file of files) await runFile(file, hooks);
  clearInterval(alive);
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) await main(process.argv.slice(2));
