/** The Registrator's inputs and outputs as plain types: the engine calls it makes, its options, stats and passes. */
import type { ContainerInfo } from '../docker/container.js';
import type { ContainerListing } from '../docker/source.js';
import type { EventItem } from '../docker/events.js';
import type { DecideOptions } from './decide.js';
import type { ServiceOptions } from './services-for.js';

export interface DockerSource {
  listContainers(all?: boolean): Promise<ContainerListing[]>;
  inspect(id: string): Promise<ContainerInfo | undefined>;
  events(signal: AbortSignal): AsyncIterable<EventItem>;
}

export interface RegistratorOptions extends ServiceOptions, DecideOptions {
  cleanup: boolean;
  retryIntervalMs: number;
  /** Containers inspected / entries written in parallel. */
  concurrency?: number;
  /**
   * Once the engine's event stream has been down this long, delete this host's entries: a crashed dockerd
   * must not stay routable because its registrator keeps the lease alive. The reconnect resync puts back
   * whatever runs again. 0 or absent: never.
   */
  withdrawAfterMs?: number;
}

export interface RegistratorStats {
  fullSyncs: number;
  containerSyncs: number;
  puts: number;
  deletes: number;
  errors: number;
  events: number;
  reconnects: number;
}

/** One pass of the loop: what it did and whether it succeeded. */
export interface Pass {
  kind: 'full' | 'containers' | 'withdraw';
  ok: boolean;
}
