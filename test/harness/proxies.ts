/**
 * HAProxy and Nginx instances for the render tests: each on free loopback ports, with its config, pid file,
 * sockets and logs under its own temp dir (never the system ones). `env` is what `shoal render` needs so the
 * shipped templates use those paths and ports; `check`/`reload` are the commands the templates document.
 * Started in the foreground as children of the test process; `stop()` (register it with t.teardown) ends them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { tcpOpen, waitFor } from './proc.js';

export type ProxyKind = 'haproxy' | 'nginx';

export interface ProxyHandle {
  kind: ProxyKind;
  dir: string;
  /** The live config path (the render destination). */
  config: string;
  /** HTTP frontend port on 127.0.0.1. */
  port: number;
  env: Record<string, string>;
  check: string;
  reload: string;
  /** Start the proxy on the config now at `config` (render it first). */
  start(): Promise<void>;
  stop(): Promise<void>;
  running(): boolean;
  /** Whatever the proxy wrote to stdout/stderr. */
  output(): string;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function proxy(kind: ProxyKind): Promise<ProxyHandle> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `shoal-${kind}-`));
  const config = path.join(dir, kind === 'haproxy' ? 'haproxy.cfg' : 'nginx.conf');
  const port = await freePort();
  const pidFile = path.join(dir, `${kind}.pid`);
  let env: Record<string, string>;
  let check: string;
  let reload: string;
  let args: string[];
  if (kind === 'haproxy') {
    const stats = await freePort();
    env = {
      SHOAL_HAPROXY_BIND: `127.0.0.1:${port}`,
      SHOAL_HAPROXY_STATS_BIND: `127.0.0.1:${stats}`,
      SHOAL_HAPROXY_SOCKET: path.join(dir, 'admin.sock'),
    };
    check = 'haproxy -c -f {{path}}';
    // SIGUSR2, then wait for the new worker (see templates/haproxy.cfg.hbs: a USR2 during a reload is lost)
    reload = `m=$(cat ${pidFile}) && o=$(pgrep -d, -P "$m") && kill -USR2 "$m" && for i in $(seq 200); do for p in $(pgrep -P "$m"); do case ",$o," in *",$p,"*) ;; *) exit 0 ;; esac; done; sleep 0.05; done; exit 1`;
    args = ['-W', '-f', config, '-p', pidFile];
  } else {
    env = {
      SHOAL_NGINX_LISTEN: `127.0.0.1:${port}`,
      SHOAL_NGINX_PID: pidFile,
      SHOAL_NGINX_ERROR_LOG: path.join(dir, 'error.log'),
      SHOAL_NGINX_TEMP: dir,
    };
    check = `nginx -t -q -e ${path.join(dir, 'check.log')} -c {{path}}`;
    reload = `nginx -s reload -e ${path.join(dir, 'reload.log')} -c ${config}`;
    args = ['-c', config, '-e', path.join(dir, 'startup.log'), '-g', 'daemon off;'];
  }
  let child: ChildProcess | undefined;
  let out = '';
  const handle: ProxyHandle = {
    kind,
    dir,
    config,
    port,
    env,
    check,
    reload,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    output: () => out,
    async start() {
      child = spawn(kind, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      try {
        await waitFor(
          `${kind} on 127.0.0.1:${port}`,
          async () => {
            if (!handle.running()) throw new Error(`${kind} exited: ${out}`);
            return tcpOpen('127.0.0.1', port);
          },
          15_000,
        );
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${out}`);
      }
    },
    async stop() {
      const c = child;
      if (c && handle.running()) {
        const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
        c.kill(kind === 'nginx' ? 'SIGQUIT' : 'SIGTERM');
        const t = setTimeout(() => c.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      if (kind === 'nginx') {
        // workers of a stopped master exit on their own; make sure none outlives the test
        try {
          const pid = Number(readFileSync(pidFile, 'utf8').trim());
          if (pid > 0) process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}
