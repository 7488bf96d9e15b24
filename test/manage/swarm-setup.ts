/**
 * The setup every swarm-mode test file shares: a store prefix of its own on one harness server with the three
 * shared engines in it, a cluster CA directory of its own, and a manager config on a free port; all removed at
 * the test's end.
 */
import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../../agents/store/open.js';
import type { Store } from '../../agents/store/store.js';
import type { ManagerConfig } from '../../agents/manage/manager.js';
import { service } from '../harness/index.js';
import type { EngineHandle } from '../harness/engines.js';
import { freePort } from '../harness/proxies.js';
import { managerConfig, suffix } from './helpers.js';

export const SWARM_ENGINES = ['127.0.1.1:2375', '127.0.1.2:2375', '127.0.1.3:2375'];

/**
 * `kind`: consul, etcd, etcd2 or zk; `tag` names the prefix and the CA directory; `engines` the discovery's
 * engine addresses (default the three shared ones). `t` is a tap test, or any holder of teardowns (the swarm
 * benchmark runs them itself).
 */
export async function swarmSetup(
  t: Pick<Test, 'teardown'>,
  kind: string,
  tag: string,
  engines: readonly string[] = SWARM_ENGINES,
): Promise<{ uri: string; store: Store; config: ManagerConfig; port: number }> {
  const server = await service(kind === 'etcd2' ? 'etcd' : (kind as 'consul' | 'etcd' | 'zk'), 'main');
  const uri = `${kind}://${server.address}/${tag}${kind}${suffix()}`;
  const store = await openStore(uri, { timeoutMs: 5000 });
  t.teardown(async () => {
    await store.deleteTree('').catch(() => {});
    await store.close();
  });
  for (const a of engines) await store.put(a, a);
  const caDir = mkdtempSync(path.join(os.tmpdir(), `${tag}-ca-`));
  t.teardown(() => rmSync(caDir, { recursive: true, force: true }));
  const port = await freePort();
  const config = managerConfig(uri, { hosts: [{ kind: 'tcp', host: '127.0.0.1', port }], swarmCaDir: caDir });
  return { uri, store, config, port };
}

export interface TaskContainer {
  name: string;
  state: string;
  /** The index of its engine in the list given. */
  engine: number;
}

/**
 * Every task container of a service (any state) on `engines`, straight from the engines; with `skipStopped`, an
 * engine that is not running is left out (else asking it fails).
 */
export async function taskContainers(
  engines: readonly EngineHandle[],
  serviceId: string,
  opts: { skipStopped?: boolean } = {},
): Promise<TaskContainer[]> {
  const out: TaskContainer[] = [];
  for (const [i, e] of engines.entries()) {
    if (opts.skipStopped && !(await e.running())) continue;
    const r = await e.cli([
      'ps',
      '-a',
      '--filter',
      `label=com.docker.swarm.service.id=${serviceId}`,
      '--format',
      '{{.Names}} {{.State}}',
    ]);
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [name, state] = line.split(' ');
      out.push({ name: name!, state: state!, engine: i });
    }
  }
  return out;
}
