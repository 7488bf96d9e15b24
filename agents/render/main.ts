/**
 * `shoal render`: open the store, check that it answers and accepts our credentials, run the core (or one pass
 * with --once), serve status, SIGHUP reconfigures. A store that refuses the token or password ends the start
 * with exit code 2 and one line; a store that is away is waited for.
 */
import { readFile } from 'node:fs/promises';
import type { AgentMain } from '../common/agent.js';
import { errorMessage, startFailure } from '../common/errors.js';
import { retry } from '../common/retry.js';
import { storeOptionsFrom } from '../config/common.js';
import { openStore } from '../store/open.js';
import type { RenderConfig } from './config.js';
import { RenderCore } from './core.js';
import { startStatusServer } from '../common/status.js';

export const main: AgentMain<RenderConfig> = async (config, ctx) => {
  const { log, signal } = ctx;
  const target = config.storeUri.text;
  const store = await openStore(config.storeUri, {
    ...(await storeOptionsFrom(config.store, (p) => readFile(p, 'utf8'))),
    logger: log,
  });
  try {
    const core = new RenderCore(config, { store, log, env: ctx.env, watchTemplates: !config.once });
    if (config.once) {
      // the listing is the first call to the store: a refusal there is a refused start too
      const ok = await core.renderOnce().catch((e: unknown) => {
        const refused = startFailure('render', target, e);
        if (refused !== e) throw refused;
        log.error({ err: errorMessage(e) }, 'render failed');
        return false;
      });
      return ok ? 0 : 1;
    }
    const status = config.statusAddr
      ? await startStatusServer(config.statusAddr, () => core.status(), core.metrics.registry)
      : undefined;
    if (status) log.info({ address: status.address }, 'status server listening');
    // systemd Type=notify: ready once every template has rendered (and reloaded) successfully
    const onResult = () => {
      if (!core.status().lastRenderOk) return;
      core.off('result', onResult);
      void ctx.notify?.ready(`rendered ${config.templates.length} template(s)`);
    };
    core.on('result', onResult);
    const onHup = () => {
      log.info('SIGHUP: re-reading config and templates');
      let next: RenderConfig = config;
      try {
        if (ctx.rereadConfig) next = ctx.rereadConfig() as RenderConfig;
      } catch (e) {
        log.error({ err: errorMessage(e) }, 'config not reloaded: keeping the running one');
      }
      core.reconfigure(next).catch((e: unknown) => log.error({ err: errorMessage(e) }, 'reconfigure failed'));
    };
    // from here on, also while the store is waited for: a SIGHUP must not end the process
    process.on('SIGHUP', onHup);
    try {
      const ping = { signal, log, what: `store ${target}`, initialMs: 250, maxMs: 10_000 };
      await retry(() => store.ping(), ping).catch((e: unknown) => {
        if (!signal.aborted) throw startFailure('render', target, e);
      });
      if (!signal.aborted) await core.start();
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      process.off('SIGHUP', onHup);
      await core.stop();
      await status?.close();
    }
    return 0;
  } finally {
    await store.close();
  }
};
