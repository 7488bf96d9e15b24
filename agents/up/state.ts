/**
 * What `shoal up` created, in one JSON file, so `shoal down` stops and removes exactly that: the journal of
 * its steps, and each resource as soon as it exists (a failed or interrupted `up` can still be taken down).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProcRecord } from './proc.js';
import type { EngineLeftovers } from './reap.js';

export interface StoreRef {
  kind: 'consul' | 'etcd' | 'etcd2' | 'zk';
  /** `consul://127.0.0.1:8500`, without a path. */
  base: string;
  /** Did `up` start it (then `down` stops it and removes its data)? */
  started: boolean;
}

export interface EngineRef {
  n: number;
  name: string;
  /** unix:///... for registrator/join/docker CLI. */
  dockerHost: string;
  /** HOST:PORT the manager dials. */
  addr: string;
  ip: string;
  labels: Record<string, string>;
  started: boolean;
  /** Created by `up` (removed by `down`). */
  bridge?: string | undefined;
  /** Data root `up` created (removed by `down`). */
  dataDir?: string | undefined;
}

export interface ContainerRef {
  dockerHost: string;
  id: string;
  name: string;
}

/** Which undo a journaled step takes (undo.ts), and its argument. */
export type StepKind = 'procs' | 'engine' | 'image' | 'agent';

export interface StepEntry {
  /** The step's name, also the tag of the processes it started. */
  name: string;
  kind: StepKind;
  /** engine: its number; image: the engine's dockerHost; agent: the engine's name. */
  arg?: string | number | undefined;
  /** false: started and not completed (failed, or `up` was interrupted). */
  done: boolean;
}

/** A process `up` started, tagged with the step that started it. */
export type RecordedProc = ProcRecord & { step?: string | undefined };

export interface UpState {
  version: 1;
  createdAt: string;
  stateDir: string;
  prefix: string;
  store?: StoreRef | undefined;
  engines: EngineRef[];
  /** Steps in the order they started; `down` undoes them in reverse (absent in a state of an older shoal). */
  steps?: StepEntry[] | undefined;
  /** In start order. */
  processes: RecordedProc[];
  containers: ContainerRef[];
  /** Per engine `up` started: where its shims and mounts are, so `down` reaps them after an unclean death. */
  reap?: EngineLeftovers[] | undefined;
  /** Bridges `up` created (deleted by `down`). */
  bridges: string[];
  /** Images `up` imported on engines it did not start (engines it started are removed whole). */
  images: { dockerHost: string; ref: string }[];
  /** `up` made the state dir (then `down` removes it whole). */
  createdStateDir: boolean;
  /** `up` made this engine data dir (removed by `down` once the engines' own folders are gone, if empty). */
  createdDataDir?: string | undefined;
  manager?: string | undefined;
  edge?: { proxy: 'haproxy' | 'nginx'; url: string; config: string } | undefined;
  complete: boolean;
}

/** /run/shoal-up when we may write there (root), else a per-user folder under the temp dir. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SHOAL_UP_STATE_DIR) return env.SHOAL_UP_STATE_DIR;
  try {
    accessSync('/run', constants.W_OK);
    return '/run/shoal-up';
  } catch {
    return path.join(os.tmpdir(), `shoal-up-${os.userInfo().uid}`);
  }
}

export const stateFile = (dir: string) => path.join(dir, 'state.json');

export function newState(stateDir: string, prefix: string): UpState {
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    stateDir,
    prefix,
    steps: [],
    engines: [],
    processes: [],
    containers: [],
    bridges: [],
    images: [],
    createdStateDir: false,
    complete: false,
  };
}

export function readState(dir: string): UpState | undefined {
  const f = stateFile(dir);
  if (!existsSync(f)) return undefined;
  const s = JSON.parse(readFileSync(f, 'utf8')) as UpState;
  if (s.version !== 1) throw new Error(`${f}: unknown state version ${String(s.version)}`);
  return s;
}

export function writeState(s: UpState): void {
  mkdirSync(s.stateDir, { recursive: true, mode: 0o700 });
  const f = stateFile(s.stateDir);
  const tmp = `${f}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, f);
}
