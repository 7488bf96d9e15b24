/** A child for lock.test.ts: takes the lock ROUNDS times, and checks no one else is inside while it is. */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { acquireLock } from './proc.js';

const [name = '', marker = '', roundsText = '10'] = process.argv.slice(2);
let overlaps = 0;
for (let i = 0; i < Number(roundsText); i++) {
  const release = await acquireLock(name, 60_000);
  if (existsSync(marker)) overlaps += 1;
  writeFileSync(marker, String(process.pid));
  await new Promise((r) => setTimeout(r, 5));
  rmSync(marker, { force: true });
  release();
}
process.stdout.write(`overlaps ${overlaps}\n`);
