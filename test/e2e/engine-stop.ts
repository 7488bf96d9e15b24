/**
 * Issue 6, end to end: an engine stopped. Its dockerd is SIGKILLed (by the pid `shoal up` recorded); the host's
 * join and registrator keep running, as they would on a real host whose engine crashed. Then: the manager marks
 * the node Unhealthy and `docker ps -a` shows its containers as `Host Down` while it is still listed; join stops
 * refreshing its /swarm key, which expires with its TTL (not at once); the node leaves the manager after that;
 * registrator withdraws the host's /services entries and they leave the rendered edge config.
 */
import { readFileSync } from 'node:fs';
import type { Test } from 'tap';
import type { Store } from '../../agents/store/store.js';
import { isAlive, procStartTime } from '../../agents/up/proc.js';
import { body, HEARTBEAT_MS, TTL_MS, within, type Cluster } from './seed.js';

/** `docker ps -a` through the manager: the node's containers and their Status column. */
async function psOf(c: Cluster, node: string): Promise<{ name: string; status: string }[]> {
  const r = await c.docker(['ps', '-a', '--filter', 'name=shoal-demo-', '--format', '{{.Names}}\t{{.Status}}']);
  return String(r.stdout)
    .split('\n')
    .filter((l) => l.startsWith(`${node}/`))
    .map((l) => {
      const [name, status] = l.split('\t') as [string, string];
      return { name: name.slice(node.length + 1), status };
    });
}

export async function engineStop(
  t: Test,
  store: Store,
  c: Cluster,
  timings: Record<string, number>,
  killed: { n?: number },
): Promise<void> {
  // the node with the most demo containers left (at least one webapp: a worker)
  const count = (n: string) => c.placed.filter((p) => p.node === n).length;
  const node = c.placed
    .filter((p) => p.service === 'webapp')
    .map((p) => p.node)
    .sort((a, b) => count(b) - count(a))[0]!;
  const eng = c.state.engines.find((e) => e.name === node)!;
  const proc = c.state.processes.find((p) => p.name === `dockerd-${node}`)!;
  t.ok(proc && isAlive(proc), `dockerd of ${node} recorded by up (pid ${proc?.pid})`);
  t.equal(procStartTime(proc.pid), proc.startTime, 'the recorded pid is still that dockerd');
  const agents = ['join', 'registrator'].map((a) => c.state.processes.find((x) => x.name === `${a}-${node}`)!);
  const theirs = (await store.list('services')).filter((kv) => kv.key.split('/').pop()!.startsWith(`${node}:`));
  t.ok(theirs.length >= 1, `${node} has services: ${theirs.map((kv) => kv.key.split('/').pop()).join(', ')}`);
  t.ok(await store.get(`swarm/${eng.addr}`), `swarm/${eng.addr} present`);
  const mine = c.placed
    .filter((p) => p.node === node)
    .map((p) => p.name)
    .sort();
  const config = c.state.edge!.config;
  const re = new RegExp(`${node}: ${eng.addr.replace(/\./g, '\\.')}\\n\\s*└ ID: [^\\n]*\\n\\s*└ Status: (\\w+)`);
  /** The node's status in `docker info` through the manager; undefined once it is no longer listed. */
  const status = async () => re.exec(String((await c.docker(['info'])).stdout))?.[1];
  t.equal(await status(), 'Healthy', `the manager reports ${node} Healthy before`);
  t.same((await psOf(c, node)).map((x) => x.name).sort(), mine, `docker ps -a lists ${node}'s containers before`);
  t.ok(
    (await psOf(c, node)).every((x) => x.status.startsWith('Up ')),
    'all of them Up',
  );

  const servicesGone = async () => {
    const left = (await store.list('services')).filter((kv) => kv.key.split('/').pop()!.startsWith(`${node}:`));
    const text = readFileSync(config, 'utf8');
    return left.length === 0 && theirs.every((kv) => !text.includes(kv.value));
  };

  killed.n = eng.n;
  const k0 = Date.now();
  process.kill(proc.pid, 'SIGKILL');
  const marks: Record<string, number | undefined> = {};
  const hostDown: string[] = [];
  await within(
    2 * TTL_MS + 10_000,
    async () => {
      const dt = Date.now() - k0;
      const st = await status();
      if (st === 'Unhealthy') marks.unhealthy ??= dt;
      if (st !== undefined && marks.hostDown === undefined) {
        const ps = await psOf(c, node);
        if (ps.length > 0 && ps.every((x) => x.status === 'Host Down')) {
          marks.hostDown = dt;
          hostDown.push(...ps.map((x) => x.name).sort());
        }
      }
      if (st === undefined) marks.left ??= dt;
      if (marks.keyExpired === undefined && (await store.get(`swarm/${eng.addr}`)) === undefined) marks.keyExpired = dt;
      if (marks.servicesGone === undefined && (await servicesGone())) marks.servicesGone = dt;
      return ['unhealthy', 'hostDown', 'left', 'keyExpired', 'servicesGone'].every((k) => marks[k] !== undefined);
    },
    250,
  );
  timings.engineStopToUnhealthy = marks.unhealthy ?? NaN;
  timings.engineStopToHostDown = marks.hostDown ?? NaN;
  timings.engineStopToKeyExpired = marks.keyExpired ?? NaN;
  timings.engineStopToNodeLeft = marks.left ?? NaN;
  timings.engineStopToServicesGone = marks.servicesGone ?? NaN;
  t.ok(
    agents.every((a) => a && isAlive(a)),
    `join and registrator of ${node} still running`,
  );
  const k = marks.keyExpired;
  t.ok(
    k !== undefined && k >= TTL_MS - HEARTBEAT_MS - 1000 && k <= TTL_MS + 5000,
    `swarm/${eng.addr} expired with join's --ttl ${TTL_MS} ms (heartbeat ${HEARTBEAT_MS} ms), not at once: ${k} ms after the kill`,
  );
  t.ok(
    marks.unhealthy !== undefined && marks.left !== undefined && marks.unhealthy < marks.left,
    `docker info reports ${node} Unhealthy (${marks.unhealthy} ms) before it leaves the list (${marks.left} ms)`,
  );
  t.ok(
    marks.hostDown !== undefined && marks.left !== undefined && marks.hostDown < marks.left,
    `docker ps -a shows ${node}'s containers as Host Down while it is listed (${marks.hostDown} ms)`,
  );
  t.same(hostDown, mine, `the Host Down rows are ${node}'s containers: ${mine.join(', ')}`);
  t.ok(
    marks.left !== undefined && marks.keyExpired !== undefined && marks.left >= marks.keyExpired - 500,
    `the node leaves the manager once its key expired (left ${marks.left} ms, key ${marks.keyExpired} ms)`,
  );
  t.ok(
    marks.servicesGone !== undefined,
    `${node}'s services left the store and the rendered edge config (${marks.servicesGone} ms; registrator --withdraw-after)`,
  );
  const remaining = c.placed.filter((p) => p.service === 'webapp' && p.node !== node).map((p) => p.name);
  if (remaining.length > 0) {
    const seen = new Set<string>();
    let failed = 0;
    for (let i = 0; i < 20; i++) {
      const b = await body(c.edge, 'webapp');
      if (b === '') failed++;
      else seen.add(b);
    }
    t.same([...seen].sort(), remaining, `only the webapps of live engines answer (${remaining.join(', ')})`);
    t.equal(failed, 0, 'no request failed');
  }
}
