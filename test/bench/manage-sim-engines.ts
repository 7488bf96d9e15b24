/**
 * SIMULATION, for benchmarks only: one process answering the Engine API endpoints `shoal manage` uses, on
 * COUNT ports from BASE on 127.0.0.1 (one simulated engine per port: /_ping, /info, /version,
 * /containers/json, /containers/<id>/json, /images/json, /events held open). Not a Docker engine.
 *
 *   node --import tsx test/bench/manage-sim-engines.ts BASE COUNT CONTAINERS_PER_ENGINE
 */
import http from 'node:http';

const [base, count, perEngine] = process.argv.slice(2).map(Number) as [number, number, number];

function engineServer(i: number): http.Server {
  const name = `sim${String(i).padStart(4, '0')}`;
  const containers = Array.from({ length: perEngine }, (_, k) => ({
    Id: `${i.toString(16).padStart(8, '0')}${k.toString(16).padStart(8, '0')}`.padEnd(64, '0'),
    Names: [`/${name}-c${k}`],
    Image: 'shoal/busybox:latest',
    ImageID: 'sha256:' + 'b'.repeat(64),
    Command: 'sleep 600',
    Created: 1_700_000_000 + k,
    State: 'running',
    Status: 'Up 2 hours',
    Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 20000 + k, Type: 'tcp' }],
    Labels: { tier: k % 2 ? 'web' : 'db' },
    HostConfig: { NetworkMode: 'bridge' },
  }));
  const json = (res: http.ServerResponse, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'api-version': '1.41',
    });
    res.end(text);
  };
  return http.createServer((req, res) => {
    const p = (req.url ?? '/').replace(/^\/v\d+\.\d+/, '').split('?')[0] as string;
    if (p === '/_ping') return void res.end('OK');
    if (p === '/info')
      return json(res, {
        ID: `SIM:${i}`,
        Name: name,
        NCPU: 4,
        MemTotal: 8 * 1024 ** 3,
        Labels: [`zone=z${i % 10}`, `rack=r${i % 40}`],
        Driver: 'overlay2',
        KernelVersion: '6.1.0',
        OperatingSystem: 'simulated',
        OSType: 'linux',
        ServerVersion: '20.10.24-sim',
      });
    if (p === '/version') return json(res, { Version: '20.10.24-sim', ApiVersion: '1.41', MinAPIVersion: '1.12' });
    if (p === '/containers/json') return json(res, containers);
    if (p === '/images/json')
      return json(res, [{ Id: 'sha256:' + 'b'.repeat(64), RepoTags: ['shoal/busybox:latest'] }]);
    if (p === '/events') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      return;
    }
    const m = /^\/containers\/([0-9a-f]+)\/json$/.exec(p);
    if (m) return json(res, { Id: m[1], HostConfig: { PortBindings: {}, CpuShares: 0, Memory: 0 }, Config: {} });
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: `simulated engine: ${p} not simulated` }));
  });
}

let up = 0;
for (let i = 0; i < count; i++)
  engineServer(i).listen(base + i, '127.0.0.1', () => {
    up += 1;
    if (up === count) process.stdout.write(`ready ${count}\n`);
  });
