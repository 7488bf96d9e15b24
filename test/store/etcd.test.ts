/**
 * The etcd v3 backend against the harness etcd: the Store contract, plus what only etcd v3 has: the stored
 * key layout, leases revoked behind the lease's back, locks losing their lease, re-listing after compaction,
 * and typed errors when nothing (or nothing useful) answers.
 */
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { service } from '../harness/services.js';
import { storeContract } from './contract.js';
import { openStore } from '../../agents/store/open.js';
import { etcdLeaseSeconds } from '../../agents/store/etcd.js';

const main = await service('etcd');
const chaos = await service('etcd', 'chaos');

storeContract(t, {
  scheme: 'etcd',
  address: main.address,
  chaos: { address: chaos.address, stop: () => chaos.stop(), start: () => chaos.start() },
  ttlMs: 4000,
});
