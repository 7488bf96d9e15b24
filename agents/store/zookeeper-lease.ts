/**
 * Leases and locks for the ZooKeeper backend, each on a session of its own whose timeout is the TTL.
 * A lease holds EPHEMERAL nodes; when its session expires (an outage longer than the TTL) it emits `lost`,
 * opens a new session, re-creates every node and emits `restored`. A lock is an EPHEMERAL node created
 * exclusively at the key; waiters set an exists-watch and retry when it is deleted.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../common/errors.js';
import { sleep } from '../common/backoff.js';
import { retry } from '../common/retry.js';
import type { Lock, LockEvents, LockOptions } from './store.js';
import { CreateMode, ZK, ZkConn, isZk } from './zookeeper-conn.js';
import type { Owner } from './base.js';
import { KeptLease } from './kept-lease.js';
import { waitForLock } from './lock-wait.js';

/** What leases and locks need of the ZooKeeper store (ZookeeperStore implements it). */
export interface ZkHost extends Owner {
  readonly log: Logger;
  readonly connectString: string;
  readonly opts: { timeoutMs: number };
  /** The znode path of a logical key; validates it (throws StoreKeyError). */
  path(key: string): string;
  /** Create `path` on `conn`, creating missing parents (persistent, empty) first. */
  createWithParents(conn: ZkConn, path: string, data: Buffer, mode: number): Promise<void>;
  /** Remove the parents of `path` that are now empty, up to the prefix. Best effort. */
  pruneParents(path: string): Promise<void>;
}

/** The harness and ZooKeeper defaults allow session timeouts between 2 and 20 ticks; ask within 1-60 s. */
function sessionMs(ttlMs: number): number {
  return Math.min(60_000, Math.max(1000, Math.round(ttlMs)));
}

const ignoreNoNode = (err: unknown) => {
  if (!isZk(err, ZK.noNode)) throw err;
};

/** Create an ephemeral node of `conn`'s session at `path`, taking it over from an older session. */
async function putEphemeral(store: ZkHost, conn: ZkConn, path: string, value: string): Promise<void> {
  const data = Buffer.from(value, 'utf8');
  try {
    return await store.createWithParents(conn, path, data, CreateMode.EPHEMERAL);
  } catch (err) {
    if (!isZk(err, ZK.nodeExists)) throw err;
  }
  const { stat } = await conn.getData(path);
  if (stat.ephemeralOwner.equals(conn.sessionId())) return conn.setData(path, data, stat.version);
  await conn.remove(path, stat.version).catch(ignoreNoNode);
  await store.createWithParents(conn, path, data, CreateMode.EPHEMERAL);
}

export class ZkLease extends KeptLease {
  protected override readonly rememberAfterWrite = true;
  private conn: ZkConn;
  private released = false;
  private lost = false;

  constructor(
    private readonly store: ZkHost,
    readonly ttlMs: number,
  ) {
    super();
    this.conn = this.session();
  }

  private session(): ZkConn {
    const conn = new ZkConn(this.store.connectString, sessionMs(this.ttlMs), this.store.opts.timeoutMs);
    conn.on('expired', () => void this.renew(conn));
    return conn;
  }

  protected get ended(): boolean {
    return this.released;
  }

  protected checkKey(): void {} // write() checks it (store.path), before the key is remembered

  protected async write(key: string, value: string): Promise<void> {
    await putEphemeral(this.store, this.conn, this.store.path(key), value);
  }

  protected async remove(key: string): Promise<void> {
    const path = this.store.path(key);
    await this.conn.remove(path).catch(ignoreNoNode);
    await this.store.pruneParents(path);
  }

  protected stopKeeping(): void {
    this.released = true;
    this.store.untrack(this);
  }

  protected override async dropOwner(): Promise<void> {
    this.conn.close(); // closing the session removes whatever is left
  }

  /**
   * The session expired: its nodes are gone. Unlike the base loop, one new session is opened per loss (not
   * per attempt) and the loop stops once a newer session replaced it; re-create the nodes until it works.
   */
  private async renew(old: ZkConn): Promise<void> {
    if (this.released || old !== this.conn) return;
    old.close();
    // one `lost` per loss: a new session that cannot connect either is replaced without another one
    if (!this.lost) {
      this.lost = true;
      const err = new StoreUnavailableError('zookeeper lease session expired; re-creating its nodes');
      this.store.log.warn({ keys: this.keys() }, err.message);
      this.emit('lost', err);
    }
    const conn = (this.conn = this.session());
    const current = () => !this.released && conn === this.conn && !conn.expired;
    const attempt = async (): Promise<void> => {
      if (!current()) return;
      for (const [k, v] of [...this.held]) await putEphemeral(this.store, conn, this.store.path(k), v);
      this.lost = false;
      this.emit('restored');
    };
    const quiet = () => {};
    const opts = { initialMs: 200, maxMs: 3000, what: 'zookeeper lease restore', isRetryable: current, onRetry: quiet };
    await retry(attempt, opts).catch(quiet);
  }

  /** Unlike the base: keys first (errors other than NoNode propagate), then the session, always. */
  override async release(): Promise<void> {
    if (this.released) return;
    this.stopKeeping();
    try {
      for (const k of this.keys()) await this.remove(k);
    } finally {
      this.held.clear();
      await this.dropOwner();
    }
  }
}

export class ZkLock extends EventEmitter<LockEvents> implements Lock {
  private holding = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ZkHost,
    private readonly conn: ZkConn,
    readonly key: string,
    private readonly ttlMs: number,
  ) {
    super();
    conn.on('expired', () => this.lose(new StoreUnavailableError(`zookeeper lock ${key}: session expired`)));
    // disconnected for a whole session timeout: the server has (or will have) dropped the node
    conn.on('disconnected', () => {
      this.timer ??= setTimeout(
        () => this.lose(new StoreUnavailableError(`zookeeper lock ${key}: disconnected for ${ttlMs} ms`)),
        sessionMs(ttlMs),
      );
    });
    conn.on('connected', () => {
      clearTimeout(this.timer);
      this.timer = undefined;
    });
  }

  get held(): boolean {
    return this.holding;
  }

  private lose(err: Error): void {
    clearTimeout(this.timer);
    if (!this.holding) return;
    this.holding = false;
    this.emit('lost', err);
  }

  async release(): Promise<void> {
    clearTimeout(this.timer);
    this.store.untrack(this);
    try {
      if (this.holding && !this.conn.closed) {
        this.holding = false;
        const path = this.store.path(this.key);
        await this.conn.remove(path).catch(ignoreNoNode);
        await this.store.pruneParents(path);
      }
    } finally {
      this.holding = false;
      this.conn.close();
    }
  }
}

/** Create the lock node exclusively; while another session holds it, wait for its deletion. */
export async function acquireZkLock(store: ZkHost, key: string, value: string, opts: LockOptions): Promise<ZkLock> {
  const open = () => new ZkConn(store.connectString, sessionMs(opts.ttlMs), store.opts.timeoutMs);
  let conn = open();
  const path = store.path(key);
  const signal = opts.signal;
  return waitForLock(
    'zookeeper',
    key,
    signal,
    async (progress) => {
      if (conn.expired) {
        conn.close(); // the session ended while we waited: wait on a new one
        conn = open();
      }
      try {
        await store.createWithParents(conn, path, Buffer.from(value, 'utf8'), CreateMode.EPHEMERAL);
        return new ZkLock(store, conn, key, opts.ttlMs);
      } catch (err) {
        if (!isZk(err, ZK.nodeExists)) throw err;
      }
      progress();
      opts.onWaiting?.();
      let deleted!: () => void;
      const gone = new Promise<void>((r) => (deleted = r));
      const until = AbortSignal.any([...(signal ? [signal] : []), abortOn(gone)]);
      if (await conn.exists(path, () => deleted())) await sleep(30_000, until).catch(() => {});
      return undefined;
    },
    () => conn.close(),
  );
}

/** An AbortSignal that fires when `p` settles (to cut a sleep short). */
function abortOn(p: Promise<void>): AbortSignal {
  const ac = new AbortController();
  void p.then(() => ac.abort());
  return ac.signal;
}
