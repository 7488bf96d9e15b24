/**
 * The peers' binaries for side-by-side benches (`../shared/peers/bin/`, see its README): where they are, and
 * consul-template 0.20.1 rendering a Consul prefix into a file. Bench helpers only; never shipped.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const PEERS_BIN = process.env.SHOAL_PEERS_BIN ?? path.resolve(ROOT, '../../shared/peers/bin');

/** The peer's path, or undefined when it is not there (the bench then says "peer not found"). */
export function peer(name: 'consul-template' | 'registrator' | 'swarm'): string | undefined {
  for (const dir of [PEERS_BIN, '/work/shared/peers/bin']) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * The HAProxy backends of every key under `prefix` (`<name>-<port>/<host>:<container>:<port>` -> `ip:port`),
 * one `backend be_<name>-<port>` per service, as Go template for consul-template.
 */
export function consulTemplateHaproxy(prefix: string): string {
  return `# rendered by consul-template
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
{{$prev := ""}}{{range tree "${prefix}"}}{{$parts := .Key | split "/"}}{{$svc := index $parts 0}}{{if ne $svc $prev}}
backend be_{{$svc}}
    balance roundrobin
    option httpchk GET /
{{$prev = $svc}}{{end}}    server {{index $parts 1 | replaceAll ":" "_"}} {{.Value}} check
{{end}}`;
}

export interface ConsulTemplate {
  stop(): Promise<void>;
  output(): string;
}

/** Run consul-template on `source` -> `destination`, no `-wait` (it renders on every change). */
export function startConsulTemplate(
  bin: string,
  o: { consul: string; source: string; text: string; destination: string },
): ConsulTemplate {
  writeFileSync(o.source, o.text);
  let out = '';
  const child: ResultPromise = execa(
    bin,
    ['-consul-addr', o.consul, '-log-level', 'warn', '-template', `${o.source}:${o.destination}`],
    { reject: false, all: true, env: { PATH: process.env.PATH ?? '' }, extendEnv: false },
  );
  child.all?.on('data', (d: Buffer) => (out += d.toString()));
  return {
    output: () => out,
    // it ignores SIGTERM outside exec mode
    stop: async () => {
      child.kill('SIGINT');
      await child;
    },
  };
}
