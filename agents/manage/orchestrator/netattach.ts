/**
 * The orchestrator's network step for a task container: before the create, the bridges of the task's cluster
 * networks are made on its node and the body joins the first; after it, the container is connected to the rest.
 */
import type { DockerClient } from '../../docker/client.js';
import { engineAttachments, withFirstNetwork, type EngineAttachment } from '../networks/attach.js';
import type { Bridges } from '../networks/bridges.js';
import type { NetworkStore } from '../networks/store.js';
import type { ServiceSpec } from '../services/types.js';

export interface TaskNetworksOptions {
  store: NetworkStore;
  bridges: Bridges;
}

export class TaskNetworks {
  constructor(private readonly o: TaskNetworksOptions) {}

  /** The create body joined to the task's first network, with the bridges made; `rest` to connect after. */
  async prepare(
    c: DockerClient,
    spec: ServiceSpec,
    body: Record<string, unknown>,
  ): Promise<{ body: Record<string, unknown>; rest: EngineAttachment[] }> {
    if (!spec.TaskTemplate.Networks?.length) return { body, rest: [] };
    const atts = engineAttachments(spec, await this.o.store.list());
    for (const a of atts) await this.o.bridges.ensure(c, a.network);
    return { body: withFirstNetwork(body, atts[0]), rest: atts.slice(1) };
  }

  async connectRest(c: DockerClient, containerId: string, rest: readonly EngineAttachment[]): Promise<void> {
    for (const a of rest) await this.o.bridges.connect(c, a.network.name, containerId, a.aliases);
  }
}
