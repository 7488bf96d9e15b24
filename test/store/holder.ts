/**
 * A separate process that holds store state for the contract tests:
 *   lease <uri> <key> <value> <ttlMs>   put key on a lease, print "ready", keep it alive until killed
 *   lock <uri> <key> <value> <ttlMs>    block until the lock is ours, print "acquired <value>",
 *                                       release and exit when stdin closes
 */
import { openStore } from '../../agents/store/open.js';

const [mode, uri, key, value, ttl] = process.argv.slice(2);
if (!mode || !uri || !key || !value || !ttl) {
  process.stderr.write('usage: holder lease|lock <uri> <key> <value> <ttlMs>\n');
  process.exit(2);
}
const store = await openStore(uri, { timeoutMs: 3000 });
if (mode === 'lease') {
  const lease = await store.lease(Number(ttl));
  await lease.put(key, value);
  process.stdout.write('ready\n');
  setInterval(() => {}, 1 << 30);
} else if (mode === 'lock') {
  const lock = await store.lock(key, value, { ttlMs: Number(ttl) });
  process.stdout.write(`acquired ${value}\n`);
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await lock.release();
    await store.close();
    process.exit(0);
  });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
