/**
 * A packet node-zookeeper-client cannot parse must not kill the process (seen in CI: the library threw
 * "Unknown code" from its socket handler): the connection is dropped and re-established, and the store works on.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import zookeeper from 'node-zookeeper-client';
import { openStore } from '../../agents/store/open.js';
import { service } from '../harness/services.js';
import '../../agents/store/zookeeper-conn.js';

/** A framed reply to request `xid` carrying an error code ZooKeeper does not have (what CI received). */
function replyWithUnknownError(xid: number): Buffer {
  const body = Buffer.alloc(16);
  body.writeInt32BE(xid, 0);
  body.writeBigInt64BE(0n, 4); // zxid
  body.writeInt32BE(-1695940608, 12); // err: "Unknown code" in the library
  const frame = Buffer.alloc(4);
  frame.writeInt32BE(body.length, 0);
  return Buffer.concat([frame, body]);
}

t.test('a garbled server packet drops the connection instead of throwing', async (t) => {
  const zk = await service('zk');
  const client = zookeeper.createClient(zk.address, { sessionTimeout: 10_000 });
  t.teardown(() => client.close());
  await new Promise<void>((resolve) => {
    client.once('connected', () => resolve());
    client.connect();
  });
  type Pending = { request: { header: { xid: number } }; callback: (err: unknown) => void };
  const cm = (client as unknown as { connectionManager: { onSocketData(b: Buffer): void; pendingQueue: Pending[] } })
    .connectionManager;
  // a request in flight, and a reply to it that the library cannot parse
  let answered: unknown;
  cm.pendingQueue.push({ request: { header: { xid: 987_654 } }, callback: (err) => (answered = err) });
  t.doesNotThrow(() => cm.onSocketData(replyWithUnknownError(987_654)), 'the handler does not throw');
  t.equal(answered, undefined, 'no bogus answer was delivered');
  // the library reconnects; a normal request works again
  // requests in flight when the connection drops fail with CONNECTION_LOSS (as on any reconnect): retry
  let stat: unknown;
  for (let i = 0; i < 50 && !stat; i++) {
    stat = await new Promise<unknown>((resolve) => client.exists('/', (err, s) => resolve(err ? undefined : s)));
    if (!stat) await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(stat, 'the client answers after the dropped connection');

  const store = await openStore(`zk://${zk.address}/garbled-${randomUUID().slice(0, 8)}`, { timeoutMs: 3000 });
  t.teardown(async () => {
    await store.deleteTree('').catch(() => {});
    await store.close();
  });
  await store.put('a', '1');
  t.equal(await store.get('a'), '1', 'the store works');
});
