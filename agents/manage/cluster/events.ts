/**
 * One engine's `/events` stream, reduced to what the cache needs: which container changed, or that images
 * did. `parseEventLine` is pure; `followEngineEvents` resolves when the stream ends (true) or fails (false).
 */
import type { EngineClient } from '../engine/client.js';

export type CacheEvent = { kind: 'container'; id: string } | { kind: 'image' };

/** Events that do not change what the cache holds (exec, attach, top, resize...) give nothing. */
const NOISE = /^(exec_|attach|detach|top|resize|export|copy|archive-path|extract-to-dir|commit|health_status)/;

export function parseEventLine(line: string): CacheEvent | undefined {
  let ev: { Type?: string; Action?: string; status?: string; id?: string; Actor?: { ID?: string } };
  try {
    ev = JSON.parse(line) as typeof ev;
  } catch {
    return undefined;
  }
  const action = ev.Action ?? ev.status ?? '';
  if (ev.Type === 'image') return { kind: 'image' };
  const id = ev.Actor?.ID ?? ev.id;
  if ((ev.Type ?? 'container') === 'container' && id && !NOISE.test(action)) return { kind: 'container', id };
  return undefined;
}

export function followEngineEvents(client: EngineClient, signal: AbortSignal, onEvent: (e: CacheEvent) => void): Promise<boolean> {
  return new Promise((resolve) => {
    const filters = encodeURIComponent(JSON.stringify({ type: ['container', 'image'] }));
    const req = client.request(client.options('GET', `/events?filters=${filters}`, {}, false));
    const onAbort = () => req.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return resolve(false);
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const e = parseEventLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (e) onEvent(e);
        }
      });
      res.on('end', () => resolve(true));
      res.on('error', () => resolve(false));
    });
    req.on('error', () => resolve(false));
    req.on('close', () => signal.removeEventListener('abort', onAbort));
    req.end();
  });
}
