/** A test helper: a TCP relay in front of a server (a store, an engine) that a test can cut and restore. */
import net from 'node:net';

/** A TCP relay to `target` that can be cut (listener closed, live connections destroyed) and restored. */
export async function relay(target: string) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let listenPort = 0;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((c) => {
        const up = net.connect(port, host);
        sockets.add(c).add(up);
        c.pipe(up).pipe(c);
        const drop = () => {
          c.destroy();
          up.destroy();
          sockets.delete(c);
          sockets.delete(up);
        };
        c.on('error', drop).on('close', drop);
        up.on('error', drop).on('close', drop);
      });
      s.once('error', reject);
      s.listen(listenPort, '127.0.0.1', () => {
        listenPort = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  await open();
  return {
    address: () => `127.0.0.1:${listenPort}`,
    cut: async () => {
      // close() waits for the live connections: stop listening first, then destroy them
      const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = undefined;
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    restore: open,
  };
}
