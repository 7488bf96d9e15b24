import { keep, type Filter } from './filter.js';

/** A node labelled `containerslots=N` takes at most N containers (all states, pending included). */
export const containerslots: Filter = {
  name: 'containerslots',
  conditions: () => ['available container slots'],
  apply(_req, nodes) {
    return keep(
      nodes.filter((n) => {
        const raw = n.labels['containerslots'];
        if (raw === undefined) return true;
        const slots = Number(raw);
        if (!Number.isInteger(slots) || slots < 0) return true; // a bad label does not block the node
        return n.containers.length < slots;
      }),
      () => 'no available container slots on any node',
    );
  },
};
