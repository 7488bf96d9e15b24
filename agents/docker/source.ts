/**
 * What the host agents read from their engine, as plain values: the container listing, each container
 * mapped once by container.ts, and the event stream.
 */
import type { DockerClient } from './client.js';
import { toContainerInfo, type ContainerInfo } from './container.js';
import type { EventItem } from './events.js';

export interface ContainerListing {
  id: string;
  /** Without the leading `/`. */
  name: string;
  state: string;
}

export interface ContainerSource {
  listContainers(all?: boolean): Promise<ContainerListing[]>;
  /** undefined when the container no longer exists. */
  inspect(id: string): Promise<ContainerInfo | undefined>;
  events(signal: AbortSignal): AsyncIterable<EventItem>;
}

export function containerSource(client: DockerClient): ContainerSource {
  return {
    listContainers: async (all = false) =>
      (await client.listContainers({ all })).map((c) => ({
        id: c.Id,
        name: (c.Names?.[0] ?? '').replace(/^\//, ''),
        state: c.State ?? '',
      })),
    inspect: async (id) => {
      const raw = await client.inspectContainer(id);
      return raw === undefined ? undefined : toContainerInfo(raw);
    },
    events: (signal) => client.events(signal),
  };
}
