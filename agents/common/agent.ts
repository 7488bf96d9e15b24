/** What every agent's `main` receives: its logger, a shutdown signal, the environment. */
import type { Logger } from './log.js';
import type { Notifier } from './notify.js';

export interface AgentContext {
  log: Logger;
  /** Aborted on SIGTERM/SIGINT: stop watches, release leases/sessions, close sockets, then return. */
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** Load and validate the agent's config again from the same flags, env and file (SIGHUP); throws ConfigError. */
  rereadConfig?: () => unknown;
  /**
   * systemd readiness (a no-op outside a Type=notify unit): call `ready()` once after the first sync (registrator,
   * join), the first render (render), or when the API listens (manage); `status()` for progress lines.
   */
  notify?: Notifier;
}

/** Runs until the signal aborts (or the work is done, e.g. `--once`); resolves to the exit code. */
export type AgentMain<T> = (config: T, ctx: AgentContext) => Promise<number>;
