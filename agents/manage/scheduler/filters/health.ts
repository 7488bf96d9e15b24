import { keep, type Filter } from './filter.js';

/** Only healthy nodes take new containers. */
export const health: Filter = {
  name: 'health',
  conditions: () => [],
  apply(_req, nodes) {
    return keep(
      nodes.filter((n) => n.health === 'healthy'),
      () => 'no healthy node available in the cluster',
    );
  },
};
