/** Sweeps the per-node bridges of removed cluster networks every few seconds, on the leader only. */
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Bridges } from './bridges.js';

export class BridgeJanitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly bridges: Bridges,
    private readonly cluster: Cluster,
    private readonly isLeader: () => boolean,
    private readonly log: Logger,
    private readonly intervalMs = 3000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
  }

  kick(): void {
    if (!this.isLeader() || this.running) return;
    const clients = this.cluster.healthy().map((n) => n.client);
    this.running = this.bridges
      .sweep(clients)
      .catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'cluster network: sweep failed'))
      .finally(() => (this.running = undefined));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
