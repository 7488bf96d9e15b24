/**
 * Store on the legacy etcd v2 keys API (`etcd2://HOST[:2379][,HOST2...]/PREFIX`), for clusters that old
 * registrator/swarm wrote. Keys are paths `/<prefix>/<key>`, each segment escaped for what v2 cannot hold.
 *
 * Talks HTTP directly (etcd2-http.ts) rather than through node-etcd 7: node-etcd sits on the deprecated
 * `request` library and a native `deasync` addon, retries connection errors itself with its own sleeps (so
 * a per-operation timeout cannot be honoured) and folds every failure into "All servers returned error", which
 * hides the refused/timeout/auth distinction the typed errors need. The v2 API is a handful of plain requests.
 */
import { StoreError } from '../common/errors.js';
import { escapeSegment, keySegments, relativeKey, sortKVs, unescapeSegment } from './keys.js';
import { StoreBase } from './base.js';
import type { KV, Lease, Lock, LockOptions, Snapshot, Store, StoreOptions, WatchOptions } from './store.js';
import { formatStoreUri, type StoreUri } from './uri.js';
import { V2, V2Client, type V2Node, type V2Response } from './etcd2-http.js';
import { Etcd2Lease, POLL_MS, acquireEtcd2Lock, quietPoll, type Etcd2Host } from './etcd2-lease.js';

/** What a v2 key segment may hold unescaped; `%` and everything else is percent-escaped. */
const SAFE = /[A-Za-z0-9_.:@=+,~-]/;

/** Escape one segment; a leading `_` is escaped too, since v2 hides such keys from listings. */
export function escapeEtcd2Segment(seg: string): string {
  const e = escapeSegment(seg, SAFE);
  return e.startsWith('_') ? `%5F${e.slice(1)}` : e;
}

export class Etcd2Store extends StoreBase implements Store, Etcd2Host {
  readonly kind = 'etcd2';
  readonly http: V2Client;
  private readonly prefixSegs: string[];

  constructor(
    uri: StoreUri,
    readonly opts: StoreOptions,
  ) {
    super(formatStoreUri(uri), opts.logger);
    this.http = new V2Client(uri.hosts, opts, uri.params.tls === 'true');
    this.prefixSegs = uri.prefix === '' ? [] : uri.prefix.split('/');
  }

  /** The v2 path (`/<prefix>/<escaped key>`) of a logical key, URL-encoded for the request line. */
  keyPath(key: string, allowEmpty = false): string {
    const segs = [...this.prefixSegs.map(escapeEtcd2Segment), ...keySegments(key, allowEmpty).map(escapeEtcd2Segment)];
    return `/v2/keys/${segs.map(encodeURIComponent).join('/')}`;
  }

  /** The logical key of a v2 node key, or undefined when it is not below the store prefix. */
  logicalKey(nodeKey: string): string | undefined {
    const full = nodeKey.replace(/^\/+/, '');
    const rel = relativeKey(this.prefixSegs.map(escapeEtcd2Segment).join('/'), full);
    if (rel === undefined || rel === '') return undefined;
    return rel.split('/').map(unescapeSegment).join('/');
  }

  async ping(): Promise<void> {
    await this.expect(await this.http.request('GET', this.keyPath('', true)), [V2.keyNotFound]);
  }

  async get(key: string): Promise<string | undefined> {
    const r = await this.expect(await this.http.request('GET', this.keyPath(key)), [V2.keyNotFound]);
    if (r.body.errorCode !== undefined || r.body.node?.dir) return undefined;
    return r.body.node?.value;
  }

  async list(prefix: string): Promise<KV[]> {
    return (await this.listWithIndex(prefix)).entries;
  }

  async listWithIndex(prefix: string, signal?: AbortSignal): Promise<{ entries: KV[]; index: number }> {
    const r = await this.http.request('GET', this.keyPath(prefix, true), {
      query: { recursive: true, sorted: true },
      signal,
    });
    await this.expect(r, [V2.keyNotFound]);
    const entries: KV[] = [];
    if (r.body.node && r.body.errorCode === undefined) this.flatten(r.body.node, entries);
    const segs = keySegments(prefix, true).join('/');
    return { entries: sortKVs(entries.filter((e) => segs === '' || e.key.startsWith(`${segs}/`))), index: r.etcdIndex };
  }

  private flatten(node: V2Node, out: KV[]): void {
    if (node.dir) {
      for (const child of node.nodes ?? []) this.flatten(child, out);
      return;
    }
    const key = node.key === undefined ? undefined : this.logicalKey(node.key);
    if (key !== undefined) out.push({ key, value: node.value ?? '' });
  }

  async put(key: string, value: string): Promise<void> {
    await this.expect(await this.http.request('PUT', this.keyPath(key), { form: { value } }));
  }

  async delete(key: string): Promise<void> {
    await this.expect(await this.http.request('DELETE', this.keyPath(key)), [V2.keyNotFound]);
  }

  async deleteTree(prefix: string): Promise<void> {
    const path = this.keyPath(prefix, true);
    if (path === '/v2/keys/') {
      // the root itself cannot be deleted: delete what is below it
      const r = await this.expect(await this.http.request('GET', path));
      for (const n of r.body.node?.nodes ?? []) {
        const child = `/v2/keys/${(n.key ?? '').split('/').filter(Boolean).map(encodeURIComponent).join('/')}`;
        await this.expect(await this.http.request('DELETE', child, { query: { recursive: true } }), [V2.keyNotFound]);
      }
      return;
    }
    await this.expect(await this.http.request('DELETE', path, { query: { recursive: true } }), [V2.keyNotFound]);
  }

  async cas(key: string, expected: string | undefined, value: string): Promise<boolean> {
    const form: Record<string, string | boolean> =
      expected === undefined ? { value, prevExist: false } : { value, prevValue: expected };
    const r = await this.expect(await this.http.request('PUT', this.keyPath(key), { form }), [
      V2.nodeExist,
      V2.compareFailed,
      V2.keyNotFound,
    ]);
    return r.body.errorCode === undefined;
  }

  protected newLease(ttlMs: number): Lease {
    return new Etcd2Lease(this, ttlMs);
  }

  protected acquireLock(key: string, value: string, opts: LockOptions): Promise<Lock> {
    return acquireEtcd2Lock(this, key, value, opts);
  }

  /**
   * A recursive list, then a long poll for the next change below the prefix; any change (or a cleared event
   * history, or a quiet poll) is answered with a new list, for a full, consistent snapshot.
   */
  watch(prefix: string, opts: WatchOptions = {}): AsyncIterable<Snapshot> {
    const path = this.keyPath(prefix, true);
    return this.watchWith<number>(
      {
        read: async (_, signal) => {
          const { entries, index } = await this.listWithIndex(prefix, signal);
          return { snapshot: { entries, revision: String(index) }, cursor: index };
        },
        wait: async (index, signal) => {
          const query = { wait: true, recursive: true, waitIndex: index + 1 };
          const r = await this.http.request('GET', path, { query, timeoutMs: POLL_MS, signal }).catch(quietPoll);
          const code = r?.body.errorCode;
          if (r !== undefined && code !== undefined && code !== V2.indexCleared) await this.expect(r);
          return undefined;
        },
      },
      opts,
      { initialMs: 200, maxMs: 3000 },
    );
  }

  /** Pass an answer through when it succeeded or failed with one of `allowed`; otherwise throw typed. */
  async expect(r: V2Response, allowed: number[] = []): Promise<V2Response> {
    const code = r.body.errorCode;
    if (code === undefined || allowed.includes(code)) return r;
    throw new StoreError(
      `etcd2: ${r.body.message ?? 'error'} (errorCode ${code}${r.body.index === undefined ? '' : `, index ${r.body.index}`})`,
      undefined,
      false,
    );
  }

  protected closeWire(): void {
    this.http.close();
  }
}

export async function createEtcd2Store(uri: StoreUri, opts: StoreOptions): Promise<Store> {
  return new Etcd2Store(uri, opts);
}
