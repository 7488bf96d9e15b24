/**
 * Engines the manager refuses: another manager, and anything reporting 0 CPUs (a tiny fake engine that reports
 * none). Never validated, they stay Pending (as classic Swarm) with the reason as their error.
 */
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { managerConfig, sharedEngines, startTestManager } from './helpers.js';

await sharedEngines();

const statusBlock = (info: string, addr: string) =>
  new RegExp(
    `${addr.replace(/\./g, '\\.')}\\n\\s+└ ID: [^\\n]*\\n\\s+└ Status: (\\w+)[\\s\\S]*?└ Error: ([^\\n]*)`,
  ).exec(info);

t.test('a manager pointed at another manager refuses it as a node', async (t) => {
  const a = await startTestManager(managerConfig('nodes://127.0.1.1:2375'));
  t.teardown(() => a.stop());
  const addrA = a.host.replace(/^tcp:\/\//, '');
  const b = await startTestManager(managerConfig(`nodes://${addrA}`, { failureRetry: 1 }));
  t.teardown(() => b.stop());
  const m = statusBlock((await b.docker(['info'])).stdout, addrA);
  t.equal(m?.[1], 'Pending');
  t.match(m?.[2], /refused: it is a cluster manager \(swarm\/1\.2\.9 \(shoal /);
  const r = await b.docker(['run', '-d', 'shoal/busybox:latest', 'true'], { reject: false });
  t.equal(r.exitCode, 125, 'nothing can be placed on it');
  t.match(r.stderr, /no healthy node/);
});

t.test('an engine reporting 0 CPUs is refused', async (t) => {
  const fake = http.createServer((req, res) => {
    const body = req.url?.startsWith('/info')
      ? { ID: 'Z', Name: 'zero', NCPU: 0, MemTotal: 1 }
      : { Version: '20.10.0', ApiVersion: '1.41' };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => fake.close(() => r())));
  const addr = `127.0.0.1:${(fake.address() as AddressInfo).port}`;
  const m = await startTestManager(managerConfig(`nodes://${addr},127.0.1.2:2375`, { failureRetry: 1 }));
  t.teardown(() => m.stop());
  const block = statusBlock((await m.docker(['info'])).stdout, addr);
  t.equal(block?.[1], 'Pending');
  t.match(block?.[2], /reports 0 CPUs/);
});
