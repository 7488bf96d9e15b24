/**
 * `node --import tsx test/tools/cluster.ts up [N] | down | status`: the whole test cluster: the stores
 * (services.ts) and Docker engines 1..N (default 3) with the busybox image on each. `down` stops every
 * store, engine and registry the harness started (by pid file), not only 1..N, and nothing else: a store
 * given by SHOAL_TEST_<KIND> or a system service is never touched.
 */
import { busyboxImage, engine, engineRunning, stopAllEngines } from '../harness/engines.js';
import { serverName, serviceAddress } from '../harness/services.js';
import { readPid, stopProcess, tcpOpen } from '../harness/proc.js';
import { REGISTRY_NAME, REGISTRY_PORT } from '../harness/registry.js';
import { INSTANCES, KINDS, servicesDown, servicesUp } from './services.js';

async function up(count: number): Promise<void> {
  await servicesUp();
  const t0 = Date.now();
  for (let n = 1; n <= count; n++) {
    const e = await engine(n);
    const image = await busyboxImage(e);
    console.log(`${e.name} ${e.dockerHost} tcp://${e.tcp} ${image} ready after ${Date.now() - t0} ms`);
  }
}

async function status(): Promise<number> {
  let down = 0;
  for (const k of KINDS) {
    for (const i of INSTANCES) {
      const a = serviceAddress(k, i);
      const pid = a.external ? undefined : readPid(serverName(k, i));
      const ok = await tcpOpen(a.host, a.port);
      const where = `${a.host}:${a.port}${a.external ? ' (external)' : ''}`;
      console.log(`${k.padEnd(7)} ${i.padEnd(6)} ${where.padEnd(16)} ${ok ? 'up' : 'down'}${pid ? ` pid ${pid}` : ''}`);
      if (!ok) down++;
    }
  }
  const reg = readPid(REGISTRY_NAME);
  const regUp = await tcpOpen('127.0.0.1', REGISTRY_PORT);
  console.log(`registry       127.0.0.1:${REGISTRY_PORT} ${regUp ? 'up' : 'down'}${reg ? ` pid ${reg}` : ''}`);
  for (let n = 1; n <= 9; n++) {
    const ok = await engineRunning(n);
    const pid = readPid(`docker${n}`);
    if (ok || pid !== undefined || n <= 3)
      console.log(`dockerhost0${n} ${ok ? 'up' : 'down'}${pid ? ` pid ${pid}` : ''}`);
    if (!ok && n <= 3) down++;
  }
  return down;
}

const [cmd = 'status', arg] = process.argv.slice(2);
switch (cmd) {
  case 'up':
    await up(arg === undefined ? 3 : Number(arg));
    break;
  case 'down':
    await stopAllEngines();
    await servicesDown();
    await stopProcess(REGISTRY_NAME);
    break;
  case 'status':
    process.exitCode = (await status()) === 0 ? 0 : 1;
    break;
  default:
    console.error('usage: cluster.ts up [N] | down | status');
    process.exitCode = 2;
}
