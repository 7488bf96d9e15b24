/**
 * Merge an agent's options from flags, environment, a YAML file and defaults (in that precedence),
 * validate them once with the spec's zod schemas, and return one typed object, or a ConfigError that
 * names the field, the value and what is expected: `shoal join: --addr "notanaddr": expected HOST:PORT`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ConfigError } from '../common/errors.js';
import { envName, isIssue, type AgentSpec, type OptionSpec } from './spec.js';

/** The YAML parser, loaded (synchronously) only when a config file is read: an agent run on flags never pays for it. */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(text);
}

export type Source = 'flag' | 'env' | 'file' | 'default';

export interface RawInput {
  /** Values commander parsed from the command line, by option key (only those given). */
  flags: Record<string, unknown>;
  positional?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Path of the YAML file (from --config or SHOAL_CONFIG). */
  configFile?: string | undefined;
  readFile?: (path: string) => string;
}

interface Picked {
  value: unknown;
  source: Source;
  label: string;
}

function camelToKebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function readConfigFile(
  spec: AgentSpec<unknown>,
  path: string,
  readFile: (p: string) => string,
): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`shoal ${spec.name}: --config "${path}": cannot read the file (${code})`, 'config');
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`shoal ${spec.name}: --config "${path}": invalid YAML: ${msg}`, 'config');
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(
      `shoal ${spec.name}: --config "${path}": expected a YAML mapping of option names to values`,
      'config',
    );
  }
  const known = new Map<string, string>();
  for (const o of spec.options) {
    for (const n of [o.key, o.flag, camelToKebab(o.key), ...(o.aliases ?? [])]) known.set(n, o.key);
  }
  if (spec.positional) {
    known.set(spec.positional.key, spec.positional.key);
    known.set(spec.positional.name, spec.positional.key);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const key = known.get(k);
    if (!key) throw new ConfigError(`shoal ${spec.name}: --config "${path}": unknown option "${k}"`, k);
    out[key] = v;
  }
  return out;
}

function pick(
  opt: OptionSpec,
  input: RawInput,
  file: Record<string, unknown>,
  filePath: string | undefined,
): Picked | undefined {
  if (input.flags[opt.key] !== undefined) {
    return {
      value: input.flags[opt.key],
      source: 'flag',
      label: opt.short && !opt.flag ? `-${opt.short}` : `--${opt.flag}`,
    };
  }
  for (const name of [envName(opt.flag), ...(opt.env ?? [])]) {
    const v = input.env[name];
    if (v !== undefined && v !== '') {
      const value = opt.multiple
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : v;
      return { value, source: 'env', label: name };
    }
  }
  if (file[opt.key] !== undefined)
    return { value: file[opt.key], source: 'file', label: `${opt.flag} (in ${filePath})` };
  if (opt.default !== undefined) return { value: opt.default, source: 'default', label: `--${opt.flag}` };
  return undefined;
}

/** Credentials inside a value (`scheme://user:pass@host`, `?token=...`) never reach an error line. */
export function redactCredentials(text: string): string {
  return text
    .replace(/(\/\/)[^/@?#\s]*@/g, '$1[redacted]@')
    .replace(/([?&](?:token|password|passwd|secret|key)=)[^&#\s]*/gi, '$1[redacted]');
}

function show(value: unknown, secret: boolean | undefined): string {
  if (secret) return '"[redacted]"';
  if (Array.isArray(value)) return JSON.stringify(value.map((v) => redactCredentials(String(v))));
  return JSON.stringify(redactCredentials(String(value)));
}

export interface Loaded<T> {
  config: T;
  sources: Record<string, Source>;
}

export function loadConfig<T>(spec: AgentSpec<T>, given: RawInput): Loaded<T> {
  const alt = spec.positional?.alternate;
  const input =
    alt && given.positional !== undefined && alt.matches(given.positional) && given.flags[alt.key] === undefined
      ? { ...given, flags: { ...given.flags, [alt.key]: given.positional }, positional: undefined }
      : given;
  const readFile = input.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const filePath = input.configFile ?? input.env.SHOAL_CONFIG;
  const file = filePath ? readConfigFile(spec as AgentSpec<unknown>, filePath, readFile) : {};

  const values: Record<string, unknown> = {};
  const sources: Record<string, Source> = {};
  const labels = new Map<string, { label: string; raw: unknown; secret?: boolean | undefined }>();

  for (const opt of spec.options) {
    const picked = pick(opt, input, file, filePath);
    if (!picked) continue;
    const parsed = opt.schema.safeParse(picked.value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const message = issue?.code === 'custom' ? issue.message : `expected ${opt.value ?? 'a value'}`;
      throw new ConfigError(
        `shoal ${spec.name}: ${picked.label} ${show(picked.value, opt.secret)}: ${message}`,
        opt.key,
      );
    }
    values[opt.key] = parsed.data;
    sources[opt.key] = picked.source;
    labels.set(opt.key, { label: picked.label, raw: picked.value, secret: opt.secret });
  }

  const pos = spec.positional;
  if (pos) {
    const fromFlag = input.positional;
    const fromEnv = input.env[envName(pos.key)];
    const raw = fromFlag ?? (values[pos.key] === undefined ? (fromEnv ?? file[pos.key]) : undefined);
    if (raw !== undefined && values[pos.key] === undefined) {
      const opt = spec.options.find((o) => o.key === pos.key);
      const schema = opt?.schema;
      const label = `<${pos.name}>`;
      if (schema) {
        const parsed = schema.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new ConfigError(
            `shoal ${spec.name}: ${label} ${show(raw, false)}: ${issue?.message ?? 'invalid'}`,
            pos.key,
          );
        }
        values[pos.key] = parsed.data;
      } else values[pos.key] = raw;
      sources[pos.key] = fromFlag !== undefined ? 'flag' : fromEnv !== undefined ? 'env' : 'file';
      labels.set(pos.key, { label, raw });
    } else if (raw !== undefined && fromFlag !== undefined) {
      // given both as positional and as its flag: the positional wins, like a flag over env
      const opt = spec.options.find((o) => o.key === pos.key);
      const parsed = opt?.schema.safeParse(raw);
      if (parsed && !parsed.success) {
        throw new ConfigError(
          `shoal ${spec.name}: <${pos.name}> ${show(raw, false)}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
          pos.key,
        );
      }
      values[pos.key] = parsed ? parsed.data : raw;
      sources[pos.key] = 'flag';
      labels.set(pos.key, { label: `<${pos.name}>`, raw });
    }
    if (pos.required && values[pos.key] === undefined) {
      throw new ConfigError(`shoal ${spec.name}: missing <${pos.name}>: ${pos.description}`, pos.key);
    }
  }

  const result =
    pos?.missing !== undefined && values[pos.key] === undefined
      ? { key: pos.key, message: pos.missing }
      : spec.finish(values);
  if (isIssue(result)) {
    const l = labels.get(result.key);
    const opt = spec.options.find((o) => o.key === result.key);
    const where = l ? `${l.label} ${show(l.raw, l.secret)}` : `--${opt?.flag ?? result.key}`;
    throw new ConfigError(`shoal ${spec.name}: ${where}: ${result.message}`, result.key);
  }
  return { config: result, sources };
}
