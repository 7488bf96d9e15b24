/** Shared bits of the render tests: configs, waiting for results, capturing logs. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
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
export function nextResult(core: RenderCore, pred: (r: RunResult) => boolean = () => true, timeoutMs = 20_000): Promise<RunResult> {
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

export interface Captured {
  lines: Record<string, unknown>[];
  log: pino.Logger;
}

/** A logger that keeps every JSON line for assertions. */
export function captureLog(): Captured {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, log: pino({ level: 'debug' }, dest) };
}

export const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));
