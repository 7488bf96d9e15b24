/** The types `shoal up`, `shoal down` and their modules share: options, output, and what a step works on. */
import type { Store } from '../store/store.js';
import type { Proxy } from './edge.js';
import type { ProcRecord } from './proc.js';
import type { StepEntry, UpState } from './state.js';
import type { Step } from './steps.js';
import type { StoreKind } from './store.js';

export interface UpOptions {
  stateDir: string;
  dataDir: string;
  store: string | undefined;
  storeKind: StoreKind | undefined;
  prefix: string | undefined;
  engines: number;
  dockerHost: string;
  engineAddr: string | undefined;
  manager: { host: string; port: number } | undefined;
  edge: { proxy: Proxy; host: string; port: number } | undefined;
  agents: boolean;
  demo: boolean;
  domain: string;
  /** render's quiescence (MIN[:MAX]). */
  renderWait: string;
  storageDriver: string;
  keepOnError: boolean;
}

export interface Io {
  out: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

/** What undoing a step works on, in `up`'s rollback and in `down` alike. */
export interface TeardownCtx {
  state: UpState;
  out: (line: string) => void;
  /** Write the state file. */
  save(): void;
  /** The cluster's store when `up` did not start it (its agents' keys outlive them), else undefined. */
  foreignStore(): Promise<Store | undefined>;
}

/** What running a step of `up` works on. */
export interface UpCtx extends TeardownCtx {
  opts: UpOptions;
  io: Io;
  /** <state>/logs */
  logs: string;
  /** The cluster's store, open from the store step on. */
  store(): Store;
  setStore(store: Store): void;
  /** Record a process as soon as it exists, tagged with the step that started it. */
  record(step: string, p: ProcRecord): void;
}

export type UpStep = Step<UpCtx> & { entry: Omit<StepEntry, 'done'> };
