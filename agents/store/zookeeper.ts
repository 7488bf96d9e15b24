/**
 * Store on ZooKeeper (`zk://H1[:2181],H2,H3/PREFIX`) with node-zookeeper-client (pure JS). Keys are znodes
 * `/<prefix>/<key>` (absolute paths, no chroot), one escaped name per segment, the value is the node's data.
 * Parents are created as needed (persistent, empty); a node is a key if it has data or no children; deleting
 * a key removes the auto-created parents it leaves empty, up to the prefix. Leases and locks live on their
 * own sessions (zookeeper-lease.ts). Watches walk the subtree with child and data watches on every node.
 */
import { sleep } from '../common/backoff.js';
import { escapeSegment, keySegments, sortKVs, unescapeSegment } from './keys.js';
import { StoreBase } from './base.js';
import { snapshotStream } from './snapshot-stream.js';
import { retry } from '../common/retry.js';
import { errorMessage } from '../common/errors.js';
import type { KV, Lease, Lock, LockOptions, Snapshot, Store, StoreOptions, StoreState, WatchOptions } from './store.js';
import { formatStoreUri, type StoreUri } from './uri.js';
import { CreateMode, ZK, ZkConn, isZk, type ZkWatcher } from './zookeeper-conn.js';
import { ZkLease, acquireZkLock, type ZkHost } from './zookeeper-lease.js';

/** What a znode name may hold unescaped; everything else (and `%`) is percent-escaped. */
const SAFE = /[A-Za-z0-9_.:@=+,~-]/;
/** Session timeout of the store's own session (watches, plain keys). */
const MAIN_SESSION_MS = 30_000;

export function escapeZkSegment(seg: string): string {
  return escapeSegment(seg, SAFE);
}

export class ZookeeperStore extends StoreBase implements Store, ZkHost {
  readonly kind = 'zk';
  readonly connectString: string;
  conn: ZkConn;
  readonly root: string;

  constructor(
    uri: StoreUri,
    readonly opts: StoreOptions,
  ) {
    super(formatStoreUri(uri), opts.logger);
    this.connectString = uri.hosts.map((h) => `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`).join(',');
    this.root = `/${uri.prefix.split('/').filter(Boolean).map(escapeZkSegment).join('/')}`;
    this.conn = this.connect();
  }

  /** The store's own session; a new one replaces it when it expires. */
  private connect(): ZkConn {
    const conn = new ZkConn(this.connectString, MAIN_SESSION_MS, this.opts.timeoutMs);
    let everConnected = false;
    conn.on('connected', () => {
      everConnected = true;
      this.setConnected(true);
    });
    conn.on('disconnected', () => everConnected && this.setConnected(false));
    conn.on('expired', () => {
      this.setConnected(false, new Error('session expired'));
      conn.close();
      if (!this.closed) this.conn = this.connect();
    });
    return conn;
  }

  /** The znode path of a logical key. */
  path(key: string, allowEmpty = false): string {
    const segs = keySegments(key, allowEmpty).map(escapeZkSegment);
    if (segs.length === 0) return this.root;
    return `${this.root === '/' ? '' : this.root}/${segs.join('/')}`;
  }

  private logical(path: string): string {
    const rel = this.root === '/' ? path.slice(1) : path.slice(this.root.length + 1);
    return rel.split('/').map(unescapeSegment).join('/');
  }

  async ping(): Promise<void> {
    await this.conn.exists(this.root);
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const { data, stat } = await this.conn.getData(this.path(key));
      if ((data?.length ?? 0) === 0 && stat.numChildren > 0) return undefined;
      return data?.toString('utf8') ?? '';
    } catch (err) {
      if (isZk(err, ZK.noNode)) return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<KV[]> {
    return (await this.walk(this.path(prefix, true))).entries;
  }

  /** Every key below `top`, with watches set when `watcher` is given; `revision` is the highest zxid seen. */
  async walk(top: string, watcher?: ZkWatcher): Promise<{ entries: KV[]; revision: string }> {
    const entries: KV[] = [];
    let revision: Buffer = Buffer.alloc(8);
    const visit = async (path: string): Promise<void> => {
      let children: string[];
      let node;
      try {
        [children, node] = await Promise.all([this.conn.getChildren(path, watcher), this.conn.getData(path, watcher)]);
      } catch (err) {
        if (isZk(err, ZK.noNode)) {
          if (watcher && path === top) await this.conn.exists(path, watcher); // learn when it appears
          return;
        }
        throw err;
      }
      for (const z of [node.stat.mzxid, node.stat.pzxid]) if (Buffer.compare(z, revision) > 0) revision = z;
      const data = node.data ?? Buffer.alloc(0);
      if (path !== this.root && path !== top && (data.length > 0 || children.length === 0))
        entries.push({ key: this.logical(path), value: data.toString('utf8') });
      if (path === '/') children = children.filter((c) => c !== 'zookeeper'); // the server's own tree
      await Promise.all(children.map((c) => visit(`${path === '/' ? '' : path}/${c}`)));
    };
    await visit(top);
    return { entries: sortKVs(entries), revision: revision.toString('hex') };
  }

  async put(key: string, value: string): Promise<void> {
    const path = this.path(key);
    const data = Buffer.from(value, 'utf8');
    for (let i = 0; ; i++) {
      try {
        return await this.conn.setData(path, data);
      } catch (err) {
        if (!isZk(err, ZK.noNode) || i > 2) throw err;
      }
      try {
        return await this.createWithParents(this.conn, path, data, CreateMode.PERSISTENT);
      } catch (err) {
        if (!isZk(err, ZK.nodeExists)) throw err; // created meanwhile: set it
      }
    }
  }

  /** Create `path`, creating missing parents (persistent, empty) first. NODE_EXISTS for `path` is thrown. */
  async createWithParents(conn: ZkConn, path: string, data: Buffer, mode: number): Promise<void> {
    try {
      return await conn.create(path, data, mode);
    } catch (err) {
      if (!isZk(err, ZK.noNode)) throw err;
    }
    const segs = path.split('/').filter(Boolean);
    for (let i = 1; i < segs.length; i++) {
      await conn.create(`/${segs.slice(0, i).join('/')}`, undefined, CreateMode.PERSISTENT).catch((err) => {
        if (!isZk(err, ZK.nodeExists)) throw err;
      });
    }
    await conn.create(path, data, mode);
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    try {
      await this.conn.remove(path);
    } catch (err) {
      if (isZk(err, ZK.noNode)) return;
      if (!isZk(err, ZK.notEmpty)) throw err;
      await this.conn.setData(path, Buffer.alloc(0)); // it is also a parent: keep the node, drop the key
      return;
    }
    await this.pruneParents(path);
  }

  /** Remove the parents of `path` that are now empty (no data, no children), up to the prefix. Best effort. */
  async pruneParents(path: string): Promise<void> {
    for (
      let p = path.slice(0, path.lastIndexOf('/'));
      p.length > this.root.length && p.startsWith(this.root);
      p = p.slice(0, p.lastIndexOf('/'))
    ) {
      try {
        const { data, stat } = await this.conn.getData(p);
        if (stat.numChildren > 0 || (data?.length ?? 0) > 0) return;
        await this.conn.remove(p, stat.version);
      } catch {
        return;
      }
    }
  }

  async deleteTree(prefix: string): Promise<void> {
    const top = this.path(prefix, true);
    const removeAll = async (path: string): Promise<void> => {
      let children: string[];
      try {
        children = await this.conn.getChildren(path);
      } catch (err) {
        if (isZk(err, ZK.noNode)) return;
        throw err;
      }
      await Promise.all(
        children
          .filter((c) => path !== '/' || c !== 'zookeeper')
          .map((c) => removeAll(`${path === '/' ? '' : path}/${c}`)),
      );
      if (path === '/') return;
      await this.conn.remove(path).catch((err) => {
        if (isZk(err, ZK.notEmpty)) return removeAll(path); // something was added meanwhile
        if (!isZk(err, ZK.noNode)) throw err;
      });
    };
    await removeAll(top);
    if (top !== this.root) await this.pruneParents(top);
  }

  async cas(key: string, expected: string | undefined, value: string): Promise<boolean> {
    const path = this.path(key);
    const data = Buffer.from(value, 'utf8');
    try {
      if (expected === undefined) {
        await this.createWithParents(this.conn, path, data, CreateMode.PERSISTENT);
        return true;
      }
      const cur = await this.conn.getData(path);
      if ((cur.data?.toString('utf8') ?? '') !== expected) return false;
      await this.conn.setData(path, data, cur.stat.version);
      return true;
    } catch (err) {
      if (isZk(err, ZK.nodeExists) || isZk(err, ZK.noNode) || isZk(err, ZK.badVersion)) return false;
      throw err;
    }
  }

  /**
   * A walk of the subtree that sets child and data watches on every node, then a wait for one of them to
   * fire (or for the connection to come back); the connection's own events report the store's state.
   */
  watch(prefix: string, opts: WatchOptions = {}): AsyncIterable<Snapshot> {
    const top = this.path(prefix, true);
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.closing.signal]) : this.closing.signal;
    return snapshotStream(
      async (push, stop) => {
        let dirty = true;
        let wake: (() => void) | undefined;
        const poke = () => {
          dirty = true;
          wake?.();
        };
        const onState = (s: StoreState) => s === 'restored' && poke(); // walk again on reconnect
        this.on('state', onState);
        stop.addEventListener('abort', poke, { once: true });
        const walks = async (progress: () => void): Promise<void> => {
          while (!stop.aborted) {
            if (!dirty) await new Promise<void>((r) => (wake = r));
            wake = undefined;
            if (stop.aborted) return;
            await sleep(10, stop).catch(() => {}); // let a burst of watch events settle into one walk
            dirty = false;
            push(await this.walk(top, poke));
            progress();
          }
        };
        const onRetry = (err: unknown) => {
          dirty = true;
          this.log.debug({ err: errorMessage(err) }, 'zookeeper watch walk failed; keeping the last snapshot');
        };
        const backoff = { initialMs: 200, maxMs: 3000 };
        const what = 'zookeeper watch';
        await retry(walks, { ...backoff, signal: stop, what, isRetryable: () => true, onRetry }).catch(() => {});
        this.off('state', onState);
      },
      { signal, coalesceMs: opts.coalesceMs },
    );
  }

  /** Leases and locks hold their own ZooKeeper sessions (ephemeral nodes), apart from the store's connection. */
  protected newLease(ttlMs: number): Lease {
    return new ZkLease(this, ttlMs);
  }

  protected acquireLock(key: string, value: string, opts: LockOptions): Promise<Lock> {
    return acquireZkLock(this, key, value, opts);
  }

  protected closeWire(): void {
    this.conn.close();
  }
}

export async function createZookeeperStore(uri: StoreUri, opts: StoreOptions): Promise<Store> {
  return new ZookeeperStore(uri, opts);
}
