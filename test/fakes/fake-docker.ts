/**
 * A Docker engine in memory for unit tests of the registrator: containers are plain ContainerInfo values
 * the test sets; the event stream yields what `emit` pushes. `emit` resolves once the consumer has taken
 * every pushed item and asked for the next one, i.e. has handled them.
 */
import type { ContainerInfo } from '../../agents/docker/container.js';
import type { ContainerListing } from '../../agents/docker/source.js';
import type { EventItem } from '../../agents/docker/events.js';

export class FakeDocker {
  readonly containers = new Map<string, ContainerInfo>();
  readonly calls = { info: 0, list: 0, inspect: 0, events: 0 };
  /** Event streams open now. */
  listeners = 0;
  private queue: EventItem[] = [];
  private wake: (() => void) | undefined;
  private drained: (() => void)[] = [];
  private subscribed: (() => void)[] = [];

  constructor(readonly name = 'fakehost') {}

  async info() {
    this.calls.info += 1;
    return { name: this.name };
  }

  async listContainers(): Promise<ContainerListing[]> {
    this.calls.list += 1;
    return [...this.containers.values()].map((c) => ({ id: c.id, name: c.name, state: c.state }));
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    this.calls.inspect += 1;
    return this.containers.get(id);
  }

  async *events(signal: AbortSignal): AsyncGenerator<EventItem> {
    this.calls.events += 1;
    this.listeners += 1;
    for (const s of this.subscribed.splice(0)) s();
    try {
      while (!signal.aborted) {
        const item = this.queue.shift();
        if (item !== undefined) {
          yield item;
          continue;
        }
        for (const d of this.drained.splice(0)) d();
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    } finally {
      this.listeners -= 1;
    }
  }

  /** Resolves once an event stream is open. */
  subscribedOnce(): Promise<void> {
    if (this.listeners > 0) return Promise.resolve();
    return new Promise((resolve) => this.subscribed.push(resolve));
  }

  /** Push items to the open stream; resolves once they have been handled. */
  emit(...items: EventItem[]): Promise<void> {
    this.queue.push(...items);
    const handled = new Promise<void>((resolve) => this.drained.push(resolve));
    const w = this.wake;
    this.wake = undefined;
    w?.();
    return handled;
  }

  /** A container event as the engine sends it. */
  static event(action: string, id: string): EventItem {
    return { kind: 'event', event: { type: 'container', action, detail: undefined, id, attributes: {}, timeNano: 0 } };
  }
}
