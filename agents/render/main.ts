/** `shoal render`: open the store, run the core (or one pass with --once), serve status, SIGHUP reconfigures. */
import { readFile } from 'node:fs/promises';
import type { AgentMain } from '../common/agent.js';
import { errorMessage } from '../common/errors.js';
import { storeOptionsFrom } from '../config/common.js';
import { openStore } from '../store/open.js';
import type { RenderConfig } from './config.js';
import { RenderCore } from './core.js';
import { startStatusServer } from '../common/status.js';

export const main: AgentMain<RenderConfig> = async (config, ctx) => {
  const store = await openStore(config.storeUri, {
    ...(await storeOptionsFrom(config.store, (p) => readFile(p, 'utf8'))),
    logger: ctx.log,
  });
  try {
    const core = new RenderCore(config, { store, log: ctx.log, env: ctx.env, watchTemplates: !config.once });
    if (config.once) {
      const ok = await core.renderOnce().catch((e: unknown) => {
        ctx.log.error({ err: errorMessage(e) }, 'render failed');
        return false;
      });
      return ok ? 0 : 1;
    }
    const status = config.statusAddr
      ? await startStatusServer(config.statusAddr, () => core.status(), core.metrics.registry)
      : undefined;
    if (status) ctx.log.info({ address: status.address }, 'status server listening');
    // systemd Type=notify: ready once every template has rendered (and reloaded) successfully
    const onResult = () => {
      if (!core.status().lastRenderOk) return;
      core.off('result', onResult);
      void ctx.notify?.ready(`rendered ${config.templates.length} template(s)`);
    };
    core.on('result', onResult);
    await core.start();
    const onHup = () => {
      ctx.log.info('SIGHUP: re-reading config and templates');
      let next: RenderConfig = config;
      try {
        if (ctx.rereadConfig) next = ctx.rereadConfig() as RenderConfig;
      } catch (e) {
        ctx.log.error({ err: errorMessage(e) }, 'config not reloaded: keeping the running one');
      }
      core.reconfigure(next).catch((e: unknown) => ctx.log.error({ err: errorMessage(e) }, 'reconfigure failed'));
    };
    process.on('SIGHUP', onHup);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    process.off('SIGHUP', onHup);
    await core.stop();
    await status?.close();
    return 0;
  } finally {
    await store.close();
  }
};
