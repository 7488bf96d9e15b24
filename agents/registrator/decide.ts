/** Whether a container's services belong in the store right now. Pure. */
import type { ContainerInfo } from '../docker/container.js';

export type Decision = 'register' | 'deregister' | 'keep';

export interface DecideOptions {
  deregister: 'always' | 'on-success';
  healthAware: boolean;
}

/**
 * `register`: running (and, with health-awareness, healthy if it has a HEALTHCHECK); `keep`: stopped with a
 * non-zero exit under `--deregister on-success` (leave whatever is stored); `deregister` otherwise, and when
 * the container no longer exists.
 */
export function decide(c: ContainerInfo | undefined, opts: DecideOptions): Decision {
  if (c === undefined) return 'deregister';
  if (c.running && !c.paused && c.state !== 'restarting') {
    if (opts.healthAware && c.health !== 'none' && c.health !== 'healthy') return 'deregister';
    return 'register';
  }
  if (opts.deregister === 'on-success' && (c.state === 'exited' || c.state === 'dead') && c.exitCode !== 0)
    return 'keep';
  return 'deregister';
}

/**
 * Container event actions that may change what a container offers. `kill`, `stop` and `oom` are not among
 * them: a process that ends sends `die` (after `kill`/`oom`, before `stop`), and inspecting on `kill` would
 * only delay the `die` that follows behind an inspect of a container still running.
 */
export const TRIGGER_ACTIONS = new Set([
  'start',
  'unpause',
  'restart',
  'die',
  'pause',
  'destroy',
  'health_status',
  'rename',
]);

/**
 * The decision an event settles by itself, without inspecting the container: `destroy` (it is gone) and
 * `die` (it stopped, with the exit code in the event's attributes). undefined: inspect. The event stream is
 * in order, so a later `start` of the same container overrides this (registrator.ts keeps the latest only).
 */
export function decideFromEvent(
  action: string,
  attributes: Readonly<Record<string, string>>,
  opts: DecideOptions,
): Decision | undefined {
  if (action === 'destroy') return 'deregister';
  if (action !== 'die') return undefined;
  if (opts.deregister === 'always') return 'deregister';
  const code = attributes.exitCode;
  if (code === undefined || !/^\d+$/.test(code)) return undefined;
  return code === '0' ? 'deregister' : 'keep';
}
