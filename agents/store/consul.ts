/**
 * Consul KV backend (npm `consul`, HTTP API v1). Keys are `PREFIX/key` without a leading slash; each segment
 * of a logical key is percent-escaped outside a URL-path-safe set, so anything round-trips unchanged.
 * Leases and locks are Consul sessions (Behavior=delete, LockDelay 0) holding keys with `acquire`; watch()
 * is a blocking-query loop with Consul's index rules (`nextConsulIndex`).
 */
import { EventEmitter } from 'node:events';
import Consul from 'consul';
import { AbortedError, StoreError, StoreUnavailableError, errorMessage } from '../common/errors.js';
import { escapeSegment, keySegments, relativeKey, sortKVs, unescapeSegment } from './keys.js';
import { StoreBase } from './base.js';
import type { KV, Lease, Lock, LockOptions, Snapshot, Store, StoreOptions, WatchOptions } from './store.js';
import { formatStoreUri, type StoreUri } from './uri.js';
import { ConsulLease, ConsulLock, type SessionApi } from './consul-session.js';
import { consistentRead, consulWatchStep, nextConsulIndex } from './consul-index.js';
import { consulError, sessionTtlBounds, statusOf } from './consul-error.js';

export { consulError, nextConsulIndex, sessionTtlBounds };

/** Characters a key segment may hold as they are; everything else (and `%`) is percent-escaped. */
const SAFE = /^[A-Za-z0-9._~:@=+,-]$/;
/** How long one blocking query waits on the server before it returns unchanged. */
const WAIT_MS = 30_000;

const sessionBody = (name: string, ttlMs: number) => ({ name, ttl: `${ttlMs}ms`, behavior: 'delete', lockdelay: '0s' });

interface Entry {
  Key: string;
  Value: string | null;
  ModifyIndex: number;
  Session?: string;
}
interface Answer<T> {
  body: T | undefined;
  index: number;
}
type Call = (opts: Record<string, unknown>) => Promise<unknown>;

/** A path parameter the client must not encode again: we encode each segment ourselves. */
function rawPath(full: string): object {
  return Object.assign(new String(full.split('/').map(encodeURIComponent).join('/')), { encode: false });
}

export class ConsulStore extends StoreBase implements Store, SessionApi {
  readonly kind = 'consul';
  /** One client per host of the URI; calls go to `current` and move on to the next host when it is unreachable. */
  private readonly clients: Consul[];
  private current = 0;
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(uri: StoreUri, opts: StoreOptions) {
    const secure = opts.tls !== undefined || uri.params.tls === 'true' || uri.params.scheme === 'https';
    super(formatStoreUri({ ...uri, scheme: secure ? 'consul+https' : 'consul' }), opts.logger);
    const tls = opts.tls
      ? { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key, rejectUnauthorized: opts.tls.insecure !== true }
      : {};
    this.clients = uri.hosts.map(
      (host) =>
        new Consul({
          host: host.host,
          port: host.port,
          secure,
          ...tls,
          ...(opts.token ? { defaults: { token: opts.token } } : {}),
        } as never),
    );
    this.prefix = uri.prefix;
    this.timeoutMs = opts.timeoutMs;
  }

  private get client(): Consul {
    return this.clients[this.current] as Consul;
  }

  /**
   * One HTTP call with a timeout, cancellation and typed errors; returns the body and X-Consul-Index. When
   * the URI names several hosts (agents or servers of one cluster), a host that cannot be reached hands the
   * call to the next one, which then stays current.
   */
  async call<T>(
    what: string,
    fn: Call,
    opts: Record<string, unknown>,
    ctl: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<Answer<T>> {
    for (let tried = 1; ; tried++) {
      try {
        return await this.callOnce<T>(what, fn, opts, ctl);
      } catch (err) {
        if (!(err instanceof StoreUnavailableError) || tried >= this.clients.length || this.closing.signal.aborted)
          throw err;
        const from = this.current;
        this.current = (this.current + 1) % this.clients.length;
        this.log.warn(
          { err: errorMessage(err), from, to: this.current },
          'consul host unreachable; trying the next one',
        );
      }
    }
  }

  private async callOnce<T>(
    what: string,
    fn: Call,
    opts: Record<string, unknown>,
    ctl: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<Answer<T>> {
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const signal = ctl.signal ? AbortSignal.any([ctl.signal, this.closing.signal]) : this.closing.signal;
    if (signal.aborted) throw new AbortedError(`consul ${what}: aborted`);
    const onAbort = () => ctx.emit('cancel');
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const [res, body] = (await fn({ ...opts, ctx, timeout: ctl.timeoutMs ?? this.timeoutMs })) as [
        { headers: Record<string, string> },
        T | undefined,
      ];
      return { body, index: Number(res.headers['x-consul-index'] ?? NaN) };
    } catch (err) {
      throw consulError(err, what);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The Consul key of a logical key (`allowEmpty` for prefixes: '' is the store prefix itself). */
  fullKey(key: string, allowEmpty = false): string {
    const segs = keySegments(key, allowEmpty).map((s) => escapeSegment(s, SAFE));
    return [...(this.prefix ? [this.prefix] : []), ...segs].join('/');
  }

  private logicalKey(full: string): string | undefined {
    const rel = relativeKey(this.prefix, full);
    if (rel === undefined || rel === '') return undefined;
    const segs = rel.split('/');
    if (segs.some((s) => s === '')) return undefined; // a "folder" entry, not a key
    return segs.map(unescapeSegment).join('/');
  }

  /** Resolved at each call: the current host may change between attempts. */
  private kv(name: 'get' | 'set' | 'del' | 'keys'): Call {
    return (o) => {
      const kv = this.client.kv as unknown as Record<string, Call>;
      return kv[name]!.call(kv, o);
    };
  }

  private session(name: 'create' | 'destroy' | 'renew'): Call {
    return (o) => {
      const s = this.client.session as unknown as Record<string, Call>;
      return s[name]!.call(s, o);
    };
  }

  async ping(): Promise<void> {
    const { body } = await this.call<string>(
      'ping',
      (o) => {
        const st = this.client.status as unknown as Record<string, Call>;
        return st.leader!.call(st, o);
      },
      {},
    );
    if (!body) throw new StoreUnavailableError('consul ping: the cluster has no leader');
    // the leader answers any token: reading the prefix's top level makes Consul check ours (404: empty)
    const full = this.fullKey('', true);
    const top = { key: rawPath(full === '' ? '' : `${full}/`), separator: '/' };
    await this.call('ping', this.kv('keys'), top).catch((err) => {
      if (statusOf(err) !== 404) throw err;
    });
  }

  async getEntry(key: string, ctl: { index?: number; signal?: AbortSignal } = {}): Promise<Answer<Entry>> {
    const blocking = ctl.index !== undefined && ctl.index > 0;
    const opts = {
      key: rawPath(this.fullKey(key)),
      ...(blocking ? { index: String(ctl.index), wait: `${WAIT_MS}ms` } : {}),
    };
    return this.call<Entry>('get', this.kv('get'), opts, {
      signal: ctl.signal,
      timeoutMs: blocking ? WAIT_MS * 1.1 + this.timeoutMs : this.timeoutMs,
    });
  }

  async get(key: string): Promise<string | undefined> {
    const { body } = await this.getEntry(key);
    return body ? (body.Value ?? '') : undefined;
  }

  /** Everything below `prefix`, plus the index to block on next; 404 is a confirmed empty prefix. */
  async listAt(
    prefix: string,
    ctl: { index?: number; signal?: AbortSignal; consistent?: boolean } = {},
  ): Promise<{ entries: KV[]; index: number }> {
    const full = this.fullKey(prefix, true);
    const blocking = ctl.index !== undefined && ctl.index > 0;
    const opts = {
      key: rawPath(full === '' ? '' : `${full}/`),
      recurse: true,
      ...(blocking ? { index: String(ctl.index), wait: `${WAIT_MS}ms` } : {}),
      ...(ctl.consistent ? { consistent: true } : {}),
    };
    const { body, index } = await this.call<Entry[]>('list', this.kv('get'), opts, {
      signal: ctl.signal,
      timeoutMs: blocking ? WAIT_MS * 1.1 + this.timeoutMs : this.timeoutMs,
    });
    const entries: KV[] = [];
    for (const e of body ?? []) {
      const key = this.logicalKey(e.Key);
      if (key === undefined) {
        if (!e.Key.endsWith('/')) this.log.warn({ key: e.Key }, 'skipping a key that is not below the prefix');
        continue;
      }
      entries.push({ key, value: e.Value ?? '' });
    }
    return { entries: sortKVs(entries), index };
  }

  async list(prefix: string): Promise<KV[]> {
    return (await this.listAt(prefix)).entries;
  }

  /** PUT a key; `extra` carries cas/acquire. Returns Consul's true/false answer. */
  async set(key: string, value: string, extra: Record<string, string | number> = {}): Promise<boolean> {
    const { body } = await this.call<boolean>('put', this.kv('set'), {
      key: rawPath(this.fullKey(key)),
      value,
      ...extra,
    });
    return body === true;
  }

  async put(key: string, value: string): Promise<void> {
    if (!(await this.set(key, value))) throw new StoreError(`consul put ${key}: refused`);
  }

  async delete(key: string): Promise<void> {
    await this.call('delete', this.kv('del'), { key: rawPath(this.fullKey(key)) });
  }

  async deleteTree(prefix: string): Promise<void> {
    const full = this.fullKey(prefix, true);
    await this.call('deleteTree', this.kv('del'), { key: rawPath(full === '' ? '' : `${full}/`), recurse: true });
    if (full !== '') await this.call('deleteTree', this.kv('del'), { key: rawPath(full) });
  }

  async cas(key: string, expected: string | undefined, value: string): Promise<boolean> {
    const { body: cur } = await this.getEntry(key);
    if (expected === undefined) return cur === undefined && this.set(key, value, { cas: 0 });
    if (cur === undefined || (cur.Value ?? '') !== expected) return false;
    return this.set(key, value, { cas: cur.ModifyIndex });
  }

  /** Set once Consul has refused a session TTL below its `session_ttl_min` (10 s unless configured). */
  private sessionTtlFloorMs = 0;

  /**
   * A session whose keys vanish about `ttlMs` after we stop renewing. Consul only invalidates a session
   * after twice its TTL, so the session TTL is ttlMs/2 (and it is renewed every ttlMs/6, see SessionKeeper).
   * A Consul that refuses so short a TTL (its `session_ttl_min`) gets its minimum instead, once, with a
   * warning: keys then outlive a dead holder by up to twice that minimum.
   */
  async createSession(ttlMs: number, name: string): Promise<string> {
    const want = Math.max(Math.ceil(ttlMs / 2), this.sessionTtlFloorMs);
    let res: { ID: string } | undefined;
    try {
      res = (await this.call<{ ID: string }>('session create', this.session('create'), sessionBody(name, want))).body;
    } catch (err) {
      const bounds = sessionTtlBounds(errorMessage(err));
      if (!bounds || want >= bounds.minMs) throw err;
      this.sessionTtlFloorMs = bounds.minMs;
      this.log.warn(
        {
          ttl: `${ttlMs}ms`,
          sessionTtl: `${bounds.minMs}ms`,
          keysVanishWithin: `${bounds.minMs}-${2 * bounds.minMs}ms`,
        },
        "consul refuses sessions shorter than its session_ttl_min: using that minimum, so keys outlive a dead holder longer than --ttl (raise --ttl to at least twice the minimum, or lower the server's session_ttl_min)",
      );
      res = (await this.call<{ ID: string }>('session create', this.session('create'), sessionBody(name, bounds.minMs)))
        .body;
    }
    if (!res?.ID) throw new StoreError('consul session create: no session id in the answer');
    return res.ID;
  }

  /** Renew a session; false when Consul says it is gone. */
  async renewSession(id: string): Promise<boolean> {
    try {
      await this.call('session renew', this.session('renew'), { id });
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  async destroySession(id: string): Promise<void> {
    await this.call('session destroy', this.session('destroy'), { id });
  }

  protected async newLease(ttlMs: number): Promise<Lease> {
    return new ConsulLease(this, ttlMs, await this.createSession(ttlMs, 'shoal-lease'));
  }

  protected async acquireLock(key: string, value: string, opts: LockOptions): Promise<Lock> {
    const session = await this.createSession(opts.ttlMs, 'shoal-lock');
    return this.acquired(new ConsulLock(this, key, opts.ttlMs, session, opts.onWaiting), value, opts.signal);
  }

  /** A blocking-query loop: each read waits on the server until the prefix changes (or WAIT_MS passes). */
  watch(prefix: string, opts: WatchOptions = {}): AsyncIterable<Snapshot> {
    this.fullKey(prefix, true); // validate now, not on first iteration
    return this.watchWith<number>(
      {
        read: async (index = 0, signal) => {
          // A full read (first, or after the index went back) is a consistent one: a server that has just
          // restarted answers default reads before it has replayed its log, with an empty or old KV. Such an
          // answer is never a snapshot; an index going back only restarts the watch with a consistent read.
          const res = await this.listAt(prefix, { index, signal, consistent: consistentRead(index) });
          const step = consulWatchStep(index, res.index);
          const snapshot = step.emit ? { entries: res.entries, revision: String(res.index) } : undefined;
          return { snapshot, cursor: step.index };
        },
        wait: async (index) => index,
      },
      opts,
      { initialMs: 200, maxMs: 5000 },
    );
  }

  protected closeWire(): void {
    for (const c of this.clients) c.destroy();
  }
}

export async function createConsulStore(uri: StoreUri, opts: StoreOptions): Promise<Store> {
  return new ConsulStore(uri, opts);
}
