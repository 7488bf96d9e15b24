/**
 * Is the server answering on a harness port one the harness started? A server is reused only when its
 * marker (`<name>.owner.json` in STATE_DIR, written right after the start) names a live process whose start
 * time and command line are the ones recorded, and the port asked for. Anything else answering there (a
 * developer's Consul, another project's etcd) is never adopted, stopped or killed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readPid, startDetached, STATE_DIR, stateDir, tcpOpen, waitFor, withLock } from './proc.js';

export interface OwnerMarker {
  pid: number;
  /** Field 22 of /proc/PID/stat when the harness started it. */
  start: string;
  argv: string[];
  port: number;
}

/** What /proc says about a pid now; undefined when no such process runs. */
export interface ProcSnapshot {
  start: string;
  argv: string[];
}

/** Why a server on `port` is not ours, or undefined when it is. Pure. */
export function notOurs(
  marker: OwnerMarker | undefined,
  proc: ProcSnapshot | undefined,
  port: number,
): string | undefined {
  if (!marker) return 'no marker: the harness did not start it';
  if (marker.port !== port) return `the marker names port ${marker.port}, not ${port}`;
  if (!proc) return `the marker's process ${marker.pid} is gone`;
  if (proc.start !== marker.start) return `pid ${marker.pid} is another process now (start time differs)`;
  if (proc.argv.join('\0') !== marker.argv.join('\0'))
    return `pid ${marker.pid} runs another command (${proc.argv[0] ?? '?'})`;
  return undefined;
}

export function procSnapshot(pid: number): ProcSnapshot | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0$/, '').split('\0');
    return { start, argv };
  } catch {
    return undefined;
  }
}

const markerFile = (name: string) => path.join(STATE_DIR, `${name}.owner.json`);

export function writeMarker(name: string, pid: number, argv: string[], port: number): void {
  stateDir();
  const start = procSnapshot(pid)?.start ?? '';
  writeFileSync(markerFile(name), JSON.stringify({ pid, start, argv, port } satisfies OwnerMarker) + '\n');
}

export function readMarker(name: string): OwnerMarker | undefined {
  try {
    return JSON.parse(readFileSync(markerFile(name), 'utf8')) as OwnerMarker;
  } catch {
    return undefined;
  }
}

/** Why the server `name` on `port` is not the harness's own, or undefined when it is. */
export function whyNotOurs(name: string, port: number): string | undefined {
  const marker = readMarker(name);
  return notOurs(marker, marker && procSnapshot(marker.pid), port);
}

/** Start `argv` as the harness server `name` on `port`, with its owner marker. */
export function launchOwned(name: string, argv: string[], port: number): void {
  const [cmd = '', ...args] = argv;
  const pid = startDetached(name, cmd, args);
  writeMarker(name, pid, argv, port);
}

/**
 * Reuse the harness server `name` if it answers on `port`, else start it. Throws, touching nothing, when
 * something the harness did not start answers there or holds the port.
 */
export async function ensureOwned(
  name: string,
  port: number,
  isReady: () => Promise<boolean>,
  argv: () => string[],
): Promise<void> {
  const ours = () => whyNotOurs(name, port) === undefined;
  const answering = () => isReady().catch(() => false);
  if ((await answering()) && ours()) return;
  await withLock(name, async () => {
    if (await tcpOpen('127.0.0.1', port)) {
      const why = whyNotOurs(name, port);
      if (why !== undefined)
        throw new Error(
          `127.0.0.1:${port} is in use by a process the harness did not start (${name}: ${why}): not using it`,
        );
      if (await answering()) return; // another process started it while we waited
    } else if (readPid(name) === undefined) {
      launchOwned(name, argv(), port);
    } else if (readMarker(name)?.port !== port) {
      // ours, alive, but not on this port: starting another under the same name would orphan it
      throw new Error(
        `${name} runs (pid ${readPid(name)}) but its marker names port ${readMarker(name)?.port ?? 'none'}, not ${port}`,
      );
    }
    await waitFor(`${name} on 127.0.0.1:${port}`, answering, 90_000, name);
  });
}
