/**
 * ServiceSpec fields shoal's task containers do not honour yet. The stock CLI fills them from compose keys
 * (`docker stack deploy`) or `service create` flags; rather than accept them and run tasks without them, the API
 * edge answers 400 naming the field and the compose key it comes from. A field left at its zero value (what the
 * CLI sends when the key is absent) passes. Pure; records already stored are never re-checked.
 */
import { SpecError } from './errors.js';

type Raw = Record<string, unknown>;

interface Rule {
  /** JSON path under the ServiceSpec. */
  path: string;
  /** The compose key (and, after a slash, the CLI flag) that sets it. */
  source: string;
  /** Whether the value asks for something (absent, null, false, 0, '', [] and {} do not). */
  set?: (v: unknown) => boolean;
}

/** Set when it is anything but absent, empty or one of `defaults`. */
const besides =
  (...defaults: string[]) =>
  (v: unknown): boolean =>
    v !== undefined && v !== null && v !== '' && !defaults.includes(v as string);

const RULES: readonly Rule[] = [
  { path: 'TaskTemplate.ContainerSpec.Secrets', source: 'secrets / --secret' },
  { path: 'TaskTemplate.ContainerSpec.Configs', source: 'configs / --config' },
  { path: 'TaskTemplate.ContainerSpec.Hosts', source: 'extra_hosts / --host' },
  { path: 'TaskTemplate.ContainerSpec.DNSConfig.Nameservers', source: 'dns / --dns' },
  { path: 'TaskTemplate.ContainerSpec.DNSConfig.Search', source: 'dns_search / --dns-search' },
  { path: 'TaskTemplate.ContainerSpec.DNSConfig.Options', source: 'dns_opt / --dns-option' },
  { path: 'TaskTemplate.ContainerSpec.OpenStdin', source: 'stdin_open' },
  { path: 'TaskTemplate.ContainerSpec.ReadOnly', source: 'read_only / --read-only' },
  { path: 'TaskTemplate.ContainerSpec.Groups', source: 'group_add / --group' },
  { path: 'TaskTemplate.ContainerSpec.Privileges.CredentialSpec', source: 'credential_spec / --credential-spec' },
  { path: 'TaskTemplate.ContainerSpec.Privileges.SELinuxContext', source: 'security_opt' },
  { path: 'TaskTemplate.ContainerSpec.Privileges.NoNewPrivileges', source: 'security_opt' },
  { path: 'TaskTemplate.ContainerSpec.Privileges.Seccomp', source: 'security_opt' },
  { path: 'TaskTemplate.ContainerSpec.Privileges.AppArmor', source: 'security_opt' },
  { path: 'TaskTemplate.ContainerSpec.Isolation', source: 'isolation / --isolation', set: besides('default') },
  { path: 'TaskTemplate.ContainerSpec.Sysctls', source: 'sysctls / --sysctl' },
  { path: 'TaskTemplate.ContainerSpec.CapabilityAdd', source: 'cap_add / --cap-add' },
  { path: 'TaskTemplate.ContainerSpec.CapabilityDrop', source: 'cap_drop / --cap-drop' },
  { path: 'TaskTemplate.ContainerSpec.Ulimits', source: 'ulimits / --ulimit' },
  { path: 'TaskTemplate.ContainerSpec.OomScoreAdj', source: 'oom_score_adj / --oom-score-adj' },
  { path: 'TaskTemplate.LogDriver', source: 'logging / --log-driver' },
  { path: 'TaskTemplate.Resources.Limits.Pids', source: 'deploy.resources.limits.pids / --limit-pids' },
  {
    path: 'TaskTemplate.Resources.Reservations.GenericResources',
    source: 'deploy.resources.reservations.generic_resources / --generic-resource',
  },
  { path: 'TaskTemplate.Runtime', source: 'a plugin runtime', set: besides('container') },
];

function given(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.values(v as Raw).some(given);
  return true;
}

function at(body: unknown, path: string): unknown {
  let v: unknown = body;
  for (const k of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Raw)[k];
  }
  return v;
}

/** Throws a SpecError (400) for the first field of `body` that asks for something shoal does not do. */
export function refuseUnsupported(body: unknown): void {
  for (const r of RULES) {
    const v = at(body, r.path);
    if ((r.set ?? given)(v))
      throw new SpecError(r.path, `not supported by shoal (set by compose key or CLI flag: ${r.source})`);
  }
}
