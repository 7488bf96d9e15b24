/**
 * One ZooKeeper session over node-zookeeper-client, with promise operations that honour the per-operation
 * timeout and throw typed errors. The client queues requests while disconnected and would wait forever:
 * every call first waits (bounded) for the connection, then races the answer against the timeout.
 */
import { EventEmitter } from 'node:events';
import zookeeper, { type Client, type Stat, type Watcher } from 'node-zookeeper-client';
import { StoreAuthError, StoreError, StoreTimeoutError, StoreUnavailableError } from '../common/errors.js';
import { withTimeout } from '../common/backoff.js';
import { createRequire } from 'node:module';

/**
 * node-zookeeper-client parses server packets inside its socket 'data' handler and throws on a garbled one
 * (seen in CI: "Unknown code: -1695940608"; a truncated watcher event throws a RangeError). A throw there is an
 * uncaught exception that kills the daemon. Wrap the handler once, before any client connects (the library
 * binds it per socket): a packet it cannot parse drops the connection instead, which the library itself answers
 * with a reconnect on the same session, as it does for out-of-order replies.
 */
interface ConnectionManagerLike {
  socket?: { destroy(): void };
}
const ConnectionManager = createRequire(import.meta.url)('node-zookeeper-client/lib/ConnectionManager.js') as {
  prototype: { onSocketData(this: ConnectionManagerLike, buf: Buffer): void; shoalGuarded?: boolean };
};
if (!ConnectionManager.prototype.shoalGuarded) {
  const onSocketData = ConnectionManager.prototype.onSocketData;
  ConnectionManager.prototype.onSocketData = function guardedOnSocketData(
    this: ConnectionManagerLike,
    buf: Buffer,
  ): void {
    try {
      onSocketData.call(this, buf);
    } catch {
      this.socket?.destroy();
    }
  };
  ConnectionManager.prototype.shoalGuarded = true;
}

const { Exception, CreateMode } = zookeeper;
export { CreateMode };

export type ZkStat = Stat;
/** The library's socket, as far as the answer watch looks at it. */
type HandshakeSocket = { connecting: boolean; destroyed: boolean; destroy(): void };
export type ZkWatcher = Watcher;

export interface ZkConnEvents {
  connected: [];
  disconnected: [];
  expired: [];
}

/** Exception codes the callers act on. */
export const ZK = {
  noNode: Exception.NO_NODE,
  nodeExists: Exception.NODE_EXISTS,
  badVersion: Exception.BAD_VERSION,
  notEmpty: Exception.NOT_EMPTY,
};

/** A ZooKeeper failure the caller may handle (`zkCode`), or a typed store error it may not. */
export class ZkCodeError extends StoreError {
  constructor(
    readonly zkCode: number,
    message: string,
  ) {
    super(message, undefined, false);
  }
}

export class ZkConn extends EventEmitter<ZkConnEvents> {
  readonly client: Client;
  connected = false;
  closed = false;
  /** The session is over: the server said so, or we were cut off for longer than its timeout. */
  expired = false;
  private lostTimer: NodeJS.Timeout | undefined;
  private answerTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly connectString: string,
    readonly sessionTimeoutMs: number,
    private readonly timeoutMs: number,
  ) {
    super();
    this.client = zookeeper.createClient(connectString, {
      sessionTimeout: sessionTimeoutMs,
      spinDelay: 200,
      retries: 0,
    });
    this.client.on('state', (s: { name: string }) => {
      if (s.name === 'SYNC_CONNECTED') {
        clearTimeout(this.lostTimer);
        this.lostTimer = undefined;
        this.stopAnswerWatch();
        this.connected = true;
        this.emit('connected');
      } else if (s.name === 'DISCONNECTED') {
        this.connected = false;
        this.startLostTimer();
        this.startAnswerWatch();
        this.emit('disconnected');
      } else if (s.name === 'EXPIRED') {
        this.expire();
      } else if (s.name === 'AUTH_FAILED') {
        this.connected = false;
      }
    });
    this.client.connect();
    this.startLostTimer(); // a first connection can hang the same way
    this.startAnswerWatch();
  }

  /**
   * The library times out the TCP connect, but not the server's answer to its connect request: a server that
   * accepted the connection while it was still starting (seen after a restart) can leave it waiting on that
   * socket until the session is given up (the lost timer, 31 s for the store's own session). A socket open
   * for a whole per-operation timeout without an answer is dropped instead; the library then connects again,
   * on the same session.
   */
  private startAnswerWatch(): void {
    if (this.answerTimer || this.closed) return;
    let open: { socket: unknown; ticks: number } | undefined;
    this.answerTimer = setInterval(
      () => {
        const cm = (this.client as unknown as { connectionManager?: { socket?: HandshakeSocket } }).connectionManager;
        const socket = cm?.socket;
        if (this.connected || this.closed || !socket || socket.connecting || socket.destroyed)
          return void (open = undefined);
        if (open?.socket !== socket) open = { socket, ticks: 0 };
        else if (++open.ticks >= 2) socket.destroy(); // open, unanswered, for two half-periods or more
      },
      Math.max(100, this.timeoutMs / 2),
    );
    this.answerTimer.unref();
  }

  private stopAnswerWatch(): void {
    clearInterval(this.answerTimer);
    this.answerTimer = undefined;
  }

  /**
   * The library may never give up on a session: after a server restart it can sit in CONNECTING for ever
   * (seen with short sessions: the connect request is never answered and nothing times it out). Not
   * connected for longer than the negotiated session timeout (plus a second), the session is as good as
   * expired on the server: say so, as Curator does, and let the owner open a new one.
   */
  private startLostTimer(): void {
    if (this.lostTimer || this.closed) return;
    const negotiated = (this.client as unknown as { getSessionTimeout(): number }).getSessionTimeout();
    const ms = (negotiated > 0 ? negotiated : this.sessionTimeoutMs) + 1000;
    this.lostTimer = setTimeout(() => {
      this.lostTimer = undefined;
      if (!this.connected && !this.closed) this.expire();
    }, ms);
    this.lostTimer.unref();
  }

  private expire(): void {
    clearTimeout(this.lostTimer);
    this.lostTimer = undefined;
    this.stopAnswerWatch();
    this.connected = false;
    if (this.expired) return;
    this.expired = true;
    this.emit('expired');
  }

  /** The session id (to recognise our own ephemeral nodes). */
  sessionId(): Buffer {
    return this.client.getSessionId();
  }

  /** Resolves once connected; a typed recoverable error after `ms`, or as soon as the session expires. */
  async ready(ms = this.timeoutMs): Promise<void> {
    if (this.connected) return;
    if (this.closed || this.expired)
      throw new StoreUnavailableError(`zookeeper session ${this.closed ? 'closed' : 'expired'}`);
    let onConnect: (() => void) | undefined;
    let onExpire: (() => void) | undefined;
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          this.once('connected', (onConnect = resolve));
          this.once(
            'expired',
            (onExpire = () => reject(new StoreUnavailableError(`zookeeper ${this.connectString}: session expired`))),
          );
        }),
        ms,
        () => new StoreUnavailableError(`zookeeper ${this.connectString}: not connected within ${ms} ms`),
      );
    } finally {
      if (onConnect) this.off('connected', onConnect);
      if (onExpire) this.off('expired', onExpire);
    }
  }

  getData(path: string, watcher?: ZkWatcher): Promise<{ data: Buffer | undefined; stat: ZkStat }> {
    return this.call(`getData ${path}`, (cb) =>
      watcher
        ? this.client.getData(path, watcher, (e, d, s) => cb(e, { data: d, stat: s }))
        : this.client.getData(path, (e, d, s) => cb(e, { data: d, stat: s })),
    );
  }

  getChildren(path: string, watcher?: ZkWatcher): Promise<string[]> {
    return this.call(`getChildren ${path}`, (cb) =>
      watcher ? this.client.getChildren(path, watcher, cb) : this.client.getChildren(path, cb),
    );
  }

  exists(path: string, watcher?: ZkWatcher): Promise<ZkStat | undefined> {
    return this.call(`exists ${path}`, (cb) =>
      watcher ? this.client.exists(path, watcher, cb) : this.client.exists(path, cb),
    );
  }

  create(path: string, data: Buffer | undefined, mode: number): Promise<void> {
    return this.call(`create ${path}`, (cb) => this.client.create(path, data ?? null, mode, (e) => cb(e, undefined)));
  }

  setData(path: string, data: Buffer, version = -1): Promise<void> {
    return this.call(`setData ${path}`, (cb) => this.client.setData(path, data, version, (e) => cb(e, undefined)));
  }

  remove(path: string, version = -1): Promise<void> {
    return this.call(`remove ${path}`, (cb) => this.client.remove(path, version, (e) => cb(e, undefined)));
  }

  close(): void {
    clearTimeout(this.lostTimer);
    this.lostTimer = undefined;
    this.stopAnswerWatch();
    if (this.closed) return;
    this.closed = true;
    const wasConnected = this.connected;
    this.connected = false;
    this.client.close();
    // Not connected, the library only queues its close request and keeps a half-open socket (one stuck
    // waiting for a connect answer) for ever, holding the process open. Drop it: in CLOSING state the
    // library then settles in CLOSED and does not reconnect.
    if (!wasConnected)
      (
        this.client as unknown as { connectionManager?: { socket?: { destroy(): void } } }
      ).connectionManager?.socket?.destroy();
  }

  private async call<T>(what: string, fn: (cb: (err: Error | null | undefined, res: T) => void) => void): Promise<T> {
    const start = Date.now();
    await this.ready();
    const left = Math.max(1, this.timeoutMs - (Date.now() - start));
    return withTimeout(
      new Promise<T>((resolve, reject) => {
        try {
          fn((err, res) => (err ? reject(mapError(err, what, this.connectString)) : resolve(res)));
        } catch (err) {
          reject(new StoreError(`zookeeper ${what}: ${(err as Error).message}`, err, false));
        }
      }),
      left,
      () =>
        this.connected
          ? new StoreTimeoutError(`zookeeper ${what}: no answer within ${this.timeoutMs} ms`)
          : new StoreUnavailableError(`zookeeper ${what}: connection lost`),
    );
  }
}

function mapError(err: Error & { getCode?: () => number }, what: string, where: string): Error {
  const code = typeof err.getCode === 'function' ? err.getCode() : undefined;
  const msg = `zookeeper ${where} ${what}: ${err.message}`;
  switch (code) {
    case Exception.CONNECTION_LOSS:
    case Exception.SESSION_EXPIRED:
      return new StoreUnavailableError(msg, err);
    case Exception.OPERATION_TIMEOUT:
      return new StoreTimeoutError(msg, err);
    case Exception.NO_AUTH:
    case Exception.AUTH_FAILED:
    case Exception.INVALID_ACL:
      return new StoreAuthError(msg, err);
    case undefined:
      return new StoreError(msg, err);
    default:
      return new ZkCodeError(code, msg);
  }
}

/** True when `err` is the ZooKeeper failure `code`. */
export function isZk(err: unknown, code: number): boolean {
  return err instanceof ZkCodeError && err.zkCode === code;
}
