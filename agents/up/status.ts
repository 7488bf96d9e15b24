/**
 * The cluster table (`shoal up` at the end, `shoal status`): what `up` started and whether it runs, the nodes
 * the store holds, what the manager reports, and the edge URL.
 */
import type { Store } from '../store/store.js';
import { keyPath } from './plan.js';
import { dockerPing, httpGet } from './probe.js';
import { isAlive } from './proc.js';
import type { UpState } from './state.js';
import { formatLabels, table, type Row } from './table.js';

export interface ManagerView {
  nodes: { name: string; addr: string; status: string; containers: string }[];
  error?: string;
}

/** swarm's SystemStatus pairs -> nodes. Pure. */
export function parseSystemStatus(pairs: readonly [string, string][]): ManagerView['nodes'] {
  const nodes: ManagerView['nodes'] = [];
  let cur: ManagerView['nodes'][number] | undefined;
  for (const [k, v] of pairs) {
    if (/^ [^ └]/.test(k) && !k.startsWith('  ')) {
      cur = { name: k.trim(), addr: v, status: '', containers: '' };
      nodes.push(cur);
    } else if (cur && k.includes('Status')) cur.status = v;
    else if (cur && k.includes('Containers')) cur.containers = v;
  }
  return nodes;
}

export async function managerView(endpoint: string): Promise<ManagerView> {
  try {
    const r = await httpGet(`http://${endpoint.replace(/^tcp:\/\//, '')}/info`);
    const info = JSON.parse(r.body) as { SystemStatus?: [string, string][] };
    return { nodes: parseSystemStatus(info.SystemStatus ?? []) };
  } catch (err) {
    return { nodes: [], error: err instanceof Error ? err.message : String(err) };
  }
}

export async function clusterTable(state: UpState, store: Store | undefined): Promise<string> {
  const rows: Row[] = [];
  const proc = (name: string) => state.processes.find((p) => p.name === name);
  const procState = (name: string) => {
    const p = proc(name);
    return p ? (isAlive(p) ? `running (pid ${p.pid})` : 'NOT RUNNING') : '-';
  };
  if (state.store)
    rows.push({
      component: 'store',
      name: state.store.kind,
      address: state.store.base,
      state: state.store.started ? procState(state.store.kind) : 'reused (not ours)',
    });
  const swarm = store
    ? new Map((await store.list('swarm').catch(() => [])).map((kv) => [kv.key.split('/').pop() as string, kv.value]))
    : new Map<string, string>();
  for (const e of state.engines) {
    const up = await dockerPing(e.dockerHost);
    rows.push({
      component: 'engine',
      name: e.name,
      address: `tcp://${e.addr}`,
      state: `${up ? 'up' : 'DOWN'}${swarm.has(e.addr) ? ', joined' : ''}  ${formatLabels(e.labels)}`,
    });
    for (const role of ['registrator', 'join'])
      if (proc(`${role}-${e.name}`))
        rows.push({ component: `  ${role}`, name: e.name, address: '', state: procState(`${role}-${e.name}`) });
  }
  if (state.manager) {
    const ok = await dockerPing(state.manager);
    const view = ok ? await managerView(state.manager) : undefined;
    rows.push({
      component: 'manager',
      name: 'shoal manage',
      address: state.manager,
      state: `${ok ? 'up' : 'DOWN'}${view ? `, ${view.nodes.length} node(s)` : ''}  ${procState('manage')}`,
    });
  }
  if (state.edge) {
    rows.push({
      component: 'edge',
      name: state.edge.proxy,
      address: state.edge.url,
      state: procState(state.edge.proxy),
    });
    rows.push({ component: '  render', name: 'shoal render', address: state.edge.config, state: procState('render') });
  }
  const lines = [table(['component', 'name', 'address', 'state'], rows)];
  if (state.manager) lines.push('', `docker:  DOCKER_HOST=${state.manager} docker ps`);
  if (state.edge) lines.push(`edge:    curl -H 'Host: <service>.local' ${state.edge.url}/`);
  return lines.join('\n');
}

/** `shoal status`: the table, then the services the store holds and the nodes the manager reports. */
export async function statusReport(state: UpState, store: Store | undefined): Promise<string> {
  const out = [await clusterTable(state, store)];
  if (store) {
    const services = await store.list('services').catch(() => []);
    out.push('', `services in the store (${keyPath(state.prefix, 'services')}):`);
    out.push(
      services.length
        ? table(
            ['key', 'value'],
            services.map((kv) => ({ key: keyPath(state.prefix, kv.key), value: kv.value })),
          )
        : '  (none)',
    );
  }
  if (state.manager) {
    const view = await managerView(state.manager);
    out.push('', 'nodes as the manager sees them:');
    out.push(
      view.error
        ? `  (manager: ${view.error})`
        : view.nodes.length
          ? table(
              ['node', 'address', 'status', 'containers'],
              view.nodes.map((n) => ({ node: n.name, address: n.addr, status: n.status, containers: n.containers })),
            )
          : '  (none)',
    );
  }
  return out.join('\n');
}
