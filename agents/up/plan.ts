/**
 * What `shoal up` runs, as data: the `shoal <agent>` command line of every child, from the store, the
 * engines and the addresses. Pure, so the wiring is tested with literal fixtures.
 */
import type { EngineRef } from './state.js';

export interface ChildSpec {
  /** Unique, used for the log file and the status table: `registrator-dockerhost01`. */
  name: string;
  role: 'registrator' | 'join' | 'manage' | 'render' | 'forward';
  /** Arguments after `shoal`. */
  args: string[];
  env?: Record<string, string>;
}

/** `prefix` + `leaf` as a store path: `services`, `demo/services`. */
export function keyPath(prefix: string, leaf: string): string {
  return prefix === '' ? leaf : `${prefix.replace(/\/+$/, '')}/${leaf}`;
}

export interface Timings {
  ttl: string;
  ttlRefresh: string;
  heartbeat: string;
  resync: string;
}

/** Short timings so a local cluster reacts in seconds (the agents' defaults suit production). */
export const LOCAL_TIMINGS: Timings = { ttl: '15s', ttlRefresh: '5s', heartbeat: '5s', resync: '30s' };

export function hostAgents(
  storeBase: string,
  prefix: string,
  engines: readonly EngineRef[],
  t: Timings = LOCAL_TIMINGS,
): ChildSpec[] {
  const out: ChildSpec[] = [];
  for (const e of engines) {
    out.push({
      name: `registrator-${e.name}`,
      role: 'registrator',
      args: [
        'registrator',
        '--docker-host',
        e.dockerHost,
        '--ip',
        e.ip,
        '--ttl',
        t.ttl,
        '--ttl-refresh',
        t.ttlRefresh,
        '--resync',
        t.resync,
        '--log-format',
        'json',
        `${storeBase}/${keyPath(prefix, 'services')}`,
      ],
    });
    out.push({
      name: `join-${e.name}`,
      role: 'join',
      args: [
        'join',
        '--addr',
        e.addr,
        '--docker-host',
        e.dockerHost,
        '--heartbeat',
        t.heartbeat,
        '--ttl',
        t.ttl,
        '--log-format',
        'json',
        `${storeBase}/${keyPath(prefix, 'swarm')}`,
      ],
    });
  }
  return out;
}

export function manager(storeBase: string, prefix: string, listen: string, t: Timings = LOCAL_TIMINGS): ChildSpec {
  return {
    name: 'manage',
    role: 'manage',
    args: [
      'manage',
      '-H',
      `tcp://${listen}`,
      '--heartbeat',
      t.heartbeat,
      '--engine-refresh-min-interval',
      '5s',
      '--engine-refresh-max-interval',
      '10s',
      '--log-format',
      'json',
      `${storeBase}/${keyPath(prefix, 'swarm')}`,
    ],
  };
}

export function renderer(configFile: string, env: Record<string, string>, once = false): ChildSpec {
  return {
    name: once ? 'render-once' : 'render',
    role: 'render',
    args: ['render', '--config', configFile, ...(once ? ['--once'] : []), '--log-format', 'json'],
    env,
  };
}
