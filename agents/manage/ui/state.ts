/**
 * The stored state the cluster view shows, read from watch snapshots: swarm mode's cluster document, node,
 * service and task records (the keys under `docker/swarm/mode`), and the edge's routes (the registrator's keys
 * in the --ui-routes store, parsed as `shoal render` does). Unreadable values are skipped, as the API does. Pure.
 */
import type { KV } from '../../store/store.js';
import { parseEntries, type Model } from '../../render/model.js';
import { CLUSTER_KEY, NODES_PREFIX } from '../swarm/layout.js';
import { parseClusterDoc } from '../swarm/cluster.js';
import { parseNodeRecord, type NodeRecord } from '../swarm/nodes.js';
import { SERVICES_PREFIX, TASKS_PREFIX, serviceKey, taskKey } from '../orchestrator/store.js';
import { parseServiceRecord, parseTaskRecord, type Service } from '../orchestrator/records.js';
import type { TaskRecord } from '../services/model.js';

export interface ModeState {
  /** False: no `docker swarm init` yet (the cluster is classic engines only). */
  active: boolean;
  nodes: NodeRecord[];
  services: Service[];
  tasks: TaskRecord[];
}

export function modeState(entries: readonly KV[]): ModeState {
  const doc = parseClusterDoc(entries.find((kv) => kv.key === CLUSTER_KEY)?.value);
  if (!doc) return { active: false, nodes: [], services: [], tasks: [] };
  const nodes: NodeRecord[] = [];
  const services: Service[] = [];
  const tasks: TaskRecord[] = [];
  for (const kv of entries) {
    if (kv.key.startsWith(`${NODES_PREFIX}/`)) {
      const rec = parseNodeRecord(kv.value);
      if (rec && rec.cluster === doc.id && kv.key === `${NODES_PREFIX}/${rec.addr}`) nodes.push(rec);
    } else if (kv.key.startsWith(`${SERVICES_PREFIX}/`)) {
      const s = parseServiceRecord(kv.value);
      if (s && kv.key === serviceKey(s.rec.id)) services.push(s);
    } else if (kv.key.startsWith(`${TASKS_PREFIX}/`)) {
      const t = parseTaskRecord(kv.value);
      if (t && kv.key === taskKey(t.id)) tasks.push(t);
    }
  }
  return { active: true, nodes, services, tasks };
}

/** The routes model of the routes store's keys (`<name>-<port>/<host>:<container>:<port>`), as render sees them. */
export function routesModel(entries: readonly KV[]): Model {
  return parseEntries(entries);
}
