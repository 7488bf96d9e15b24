import type { AgentMain } from '../common/agent.js';
import { ShoalError } from '../common/errors.js';
import type { ManageConfig } from './config.js';

export const main: AgentMain<ManageConfig> = async () => {
  throw new ShoalError('SHOAL_NOT_BUILT', 'shoal manage: this agent is not built yet (see the open issue)', { exitCode: 1 });
};
