/**
 * A private network namespace for a `shoal up` test: its own loopback, so nothing listens on 8500/2379/2375/8080
 * (up must start its own store) and its bridges and 127.0.2.N addresses cannot meet those of another `shoal up`
 * (test/up/up-down.test.ts, test/e2e/seed.test.ts) running at the same time. Entered with `nsenter --net` only:
 * the mount namespace stays the host's, so the engines' mounts are the ones `down` has to deal with.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';
import type { Test } from 'tap';
import { listProcs } from '../../agents/up/reap.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'agents/cli.ts');

export interface Netns {
  name: string;
  /** Run a command inside the namespace. */
  run(cmd: string, args: string[], opts?: { env?: NodeJS.ProcessEnv; timeout?: number }): Promise<Result>;
  /**
   * `shoal ARGS` inside the namespace, the way CI runs it (no stdin). `bareEnv`: with only the given variables
   * (and PATH), nothing inherited from this test's environment.
   */
  shoal(args: string[], env?: NodeJS.ProcessEnv, bareEnv?: boolean): Promise<Result>;
  /** Pids of the processes living in the namespace. */
  pids(): Promise<number[]>;
  /** Does a link (a bridge) exist in the namespace? */
  hasLink(name: string): Promise<boolean>;
  /** Names of every link in the namespace (a fresh one has only `lo`). */
  links(): Promise<string[]>;
}

/**
 * Create the namespace; at teardown `cleanup` runs first (e.g. `shoal down`), then whatever still lives in the
 * namespace (started by this test) is killed by pid and the namespace deleted.
 */
export async function netns(t: Test, cleanup: (ns: Netns) => Promise<void>): Promise<Netns> {
  const name = `shoal-up-${Math.random().toString(36).slice(2, 10)}`;
  await execa('ip', ['netns', 'add', name]);
  const enter = ['--net=' + `/run/netns/${name}`];
  const ns: Netns = {
    name,
    run: (cmd, args, opts = {}) =>
      execa('nsenter', [...enter, cmd, ...args], {
        reject: false,
        all: true,
        timeout: opts.timeout ?? 60_000,
        env: { ...process.env, ...(opts.env ?? {}) },
      }),
    shoal: (args, env = {}, bareEnv = false) =>
      execa('nsenter', [...enter, process.execPath, '--import', 'tsx', CLI, ...args], {
        cwd: ROOT,
        reject: false,
        all: true,
        stdin: 'ignore',
        timeout: 240_000,
        ...(bareEnv
          ? { extendEnv: false, env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env } }
          : { env: { ...process.env, ...env } }),
      }),
    pids: async () =>
      String((await execa('ip', ['netns', 'pids', name], { reject: false })).stdout)
        .split('\n')
        .filter(Boolean)
        .map(Number),
    hasLink: async (link) =>
      (await execa('nsenter', [...enter, 'ip', 'link', 'show', link], { reject: false })).exitCode === 0,
    links: async () =>
      String((await execa('nsenter', [...enter, 'ip', '-o', 'link', 'show'], { reject: false })).stdout)
        .split('\n')
        .filter(Boolean)
        .map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? ''),
  };
  t.teardown(async () => {
    try {
      await cleanup(ns);
    } finally {
      for (const pid of await ns.pids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await execa('ip', ['netns', 'del', name], { reject: false });
    }
  });
  await ns.run('ip', ['link', 'set', 'lo', 'up']);
  return ns;
}

/** Mount points at or under `dir` in this (the host's) mount namespace. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Live processes whose command line names `dir` (the engines' shims carry `-address <dir>/...`). */
export function processesNaming(dir: string): string[] {
  return listProcs()
    .filter((p) => p.state !== 'Z' && p.pid !== process.pid && p.argv.some((a) => a.includes(dir)))
    .map((p) => `${p.pid} ${p.argv.join(' ').slice(0, 160)}`);
}

/** The shim sockets the engines' containerd tasks under `stateDir` name (files in /run/containerd/s). */
export function shimSocketsUnder(stateDir: string): string[] {
  const out: string[] = [];
  const engines = path.join(stateDir, 'engines');
  for (const cd of readdirSync(engines).filter((d) => /^containerd\d+$/.test(d))) {
    const base = path.join(engines, cd, 'io.containerd.runtime.v2.task');
    for (const nsd of safeList(base))
      for (const id of safeList(path.join(base, nsd)))
        out.push(
          readFileSync(path.join(base, nsd, id, 'address'), 'utf8')
            .trim()
            .replace(/^unix:\/\//, ''),
        );
  }
  return out;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Poll `fn` until it returns something truthy (or the tries run out); returns the last value. */
export async function poll<T>(fn: () => Promise<T>, ok: (v: T) => boolean, tries = 60, ms = 250): Promise<T> {
  let v = await fn();
  for (let i = 1; i < tries && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, ms));
    v = await fn();
  }
  return v;
}
