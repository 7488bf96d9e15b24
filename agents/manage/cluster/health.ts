/**
 * An engine's health as a pure state machine: pending until the first successful refresh (however often it
 * fails before: classic Swarm shows a node never reached as Pending), healthy after it, unhealthy once a
 * healthy node has `failureRetry` consecutive failures (refreshes, pings, or calls through the manager that
 * could not reach it). A success ends the whole run of failures: its count, its start and its error. Each
 * failure short of unhealthy lowers the node's health score, which ranks it below nodes that answered
 * (classic Swarm's health indicator). Pure: `EngineNode` applies it and does the I/O.
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
  /** A create (or other call) made through the manager could not reach the engine. */
  | { kind: 'call-failed'; error: string; at: number }
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
    case 'call-failed':
    case 'ping-failed': {
      const failures = s.failures + 1;
      return {
        // a pending node stays pending (it was never validated); an unhealthy one stays unhealthy
        health: s.health === 'healthy' && failures >= c.failureRetry ? 'unhealthy' : s.health,
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

/**
 * Classic Swarm's health indicator: 100 for a healthy node whose last check answered, less by an equal share
 * for each failure in a row short of `failureRetry`, 0 for a node that is not healthy. The strategies rank
 * by it before load, so a node that just failed is tried last.
 */
export function healthScore(s: HealthState, c: HealthConfig): number {
  if (s.health !== 'healthy' || s.failures >= c.failureRetry) return 0;
  return 100 - Math.floor((s.failures * 100) / c.failureRetry);
}
