/**
 * `GET /services/{id}?insertDefaults=true` (what `docker service inspect` asks for): the spec body with the
 * defaults swarm fills in where the client left them out (contract section 3.4): UpdateConfig and
 * RollbackConfig, TaskTemplate.RestartPolicy (or only its Delay), ContainerSpec.StopGracePeriod. Pure; the
 * stored body is not changed.
 */
import { DEFAULT_RESTART, DEFAULT_STOP_GRACE, DEFAULT_UPDATE } from './types.js';

type Body = Record<string, unknown>;

const isObj = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);

function updateDefaults(): Body {
  const { Delay: _delay, ...rest } = DEFAULT_UPDATE;
  return { ...rest };
}

export function withDefaults(spec: Body): Body {
  const tt: Body = isObj(spec.TaskTemplate) ? { ...spec.TaskTemplate } : {};
  if (isObj(tt.ContainerSpec) && tt.ContainerSpec.StopGracePeriod == null)
    tt.ContainerSpec = { ...tt.ContainerSpec, StopGracePeriod: DEFAULT_STOP_GRACE };
  const rp = tt.RestartPolicy;
  if (!isObj(rp))
    tt.RestartPolicy = { Condition: DEFAULT_RESTART.Condition, Delay: DEFAULT_RESTART.Delay, MaxAttempts: 0 };
  else
    tt.RestartPolicy = {
      ...rp,
      Condition: rp.Condition ?? DEFAULT_RESTART.Condition,
      Delay: rp.Delay ?? DEFAULT_RESTART.Delay,
      MaxAttempts: rp.MaxAttempts ?? 0,
    };
  return {
    ...spec,
    TaskTemplate: tt,
    UpdateConfig: isObj(spec.UpdateConfig) ? spec.UpdateConfig : updateDefaults(),
    RollbackConfig: isObj(spec.RollbackConfig) ? spec.RollbackConfig : updateDefaults(),
  };
}
