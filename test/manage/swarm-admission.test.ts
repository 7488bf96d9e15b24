/**
 * Token admission with the stock docker CLI, a real `shoal manage` and `shoal join` over the harness engines:
 * a hand-written discovery key makes no node and gets no task; a bad, malformed or rotated token is refused
 * with exit 2 and one line; the current token admits the host as a worker (in `node ls`, then given its global
 * task) with a certificate from the cluster CA; a manager token admits a manager; the store holds no token.
 */
import t from 'tap';
import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NODES_PREFIX } from '../../agents/manage/swarm/layout.js';
import { openssl } from '../../agents/tls/openssl.js';
import { SWARM_ENGINES, swarmSetup } from './swarm-setup.js';
import { sharedEngines, startTestManager, suffix, waitUntil, type TestManager } from './helpers.js';

const engines = await sharedEngines();
const ROOT = new URL('../../', import.meta.url).pathname;
const THIRD = SWARM_ENGINES[2] as string;

function shoalJoin(args: string[]): ResultPromise<{ reject: false; cwd: string; env: Record<string, string> }> {
  return execa(process.execPath, ['--import', 'tsx', 'agents/cli.ts', 'join', ...args], {
    reject: false,
    cwd: ROOT,
    env: { SHOAL_LOG_LEVEL: 'error' },
  });
}

async function post(host: string, body: unknown) {
  const res = await fetch(`${host.replace(/^tcp:/, 'http:')}/shoal/swarm/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

t.test('swarm-mode token admission on consul', async (t) => {
  const { store, config, port } = await swarmSetup(t, 'consul', 'mgadmit');
  await store.delete(THIRD); // the third engine is not one of the operator's hosts at init
  const tm: TestManager = await startTestManager(config);
  t.teardown(() => tm.stop());
  const docker = (args: string[], reject = true) => tm.docker(args, { reject });
  const manager = `127.0.0.1:${port}`;
  const nodeAddrs = async () => {
    const ids = (await docker(['node', 'ls', '-q'])).stdout.trim().split('\n').filter(Boolean);
    const out = await docker([
      'node',
      'inspect',
      ...ids,
      '--format',
      '{{.Status.Addr}} {{.Spec.Role}} {{.Status.State}}',
    ]);
    return out.stdout.trim().split('\n').sort();
  };
  const g = `adm${suffix()}`;
  let gId = '';
  const tasksOn = async (engine: number) =>
    (
      await engines[engine]!.cli(['ps', '-q', '--filter', `label=com.docker.swarm.service.id=${gId}`], {
        reject: false,
      })
    ).stdout
      .split('\n')
      .filter(Boolean);
  t.teardown(async () => {
    if (!gId) return;
    await docker(['service', 'rm', gId], false);
    for (const [i, e] of engines.entries()) {
      const ids = await tasksOn(i);
      if (ids.length) await e.cli(['rm', '-f', ...ids], { reject: false });
    }
  });

  const init = await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  const oldToken = /docker swarm join --token (SWMTKN-1-\S+) /.exec(init.stdout)?.[1] ?? '';
  t.not(oldToken, '');
  t.same(await nodeAddrs(), ['127.0.1.1 manager ready', '127.0.1.2 worker ready'], 'init admits the engines it found');

  t.test('a hand-written discovery key makes no node and gets no task of a global service', async (t) => {
    await store.put(THIRD, THIRD);
    await waitUntil(
      () => tm.manager.cluster.list().some((n) => n.addr === THIRD && n.health === 'healthy'),
      30_000,
      'the manager sees the third engine in discovery',
    );
    t.same(await nodeAddrs(), ['127.0.1.1 manager ready', '127.0.1.2 worker ready'], 'not in node ls');
    t.match((await docker(['info'])).stdout, /\n\s*Nodes: 2\n/);
    const out = await docker([
      'service',
      'create',
      '--name',
      g,
      '--mode',
      'global',
      '--stop-grace-period',
      '1s',
      'shoal/busybox',
      'sleep',
      '3600',
    ]);
    gId = out.stdout.split('\n')[0]!.trim();
    t.match(out.stdout, /converged/);
    t.match((await docker(['service', 'ls', '--filter', `name=${g}`])).stdout, new RegExp(`${g}\\s+global\\s+2/2`));
    t.equal((await tasksOn(0)).length + (await tasksOn(1)).length, 2);
    t.same(await tasksOn(2), [], 'the unadmitted engine runs no task');
  });

  t.test('a bad, malformed or rotated token: exit 2, one line, never a node', async (t) => {
    const base = ['--addr', THIRD, '--check-engine=false', '--heartbeat', '1s', '--ttl', '3s'];
    const wrong = `${oldToken.slice(0, -25)}${'a'.repeat(25)}`;
    const bad = await shoalJoin(['--token', wrong, manager, ...base]);
    t.equal(bad.exitCode, 2);
    t.match(
      bad.stderr.trim(),
      new RegExp(
        `^shoal join: the manager at ${manager} refused admission: invalid join token: it is not a current token of this swarm[^\\n]*$`,
      ),
    );
    t.notMatch(bad.stderr, /a{25}/, 'the token is not echoed');
    const malformed = await shoalJoin(['--token', 'SWMTKN-1-nope', manager, ...base]);
    t.equal(malformed.exitCode, 2);
    t.match(
      malformed.stderr.trim(),
      /^shoal join: the manager at \S+ refused admission: invalid Token: expected a join token/,
    );
    await docker(['swarm', 'join-token', '--rotate', 'worker']);
    const rotated = await shoalJoin(['--token', oldToken, manager, ...base]);
    t.equal(rotated.exitCode, 2);
    t.match(rotated.stderr, /refused admission: invalid join token: it is not a current token/);
    t.same(await store.get(`${NODES_PREFIX}/${THIRD}`), undefined, 'nothing written');
    t.same(await nodeAddrs(), ['127.0.1.1 manager ready', '127.0.1.2 worker ready']);
  });

  t.test(
    'the current token admits the host: a worker in node ls, its global task, a CA-signed certificate',
    async (t) => {
      const token = (await docker(['swarm', 'join-token', '-q', 'worker'])).stdout.trim();
      t.not(token, oldToken);
      const certDir = mkdtempSync(path.join(os.tmpdir(), 'admit-node-'));
      t.teardown(() => rmSync(certDir, { recursive: true, force: true }));
      const join = shoalJoin([
        '--token',
        token,
        manager,
        '--addr',
        THIRD,
        '--check-engine=false',
        '--heartbeat',
        '1s',
        '--ttl',
        '3s',
        '--cert-dir',
        certDir,
      ]);
      t.teardown(async () => {
        join.kill('SIGTERM');
        await join;
      });
      const want = ['127.0.1.1 manager ready', '127.0.1.2 worker ready', '127.0.1.3 worker ready'];
      await waitUntil(
        async () => JSON.stringify(await nodeAddrs()) === JSON.stringify(want),
        60_000,
        'the host listed as a worker',
      );
      await waitUntil(async () => (await tasksOn(2)).length === 1, 60_000, 'the global task on the admitted node');
      const ca = path.join(config.swarmCaDir as string, 'ca.pem');
      const cert = path.join(certDir, 'cert.pem');
      t.match(await openssl(['verify', '-CAfile', ca, cert]), /: OK/);
      t.match(await openssl(['x509', '-in', cert, '-noout', '-ext', 'subjectAltName']), /IP Address:127\.0\.1\.3/);
      t.equal(statSync(path.join(certDir, 'key.pem')).mode & 0o777, 0o600, 'the key stays on the host, 0600');
      const rec = JSON.parse((await store.get(`${NODES_PREFIX}/${THIRD}`)) as string) as { admitted: { by: string } };
      t.equal(rec.admitted.by, 'token');
    },
  );

  t.test(
    'the manager token admits a manager; hostile requests are 400 naming the field, nothing written',
    async (t) => {
      const token = (await docker(['swarm', 'join-token', '-q', 'manager'])).stdout.trim();
      const ghost = '127.0.1.251:2375';
      const r = await post(tm.host, { Token: token, Addr: ghost });
      t.equal(r.status, 200);
      t.equal(r.json.Role, 'manager');
      t.ok((await nodeAddrs()).includes('127.0.1.251 manager down'), 'listed as a manager (no engine answers there)');
      for (const [body, field] of [
        [{ Token: token, Addr: 'nohost' }, 'Addr'],
        [{ Token: token, Addr: '127.0.1.252:2375', Key: 'x' }, 'Key'],
        [{ Addr: '127.0.1.252:2375' }, 'Token'],
        [
          {
            Token: token,
            Addr: '127.0.1.252:2375',
            CSR: '-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n',
          },
          'CSR',
        ],
      ] as const) {
        const bad = await post(tm.host, body);
        t.equal(bad.status, 400, field);
        t.match(bad.json.message, new RegExp(`^invalid ${field}`));
      }
      t.same(await store.get(`${NODES_PREFIX}/127.0.1.252:2375`), undefined);
      const wrong = await post(tm.host, { Token: `${token.slice(0, -25)}${'b'.repeat(25)}`, Addr: '127.0.1.252:2375' });
      t.equal(wrong.status, 403);
      t.match(wrong.json.message, /^invalid join token/);
      const all = (await store.list('')).map((kv) => `${kv.key}=${kv.value}`).join('\n');
      for (const tok of [oldToken, token, (await docker(['swarm', 'join-token', '-q', 'worker'])).stdout.trim()]) {
        t.notOk(all.includes(tok), 'no token in the store');
        t.notOk(all.includes(tok.slice(-25)), 'nor its secret');
      }
      t.notOk(all.includes('PRIVATE KEY'), 'nor a private key');
    },
  );
});
