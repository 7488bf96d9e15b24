import type { Strategy } from './strategy.js';
import { spread } from './spread.js';
import { binpack } from './binpack.js';
import { random } from './random.js';

export type { Strategy, StrategyOptions } from './strategy.js';

export const STRATEGIES_BY_NAME: Record<string, Strategy> = { spread, binpack, random };

export function strategyByName(name: string): Strategy {
  const s = STRATEGIES_BY_NAME[name];
  if (!s) throw new Error(`unknown strategy "${name}"`);
  return s;
}
