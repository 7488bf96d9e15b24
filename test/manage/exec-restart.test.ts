/**
 * Exec routing after a manager restart: execs created through one manager are started, inspected and
 * resized through a new manager over the same engines. The new one keeps nothing from the old, so it must
 * find each exec by asking the nodes, and reach the node that owns it (two execs on two nodes, neither the
 * first node). `docker exec` through the restarted manager works too.
 */
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { startManager } from '../../agents/manage/manager.js';
import { silentLogger } from '../../agents/common/log.js';
import {
  cleanup,
  ENGINE_ADDRS,
  IMAGE,
  managerConfig,
  sharedEngines,
  startTestManager,
  suffix,
  waitUntil,
  type TestManager,
} from './helpers.js';

const engines = await sharedEngines();
const [, e2, e3] = engines as [unknown, (typeof engines)[number], (typeof engines)[number]];
const P = `mgexr${suffix()}`;
let tm: TestManager = await startTestManager(managerConfig(ENGINE_ADDRS));
t.teardown(async () => {
  await tm.stop();
  await cleanup(engines, P);
});

const portOf = (m: TestManager) => Number(/:(\d+)$/.exec(m.host)?.[1]);

interface Answer {
  status: number;
  text: string;
}

function call(m: TestManager | number, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: typeof m === 'number' ? m : portOf(m),
        method,
        path,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** POST /exec/<id>/start as the docker CLI sends it (Connection: Upgrade): everything the socket carries. */
function upgradeStart(m: TestManager, id: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ Detach: false, Tty: false });
    const s = net.connect({ host: '127.0.0.1', port: portOf(m) }, () => {
      s.write(
        `POST /v1.41/exec/${id}/start HTTP/1.1\r\nHost: manager\r\nContent-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
    });
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('end', () => resolve(out));
    s.on('error', reject);
    s.setTimeout(20_000, () => s.destroy(new Error(`upgrade start timed out; got: ${out}`)));
  });
}

const ids: Record<string, string> = {};
const execs: Record<string, string> = {};

t.test('through the first manager: containers on dockerhost02 and dockerhost03, an exec created on each', async (t) => {
  for (const [key, node] of [
    ['c2', 'dockerhost02'],
    ['c3', 'dockerhost03'],
  ] as const) {
    const r = await tm.docker([
      'run',
      '-d',
      '--name',
      `${P}-${key}`,
      '-e',
      `constraint:node==${node}`,
      IMAGE,
      'sleep',
      '600',
    ]);
    ids[key] = r.stdout.trim();
  }
  // on dockerhost03: a tty exec that reports its terminal size after a pause (time to resize it)
  const a = await call(tm, 'POST', `/v1.41/containers/${P}-c3/exec`, {
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    Cmd: ['sh', '-c', 'sleep 3; stty size'],
  });
  t.equal(a.status, 201, a.text);
  execs['tty'] = JSON.parse(a.text).Id;
  // on dockerhost02: a plain exec, to be started the way the docker CLI does it (an HTTP upgrade)
  const b = await call(tm, 'POST', `/v1.41/containers/${P}-c2/exec`, {
    AttachStdout: true,
    AttachStderr: true,
    Cmd: ['sh', '-c', 'echo upgraded-$((6*7))'],
  });
  t.equal(b.status, 201, b.text);
  execs['plain'] = JSON.parse(b.text).Id;
  t.equal((await e3.cli(['inspect', '-f', '{{.Id}}', `${P}-c3`])).stdout.trim(), ids['c3'], 'c3 is on engine 3');
});

t.test('a new manager over the same engines (the old one is gone)', async (t) => {
  await tm.stop();
  tm = await startTestManager(managerConfig(ENGINE_ADDRS));
  t.equal((await call(tm, 'GET', '/_ping')).text, 'OK');
});

t.test('GET /exec/<id>/json through the new manager answers from the owning node', async (t) => {
  for (const [key, owner, container] of [
    ['tty', e3, 'c3'],
    ['plain', e2, 'c2'],
  ] as const) {
    const r = await call(tm, 'GET', `/v1.41/exec/${execs[key]}/json`);
    t.equal(r.status, 200, `${key}: ${r.text}`);
    const j = JSON.parse(r.text);
    t.equal(j.ID, execs[key]);
    t.equal(j.ContainerID, ids[container], `${key}: the exec of ${P}-${container}`);
    t.equal(j.Running, false, 'not started yet');
    const direct = await send(owner.tcp, 'GET', `/v1.41/exec/${execs[key]}/json`);
    t.equal(direct.status, 200, `${key}: the owning engine ${owner.name} knows it`);
  }
  const none = await call(tm, 'GET', `/v1.41/exec/${'0'.repeat(64)}/json`);
  t.equal(none.status, 404, 'an exec no node knows');
  t.match(JSON.parse(none.text).message, /No such exec instance/);
});

t.test('POST /exec/<id>/start and /resize through the new manager reach the owning node', async (t) => {
  const id = execs['tty'] as string;
  const started = call(tm, 'POST', `/v1.41/exec/${id}/start`, { Detach: false, Tty: true });
  await waitUntil(
    async () => JSON.parse((await call(tm, 'GET', `/v1.41/exec/${id}/json`)).text).Running === true,
    10_000,
    'exec running',
  );
  const resized = await call(tm, 'POST', `/v1.41/exec/${id}/resize?h=37&w=113`);
  t.ok(resized.status >= 200 && resized.status < 300, `resize answered ${resized.status} ${resized.text}`);
  const out = await started;
  t.equal(out.status, 200);
  t.match(out.text, /\b37 113\b/, 'the exec saw the size set through the new manager');
  const after = JSON.parse((await call(tm, 'GET', `/v1.41/exec/${id}/json`)).text);
  t.equal(after.Running, false);
  t.equal(after.ExitCode, 0);
});

t.test('an exec started with an HTTP upgrade (as the docker CLI does) through the new manager', async (t) => {
  const raw = await upgradeStart(tm, execs['plain'] as string);
  t.match(raw, /^HTTP\/1\.1 101 /, 'the owning engine upgraded the connection');
  t.match(raw, /upgraded-42/);
  t.equal(JSON.parse((await call(tm, 'GET', `/v1.41/exec/${execs['plain']}/json`)).text).ExitCode, 0);
});

t.test('docker exec through the restarted manager', async (t) => {
  t.equal((await tm.docker(['exec', `${P}-c3`, 'sh', '-c', 'echo cli-$((2*21))'])).stdout.trim(), 'cli-42');
  t.equal(
    (
      await tm.docker(['exec', '-i', `dockerhost02/${P}-c2`, 'sh', '-c', 'tr a-z A-Z'], { input: 'piped\n' })
    ).stdout.trim(),
    'PIPED',
  );
});

t.test('a node that never answers does not hold up finding an exec on the others', async (t) => {
  // a frozen host: accepts connections, never answers (listed first: its name stays empty)
  const held = new Set<net.Socket>();
  /** What each connection to the frozen host asked, and whether its client has let it go. */
  const asked = new Map<net.Socket, { text: string; closed: boolean }>();
  const hung = net.createServer((s) => {
    const seen = { text: '', closed: false };
    asked.set(s, seen);
    held.add(s.on('error', () => {}));
    s.on('data', (d: Buffer) => (seen.text += d.toString()));
    s.on('close', () => (seen.closed = true));
  });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  const hungAddr = `127.0.0.1:${(hung.address() as net.AddressInfo).port}`;
  const m = await startManager(
    managerConfig(`nodes://${hungAddr},${ENGINE_ADDRS.replace('nodes://', '')}`),
    silentLogger(),
  );
  t.teardown(async () => {
    await m.stop();
    for (const s of held) s.destroy();
    await new Promise((r) => hung.close(r));
  });
  await waitUntil(
    () => m.cluster.list().filter((n) => n.health === 'healthy').length === 3,
    20_000,
    'the three engines healthy',
  );
  t.equal(m.cluster.list()[0]?.addr, hungAddr, 'the frozen node comes first in the node list');
  // an exec made straight on engine 3, behind every manager's back
  const made = await send(e3.tcp, 'POST', `/v1.41/containers/${ids['c3']}/exec`, { AttachStdout: true, Cmd: ['true'] });
  t.equal(made.status, 201, made.text);
  const id = JSON.parse(made.text).Id as string;
  const port = Number(/:(\d+)$/.exec(m.addresses[0] as string)?.[1]);
  const r = await call(port, 'GET', `/v1.41/exec/${id}/json`);
  const pending = [...asked.values()].filter((x) => x.text.includes(`/exec/${id}/json`));
  t.equal(r.status, 200, r.text);
  t.equal(JSON.parse(r.text).ContainerID, ids['c3']);
  // the answer never waited for the frozen node to be given up on (its calls time out after 10 s, which
  // closes the connection): any question it got about this exec is still open when the answer is here
  t.same(
    pending.filter((x) => x.closed),
    [],
    `no question to the frozen node was given up before the answer (asked ${pending.length} times)`,
  );
});

/** Straight to an engine (never through the code under test). */
function send(addr: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const [host, port] = addr.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port: Number(port), method, path, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
