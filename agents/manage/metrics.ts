/** Prometheus metrics and /healthz of one manager (its own Registry: tests run several managers in one process). */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Cluster } from './cluster/cluster.js';
import { gaugeFrom, metricIn } from '../common/metrics.js';

const HEALTH_STATES = ['pending', 'healthy', 'unhealthy'] as const;

export interface ManageHealth {
  ok: boolean;
  listening: boolean;
  nodes: Record<string, number>;
}

/** The `route` label: method and path with the container/exec/image id replaced, so it stays bounded. */
export function routeLabel(method: string, path: string, params: readonly string[]): string {
  const id = params[0];
  return `${method} ${id ? path.replace(id, '{id}') : path}`;
}

export class ManageMetrics {
  readonly registry = new Registry();
  listening = false;
  readonly containersCreated = new Counter(
    metricIn(this.registry, 'shoal_manage_containers_created_total', 'Containers created through the manager'),
  );
  readonly placementFailures = new Counter(
    metricIn(this.registry, 'shoal_manage_placement_failures_total', 'Create requests no node could take'),
  );
  readonly servicesPasses = new Counter(
    metricIn(this.registry, 'shoal_manage_services_passes_total', 'Passes of the swarm-mode services reconciler'),
  );
  readonly requests = new Counter(
    metricIn(this.registry, 'shoal_manage_api_requests_total', 'API requests by route and HTTP status', [
      'route',
      'status',
    ] as const),
  );

  constructor(private readonly cluster: Cluster) {
    const counts = () => this.nodeCounts();
    new Gauge({
      ...metricIn(this.registry, 'shoal_manage_nodes', 'Engines known to the manager by health state', [
        'health',
      ] as const),
      collect() {
        const c = counts();
        for (const h of HEALTH_STATES) this.set({ health: h }, c[h] ?? 0);
      },
    });
    gaugeFrom(this.registry, 'shoal_manage_listening', '1 while the API listeners are up', () => this.listening);
  }

  nodeCounts(): Record<string, number> {
    const c: Record<string, number> = Object.fromEntries(HEALTH_STATES.map((h) => [h, 0]));
    for (const n of this.cluster.list()) c[n.health] = (c[n.health] ?? 0) + 1;
    return c;
  }

  /** ok: listening and at least one healthy engine to place containers on. */
  health(): ManageHealth {
    const nodes = this.nodeCounts();
    return { ok: this.listening && (nodes.healthy ?? 0) > 0, listening: this.listening, nodes };
  }
}
