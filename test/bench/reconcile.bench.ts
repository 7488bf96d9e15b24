/**
 * The services reconciler's decision time: 1,000 services (replicated, 1-5 replicas, some constrained, some
 * with a spread preference, plus 2 global services) over 1,000 simulated nodes, target < 50 ms per decision.
 *  - steady: every task running, nothing to do (the periodic full reconcile);
 *  - cold: no task yet, every task placed (a fresh cluster, or a leader with an empty store);
 *  - churn: 50 nodes go Down at once, their tasks re-placed.
 * The cluster state between decisions is built with the test simulator (actions applied to simulated task
 * containers); only `reconcile` itself is timed.
 *
 *   node --import tsx test/bench/reconcile.bench.ts
 */
import { reconcile } from '../../agents/manage/services/reconcile.js';
import { sequentialIds } from '../../agents/manage/services/names.js';
import type { DesiredService, NodeInfo, ReconcileInput } from '../../agents/manage/services/model.js';
import { node, replicated, service, Sim, T0 } from '../manage/services/sim.js';
import { percentile, printTable, type BenchRow } from './table.js';

const NODES = 1000;
const SERVICES = 1000;

function cluster(): { services: DesiredService[]; nodes: NodeInfo[] } {
  const nodes: NodeInfo[] = [];
  for (let i = 1; i <= NODES; i++)
    nodes.push(
      node(`node${String(i).padStart(4, '0')}`, {
        labels: { zone: `z${i % 3}`, rack: `r${i % 20}` },
        engineLabels: { storage: i % 2 === 0 ? 'ssd' : 'disk' },
        role: i <= 3 ? 'manager' : 'worker',
      }),
    );
  const services: DesiredService[] = [];
  for (let i = 1; i <= SERVICES - 2; i++) {
    const extra: Record<string, unknown> = {
      TaskTemplate: {
        Resources: { Reservations: { NanoCPUs: 1e7, MemoryBytes: 16 * 1024 * 1024 } },
        Placement: {
          ...(i % 5 === 0 ? { Constraints: ['engine.labels.storage==ssd', `node.labels.rack!=r${i % 20}`] } : {}),
          ...(i % 7 === 0 ? { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] } : {}),
        },
      },
    };
    services.push(replicated(`svc${String(i).padStart(4, '0')}`, `s${i}`, 1 + (i % 5), extra));
  }
  services.push(service('global1', 'g1', { Mode: { Global: {} } }));
  services.push(
    service('global2', 'g2', {
      Mode: { Global: {} },
      TaskTemplate: { Placement: { Constraints: ['node.labels.zone==z1'] } },
    }),
  );
  return { services, nodes };
}

interface Measure {
  wall: number[];
  cpu: number[];
  actions: number;
  tasks: number;
}

/** Wall and CPU time (user+sys of this process: less sensitive to a busy shared machine) per decision. */
function time(input: ReconcileInput, runs: number): Measure {
  const m: Measure = { wall: [], cpu: [], actions: 0, tasks: 0 };
  for (let i = 0; i < runs + 5; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = reconcile(input, { newId: sequentialIds('b') });
    const w = performance.now() - t0;
    const c = process.cpuUsage(c0);
    m.actions = r.actions.length;
    m.tasks = r.tasks.length;
    if (i < 5) continue; // warm-up (JIT)
    m.wall.push(w);
    m.cpu.push((c.user + c.system) / 1000);
  }
  return m;
}

function rows(name: string, m: Measure): BenchRow[] {
  return [
    { name: `${name} decision wall p50`, value: percentile(m.wall, 50), unit: 'ms', limit: 50, better: 'lower' },
    { name: `${name} decision cpu p50`, value: percentile(m.cpu, 50), unit: 'ms', limit: 50, better: 'lower' },
    { name: `${name} decision wall min`, value: Math.min(...m.wall), unit: 'ms', better: 'lower' },
    { name: `${name} actions`, value: m.actions, unit: 'count', better: 'lower' },
    { name: `${name} task records`, value: m.tasks, unit: 'count', better: 'lower' },
  ];
}

const { services, nodes } = cluster();
const cold = time({ services, nodes, tasks: [], observed: [], now: T0 }, 30);

const sim = new Sim(services, nodes);
sim.settle(5);
const steadyInput = (): ReconcileInput => ({
  services: sim.services,
  nodes: sim.nodes,
  tasks: sim.tasks,
  observed: sim.observed(),
  now: sim.now,
});
const steady = time(steadyInput(), 40);
if (steady.actions !== 0) throw new Error(`steady state is not steady: ${steady.actions} actions`);

sim.nodes = sim.nodes.map((n, i) => (i % 20 === 0 ? { ...n, state: 'down' as const } : n));
sim.advance(10_000);
const churn = time(steadyInput(), 40);

printTable(`services reconciler: ${SERVICES} services over ${NODES} nodes`, [
  ...rows('steady', steady),
  ...rows('cold', cold),
  ...rows('churn (50 nodes Down)', churn),
]);
