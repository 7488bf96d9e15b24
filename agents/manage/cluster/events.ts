/**
 * One engine's `/events` stream, reduced to what the cache needs: which container changed, or that images
 * did. `cacheEvent` is pure; `followEngineEvents` resolves when the stream ends (true) or fails (false).
 */
import type { DockerClient } from '../../docker/client.js';
import { jsonLines, parseEvent } from '../../docker/events.js';

export type CacheEvent = { kind: 'container'; id: string } | { kind: 'image' };

/** Events that do not change what the cache holds (exec, attach, top, resize...) give nothing. */
const NOISE = /^(exec_|attach|detach|top|resize|export|copy|archive-path|extract-to-dir|commit|health_status)/;

/** One decoded event line. */
export function cacheEvent(raw: unknown): CacheEvent | undefined {
  const ev = parseEvent(raw);
  if (!ev) return undefined;
  if (ev.type === 'image') return { kind: 'image' };
  if (ev.type === 'container' && ev.id && !NOISE.test(ev.action)) return { kind: 'container', id: ev.id };
  return undefined;
}

type OnEvent = (e: CacheEvent) => void;

export async function followEngineEvents(client: DockerClient, signal: AbortSignal, onEvent: OnEvent) {
  let stream;
  try {
    stream = await client.openEvents({ type: ['container', 'image'] }, signal);
  } catch {
    return false;
  }
  try {
    for await (const raw of jsonLines(stream)) {
      const e = cacheEvent(raw);
      if (e) onEvent(e);
    }
    return true;
  } catch {
    return false;
  } finally {
    stream.destroy();
  }
}
