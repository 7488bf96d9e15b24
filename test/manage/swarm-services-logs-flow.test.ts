/**
 * `docker service logs` flow control and TTY services, against a real `shoal manage` over the harness engines
 * (consul): a `--tty` service's logs come out intact through `service logs --raw` (the engine's stream is raw,
 * not demultiplexed, and the answer is raw as the CLI expects); a large log read by a client that stops
 * reading pauses the engine streams, the manager's unsent bytes stay bounded, and every line still arrives
 * once the client reads again.
 */
import t from 'tap';
import http from 'node:http';
import { logStreams } from '../../agents/manage/orchestrator/logs.js';
import { parseFrames } from '../../agents/manage/services/logs.js';
import { swarmSetup } from './swarm-setup.js';
import { sharedEngines, startTestManager, suffix, waitUntil, type TestManager } from './helpers.js';

const engines = await sharedEngines();
const LINES = 300_000;
const LINE = '0123456789abcdefghijklmnopqrstuvwxyz0123456789';

t.test('service logs flow and TTY', async (t) => {
  const { config } = await swarmSetup(t, 'consul', 'mglogflow');
  const tm: TestManager = await startTestManager(config);
  t.teardown(() => tm.stop());
  const docker = (args: string[], reject = true) => tm.docker(args, { reject });
  const ids: string[] = [];
  t.teardown(async () => {
    for (const id of ids)
      for (const e of engines) {
        const ps = await e.cli(['ps', '-aq', '--filter', `label=com.docker.swarm.service.id=${id}`], {
          reject: false,
        });
        for (const c of ps.stdout.split('\n').filter(Boolean)) await e.cli(['rm', '-f', c], { reject: false });
      }
  });
  await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  const create = async (args: string[]) => {
    const r = await docker(['service', 'create', '--detach', '--restart-condition', 'none', ...args]);
    const id = r.stdout.split('\n')[0]!.trim();
    ids.push(id);
    return id;
  };

  t.test('a --tty service: its logs come out intact', async (t) => {
    const name = `tty${suffix()}`;
    await create([
      '--tty',
      '--name',
      name,
      'shoal/busybox',
      'sh',
      '-c',
      'echo one; printf "two\\tthree\\n"; echo four',
    ]);
    let out = '';
    await waitUntil(
      async () => {
        out = (await docker(['service', 'logs', '--raw', name])).stdout;
        return out.includes('four');
      },
      60_000,
      'the tty service logs',
    );
    // the CLI strips the last \r\n
    t.equal(out, 'one\r\ntwo\tthree\r\nfour', 'raw terminal output, no frame headers, nothing lost');
    const plain = await docker(['service', 'logs', name], false);
    t.match(plain.stderr, /tty service logs only supported with --raw/, 'the CLI asks for --raw itself');
  });

  t.test('a reader that stops reading pauses the engine streams; the manager buffers little', async (t) => {
    const name = `big${suffix()}`;
    const id = await create(['--name', name, 'shoal/busybox', 'sh', '-c', `yes ${LINE} | head -n ${LINES}`]);
    await waitUntil(
      async () => /Complete/.test((await docker(['service', 'ps', name, '--format', '{{.CurrentState}}'])).stdout),
      60_000,
      'the task to complete',
    );
    const url = `${tm.host.replace(/^tcp:/, 'http:')}/v1.41/services/${id}/logs?stdout=1&stderr=1&details=1`;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(url, resolve).on('error', reject),
    );
    t.equal(res.statusCode, 200);
    res.pause(); // nothing is read: the socket fills and stops
    let stats: (typeof logStreams extends Set<infer S> ? S : never) | undefined;
    await waitUntil(
      () => (stats = [...logStreams].find((s) => s.paused)) !== undefined,
      60_000,
      'the engine streams to be paused',
    );
    t.ok(stats!.paused, 'paused while the client does not read');
    const logBytes = LINES * (LINE.length + 1);
    t.ok(stats!.received < logBytes, `the engine was held back (${stats!.received} of ${logBytes} bytes read)`);
    t.ok(stats!.maxBuffered < 1 << 20, `the manager never held 1 MiB unsent (at most ${stats!.maxBuffered} bytes)`);

    let rest = Buffer.alloc(0);
    let lines = 0;
    res.on('data', (c: Buffer) => {
      const { frames, rest: r } = parseFrames(rest.length ? Buffer.concat([rest, c]) : c);
      rest = Buffer.from(r);
      for (const f of frames) if (f.payload.toString().endsWith(` ${LINE}\n`)) lines++;
    });
    res.resume();
    await new Promise((r) => res.on('end', r));
    t.equal(lines, LINES, 'every line arrived once the client read again');
    t.ok(stats!.maxBuffered < 1 << 20, `still bounded after the whole log (${stats!.maxBuffered} bytes)`);
  });
});
