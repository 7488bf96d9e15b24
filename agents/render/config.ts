/** `shoal render` options, as consul-template took them, plus validation before the swap. */
import { z } from 'zod/v3';
import { bool, duration, list, storeUri, text } from '../config/fields.js';
import { parseDuration } from '../common/duration.js';
import { parseWait, type Wait } from './parse.js';
import { sharedConfigFrom, sharedOptions, type SharedConfig } from '../config/common.js';
import type { AgentSpec } from '../config/spec.js';
import type { StoreUri } from '../store/uri.js';

export { parseWait, type Wait } from './parse.js';

export interface TemplateConfig {
  source: string;
  destination: string;
  /** Validate command run on the staged file; `{{path}}` is replaced by its path. */
  check: string | undefined;
  reload: string | undefined;
  perms: number | undefined;
  backup: boolean;
  wait: Wait | undefined;
  commandTimeoutMs: number | undefined;
}

export interface RenderConfig extends SharedConfig {
  storeUri: StoreUri & { text: string };
  templates: TemplateConfig[];
  wait: Wait;
  once: boolean;
  dry: boolean;
  domain: string;
  commandTimeoutMs: number;
}

/** `SRC:DEST[:RELOAD-CMD]` (the command may itself contain `:`). */
export function parseTemplateFlag(s: string): TemplateConfig {
  const i = s.indexOf(':');
  const j = i < 0 ? -1 : s.indexOf(':', i + 1);
  const source = i < 0 ? '' : s.slice(0, i);
  const destination = i < 0 ? '' : j < 0 ? s.slice(i + 1) : s.slice(i + 1, j);
  const reload = j < 0 ? undefined : s.slice(j + 1);
  if (source === '' || destination === '') throw new Error('expected SRC:DEST[:RELOAD-CMD]');
  return {
    source,
    destination,
    check: undefined,
    reload: reload || undefined,
    perms: undefined,
    backup: false,
    wait: undefined,
    commandTimeoutMs: undefined,
  };
}

const waitField = z.string().transform((s, ctx) => {
  try {
    return parseWait(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

const templateBlock = z
  .object({
    source: z.string().min(1, 'expected source: a template path'),
    destination: z.string().min(1, 'expected destination: an output path'),
    check: z.string().optional(),
    reload: z.string().optional(),
    perms: z.union([z.number().int(), z.string().regex(/^0?[0-7]{3,4}$/, 'expected perms such as 0644')]).optional(),
    backup: z.boolean().optional(),
    wait: waitField.optional(),
    command_timeout: z.string().optional(),
  })
  .strict()
  .transform((b, ctx): TemplateConfig => {
    let commandTimeoutMs: number | undefined;
    if (b.command_timeout !== undefined) {
      try {
        commandTimeoutMs = parseDuration(b.command_timeout);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `command_timeout: ${(e as Error).message}` });
        return z.NEVER;
      }
    }
    return {
      source: b.source,
      destination: b.destination,
      check: b.check,
      reload: b.reload,
      perms: b.perms === undefined ? undefined : typeof b.perms === 'number' ? b.perms : parseInt(b.perms, 8),
      backup: b.backup ?? false,
      wait: b.wait,
      commandTimeoutMs,
    };
  });

const templateItem = z.union([
  z.string().transform((s, ctx) => {
    try {
      return parseTemplateFlag(s);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }),
  templateBlock,
]);

export const renderSpec: AgentSpec<RenderConfig> = {
  name: 'render',
  summary: 'Render proxy configs from the store, validate them with the proxy, swap atomically and reload',
  positional: {
    key: 'storeUri',
    name: 'store-uri',
    description: 'consul://, etcd://, etcd2:// or zk:// URI whose path is the watched prefix',
    missing: 'expected a store URI such as consul://localhost:8500/services',
  },
  options: [
    {
      key: 'storeUri',
      flag: 'store',
      value: 'URI',
      description: 'store URI (same as the positional argument)',
      schema: storeUri(['consul', 'etcd', 'etcd2', 'zk']),
    },
    {
      key: 'templates',
      flag: 'template',
      value: 'SRC:DEST[:RELOAD-CMD]',
      multiple: true,
      description:
        'template to render (repeatable); YAML `templates:` blocks add check, perms, backup, wait, command_timeout',
      schema: list(templateItem),
    },
    {
      key: 'wait',
      flag: 'wait',
      value: 'MIN[:MAX]',
      description: 'quiescence: render after MIN without changes, at the latest MAX after the first',
      default: '500ms:5s',
      schema: text().pipe(waitField),
    },
    {
      key: 'once',
      flag: 'once',
      description: 'render once, run checks and reloads, exit non-zero on failure',
      default: false,
      schema: bool(),
    },
    {
      key: 'dry',
      flag: 'dry',
      description: 'print what would be written to stdout; touch nothing',
      default: false,
      schema: bool(),
    },
    {
      key: 'domain',
      flag: 'domain',
      value: 'DOMAIN',
      description: 'domain of the Host-header routes in the shipped templates (<service>.<domain>)',
      default: 'local',
      schema: text(),
    },
    {
      key: 'commandTimeout',
      flag: 'command-timeout',
      value: 'DURATION',
      description: 'timeout of each check and reload command',
      default: '30s',
      schema: duration(),
    },
    ...sharedOptions('serve /healthz and /metrics here'),
  ],
  examples: [
    'shoal render --template templates/haproxy.cfg.hbs:/etc/haproxy/haproxy.cfg consul://localhost:8500/services',
    "shoal render --wait 1s:10s --template nginx.conf.hbs:/etc/nginx/nginx.conf:'nginx -s reload' etcd://10.0.0.5:2379/services",
    'shoal render --once --dry --template templates/haproxy.cfg.hbs:/tmp/haproxy.cfg consul://localhost:8500/services',
  ],
  finish(v) {
    const templates = (v.templates as TemplateConfig[] | undefined) ?? [];
    if (templates.length === 0)
      return { key: 'templates', message: 'expected at least one --template SRC:DEST[:RELOAD-CMD]' };
    return {
      storeUri: v.storeUri as RenderConfig['storeUri'],
      templates,
      wait: v.wait as Wait,
      once: v.once as boolean,
      dry: v.dry as boolean,
      domain: v.domain as string,
      commandTimeoutMs: v.commandTimeout as number,
      ...sharedConfigFrom(v),
    };
  },
};
