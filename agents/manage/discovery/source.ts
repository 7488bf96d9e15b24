/**
 * Discovery sources: each yields the full list of engine addresses, once at start and again on change.
 * One function per kind; `discoveryWatch` picks by the parsed URI.
 */
import { readFile, watch as fsWatch } from 'node:fs/promises';
import type { Logger } from '../../common/log.js';
import { sleep } from '../../common/backoff.js';
import { errorMessage } from '../../common/errors.js';
import { openStore } from '../../store/open.js';
import type { StoreOptions } from '../../store/store.js';
import { parseDiscovery, parseNodeFile, parseSwarmEntries } from './parse.js';

export interface DiscoveryContext {
  log: Logger;
  signal: AbortSignal;
  heartbeatMs: number;
  storeOptions: StoreOptions;
}

export function discoveryWatch(text: string, ctx: DiscoveryContext): AsyncIterable<string[]> {
  const d = parseDiscovery(text);
  if (d.kind === 'nodes') return staticNodes(d.addrs);
  if (d.kind === 'file') return fileNodes(d.path, ctx);
  return storeNodes(d.uri, ctx);
}

async function* staticNodes(addrs: string[]): AsyncIterable<string[]> {
  yield addrs;
}

/** Re-read on every change notification and every heartbeat; a bad or missing file keeps the last list. */
async function* fileNodes(path: string, ctx: DiscoveryContext): AsyncIterable<string[]> {
  let last = '';
  const changed = { flag: true };
  (async () => {
    try {
      for await (const _ of fsWatch(path, { signal: ctx.signal })) changed.flag = true;
    } catch {
      // the file may not exist yet: the heartbeat re-read still covers it
    }
  })();
  let tick = 0;
  while (!ctx.signal.aborted) {
    try {
      const addrs = parseNodeFile(await readFile(path, 'utf8'));
      const key = addrs.join(',');
      if (key !== last) {
        last = key;
        yield addrs;
      }
    } catch (err) {
      ctx.log.warn({ path, err: errorMessage(err) }, 'discovery file unreadable; keeping the last list');
    }
    changed.flag = false;
    // poll the change flag every 200 ms; re-read anyway every heartbeat
    for (tick = 0; !changed.flag && tick * 200 < ctx.heartbeatMs; tick++) {
      try {
        await sleep(200, ctx.signal);
      } catch {
        return;
      }
    }
  }
}

async function* storeNodes(uri: string, ctx: DiscoveryContext): AsyncIterable<string[]> {
  const store = await openStore(uri, ctx.storeOptions);
  try {
    let warned = '';
    for await (const snap of store.watch('', { signal: ctx.signal })) {
      const { addrs, skipped } = parseSwarmEntries(snap.entries);
      // once per distinct set of bad keys, not on every change
      if (skipped.join('\n') !== warned) {
        warned = skipped.join('\n');
        if (skipped.length > 0)
          ctx.log.warn(
            { keys: skipped.slice(0, 20), count: skipped.length },
            'discovery: skipping store entries that name no host:port',
          );
      }
      yield addrs;
    }
  } finally {
    await store.close().catch(() => {});
  }
}
