/** Running the registrator core in-process on fakes: a fake engine, fake timers, a memory store or agent. */
import { silentLogger } from '../../agents/common/log.js';
import type { ContainerInfo } from '../../agents/docker/container.js';
import { loadConfig } from '../../agents/config/load.js';
import { catalogTarget } from '../../agents/registrator/catalog-target.js';
import { registratorSpec } from '../../agents/registrator/config.js';
import { startRegistrator, type RegistratorHandle } from '../../agents/registrator/core.js';
import { kvTarget } from '../../agents/registrator/kv-target.js';
import type { Registrator } from '../../agents/registrator/registrator.js';
import type { RegistryTarget } from '../../agents/registrator/target.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeConsulAgent } from '../fakes/fake-consul-agent.js';
import { FakeDocker } from '../fakes/fake-docker.js';
import { MemoryStore } from '../fakes/memory-store.js';

export const HOST = 'dh1';

type Flags = Record<string, unknown>;

/** A running container publishing 80/tcp on 127.0.1.4:<hostPort>. */
export function container(name: string, hostPort = 32768, over: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id: `id-${name}`,
    name,
    image: 'nginx',
    env: {},
    labels: {},
    ports: [{ port: 80, protocol: 'tcp', bindings: [{ hostIp: '127.0.1.4', hostPort }] }],
    networks: [{ name: 'bridge', ip: '172.31.4.2', ipv6: undefined }],
    networkMode: 'default',
    state: 'running',
    running: true,
    paused: false,
    health: 'none',
    exitCode: 0,
    ...over,
  };
}

export const keyOf = (name: string) => `nginx-80/${HOST}:${name}:80`;

export function configFor(uri: string, flags: Flags = {}) {
  return loadConfig(registratorSpec, { flags: { hostname: HOST, ...flags }, positional: uri, env: {} }).config;
}

/** Resolves once `pred()` holds, checked now and after every pass of the loop. */
export function until(reg: Registrator, pred: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!pred()) return;
      reg.off('pass', check);
      resolve();
    };
    reg.on('pass', check);
    check();
  });
}

/** Resolves once the loop has nothing to do. */
export const settled = (reg: Registrator) => until(reg, () => reg.idle());

/** Lets pending promise callbacks run (fake I/O answers in microtasks). */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface Rig {
  docker: FakeDocker;
  clock: FakeClock;
  handle: RegistratorHandle;
  reg: Registrator;
  ready: string[];
}

async function rig(uri: string, flags: Flags, target: (c: ReturnType<typeof configFor>) => RegistryTarget) {
  const docker = new FakeDocker();
  const clock = new FakeClock();
  const ready: string[] = [];
  const config = configFor(uri, flags);
  const handle = startRegistrator(config, {
    docker,
    target: target(config),
    log: silentLogger(),
    timers: clock,
    onReady: (line) => ready.push(line),
  });
  const reg = await handle.started;
  if (reg === undefined) throw new Error('the registrator did not start');
  await docker.subscribedOnce();
  return { docker, clock, handle, reg, ready };
}

/** KV mode over a memory store (`puts`: the keys it wrote); started, the event stream not connected yet. */
export async function kvRig(flags: Flags = {}): Promise<Rig & { store: MemoryStore; puts: string[] }> {
  const store = new MemoryStore();
  const puts: string[] = [];
  const put = store.put.bind(store);
  store.put = async (k, v) => {
    await put(k, v);
    puts.push(k);
  };
  const r = await rig('consul://127.0.0.1:8500/svc', flags, (c) => kvTarget(c, async () => store, silentLogger()));
  return { ...r, store, puts };
}

export async function catalogRig(flags: Flags = {}): Promise<Rig & { agent: FakeConsulAgent }> {
  const agent = new FakeConsulAgent();
  const r = await rig('consul-catalog://127.0.0.1:8500', flags, (c) => catalogTarget(c, agent, silentLogger()));
  return { ...r, agent };
}

export const connected = (reconnect = false) => ({ kind: 'connected' as const, attempt: 0, reconnect });
