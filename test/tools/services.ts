/** `node --import tsx test/tools/services.ts up|down`: start (or reuse) / stop the test stores. */
import { pathToFileURL } from 'node:url';
import { service, stopAllServices, type Instance, type ServiceKind } from '../harness/services.js';

export const KINDS: ServiceKind[] = ['consul', 'etcd', 'zk'];
export const INSTANCES: Instance[] = ['main', 'chaos'];

export async function servicesUp(log: (line: string) => void = console.log): Promise<void> {
  const t0 = Date.now();
  for (const k of KINDS) {
    for (const i of INSTANCES) {
      const s = await service(k, i);
      log(`${k.padEnd(7)} ${i.padEnd(6)} ${s.address.padEnd(16)} ready after ${Date.now() - t0} ms`);
    }
  }
}

export { stopAllServices as servicesDown };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if ((process.argv[2] ?? 'up') === 'down') await stopAllServices();
  else await servicesUp();
}
