/** `node --import tsx test/tools/services.ts up|down`: start (or reuse) / stop the test stores. */
import { service, stopAllServices, type Instance, type ServiceKind } from '../harness/services.js';

const cmd = process.argv[2] ?? 'up';
if (cmd === 'down') {
  await stopAllServices();
} else {
  const t0 = Date.now();
  for (const k of ['consul', 'etcd', 'zk'] as ServiceKind[]) {
    for (const i of ['main', 'chaos'] as Instance[]) {
      const s = await service(k, i);
      console.log(`${k.padEnd(7)} ${i.padEnd(6)} ${s.address.padEnd(16)} ready after ${Date.now() - t0} ms`);
    }
  }
}
