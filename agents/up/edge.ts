/**
 * The edge of a local cluster: HAProxy (or Nginx) on 127.0.0.1:8080 whose config `shoal render` writes
 * from the shipped templates. Files live in <state>/edge; the proxy runs in the foreground (master-worker)
 * so its pid is the one `down` stops.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { shellQuote } from '../common/shell.js';

export type Proxy = 'haproxy' | 'nginx';

export interface EdgeFiles {
  dir: string;
  config: string;
  pid: string;
  renderConfig: string;
  /** The same without a reload command: the first render, before the proxy runs. */
  renderOnceConfig: string;
  socket: string;
  errorLog: string;
  temp: string;
}

export function edgeFiles(stateDir: string, proxy: Proxy): EdgeFiles {
  const dir = path.join(stateDir, 'edge');
  return {
    dir,
    config: path.join(dir, proxy === 'haproxy' ? 'haproxy.cfg' : 'nginx.conf'),
    pid: path.join(dir, `${proxy}.pid`),
    renderConfig: path.join(dir, 'render.yaml'),
    renderOnceConfig: path.join(dir, 'render-once.yaml'),
    socket: path.join(dir, 'haproxy.sock'),
    errorLog: path.join(dir, 'nginx-error.log'),
    temp: path.join(dir, 'nginx-tmp'),
  };
}

/** templates/ of this installation (source tree or package; dist/ sits one level deeper). */
export function templatesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../../templates', '../../../templates']) {
    const d = path.resolve(here, rel);
    if (existsSync(path.join(d, 'haproxy.cfg.hbs'))) return d;
  }
  throw new Error(`templates/ not found near ${here}`);
}

/** Environment the shipped templates read for their listen addresses and paths. Pure. */
export function templateEnv(
  proxy: Proxy,
  f: EdgeFiles,
  listen: { host: string; port: number },
): Record<string, string> {
  if (proxy === 'haproxy') {
    return {
      SHOAL_HAPROXY_BIND: `${listen.host}:${listen.port}`,
      SHOAL_HAPROXY_STATS_BIND: `${listen.host}:${listen.port + 1}`,
      SHOAL_HAPROXY_SOCKET: f.socket,
    };
  }
  return {
    SHOAL_NGINX_LISTEN: `${listen.host}:${listen.port}`,
    SHOAL_NGINX_PID: f.pid,
    SHOAL_NGINX_ERROR_LOG: f.errorLog,
    SHOAL_NGINX_TEMP: f.temp,
  };
}

/**
 * The HAProxy reload up uses: the shipped template's own guarded reload (SIGUSR2 only to a master with a
 * worker, then wait for the new worker, so back-to-back reloads are never dropped), pointed at up's pid
 * file; a plain SIGUSR2 when the template declares none. Pure.
 */
export function haproxyReload(declared: string | undefined, pidFile: string): string {
  const quoted = shellQuote(pidFile);
  if (declared === undefined || !declared.includes('/run/haproxy.pid')) return `kill -USR2 "$(cat ${quoted})"`;
  return declared.split('/run/haproxy.pid').join(quoted);
}

/** The render config: one template, checked by the proxy, reloaded hitlessly (`reload: false`: no-op reload). Pure. */
export function renderConfigYaml(o: {
  proxy: Proxy;
  files: EdgeFiles;
  templates: string;
  storeUri: string;
  domain: string;
  reload?: boolean;
  wait?: string;
  templateReload?: string;
}): string {
  const haproxy = o.proxy === 'haproxy';
  const doc = {
    store: o.storeUri,
    templates: [
      {
        source: path.join(o.templates, haproxy ? 'haproxy.cfg.hbs' : 'nginx.conf.hbs'),
        destination: o.files.config,
        check: haproxy ? 'haproxy -c -q -f {{path}}' : 'nginx -t -q -c {{path}}',
        // `true`: nothing to reload yet (an absent reload would be the shipped template's default)
        reload:
          o.reload === false
            ? 'true'
            : haproxy
              ? haproxyReload(o.templateReload, o.files.pid)
              : `nginx -s reload -c '${o.files.config}'`,
      },
    ],
    wait: o.wait ?? '200ms:1s',
    domain: o.domain,
    'log-format': 'json',
  };
  return `# written by shoal up\n${stringify(doc)}`;
}

/** The proxy's command line, in the foreground. Pure. */
export function proxyCommand(proxy: Proxy, f: EdgeFiles): { cmd: string; args: string[] } {
  return proxy === 'haproxy'
    ? { cmd: 'haproxy', args: ['-W', '-f', f.config, '-p', f.pid] }
    : { cmd: 'nginx', args: ['-c', f.config, '-g', 'daemon off;'] };
}
