/** The part of node-zookeeper-client (no published types) that agents/store/zookeeper-conn.ts uses. */
declare module 'node-zookeeper-client' {
  import type { EventEmitter } from 'node:events';

  type Cb<T> = (error: Error | null | undefined, result: T) => void;
  export interface Stat {
    version: number;
    numChildren: number;
    dataLength: number;
    ephemeralOwner: Buffer;
    mzxid: Buffer;
    pzxid: Buffer;
  }
  export type Watcher = (event: unknown) => void;

  export interface Client extends EventEmitter {
    connect(): void;
    close(): void;
    getSessionId(): Buffer;
    getData(path: string, cb: (e: Error | null | undefined, data: Buffer | undefined, stat: Stat) => void): void;
    getData(
      path: string,
      watcher: Watcher,
      cb: (e: Error | null | undefined, data: Buffer | undefined, stat: Stat) => void,
    ): void;
    getChildren(path: string, cb: Cb<string[]>): void;
    getChildren(path: string, watcher: Watcher, cb: Cb<string[]>): void;
    exists(path: string, cb: Cb<Stat | undefined>): void;
    exists(path: string, watcher: Watcher, cb: Cb<Stat | undefined>): void;
    create(path: string, data: Buffer | null, mode: number, cb: Cb<string>): void;
    setData(path: string, data: Buffer, version: number, cb: Cb<Stat>): void;
    remove(path: string, version: number, cb: (e: Error | null | undefined) => void): void;
  }

  interface ClientOptions {
    sessionTimeout?: number;
    spinDelay?: number;
    retries?: number;
  }

  const zookeeper: {
    createClient(connectionString: string, options?: ClientOptions): Client;
    CreateMode: { PERSISTENT: number; EPHEMERAL: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL_SEQUENTIAL: number };
    Exception: Record<
      | 'CONNECTION_LOSS'
      | 'OPERATION_TIMEOUT'
      | 'NO_NODE'
      | 'NO_AUTH'
      | 'BAD_VERSION'
      | 'NODE_EXISTS'
      | 'NOT_EMPTY'
      | 'SESSION_EXPIRED'
      | 'INVALID_ACL'
      | 'AUTH_FAILED',
      number
    >;
  };
  export default zookeeper;
}
