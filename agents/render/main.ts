import type { AgentMain } from '../common/agent.js';
import { ShoalError } from '../common/errors.js';
import type { RenderConfig } from './config.js';

export const main: AgentMain<RenderConfig> = async () => {
  throw new ShoalError('SHOAL_NOT_BUILT', 'shoal render: this agent is not built yet (see the open issue)', { exitCode: 1 });
};
