/** Shared bits of the render tests: configs, waiting for results, capturing logs. */
import { captureLog as captureLogAt } from '../helpers/capture-log.js';
import type { RenderConfig, TemplateConfig } from '../../agents/render/config.js';
import type { RenderCore } from '../../agents/render/core.js';
import type { RunResult } from '../../agents/render/runner.js';

export function renderConfig(templates: Partial<TemplateConfig>[], over: Partial<RenderConfig> = {}): RenderConfig {
  return {
    storeUri: { scheme: 'memory', hosts: [], prefix: '', params: {}, text: 'memory://' },
    store: { timeoutMs: 3000 },
    templates: templates.map((t) => ({
      source: '',
      destination: '',
      check: undefined,
      reload: undefined,
      perms: undefined,
      backup: false,
      wait: undefined,
      commandTimeoutMs: undefined,
      ...t,
    })),
    wait: { minMs: 50, maxMs: 200 },
    once: false,
    dry: false,
    domain: 'shoal.test',
    commandTimeoutMs: 10_000,
    statusAddr: undefined,
    logLevel: 'info',
    logFormat: 'json',
    ...over,
  };
}

/** Resolves with the first result (from now on) matching `pred`. */
export function nextResult(
  core: RenderCore,
  pred: (r: RunResult) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      core.off('result', on);
      reject(new Error(`no matching render result within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (r: RunResult) => {
      if (!pred(r)) return;
      clearTimeout(t);
      core.off('result', on);
      resolve(r);
    };
    core.on('result', on);
  });
}

/** A logger that keeps every JSON line for assertions (debug level: the render tests read debug lines). */
export const captureLog = () => captureLogAt('debug');

export const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));
