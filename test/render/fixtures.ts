/** Fixtures shared by the pipeline tests: temp dirs, proxy env, entries, the proxies' own checks. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export const HAPROXY_TPL = path.resolve('templates/haproxy.cfg.hbs');
export const NGINX_TPL = path.resolve('templates/nginx.conf.hbs');

export function tmp(t: { teardown(fn: () => unknown): void }): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'shoal-render-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export function envFor(dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    SHOAL_HAPROXY_BIND: '127.0.0.1:1',
    SHOAL_HAPROXY_STATS_BIND: '127.0.0.1:2',
    SHOAL_HAPROXY_SOCKET: path.join(dir, 'h.sock'),
    SHOAL_NGINX_LISTEN: '127.0.0.1:3',
    SHOAL_NGINX_PID: path.join(dir, 'n.pid'),
    SHOAL_NGINX_ERROR_LOG: path.join(dir, 'e.log'),
    SHOAL_NGINX_TEMP: dir,
  };
}

export const web = (i: number) => ({ key: `web-80/h${i}:web${i}:80`, value: `127.0.0.1:${20000 + i}` });
export const hcheck = 'haproxy -c -f {{path}}';
export const ncheck = (dir: string) => `nginx -t -q -e ${dir}/check.log -c {{path}}`;

export async function valid(kind: 'haproxy' | 'nginx', file: string, dir: string): Promise<boolean> {
  const r =
    kind === 'haproxy'
      ? await execa('haproxy', ['-q', '-c', '-f', file], { reject: false })
      : await execa('nginx', ['-t', '-q', '-e', `${dir}/v.log`, '-c', file], { reject: false });
  return r.exitCode === 0;
}
