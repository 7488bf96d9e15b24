/** The shape of an agent's command line: one table drives help, flags, env vars, the YAML file and validation. */
import type { z } from 'zod/v3';

export interface OptionSpec {
  /** camelCase key of the config object, also accepted in the YAML file (as is or kebab-case). */
  key: string;
  /** Long flag name, kebab-case, without dashes. */
  flag: string;
  short?: string;
  /** More long names accepted for the same option (e.g. `advertise` for `addr`). */
  aliases?: string[];
  /** Value placeholder for help, e.g. `HOST:PORT`; absent for a boolean switch. */
  value?: string;
  /** May be given several times; the value is a list. */
  multiple?: boolean;
  description: string;
  /** Raw default, as a user would type it (shown in help). */
  default?: string | boolean | string[];
  /** Turns the raw value into the typed one. */
  schema: z.ZodType;
  /** Extra environment variables read (lower precedence than SHOAL_<FLAG>), e.g. DOCKER_HOST. */
  env?: string[];
  /** Never echoed in errors or logs. */
  secret?: boolean;
  /** Hidden from help (compatibility spellings). */
  hidden?: boolean;
}

export interface PositionalSpec {
  key: string;
  name: string;
  description: string;
  required?: boolean;
  /** When absent from flag, env and file: this Issue message, reported before `finish` runs. */
  missing?: string;
  /**
   * A positional argument that `matches` is the option `key` given as a flag instead (e.g. `shoal join`'s
   * manager address, `HOST:PORT`, in the place of a discovery URI).
   */
  alternate?: { key: string; matches: (raw: string) => boolean };
}

export interface Issue {
  key: string;
  message: string;
}

export interface AgentSpec<T> {
  name: string;
  summary: string;
  positional?: PositionalSpec;
  options: OptionSpec[];
  examples: string[];
  /** Cross-field checks and final shaping, on the values the option schemas produced. */
  finish: (values: Record<string, unknown>) => T | Issue;
}

export function isIssue(x: unknown): x is Issue {
  return typeof x === 'object' && x !== null && 'key' in x && 'message' in x && Object.keys(x).length === 2;
}

export function envName(flag: string): string {
  return `SHOAL_${flag.toUpperCase().replace(/-/g, '_')}`;
}
