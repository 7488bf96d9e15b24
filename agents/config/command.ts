/** Build a commander command from an AgentSpec: help text with defaults, env names and examples. */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../common/errors.js';
import { normalizeArgv } from './argv.js';
import { envName, type AgentSpec } from './spec.js';

export interface ParsedArgs {
  flags: Record<string, unknown>;
  positional: string | undefined;
  configFile: string | undefined;
}

function collect(value: string, previous: unknown): string[] {
  return Array.isArray(previous) ? [...previous, value] : [value];
}

export function buildCommand<T>(spec: AgentSpec<T>, onParsed: (args: ParsedArgs) => void | Promise<void>): Command {
  const cmd = new Command(spec.name).description(spec.summary).helpOption('-h, --help', 'show this help');
  cmd.configureHelp({ sortOptions: false, showGlobalOptions: false });
  if (spec.positional) {
    const p = spec.positional;
    cmd.argument(p.required ? `[${p.name}]` : `[${p.name}]`, p.description);
  }
  cmd.addOption(
    new Option('--config <FILE>', 'read options from a YAML file (flags and env win over it)').env('SHOAL_CONFIG'),
  );
  for (const o of spec.options) {
    const names = `${o.short ? `-${o.short}, ` : ''}--${o.flag}${o.value ? ` <${o.value}>` : ''}`;
    const envs = [envName(o.flag), ...(o.env ?? [])].join(', ');
    const off = !o.value && o.default === true ? `; off: --no-${o.flag} or --${o.flag}=false` : '';
    const dflt =
      o.default === undefined
        ? ''
        : ` (default: ${Array.isArray(o.default) ? o.default.join(',') || 'none' : String(o.default)}${off})`;
    const more = o.aliases?.length ? ` [also --${o.aliases.join(', --')}]` : '';
    const desc = `${o.description}${dflt}${more} [env ${envs}]`;
    const opt = new Option(names, desc);
    if (o.hidden) opt.hideHelp();
    if (o.multiple) opt.argParser(collect);
    cmd.addOption(opt);
    if (!o.value) cmd.addOption(new Option(`--no-${o.flag}`).hideHelp());
  }
  if (spec.examples.length) {
    cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n`);
  }
  cmd.action(async (positional: string | undefined, opts: Record<string, unknown>) => {
    const flags: Record<string, unknown> = {};
    for (const o of spec.options) {
      const camel = o.flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      const v = opts[camel];
      if (v !== undefined && cmd.getOptionValueSource(camel) === 'cli') flags[o.key] = v;
    }
    const configFile = opts.config as string | undefined;
    await onParsed({ flags, positional: spec.positional ? positional : undefined, configFile });
  });
  return cmd;
}

/** Parse argv for one agent without running it (tests, `shoal up`). */
export function parseAgentArgv<T>(spec: AgentSpec<T>, argv: readonly string[]): ParsedArgs {
  let parsed: ParsedArgs | undefined;
  const cmd = buildCommand(spec, (a) => {
    parsed = a;
  });
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  try {
    cmd.parse(normalizeArgv(argv, spec.options), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError)
      throw new ConfigError(`shoal ${spec.name}: ${err.message.replace(/^error: /, '')}`);
    throw err;
  }
  if (!parsed) throw new ConfigError(`shoal ${spec.name}: could not parse the command line`);
  return parsed;
}
