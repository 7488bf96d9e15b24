/**
 * A real image registry on loopback (Debian's `docker-registry`, the Distribution v2 server), so pulls through
 * the manager are tested for real: engines treat 127.0.0.0/8 registries as insecure (plain HTTP) by default.
 * `registry()` starts it or reuses it; `pushed(engine, name)` puts the busybox image in it under `name`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readPid, startDetached, stateDir, tcpOpen, waitFor, withLock } from './proc.js';
import { busyboxImage, BUSYBOX_IMAGE, type EngineHandle } from './engines.js';

export const REGISTRY = '127.0.0.1:5050';
const NAME = 'registry';

async function ready(): Promise<boolean> {
  try {
    const res = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function registry(): Promise<string> {
  if (await ready()) return REGISTRY;
  await withLock(NAME, async () => {
    if (await ready()) return;
    if (readPid(NAME) === undefined && (await tcpOpen('127.0.0.1', 5050))) throw new Error('port 5050 is taken by a process the harness did not start (registry)');
    const dir = stateDir(NAME);
    const cfg = path.join(dir, 'config.yml');
    writeFileSync(
      cfg,
      ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${path.join(dir, 'data')}`, '  delete:', '    enabled: true', 'http:', `  addr: ${REGISTRY}`, ''].join('\n'),
    );
    if (readPid(NAME) === undefined) startDetached(NAME, 'docker-registry', ['serve', cfg]);
    await waitFor(`registry on ${REGISTRY}`, ready, 30_000, NAME);
  });
  return REGISTRY;
}

/** Push the busybox image from `engine` to the registry as `<registry>/<repo>:<tag>` and drop the local tag. */
export async function pushed(engine: EngineHandle, repo: string, tag = 'latest'): Promise<string> {
  await registry();
  await busyboxImage(engine);
  const ref = `${REGISTRY}/${repo}:${tag}`;
  await engine.cli(['tag', BUSYBOX_IMAGE, ref]);
  await engine.cli(['push', ref]);
  await engine.cli(['rmi', ref]);
  return ref;
}
