/**
 * `shoal up --demo`: the seed's sample through the manager: two `proxy` containers constrained to
 * zone==external and three `webapp` containers constrained to status==worker, each a busybox httpd that
 * answers with its own name. Prints where each landed, the /services keys, and one request routed to each.
 */
import path from 'node:path';
import { execa } from 'execa';
import type { Store } from '../store/store.js';
import { DEMO_IMAGE } from './image.js';
import { keyPath } from './plan.js';
import { httpGet, waitUntil } from './probe.js';
import type { UpState } from './state.js';
import { table } from './table.js';
import type { Io } from './types.js';

export interface DemoContainer {
  name: string;
  service: 'proxy' | 'webapp';
  constraint: string;
}

/** The sample, as data. Pure. */
export function demoContainers(): DemoContainer[] {
  return [
    ...[1, 2].map((i) => ({ name: `shoal-demo-proxy-${i}`, service: 'proxy' as const, constraint: 'zone==external' })),
    ...[1, 2, 3].map((i) => ({
      name: `shoal-demo-webapp-${i}`,
      service: 'webapp' as const,
      constraint: 'status==worker',
    })),
  ];
}

/** `docker run` arguments for one demo container. Pure. */
export function runArgs(c: DemoContainer): string[] {
  return [
    'run',
    '-d',
    '--name',
    c.name,
    '-e',
    `SERVICE_NAME=${c.service}`,
    '-e',
    `constraint:${c.constraint}`,
    '-e',
    `DEMO_NAME=${c.name}`,
    '-p',
    '80',
    DEMO_IMAGE,
    'sh',
    '-c',
    'echo "$DEMO_NAME" > /www/index.html && exec httpd -f -p 80 -h /www',
  ];
}

export async function runDemo(state: UpState, store: Store, io: Io, save: () => void): Promise<void> {
  const manager = state.manager as string;
  const env = { DOCKER_CONFIG: path.join(state.stateDir, 'docker-cli'), PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const docker = (args: string[]) =>
    execa('docker', ['-H', manager, ...args], { env, extendEnv: false, timeout: 120_000 });
  io.out('');
  io.out('demo: 2 x proxy (constraint:zone==external), 3 x webapp (constraint:status==worker) through the manager');
  const placed: { name: string; service: string; node: string }[] = [];
  for (const c of demoContainers()) {
    const id = String((await docker(runArgs(c))).stdout).trim();
    const node = String((await docker(['inspect', '--format', '{{.Node.Name}}', id])).stdout).trim();
    const engine = state.engines.find((e) => e.name === node);
    state.containers.push({ dockerHost: engine?.dockerHost ?? manager, id, name: c.name });
    save();
    placed.push({ name: c.name, service: c.service, node });
  }
  io.out(table(['name', 'service', 'node'], placed));
  const wanted = { proxy: 2, webapp: 3 };
  let entries: { key: string; value: string }[] = [];
  await waitUntil(
    'registrator entries for the demo',
    async () => {
      entries = (await store.list('services')).filter(
        (kv) =>
          /\/(proxy|webapp)-80\//.test(kv.key) && kv.key.split('/').pop()?.split(':')[1]?.startsWith('shoal-demo-'),
      );
      return (
        entries.filter((e) => e.key.includes('/proxy-80/')).length >= wanted.proxy &&
        entries.filter((e) => e.key.includes('/webapp-80/')).length >= wanted.webapp
      );
    },
    { timeoutMs: 60_000 },
  );
  io.out('');
  io.out(
    table(
      ['key', 'value'],
      entries.map((kv) => ({ key: keyPath(state.prefix, kv.key), value: kv.value })),
    ),
  );
  io.out('');
  const url = state.edge?.url as string;
  for (const [service, count] of Object.entries(wanted)) {
    const seen = new Set<string>();
    await waitUntil(
      `every ${service} answering through ${url}`,
      async () => {
        const r = await httpGet(`${url}/`, { headers: { Host: `${service}.local` } });
        if (r.status === 200) seen.add(r.body.trim());
        return seen.size >= count;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    for (const who of [...seen].sort()) io.out(`curl -H 'Host: ${service}.local' ${url}/  ->  ${who}`);
  }
}
