/** The backend check the registrator/join files start with: a server that does not answer fails the file. */
import net from 'node:net';
import t from 'tap';
import { ALL_BACKENDS, liveBackends } from './helpers.js';

/** A loopback port nobody listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

t.test('every backend whose server does not answer is named with its address, and the check throws', async (t) => {
  const port = await closedPort();
  const err = await liveBackends(ALL_BACKENDS, async () => `127.0.0.1:${port}`).then(
    () => undefined,
    (e: Error) => e,
  );
  t.ok(err, 'throws');
  for (const b of ALL_BACKENDS) t.match(err?.message, `\n  ${b} at 127.0.0.1:${port}: `, `names ${b}`);
});

t.test('a backend the harness cannot start is named too', async (t) => {
  const err = await liveBackends(['zk'], async () => {
    throw new Error('port 2181 is taken');
  }).then(
    () => undefined,
    (e: Error) => e,
  );
  t.match(err?.message, /zk at \(no address: the harness could not start it\): port 2181 is taken/);
});
