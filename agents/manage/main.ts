/** `shoal manage`: start the manager core, run until the shutdown signal, then stop it. */
import type { AgentMain } from '../common/agent.js';
import type { ManageConfig } from './config.js';
import { startManager } from './manager.js';

export const main: AgentMain<ManageConfig> = async (config, ctx) => {
  const manager = await startManager(config, ctx.log);
  // systemd Type=notify: ready once every -H address is listening
  void ctx.notify?.ready(`listening on ${manager.addresses.join(', ')}`);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await manager.stop();
  return 0;
};
