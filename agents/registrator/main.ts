import type { AgentMain } from '../common/agent.js';
import { ShoalError } from '../common/errors.js';
import type { RegistratorConfig } from './config.js';

export const main: AgentMain<RegistratorConfig> = async () => {
  throw new ShoalError('SHOAL_NOT_BUILT', 'shoal registrator: this agent is not built yet (see the open issue)', { exitCode: 1 });
};
