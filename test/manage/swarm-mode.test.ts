/**
 * Swarm mode's foundation with the stock docker CLI against a real `shoal manage` over the harness engines, on
 * each store backend: `swarm init`, `info`, `join-token` (print, rotate), `node ls / inspect / update /
 * demote`, the `version` rule, hostile node specs, a manager restart that keeps the IDs, `swarm leave --force`.
 */
import t from 'tap';
import type { Store } from '../../agents/store/store.js';
import { CLUSTER_KEY, MODE_PREFIX, NODES_PREFIX } from '../../agents/manage/swarm/layout.js';
import { verifyToken } from '../../agents/manage/swarm/tokens.js';
import { swarmSetup } from './swarm-setup.js';
import { sharedEngines, startTestManager, waitUntil, type TestManager } from './helpers.js';

await sharedEngines();

interface Doc {
  id: string;
  version: number;
  ca: { digest: string };
  tokens: Record<'worker' | 'manager', { hash: string; nonce: string }>;
}

async function stored(store: Store): Promise<Doc> {
  return JSON.parse((await store.get(CLUSTER_KEY)) as string) as Doc;
}

/** Raw API calls, for what the CLI never sends (stale versions, hostile specs). */
async function call(host: string, method: string, p: string, body?: unknown) {
  const res = await fetch(`${host.replace(/^tcp:/, 'http:')}/v1.41${p}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const kinds = (process.env.SHOAL_SWARM_STORES ?? 'consul,etcd,etcd2,zk').split(',');

for (const kind of kinds) {
  t.test(`swarm mode on ${kind}`, async (t) => {
    const { store, config, port } = await swarmSetup(t, kind, 'mgswarm');
    let tm: TestManager = await startTestManager(config);
    t.teardown(() => tm.stop());
    const docker = (args: string[], reject = true) => tm.docker(args, { reject });

    t.test('before init: docker info shows inactive, swarm endpoints answer 503', async (t) => {
      t.match((await docker(['info'])).stdout, /Swarm: inactive/);
      const ls = await docker(['node', 'ls'], false);
      t.equal(ls.exitCode, 1);
      t.match(ls.stderr, /This node is not a swarm manager/);
      t.equal(
        (await docker(['swarm', 'leave', '--force'], false)).stderr.trim(),
        'Error response from daemon: This node is not part of a swarm',
      );
    });

    let selfId = '';
    let workerToken = '';
    t.test('docker swarm init: a manager node, the join command, a CA and token hashes in the store', async (t) => {
      const init = await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
      const m = /Swarm initialized: current node \(([0-9a-z]{25})\) is now a manager\./.exec(init.stdout);
      t.ok(m, init.stdout);
      selfId = m?.[1] ?? '';
      const join = new RegExp(`docker swarm join --token (SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}) 127\\.0\\.0\\.1:${port}`);
      workerToken = join.exec(init.stdout)?.[1] ?? '';
      t.not(workerToken, '', 'the worker join line names this manager');
      const again = await docker(['swarm', 'init'], false);
      t.match(again.stderr, /This node is already part of a swarm/);
      const doc = await stored(store);
      t.equal(verifyToken(workerToken, doc.ca.digest, doc.tokens.worker.hash), 'ok');
      const everything = (await store.list('')).map((kv) => kv.value).join('\n');
      t.notOk(everything.includes(workerToken), 'the store holds no token');
      t.notOk(everything.includes(workerToken.slice(-25)), 'nor a token secret');
      t.ok(everything.includes(doc.tokens.worker.hash), 'only its hash');
    });

    t.test('docker info: active manager, 3 nodes, 1 manager, the cluster ID', async (t) => {
      const out = (await docker(['info'])).stdout;
      t.match(out, /Swarm: active/);
      t.match(out, /Is Manager: true/);
      t.match(out, /Nodes: 3/);
      t.match(out, /Managers: 1/);
      t.match(out, new RegExp(`NodeID: ${selfId}`));
      t.match(out, new RegExp(`ClusterID: ${(await stored(store)).id}`));
      t.match(out, new RegExp(`Manager Addresses:\\s+127\\.0\\.0\\.1:${port}`));
    });

    t.test('join-token prints the tokens again; --rotate makes the old one fail verification', async (t) => {
      const w = await docker(['swarm', 'join-token', 'worker']);
      t.match(w.stdout, `docker swarm join --token ${workerToken} 127.0.0.1:${port}`);
      t.equal((await docker(['swarm', 'join-token', '-q', 'worker'])).stdout.trim(), workerToken);
      const oldManager = (await docker(['swarm', 'join-token', '-q', 'manager'])).stdout.trim();
      t.match(oldManager, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
      t.not(oldManager, workerToken);
      const before = await stored(store);
      const rotated = (await docker(['swarm', 'join-token', '-q', '--rotate', 'manager'])).stdout.trim();
      t.match(rotated, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
      t.not(rotated, oldManager);
      const after = await stored(store);
      t.equal(after.version, before.version + 1, 'the rotation is a write of the cluster document');
      t.equal(verifyToken(oldManager, after.ca.digest, after.tokens.manager.hash), 'invalid', 'old token refused');
      t.equal(verifyToken(rotated, after.ca.digest, after.tokens.manager.hash), 'ok');
      t.equal(verifyToken(workerToken, after.ca.digest, after.tokens.worker.hash), 'ok', 'worker token kept');
      t.equal((await docker(['swarm', 'join-token', '-q', 'manager'])).stdout.trim(), rotated);
    });

    t.test('swarm update: spec changes; a stale version answers out of sequence', async (t) => {
      await docker(['swarm', 'update', '--task-history-limit', '7']);
      t.match((await docker(['info'])).stdout, /Task History Retention Limit: 7/);
      const stale = await call(tm.host, 'POST', '/swarm/update?version=1', {});
      t.equal(stale.status, 500);
      t.equal(stale.json().message, 'rpc error: code = Unknown desc = update out of sequence');
      const missing = await call(tm.host, 'POST', '/swarm/update', {});
      t.equal(missing.status, 400);
      t.match(missing.json().message, /version/);
    });

    let nodeIds: string[] = [];
    let worker = '';
    t.test('docker node ls: the 3 engines, Ready, one Leader, self marked', async (t) => {
      const out = (await docker(['node', 'ls'])).stdout.trim().split('\n');
      t.match(out[0], /^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION/);
      const rows = out.slice(1);
      t.equal(rows.length, 3, out.join('\n'));
      t.equal(rows.filter((r) => /\sReady\s/.test(r)).length, 3);
      t.equal(rows.filter((r) => /\sActive\s/.test(r)).length, 3);
      t.equal(rows.filter((r) => /\sLeader\s/.test(r)).length, 1);
      const starred = rows.filter((r) => /^[0-9a-z]{25} \*/.test(r));
      t.equal(starred.length, 1);
      t.match(starred[0], new RegExp(`^${selfId} \\*\\s+dockerhost0\\d\\s+Ready\\s+Active\\s+Leader`));
      nodeIds = (await docker(['node', 'ls', '-q'])).stdout.trim().split('\n').sort();
      t.equal(nodeIds.length, 3);
      worker = nodeIds.find((id) => id !== selfId) ?? '';
      const managers = (await docker(['node', 'ls', '-q', '--filter', 'role=manager'])).stdout.trim();
      t.equal(managers, selfId);
    });

    t.test('docker node inspect self / by hostname / ghost', async (t) => {
      const [self] = JSON.parse((await docker(['node', 'inspect', 'self'])).stdout) as Record<string, any>[];
      t.equal(self?.ID, selfId);
      t.same(self?.Spec, { Labels: {}, Role: 'manager', Availability: 'active' });
      t.match(self?.ManagerStatus, { Leader: true, Reachability: 'reachable', Addr: `127.0.0.1:${port}` });
      t.equal(self?.Status.State, 'ready');
      t.match(self?.Description, { Hostname: /^dockerhost0\d$/, Engine: { EngineVersion: /\d/ } });
      const [byName] = JSON.parse((await docker(['node', 'inspect', self?.Description.Hostname])).stdout);
      t.equal(byName.ID, selfId);
      const ghost = await docker(['node', 'inspect', 'ghost'], false);
      t.equal(ghost.exitCode, 1);
      t.match(ghost.stderr, /node ghost not found/);
    });

    t.test('docker node update: labels and availability; a stale version is out of sequence', async (t) => {
      const before = (await call(tm.host, 'GET', `/nodes/${worker}`)).json();
      await docker(['node', 'update', '--label-add', 'zone=a', '--availability', 'drain', worker]);
      const [after] = JSON.parse((await docker(['node', 'inspect', worker])).stdout);
      t.same(after.Spec, { Labels: { zone: 'a' }, Role: 'worker', Availability: 'drain' });
      t.ok(after.Version.Index > (before.Version as { Index: number }).Index);
      // the harness engines carry their own `zone` label (dockerd --label): node labels stay apart from it
      t.same(after.Description.Engine.Labels, (before.Description as any).Engine.Labels, 'engine labels unchanged');
      t.not(after.Description.Engine.Labels.zone, 'a');
      t.equal((await docker(['node', 'ls', '-q', '--filter', 'node.label=zone=a'])).stdout.trim(), worker);
      t.equal(
        (await docker(['node', 'ls', '-q', '--filter', 'label=zone=a'])).stdout.trim(),
        '',
        'label= is engine labels',
      );
      t.match((await docker(['node', 'ls'])).stdout, new RegExp(`${worker}\\s+\\S+\\s+Ready\\s+Drain`));
      const stale = await call(
        tm.host,
        'POST',
        `/nodes/${worker}/update?version=${(before.Version as { Index: number }).Index}`,
        before.Spec,
      );
      t.equal(stale.status, 500);
      t.equal(stale.json().message, 'rpc error: code = Unknown desc = update out of sequence');
      await docker(['node', 'update', '--label-rm', 'zone', '--availability', 'active', worker]);
      const [back] = JSON.parse((await docker(['node', 'inspect', worker])).stdout);
      t.same(back.Spec, { Labels: {}, Role: 'worker', Availability: 'active' });
    });

    t.test('hostile node updates answer 400 naming the field and write nothing', async (t) => {
      const cur = (await call(tm.host, 'GET', `/nodes/${worker}`)).json();
      const v = (cur.Version as { Index: number }).Index;
      const spec = { Labels: {}, Role: 'worker', Availability: 'active' };
      const cases: [string, unknown, RegExp][] = [
        [`version=${v}`, { ...spec, Availability: 'sideways' }, /Availability/],
        [`version=${v}`, { ...spec, Role: 'king' }, /Role/],
        [`version=${v}`, { ...spec, Labels: { 'bad key': 'x' } }, /Labels key/],
        [`version=${v}`, { ...spec, Labels: { zone: 7 } }, /Labels\.zone/],
        [`version=${v}`, { ...spec, Name: '../etc' }, /Name/],
        [`version=${v}`, '{"Labels":', /malformed JSON/],
        [`version=${v}`, [], /body/],
        ['version=abc', spec, /version/],
        ['', spec, /version/],
      ];
      for (const [q, body, field] of cases) {
        const r = await call(tm.host, 'POST', `/nodes/${worker}/update?${q}`, body);
        t.equal(r.status, 400, `${JSON.stringify(body)} ${q}`);
        t.match(r.json().message, field);
      }
      const demote = await docker(['node', 'demote', selfId], false);
      t.match(demote.stderr, /attempting to demote the last manager of the swarm/);
      const after = (await call(tm.host, 'GET', `/nodes/${worker}`)).json();
      t.same(after.Version, cur.Version, 'nothing was written');
      t.same(after.Spec, cur.Spec);
      const bad = await call(tm.host, 'GET', `/nodes?filters=${encodeURIComponent('{"colour":["red"]}')}`);
      t.equal(bad.status, 400);
      t.match(bad.json().message, /colour/);
    });

    t.test('a manager restart keeps the cluster ID and every node ID', async (t) => {
      const clusterId = (await stored(store)).id;
      await tm.stop();
      tm = await startTestManager(config);
      const ids = (await docker(['node', 'ls', '-q'])).stdout.trim().split('\n').sort();
      t.same(ids, nodeIds);
      const info = (await docker(['info'])).stdout;
      t.match(info, new RegExp(`ClusterID: ${clusterId}`));
      t.match(info, new RegExp(`NodeID: ${selfId}`));
      t.equal((await docker(['swarm', 'join-token', '-q', 'worker'])).stdout.trim(), workerToken);
    });

    t.test(
      'docker node rm: refused while the engine is up or for a manager; a node whose engine left discovery is Down and removable',
      async (t) => {
        t.match((await docker(['node', 'rm', worker], false)).stderr, /is not down and can't be removed/);
        t.match(
          (await docker(['node', 'rm', '--force', selfId], false)).stderr,
          /must be demoted to worker before removal/,
        );
        const gone = '127.0.1.250:2375'; // no engine answers there
        await store.put(gone, gone);
        const token = (await docker(['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
        const admitted = await call(tm.host, 'POST', '/shoal/swarm/join', { Token: token, Addr: gone });
        t.equal(admitted.status, 200, 'admitted with the worker token (a discovery key alone makes no node)');
        const row = async () => (await docker(['node', 'ls'])).stdout.split('\n').find((l) => l.includes(gone));
        await waitUntil(async () => /\sDown\s/.test((await row()) ?? ''), 30_000, 'the unanswering engine listed Down');
        await store.delete(gone);
        await waitUntil(() => !tm.manager.cluster.list().some((n) => n.addr === gone), 20_000, 'discovery drops it');
        const id = ((await row()) ?? '').split(/\s+/)[0] as string;
        t.match(id, /^[0-9a-z]{25}$/, 'still listed after it left discovery');
        t.equal((await docker(['node', 'rm', id])).stdout.trim(), id);
        t.notOk(await row(), 'removed');
        t.equal((await docker(['node', 'ls', '-q'])).stdout.trim().split('\n').length, 3);
      },
    );

    t.test('docker swarm leave: refused without --force; --force erases the swarm state', async (t) => {
      const refused = await docker(['swarm', 'leave'], false);
      t.match(refused.stderr, /Removing the last manager erases all current state of the swarm/);
      t.match((await docker(['swarm', 'leave', '--force'])).stdout, /Node left the swarm\./);
      t.match((await docker(['info'])).stdout, /Swarm: inactive/);
      t.same(await store.list(MODE_PREFIX), []);
      t.same(await store.list(NODES_PREFIX), []);
      t.equal((await docker(['ps', '-q'])).exitCode, 0, 'the classic workflow still answers');
      t.match((await docker(['node', 'ls'], false)).stderr, /This node is not a swarm manager/);
    });
  });
}
