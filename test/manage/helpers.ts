/** Shared by the manage tests: a manager started in-process on a free loopback port, and the real docker CLI against it. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type Result } from 'execa';
import { silentLogger, type Logger } from '../../agents/common/log.js';
import { startManager, type Manager, type ManagerConfig, type ManagerDeps } from '../../agents/manage/manager.js';
import { DEFAULT_CLUSTER_OPTS, FILTERS } from '../../agents/manage/config.js';
import { engine, busyboxImage, type EngineHandle } from '../harness/index.js';

export const IMAGE = 'shoal/busybox:latest';

export function suffix(): string {
  return randomBytes(3).toString('hex');
}

export async function sharedEngines(): Promise<EngineHandle[]> {
  const out: EngineHandle[] = [];
  for (const n of [1, 2, 3]) {
    const e = await engine(n);
    await busyboxImage(e);
    out.push(e);
  }
  return out;
}

export function managerConfig(discovery: string, over: Partial<ManagerConfig> = {}): ManagerConfig {
  return {
    hosts: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }],
    discovery,
    strategy: 'spread',
    filters: [...FILTERS],
    heartbeatMs: 1000,
    refreshMinMs: 2000,
    refreshMaxMs: 4000,
    failureRetry: 2,
    clusterOpts: DEFAULT_CLUSTER_OPTS,
    tls: false,
    tlsVerify: false,
    tlsCaCert: undefined,
    tlsCert: undefined,
    tlsKey: undefined,
    store: { timeoutMs: 5000 },
    ...over,
  };
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The real docker CLI against `host`; with `reject` (default) a non-zero exit throws. */
export async function dockerCli(
  host: string,
  args: string[],
  opts: { input?: string; reject?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const r: Result = await execa('docker', args, {
    env: { DOCKER_HOST: host, ...(opts.env ?? {}) },
    input: opts.input,
    reject: opts.reject ?? true,
    timeout: 60_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export interface TestManager {
  manager: Manager;
  host: string;
  docker(args: string[], opts?: { input?: string; reject?: boolean; env?: NodeJS.ProcessEnv }): Promise<CliResult>;
  stop(): Promise<void>;
}

export async function startTestManager(
  config: ManagerConfig,
  logger: Logger = silentLogger(),
  deps?: ManagerDeps,
): Promise<TestManager> {
  const manager = await startManager(config, logger, deps);
  const host = (manager.addresses[0] as string).replace(/^tcp:/, 'tcp:');
  // every node answered, or failed to at least once (a node never reached stays pending, as in classic Swarm)
  await waitUntil(
    () =>
      manager.cluster.list().length > 0 &&
      manager.cluster.list().every((n) => n.health !== 'pending' || n.failures > 0),
    20_000,
  );
  return {
    manager,
    host,
    docker: (args, opts = {}) => dockerCli(host, args, opts),
    stop: () => manager.stop(),
  };
}

export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Remove test containers by name prefix straight on the engines (never through the code under test). */
export async function cleanup(engines: EngineHandle[], prefix: string): Promise<void> {
  for (const e of engines) {
    const ids = (await e.cli(['ps', '-aq', '--filter', `name=${prefix}`], { reject: false })).stdout
      .toString()
      .split('\n')
      .filter(Boolean);
    if (ids.length) await e.cli(['rm', '-f', ...ids], { reject: false });
  }
}

/**
 * A docker CLI config dir whose config.json makes the unmodified CLI send X-Shoal-Constraint on every
 * request (`docker --config DIR ...`); removed when `t` ends.
 */
export function constraintCliConfig(t: { teardown(fn: () => void): void }, value: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-cli-'));
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ HttpHeaders: { 'X-Shoal-Constraint': value } }));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const ENGINE_ADDRS = 'nodes://127.0.1.1:2375,127.0.1.2:2375,127.0.1.3:2375';
