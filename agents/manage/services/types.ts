/**
 * The typed internal ServiceSpec: what `POST /services/create` and `/services/{id}/update` carry (Docker's JSON,
 * contract section 7) after validation. Durations are integer nanoseconds, CPU in nano-CPUs, as on the wire.
 */
export type ConstraintOp = '==' | '!=';

/** `node.id`, `node.hostname`, `node.role`, `node.platform.os|arch`, `node.labels.<k>`, `engine.labels.<k>`. */
export interface Constraint {
  key: string;
  op: ConstraintOp;
  value: string;
}

export interface Mount {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  /** Options objects passed through as given (BindOptions, VolumeOptions, TmpfsOptions). */
  [option: string]: unknown;
}

export interface Healthcheck {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

export interface ResourceSet {
  NanoCPUs: number;
  MemoryBytes: number;
}

export interface ContainerSpec {
  Image: string;
  Command?: string[];
  Args?: string[];
  Env: string[];
  Labels: Record<string, string>;
  Mounts: Mount[];
  Init?: boolean;
  /** `--tty`: the task container gets a terminal; its logs are raw, and so are the service's. */
  TTY?: boolean;
  Healthcheck?: Healthcheck;
  Dir?: string;
  User?: string;
  Hostname?: string;
  StopSignal?: string;
  StopGracePeriod?: number;
}

export type RestartCondition = 'none' | 'on-failure' | 'any';

export interface RestartPolicy {
  Condition: RestartCondition;
  Delay: number;
  /** 0: unlimited. */
  MaxAttempts: number;
  /** 0: attempts are counted over all time. */
  Window: number;
}

export type FailureAction = 'pause' | 'continue' | 'rollback';

export interface UpdateConfig {
  /** 0: every task at once. */
  Parallelism: number;
  Delay: number;
  FailureAction: FailureAction;
  Monitor: number;
  MaxFailureRatio: number;
  Order: 'stop-first' | 'start-first';
}

export interface SpreadPreference {
  /** The descriptor as given, e.g. `node.labels.zone`. */
  SpreadDescriptor: string;
}

export interface Placement {
  Constraints: Constraint[];
  /** The constraint strings as given, for echoing back. */
  ConstraintText: string[];
  Preferences: SpreadPreference[];
  /** 0: no limit. */
  MaxReplicas: number;
  Platforms: { OS: string; Architecture: string }[];
}

export interface PortConfig {
  Name?: string;
  Protocol: 'tcp' | 'udp' | 'sctp';
  TargetPort: number;
  /** 0: none asked (ingress picks one). */
  PublishedPort: number;
  PublishMode: 'ingress' | 'host';
}

export type ServiceMode = { kind: 'replicated'; replicas: number } | { kind: 'global' };

/** A cluster network a task joins (`Target` is the network's ID once stored), with extra DNS aliases. */
export interface NetworkAttachment {
  Target: string;
  Aliases: string[];
}

export interface TaskTemplate {
  ContainerSpec: ContainerSpec;
  Resources: { Limits: ResourceSet; Reservations: ResourceSet };
  RestartPolicy: RestartPolicy;
  Placement: Placement;
  ForceUpdate: number;
  /** Absent when the spec names no network (so the task-spec key of such specs is unchanged). */
  Networks?: NetworkAttachment[];
}

export interface ServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: TaskTemplate;
  Mode: ServiceMode;
  UpdateConfig: UpdateConfig;
  RollbackConfig: UpdateConfig;
  EndpointSpec: { Mode: 'vip' | 'dnsrr'; Ports: PortConfig[] };
}

/** Docker's defaults (what `insertDefaults=true` shows): contract section 3.4. */
export const DEFAULT_RESTART: RestartPolicy = { Condition: 'any', Delay: 5e9, MaxAttempts: 0, Window: 0 };
export const DEFAULT_UPDATE: UpdateConfig = {
  Parallelism: 1,
  Delay: 0,
  FailureAction: 'pause',
  Monitor: 5e9,
  MaxFailureRatio: 0,
  Order: 'stop-first',
};
export const DEFAULT_STOP_GRACE = 10e9;
