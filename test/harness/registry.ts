/**
 * A real image registry on loopback (Debian's `docker-registry`, the Distribution v2 server), so pulls through
 * the manager are tested for real: engines treat 127.0.0.0/8 registries as insecure (plain HTTP) by default.
 * `registry()` starts it or reuses the one the harness started (never another server on its port, see
 * owned.ts); `pushed(engine, name)` puts the busybox image in it under `name`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stateDir } from './proc.js';
import { ensureOwned } from './owned.js';
import { busyboxImage, BUSYBOX_IMAGE, type EngineHandle } from './engines.js';

/** Not the registry's usual 5000 (nor 5050): a port of the harness's own. */
export const REGISTRY_PORT = 25050;
export const REGISTRY = `127.0.0.1:${REGISTRY_PORT}`;
export const REGISTRY_NAME = `registry-${REGISTRY_PORT}`;
const NAME = REGISTRY_NAME;

async function ready(): Promise<boolean> {
  try {
    const res = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

function command(): string[] {
  const dir = stateDir(NAME);
  const cfg = path.join(dir, 'config.yml');
  const root = path.join(dir, 'data');
  const storage = ['storage:', '  filesystem:', `    rootdirectory: ${root}`, '  delete:', '    enabled: true'];
  const lines = ['version: 0.1', 'log:', '  level: warn', ...storage, 'http:', `  addr: ${REGISTRY}`];
  writeFileSync(cfg, `${lines.join('\n')}\n`);
  return ['docker-registry', 'serve', cfg];
}

export async function registry(): Promise<string> {
  await ensureOwned(NAME, REGISTRY_PORT, ready, command);
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
