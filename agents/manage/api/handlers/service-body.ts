/**
 * A service create or update body as the store takes it: fields shoal does not honour refused (400 naming the
 * field and its compose key), network targets resolved to cluster network IDs (404 for an unknown one).
 */
import { resolveTargets } from '../../networks/attach.js';
import { SpecError } from '../../services/errors.js';
import { refuseUnsupported } from '../../services/unsupported.js';
import { SwarmError } from '../../swarm/errors.js';
import type { ServicesApi } from './services.js';

export async function serviceBody(api: ServicesApi, body: unknown): Promise<unknown> {
  try {
    refuseUnsupported(body);
  } catch (err) {
    if (err instanceof SpecError) throw new SwarmError(400, err.message, 'SHOAL_SERVICE_SPEC');
    throw err;
  }
  if (!api.networks) return body;
  return resolveTargets(body, await api.networks.list());
}
