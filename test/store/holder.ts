/**
 * A separate process that holds store state for the contract tests:
 *   lease <uri> <key> <value> <ttlMs>   put key on a lease, print "ready", keep it alive until killed
 *   lock <uri> <key> <value> <ttlMs>    block until the lock is ours (printing "waiting <value>" the first
 *                                       time it finds the lock held by someone else), print "acquired <value>",
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
  let waiting = false;
  const onWaiting = () => {
    if (!waiting) process.stdout.write(`waiting ${value}\n`);
    waiting = true;
  };
  const lock = await store.lock(key, value, { ttlMs: Number(ttl), onWaiting });
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
