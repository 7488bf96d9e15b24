/**
 * The parts of the Engine API's answers that shoal reads, as the engine spells them. Only the client and
 * the pure mappings (container.ts, manage's convert.ts) see these; decisions get plain values.
 */

/** `GET /info`. */
export interface EngineInfo {
  ID?: string;
  Name?: string;
  NCPU?: number;
  MemTotal?: number;
  Labels?: string[] | null;
  Driver?: string;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  ServerVersion?: string;
}

/** `GET /version`. */
export interface EngineVersion {
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
}

/** One item of `GET /images/json`. */
export interface ImageSummary {
  Id: string;
  RepoTags?: string[];
}

/** One item of `GET /containers/json`. */
export interface ContainerSummary {
  Id: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  Labels?: Record<string, string> | null;
  State?: string;
  Ports?: { IP?: string; PrivatePort?: number; PublicPort?: number; Type?: string }[];
  HostConfig?: { NetworkMode?: string };
}

/** `GET /containers/{id}/json` (container.ts maps the whole answer for the host agents). */
export interface ContainerInspect {
  Id?: string;
  Name?: string;
  State?: { StartedAt?: string; FinishedAt?: string; [k: string]: unknown };
  HostConfig?: {
    PortBindings?: unknown;
    NetworkMode?: string;
    CpuShares?: number;
    NanoCpus?: number;
    Memory?: number;
    [k: string]: unknown;
  };
  Config?: { ExposedPorts?: unknown; [k: string]: unknown };
  [k: string]: unknown;
}

/** `POST /containers/create`. */
export interface CreateAnswer {
  Id?: string;
  Warnings?: string[];
  message?: string;
}
