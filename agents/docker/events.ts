/**
 * The engine's event stream as an async iterable that never ends on its own: when the stream breaks (dockerd
 * restarted, socket gone) it reconnects with jittered backoff and yields a `connected` item each time, so the
 * consumer can resync. Ends when the signal aborts.
 */
import { sleep } from '../common/backoff.js';
import { errorMessage } from '../common/errors.js';
import { Retrier } from '../common/retry.js';

export interface DockerEvent {
  /** `container`, `network`, `image`, ... */
  type: string;
  /** Without the `: detail` part (`health_status: healthy` -> `health_status`). */
  action: string;
  /** The detail after the colon, e.g. `healthy`. */
  detail: string | undefined;
  id: string;
  attributes: Record<string, string>;
  timeNano: number;
}

export type EventItem =
  | { kind: 'connected'; attempt: number; reconnect: boolean }
  | { kind: 'event'; event: DockerEvent }
  | { kind: 'disconnected'; error: string };

/** Opens one raw stream of newline-delimited JSON events. */
export type OpenEventStream = (signal: AbortSignal) => Promise<NodeJS.ReadableStream>;

export function parseEvent(raw: unknown): DockerEvent | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const actor = (r.Actor ?? {}) as Record<string, unknown>;
  const actionText = typeof r.Action === 'string' ? r.Action : typeof r.status === 'string' ? r.status : '';
  if (actionText === '') return undefined;
  const colon = actionText.indexOf(':');
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries((actor.Attributes ?? {}) as Record<string, unknown>))
    if (typeof v === 'string') attributes[k] = v;
  return {
    type: typeof r.Type === 'string' ? r.Type : 'container',
    action: colon < 0 ? actionText : actionText.slice(0, colon).trim(),
    detail: colon < 0 ? undefined : actionText.slice(colon + 1).trim(),
    id: typeof actor.ID === 'string' ? actor.ID : typeof r.id === 'string' ? r.id : '',
    attributes,
    timeNano: typeof r.timeNano === 'number' ? r.timeNano : 0,
  };
}

/** Feed it text chunks; it returns the complete lines, trimmed, blank ones dropped (a partial line waits for more). */
export function lineSplitter(): (chunk: string) => string[] {
  let buf = '';
  return (chunk) => {
    buf += chunk;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    return lines.map((l) => l.trim()).filter((l) => l !== '');
  };
}

/** Split a byte stream into JSON lines. */
export async function* jsonLines(stream: NodeJS.ReadableStream): AsyncGenerator<unknown> {
  const split = lineSplitter();
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    for (const line of split(typeof chunk === 'string' ? chunk : chunk.toString('utf8'))) {
      try {
        yield JSON.parse(line);
      } catch {
        // a line we cannot read is skipped; the next resync repairs anything it carried
      }
    }
  }
}

export interface EventStreamOptions {
  signal: AbortSignal;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export async function* eventStream(open: OpenEventStream, opts: EventStreamOptions): AsyncGenerator<EventItem> {
  const { signal } = opts;
  const backoff = { initialMs: opts.initialBackoffMs ?? 250, maxMs: opts.maxBackoffMs ?? 10_000 };
  // every break is reconnected (the consumer hears of it as a `disconnected` item), until the signal aborts
  const retrier = new Retrier({ ...backoff, signal, what: 'docker event stream', isRetryable: () => true });
  let connects = 0;
  while (!signal.aborted) {
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let stream: NodeJS.ReadableStream | undefined;
    let broke: unknown;
    try {
      stream = await open(ac.signal);
      retrier.progress();
      yield { kind: 'connected', attempt: connects, reconnect: connects > 0 };
      connects += 1;
      for await (const raw of jsonLines(stream)) {
        const ev = parseEvent(raw);
        if (ev) yield { kind: 'event', event: ev };
      }
      if (signal.aborted) return;
      broke = new Error('event stream ended');
    } catch (err) {
      if (signal.aborted) return;
      broke = err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      ac.abort();
      (stream as { destroy?: () => void } | undefined)?.destroy?.();
    }
    yield { kind: 'disconnected', error: errorMessage(broke) };
    try {
      await sleep(retrier.failed(broke), signal);
    } catch {
      return; // aborted
    }
  }
}
