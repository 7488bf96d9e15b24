/**
 * The --ui server of a real manager (nodes:// discovery of addresses where no engine answers, so no harness
 * server): the page, its script and style with a CSP that forbids inline code; read-only (405); /view.json; the
 * event stream sends the view at once and again when the cluster changes; with TLS it is HTTPS with the API's
 * certificate, and with --tlsverify a client without a certificate signed by --tlscacert is refused.
 */
import t from 'tap';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { initCa } from '../../../agents/tls/ca.js';
import { certRequest } from '../../../agents/tls/extensions.js';
import { issueCert } from '../../../agents/tls/issue.js';
import { startManager } from '../../../agents/manage/manager.js';
import { silentLogger } from '../../../agents/common/log.js';
import { freePort } from '../../harness/proxies.js';
import { tempDir } from '../../tls/helpers.js';
import { managerConfig, waitUntil } from '../helpers.js';
import type { View } from '../../../agents/manage/ui/view.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, opts: https.RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.request(url, { agent: false, ...opts }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The `view` events of /events, as they arrive. */
function events(url: string): { views: View[]; close(): void } {
  const views: View[] = [];
  let buf = '';
  const req = http.get(`${url}/events`, { agent: false }, (res) => {
    res.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = /^event: view\ndata: (.*)$/s.exec(block);
        if (data) views.push(JSON.parse(data[1] as string) as View);
      }
    });
  });
  req.on('error', () => {});
  return { views, close: () => req.destroy() };
}

t.test('plain HTTP: page, headers, read-only, view.json and the event stream', async (t) => {
  const dead = [await freePort(), await freePort()].map((p) => `127.0.0.1:${p}`);
  const m = await startManager(
    managerConfig(`nodes://${dead[0]}`, { ui: { host: '127.0.0.1', port: 0 }, failureRetry: 1 }),
    silentLogger(),
  );
  t.teardown(() => m.stop());
  const url = m.uiUrl as string;
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);

  const page = await request(`${url}/`);
  t.equal(page.status, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.headers['content-security-policy'], /default-src 'none'; script-src 'self'; style-src 'self'/);
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  t.match(page.body, /<script src="app\.js" defer><\/script>/);
  t.notMatch(page.body, /<script>|\son[a-z]+=/, 'no inline script or handler');
  const js = await request(`${url}/app.js`);
  t.equal(js.status, 200);
  t.match(js.headers['content-type'], /^text\/javascript/);
  t.notMatch(js.body, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, 'text only, never markup');
  t.equal((await request(`${url}/app.css`)).status, 200);
  t.equal((await request(`${url}/nope`)).status, 404);
  const post = await request(`${url}/`, { method: 'POST' });
  t.equal(post.status, 405);
  t.equal(post.headers.allow, 'GET, HEAD');

  await waitUntil(
    async () => (JSON.parse((await request(`${url}/view.json`)).body) as View).nodes[0]?.state === 'down',
    20_000,
    'the dead engine down',
  );
  const v = JSON.parse((await request(`${url}/view.json`)).body) as View;
  t.same(
    v.nodes.map((n) => n.addr),
    [dead[0]],
  );
  t.equal(v.swarm, 'inactive', 'no store: no swarm mode');
  t.same(v.store, { state: 'none', since: v.store.since });
  t.match(v.alerts, [{ kind: 'node', text: new RegExp(`^node ${dead[0]} \\(${dead[0]}\\) is down: `) }]);

  const stream = events(url);
  t.teardown(() => stream.close());
  await waitUntil(() => stream.views.length >= 1, 10_000, 'the first view event');
  t.same(stream.views[0], v, 'the current view at once');
  m.cluster.setAddrs(dead);
  await waitUntil(() => stream.views.some((x) => x.nodes.length === 2), 10_000, 'a view with the added engine');
});

t.test('TLS: HTTPS with the API certificate; --tlsverify refuses a client without a certificate', async (t) => {
  const dir = tempDir(t, 'shoal-ui-tls-');
  await initCa({ dir, commonName: 'shoal ui test CA', days: 30, keyType: 'ec', force: true });
  const server = await issueCert(dir, certRequest({ name: 'manager', ips: ['127.0.0.1'] }), {
    keyType: 'ec',
    force: true,
  });
  const client = await issueCert(dir, certRequest({ name: 'client', client: true }), { keyType: 'ec', force: true });
  const ca = readFileSync(server.ca);
  const tlsConfig = (verify: boolean) =>
    managerConfig(`nodes://127.0.0.1:${1}`, {
      tls: true,
      tlsVerify: verify,
      tlsCaCert: server.ca,
      tlsCert: server.cert,
      tlsKey: server.key,
      ui: { host: '127.0.0.1', port: 0 },
    });

  const plain = await startManager(tlsConfig(false), silentLogger());
  t.teardown(() => plain.stop());
  t.match(plain.uiUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const anyone = await request(`${plain.uiUrl}/`, { ca });
  t.equal(anyone.status, 200, '--tls: HTTPS, no client certificate asked');
  t.match(anyone.body, /shoal cluster/);
  await t.rejects(
    request(`${plain.uiUrl}/`),
    /self[- ]signed|unable to verify|certificate/i,
    'a client not trusting the CA',
  );

  const verified = await startManager(tlsConfig(true), silentLogger());
  t.teardown(() => verified.stop());
  await t.rejects(request(`${verified.uiUrl}/`, { ca }), 'no client certificate: refused');
  const withCert = await request(`${verified.uiUrl}/view.json`, {
    ca,
    cert: readFileSync(client.cert),
    key: readFileSync(client.key),
  });
  t.equal(withCert.status, 200, 'a client certificate from the CA: served');
  t.ok(Array.isArray((JSON.parse(withCert.body) as View).nodes));
});
