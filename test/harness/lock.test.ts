/**
 * The harness lock under contention: eight processes take and release one lock in a tight loop; no two may
 * ever be inside at once (the owner is in place the moment the lock exists, so no waiter mistakes a lock
 * being taken for a stale one). A lock whose holder died is taken over.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import { acquireLock, stateDir } from './proc.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const rand = Math.random().toString(36).slice(2, 8);

t.test('eight processes, one lock: never two inside at once', async (t) => {
  const name = `lock-test-${rand}`;
  const marker = path.join(stateDir('lock-test'), `${name}.inside`);
  const workers = Array.from({ length: 8 }, () =>
    execa(process.execPath, ['--import', 'tsx', path.join(HERE, 'lock-worker.ts'), name, marker, '15'], {
      reject: false,
    }),
  );
  const results = await Promise.all(workers);
  const overlaps = results.map((r) => Number(/overlaps (\d+)/.exec(String(r.stdout))?.[1] ?? NaN));
  t.same(
    results.map((r) => r.exitCode),
    Array(8).fill(0),
    String(results.map((r) => r.stderr).join('\n')).slice(0, 2000),
  );
  t.same(overlaps, Array(8).fill(0), 'no overlap in 120 acquisitions');
});

t.test('a lock left by a dead holder is taken over', async (t) => {
  const name = `lock-dead-${rand}`;
  const dir = path.join(stateDir('locks'), `${name}.lock`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'owner'), '2147483646 0'); // no such process
  // a timeout of 0: only a lock taken without waiting for its holder can be had at all
  const release = await acquireLock(name, 0);
  t.pass('taken over at once');
  release();
});

t.test('a lock whose owner is still being written (empty) is waited for, not taken as stale', async (t) => {
  const name = `lock-empty-${rand}`;
  const dir = path.join(stateDir('locks'), `${name}.lock`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'owner'), '');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await t.rejects(acquireLock(name, 1500), /timed out after 1500 ms waiting for the harness lock/);
});
