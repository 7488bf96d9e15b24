/**
 * The edge steps of `shoal up`: a first `shoal render --once` (the proxy needs a config to start), the proxy
 * (HAProxy or Nginx, in the foreground so its pid is the one `down` stops), then render watching the store.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { declaredCommands } from '../render/parse.js';
import { runChild, startChild } from './children.js';
import { edgeFiles, proxyCommand, renderConfigYaml, templateEnv, templatesDir } from './edge.js';
import { stillRunning } from './local.js';
import { keyPath, renderer } from './plan.js';
import { tcpOpen, waitUntil } from './probe.js';
import { isAlive, logTail, startDetached } from './proc.js';
import type { UpCtx, UpOptions, UpStep } from './types.js';
import { upStep } from './undo.js';

type Edge = NonNullable<UpOptions['edge']>;

/** Write the render configs (watching, and once without a reload); returns the env render's templates read. */
function writeRenderConfigs(ctx: UpCtx, edge: Edge): Record<string, string> {
  const f = edgeFiles(ctx.opts.stateDir, edge.proxy);
  mkdirSync(f.dir, { recursive: true, mode: 0o700 });
  mkdirSync(f.temp, { recursive: true, mode: 0o700 });
  const templates = templatesDir();
  const haproxyTemplate = () => readFileSync(path.join(templates, 'haproxy.cfg.hbs'), 'utf8');
  const templateReload = edge.proxy === 'haproxy' ? declaredCommands(haproxyTemplate()).reload : undefined;
  const storeUri = `${ctx.state.store?.base ?? ''}/${keyPath(ctx.state.prefix, 'services')}`;
  const { domain, renderWait: wait } = ctx.opts;
  const rc = { proxy: edge.proxy, files: f, templates, storeUri, domain, wait, templateReload };
  writeFileSync(f.renderConfig, renderConfigYaml(rc));
  writeFileSync(f.renderOnceConfig, renderConfigYaml({ ...rc, reload: false }));
  return templateEnv(edge.proxy, f, edge);
}

export function edgeSteps(ctx: UpCtx, edge: Edge): UpStep[] {
  const f = edgeFiles(ctx.opts.stateDir, edge.proxy);
  const url = `http://${edge.host}:${edge.port}`;
  const env = () => templateEnv(edge.proxy, f, edge);
  const first = upStep('procs', `first render (${edge.proxy})`, async () => {
    if (await tcpOpen(edge.host, edge.port)) throw new Error(`${edge.host}:${edge.port} is already in use`);
    const r = await runChild(renderer(f.renderOnceConfig, writeRenderConfigs(ctx, edge), true), ctx.io.env);
    if (r.exitCode !== 0) throw new Error(`shoal render --once exited ${r.exitCode}:\n${r.output}`);
    if (!existsSync(f.config)) throw new Error(`${f.config} was not written`);
  });
  const proxyName = `${edge.proxy} on ${url}`;
  const proxy = upStep('procs', proxyName, async () => {
    const c = proxyCommand(edge.proxy, f);
    const p = startDetached(edge.proxy, c.cmd, c.args, { log: path.join(ctx.logs, `${edge.proxy}.log`) });
    ctx.record(proxyName, p);
    const abort = () => (isAlive(p) ? undefined : `exited:\n${logTail(p.log)}`);
    const listening = () => tcpOpen(edge.host, edge.port);
    await waitUntil(`${edge.proxy} on ${edge.host}:${edge.port}`, listening, { timeoutMs: 30_000, abort });
  });
  const watchName = 'render (watching the store)';
  const watch = upStep('procs', watchName, async () => {
    const p = startChild(renderer(f.renderConfig, env()), ctx.logs, ctx.io.env);
    ctx.record(watchName, p);
    await stillRunning(p, 2000);
    ctx.state.edge = { proxy: edge.proxy, url, config: f.config };
    ctx.save();
  });
  return [first, proxy, watch];
}
