import type { AgentMain } from '../common/agent.js';
import { ShoalError } from '../common/errors.js';
import type { JoinConfig } from './config.js';

export const main: AgentMain<JoinConfig> = async () => {
  throw new ShoalError('SHOAL_NOT_BUILT', 'shoal join: this agent is not built yet (see the open issue)', { exitCode: 1 });
};
