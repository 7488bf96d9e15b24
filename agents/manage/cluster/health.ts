/**
 * An engine's health as a pure state machine: pending until the first refresh, healthy after a successful
 * one, unhealthy after `failureRetry` consecutive failed checks (refreshes or pings). A success ends the whole
 * run of failures: its count, its start and its error. Pure: `EngineNode` applies it and does the I/O.
 */
import type { Health } from '../scheduler/node.js';

export interface HealthState {
  health: Health;
  /** Failed checks in a row. */
  failures: number;
  /** When the current run of failures began (ms), to tell containers the failure stopped from earlier exits. */
  firstFailureAt: number | undefined;
  /** The last failure's message; empty when the run is over. */
  error: string;
  /** The last failure came from a ping: only a ping's failures are cleared by a ping that answers. */
  lastFailureByPing: boolean;
}

export type HealthEvent =
  | { kind: 'refreshed' }
  | { kind: 'refresh-failed'; error: string; at: number }
  | { kind: 'ping-failed'; error: string; at: number }
  | { kind: 'pinged' };

export interface HealthConfig {
  /** Consecutive failures before the node is unhealthy (--engine-failure-retry). */
  failureRetry: number;
}

export const INITIAL_HEALTH: HealthState = {
  health: 'pending',
  failures: 0,
  firstFailureAt: undefined,
  error: '',
  lastFailureByPing: false,
};

/** The run of failures is over: its count, its start and its error. */
const recovered = (s: HealthState): HealthState => ({ ...s, failures: 0, firstFailureAt: undefined, error: '' });

export function nextHealth(s: HealthState, e: HealthEvent, c: HealthConfig): HealthState {
  switch (e.kind) {
    case 'refreshed':
      return { ...recovered(s), health: 'healthy' };
    case 'refresh-failed':
    case 'ping-failed': {
      const failures = s.failures + 1;
      return {
        health: failures >= c.failureRetry ? 'unhealthy' : s.health,
        failures,
        firstFailureAt: s.firstFailureAt ?? e.at,
        error: e.kind === 'ping-failed' ? `ping: ${e.error}` : e.error,
        lastFailureByPing: e.kind === 'ping-failed',
      };
    }
    case 'pinged':
      // a failing refresh (e.g. a refused engine) keeps its count; a node not healthy waits for a refresh
      return s.lastFailureByPing && s.failures > 0 && s.health === 'healthy' ? recovered(s) : s;
  }
}

/** A ping answered a node whose failures are the pings' own, but that is not healthy: refresh it now. */
export function refreshOnAnswer(s: HealthState): boolean {
  return s.lastFailureByPing && s.failures > 0 && s.health !== 'healthy';
}
